"""`cloudevents authorize` end to end: the emulator and the command both as subprocesses; the test plays the user
and the browser (it follows the printed consent URL). CI is set, so no browser is ever opened."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from tests.emulator_fixtures import EmulatorProcess

API_SECRET = "acme-app-secret-9876"
RUN_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Run:
    """One `cloudevents` subprocess against the emulator."""

    def __init__(self, emu: EmulatorProcess, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        extra = env or {}
        env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
        env |= {
            "CE_BASE_URL": emu.base_url,
            "CE_USER_SECRET": emu.user_secret,
            "CE_ORG_SECRET": emu.org_secret,
            "ACME_OAUTH_SECRET": API_SECRET,
            "CI": "1",
            "NO_COLOR": "1",
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_CONFIG_HOME": str(home / "config"),
            **extra,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cloudevents_cli", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.err_lines: list[str] = []

    def consent_url(self) -> str:
        """The consent URL: the one stderr line that is a URL."""
        assert self.proc.stderr is not None
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.err_lines.append(line)
            if line.startswith(("http://", "https://")):
                return line.strip()
        raise AssertionError("no consent URL on stderr: " + "".join(self.err_lines))

    def finish(self, pasted: str | None = None) -> tuple[int, str, str]:
        out, err = self.proc.communicate(pasted, timeout=RUN_TIMEOUT)
        return self.proc.returncode, out, "".join(self.err_lines) + err


def definition(tmp_path: Path, callback: str, name: str = "acme-zendesk") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\n"
        "element: zendesk\n"
        "tags: [acme]\n"
        "configuration:\n"
        "  oauth.api.key: acme-client\n"
        "  oauth.api.secret: ${env:ACME_OAUTH_SECRET}\n"
        f"  oauth.callback.url: {callback}\n"
        "events:\n"
        "  type: polling\n"
        "  callback_url: https://hooks.example.com/ce\n"
        "  signature_key: a-signature-key-0123456789\n"
    )
    return path


@pytest.fixture
def emu(start_emulator: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return start_emulator()


def redirect_of(url: str) -> str:
    """What the consent page redirects to (the emulator consents at once)."""
    answer = httpx.get(url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return answer.headers["location"]


def code_in(location: str) -> str:
    return dict(parse_qsl(urlsplit(location).query))["code"]


def instances(emu: EmulatorProcess) -> list[dict[str, Any]]:
    return list(httpx.get(emu.base_url + "/instances", headers=emu.headers, timeout=10).json())


def assert_quiet_about(text: str, *secrets: str) -> None:
    for secret in (API_SECRET, *secrets):
        assert secret not in text


def test_local_callback_then_reauthentication_keeps_the_instance(emu: EmulatorProcess, tmp_path: Path) -> None:
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--no-browser", "-o", "json", "-v")
    location = redirect_of(run.consent_url())
    assert httpx.get(location, timeout=10).status_code == 200  # the "browser" lands on the local listener
    code, out, err = run.finish()
    assert code == 0, err
    created = json.loads(out)["results"][0]
    assert created["action"] == "created"
    assert_quiet_about(out + err, code_in(location))
    [live] = instances(emu)
    assert live["id"] == created["id"] and live["valid"] is True and live["tags"] == ["acme"]

    # the platform masks the instance's oauth.api.secret: the user gives it again
    again = Run(
        emu,
        tmp_path,
        "authorize",
        "--instance",
        "acme-zendesk",
        "-o",
        "json",
        "-v",
        env={"CE_OAUTH_API_SECRET": API_SECRET},
    )
    location = redirect_of(again.consent_url())
    assert httpx.get(location, timeout=10).status_code == 200
    code, out, err = again.finish()
    assert code == 0, err
    assert json.loads(out)["results"][0]["action"] == "updated"
    assert_quiet_about(out + err, code_in(location))
    [after] = instances(emu)
    assert after["id"] == live["id"] and after["tags"] == ["acme"]
    assert after["configuration"]["event.vendor.type"] == "polling"
    assert after["configuration"]["event.notification.enabled"] == "true"

    code, out, err = Run(emu, tmp_path, "get", "acme-zendesk", "-o", "json").finish()
    assert code == 0 and '"token": "********"' in out


def test_pasted_redirect_url(emu: EmulatorProcess, tmp_path: Path) -> None:
    path = definition(tmp_path, "https://app.example.com/oauth/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--no-browser")
    location = redirect_of(run.consent_url())
    assert location.startswith("https://app.example.com/oauth/callback?")
    code, out, err = run.finish(location + "\n")
    assert code == 0, err
    assert "created" in out
    assert_quiet_about(out + err, code_in(location))
    assert [i["name"] for i in instances(emu)] == ["acme-zendesk"]


def test_provider_error_fails_clearly_and_creates_nothing(emu: EmulatorProcess, tmp_path: Path) -> None:
    httpx.put(emu.root_url + "/_emulator/oauth", json={"error": "access_denied"}, timeout=10).raise_for_status()
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--no-browser")
    location = redirect_of(run.consent_url())
    assert httpx.get(location, timeout=10).status_code == 400
    code, _, err = run.finish()
    assert code == 5, err
    assert "the provider refused the authorization: access_denied" in err
    assert "Traceback" not in err
    assert instances(emu) == []


def test_wrong_state_is_refused(emu: EmulatorProcess, tmp_path: Path) -> None:
    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--no-browser")
    location = redirect_of(run.consent_url())
    query = dict(parse_qsl(urlsplit(location).query))
    forged = location.split("?")[0] + "?" + urlencode({**query, "state": "someone-elses-state"})
    assert httpx.get(forged, timeout=10).status_code == 400
    code, out, err = run.finish()
    assert code == 5, err
    assert "state is not this run's: refused" in err
    assert_quiet_about(out + err, query["code"])
    assert instances(emu) == []


def test_expired_code_is_rejected_with_a_hint(emu: EmulatorProcess, tmp_path: Path) -> None:
    path = definition(tmp_path, "https://app.example.com/oauth/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--no-browser")
    location = redirect_of(run.consent_url())
    httpx.post(emu.root_url + "/_emulator/oauth/expire", timeout=10).raise_for_status()
    code, out, err = run.finish(location + "\n")
    assert code == 4, err
    assert "invalid_grant" in err and "cloudevents authorize" in err
    assert_quiet_about(out + err, code_in(location))
    assert instances(emu) == []


def test_bring_your_own_tokens_create_without_a_browser(emu: EmulatorProcess, tmp_path: Path) -> None:
    path = tmp_path / "byo.yaml"
    code, _, err = Run(emu, tmp_path, "init", "--oauth", "--element", "zendesk", "--name", "byo", str(path)).finish()
    assert code == 0, err
    env = {"ZENDESK_OAUTH_API_KEY": "k1", "ZENDESK_OAUTH_API_SECRET": API_SECRET, "ZENDESK_REFRESH_TOKEN": "rt-123456"}
    env["CE_SIGNATURE_KEY"] = "a-signature-key-0123456789"
    code, out, err = Run(emu, tmp_path, "apply", str(path), "-o", "json", "-v", env=env).finish()
    assert code == 0, err
    assert json.loads(out)["results"][0]["action"] == "created"
    assert_quiet_about(out + err, "rt-123456")


def test_ctrl_c_while_waiting_leaves_nothing(emu: EmulatorProcess, tmp_path: Path) -> None:
    import signal

    path = definition(tmp_path, f"http://127.0.0.1:{free_port()}/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--no-browser", "-o", "json")
    run.consent_url()
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert json.loads(out)["results"][0]["action"] == "not-run"
    assert instances(emu) == []


def test_timeout_leaves_nothing(emu: EmulatorProcess, tmp_path: Path) -> None:
    path = definition(tmp_path, "https://app.example.com/oauth/callback")
    run = Run(emu, tmp_path, "authorize", str(path), "--wait-timeout", "1")
    run.consent_url()
    run.proc.wait(RUN_TIMEOUT)  # stdin stays open and empty: nobody pastes anything
    code, _, err = run.finish()
    assert code == 6, err
    assert "no authorization within 1 s; nothing was created or changed" in err
    assert instances(emu) == []
