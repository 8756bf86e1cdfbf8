"""The platform commands end to end, in-process: the CLI, the client and the emulator (via the cli's seams)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

PW = "definition-password-9876"
SIG = "signature-key-abcdefghijkl"


def definition(name: str, element: str = "closeio", *, interval: int = 15, password: str = "${env:TEST_PW}") -> str:
    return (
        f"name: {name}\nelement: {element}\ntags: [team-a, crm]\n"
        f"configuration:\n  username: bob\n  password: {password}\n"
        "events:\n  type: polling\n  callback_url: https://hooks.example.com/x\n"
        f"  signature_key: ${{env:TEST_SIG}}\n  refresh_interval: {interval}\n"
    )


@pytest.fixture
def wired(cli: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Global options that reach the in-process emulator."""
    cli.seams.transport = emulator.transport
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    return ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret, "--org-secret", emulator.org_secret]


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "a.yaml").write_text(definition("alpha"))
    (folder / "b.yaml").write_text(definition("beta") + "---\n" + definition("gamma", "sugarcrmv2"))
    return folder


@pytest.fixture
def instant_sleep(cli: Any) -> list[float]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    cli.seams.sleep = sleep
    return waits


def mock(cli: Any, handler: Callable[[httpx.Request], httpx.Response]) -> list[str]:
    cli.seams.transport = httpx.MockTransport(handler)
    return ["--base-url", "http://127.0.0.1:9", "--user-secret", "mock-user-1", "--org-secret", "mock-org-1"]


# -- create -------------------------------------------------------------------------------------------------
def test_create_json_contract(cli: Any, wired: list[str], defs: Path) -> None:
    res = cli(*wired, "-o", "json", "create", str(defs))
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1
    assert doc["summary"] == {"created": 3}
    first = doc["results"][0]
    assert set(first) == {"source", "name", "element", "action", "id", "http_status", "changes", "error"}
    assert first["source"].endswith("a.yaml#1") and first["action"] == "created"
    assert first["http_status"] == 200 and first["error"] is None and isinstance(first["id"], int)
    assert [r["name"] for r in doc["results"]] == ["alpha", "beta", "gamma"]
    assert doc["results"][2]["source"].endswith("b.yaml#2")


def test_create_ids_and_table(cli: Any, wired: list[str], defs: Path) -> None:
    res = cli(*wired, "create", str(defs / "a.yaml"), "-o", "id")
    assert res.exit_code == 0 and res.stdout == "1\n"
    res = cli(*wired, "create", str(defs / "a.yaml"))
    assert res.exit_code == 0
    assert "created" in res.stdout and "1 created" in res.stderr


def test_create_invalid_is_never_sent(cli: Any, wired: list[str], tmp_path: Path, emulator: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nelement: closeio\nevents:\n  type: pollin\n")
    res = cli(*wired, "create", str(bad), "-o", "json")
    assert res.exit_code == 3
    doc = json.loads(res.stdout)
    assert doc["results"][0]["action"] == "invalid"
    assert f"{bad}:4" in res.stderr
    assert emulator.store.page(after=0, limit=10, tags=[], search=None)[0] == []


def test_create_rejected_is_4_with_message(cli: Any, wired: list[str], tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(definition("x", "nosuchelement"))
    res = cli(*wired, "create", str(path), "-o", "json")
    assert res.exit_code == 4
    error = json.loads(res.stdout)["results"][0]["error"]
    assert "HTTP 400" in error["message"] and "request id" in error["message"]


def test_create_dry_run_sends_nothing_and_masks(cli: Any, defs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    cli.seams.transport = httpx.MockTransport(lambda r: pytest.fail("sent"))
    res = cli("-o", "json", "create", "--dry-run", str(defs))
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"would-create": 3}
    assert doc["results"][0]["body"]["configuration"]["password"] == "********"
    assert PW not in res.output and SIG not in res.output
    res = cli("-o", "json", "create", "--dry-run", "--show-secrets", str(defs / "a.yaml"))
    assert json.loads(res.stdout)["results"][0]["body"]["configuration"]["password"] == PW


def test_create_fail_fast(cli: Any, wired: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "ff"
    folder.mkdir()
    (folder / "0.yaml").write_text(definition("bad", "nosuchelement"))
    for n in range(1, 6):
        (folder / f"{n}.yaml").write_text(definition(f"ok{n}"))
    res = cli(*wired, "create", str(folder), "--fail-fast", "--concurrency", "1", "-o", "json")
    assert res.exit_code == 4
    actions = [r["action"] for r in json.loads(res.stdout)["results"]]
    assert actions == ["failed"] + ["not-run"] * 5


# -- apply / diff -------------------------------------------------------------------------------------------
def test_apply_then_diff(cli: Any, wired: list[str], defs: Path) -> None:
    assert cli(*wired, "apply", str(defs)).exit_code == 0
    res = cli(*wired, "apply", str(defs), "-o", "json")
    assert json.loads(res.stdout)["summary"] == {"unchanged": 3}
    res = cli(*wired, "diff", str(defs))
    assert res.exit_code == 0
    (defs / "a.yaml").write_text(definition("alpha", interval=5))
    res = cli(*wired, "diff", str(defs), "-o", "json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"would-update": 1, "unchanged": 2}
    assert doc["results"][0]["changes"] == [
        {"path": "configuration.event.poller.refresh_interval", "before": "15", "after": 5}
    ]
    res = cli(*wired, "diff", str(defs))
    assert res.exit_code == 1 and "event.poller.refresh_interval" in res.stdout
    res = cli(*wired, "apply", str(defs), "-o", "json")
    assert json.loads(res.stdout)["summary"] == {"updated": 1, "unchanged": 2}
    assert cli(*wired, "diff", str(defs)).exit_code == 0


def test_apply_dry_run_writes_nothing(cli: Any, wired: list[str], defs: Path, emulator: Any) -> None:
    res = cli(*wired, "apply", "--dry-run", str(defs), "-o", "json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["summary"] == {"would-create": 3}
    assert emulator.store.page(after=0, limit=10, tags=[], search=None)[0] == []


# -- list / get / delete ------------------------------------------------------------------------------------
def test_list_filters_and_formats(cli: Any, wired: list[str], defs: Path) -> None:
    cli(*wired, "create", str(defs))
    res = cli(*wired, "list", "-o", "json")
    doc = json.loads(res.stdout)
    assert [i["name"] for i in doc["instances"]] == ["alpha", "beta", "gamma"]
    assert doc["instances"][0]["configuration"]["password"] == "********"
    assert PW not in res.stdout and SIG not in res.stdout
    res = cli(*wired, "list", "--element", "sugarcrmv2", "-o", "id")
    assert res.stdout == "3\n"
    res = cli(*wired, "list", "--name", "*a", "-o", "id")
    assert res.stdout == "1\n2\n3\n"
    res = cli(*wired, "list", "--name", "be*", "-o", "json")
    assert [i["name"] for i in json.loads(res.stdout)["instances"]] == ["beta"]
    res = cli(*wired, "list", "--tag", "crm", "--tag", "team-a", "-o", "id")
    assert res.stdout == "1\n2\n3\n"
    assert cli(*wired, "list", "--tag", "other", "-o", "id").stdout == ""
    res = cli(*wired, "list")
    for column in ("id", "name", "element", "events type", "enabled", "callback URL", "tags"):
        assert column in res.stdout
    assert "polling" in res.stdout and "https://hooks.example.com/x" in res.stdout


def test_list_pages_through_everything(cli: Any, wired: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(205):
        (folder / f"{n:03d}.yaml").write_text(definition(f"n{n:03d}"))
    assert cli(*wired, "create", str(folder), "-o", "id").exit_code == 0
    res = cli(*wired, "list", "-o", "id")
    assert len(res.stdout.split()) == 205


def test_get_by_id_and_name(cli: Any, wired: list[str], defs: Path) -> None:
    cli(*wired, "create", str(defs))
    res = cli(*wired, "get", "2", "-o", "json")
    doc = json.loads(res.stdout)
    assert [i["name"] for i in doc["instances"]] == ["beta"]
    res = cli(*wired, "get", "gamma")
    assert res.exit_code == 0 and "sugarcrmv2" in res.stdout and PW not in res.stdout
    assert cli(*wired, "get", "nobody").exit_code == 4
    cli(*wired, "create", str(defs / "a.yaml"))
    res = cli(*wired, "get", "alpha")
    assert res.exit_code == 4 and "1, 4" in res.stderr


def test_delete_needs_yes_without_terminal(cli: Any, wired: list[str], defs: Path) -> None:
    cli(*wired, "create", str(defs))
    res = cli(*wired, "delete", "1")
    assert res.exit_code == 2 and "--yes" in res.stderr
    res = cli(*wired, "delete", "1", env={"CI": "true"})
    assert res.exit_code == 2 and "CI" in res.stderr
    res = cli(*wired, "delete", "1", "beta", "--yes", "-o", "json")
    assert res.exit_code == 0, res.stderr
    assert [r["action"] for r in json.loads(res.stdout)["results"]] == ["deleted", "deleted"]
    assert cli(*wired, "list", "-o", "id").stdout == "3\n"
    res = cli(*wired, "delete", "1", "--yes")
    assert res.exit_code == 4


# -- exit codes against a misbehaving platform --------------------------------------------------------------
def test_wrong_secret_exits_5(cli: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.seams.transport = emulator.transport
    res = cli("--base-url", emulator.base_url, "--user-secret", "wrong-user", "--org-secret", "wrong-org", "list")
    assert res.exit_code == 5
    assert "HTTP 401" in res.stderr and "wrong-user" not in res.output


def test_missing_secrets_exit_2(cli: Any) -> None:
    assert cli("--base-url", "http://127.0.0.1:9", "list").exit_code == 2


def test_500_repeated_exits_6_after_retries(
    cli: Any, monkeypatch: pytest.MonkeyPatch, instant_sleep: list[float]
) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500, json={"requestId": "rq-9", "message": "internal"})

    g = mock(cli, handler)
    res = cli(*g, "list")
    assert res.exit_code == 6
    assert len(calls) == 5 and len(instant_sleep) == 4
    assert "rq-9" in res.stderr and "Traceback" not in res.output


def test_429_retry_after_is_honoured(cli: Any, monkeypatch: pytest.MonkeyPatch, instant_sleep: list[float]) -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"message": "slow"}),
        httpx.Response(200, json=[]),
    ]
    g = mock(cli, lambda r: answers.pop(0))
    res = cli(*g, "list", "-o", "json")
    assert res.exit_code == 0
    assert instant_sleep == [2.0]


def test_connection_refused_exits_6(cli: Any, instant_sleep: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    res = cli("--base-url", f"http://127.0.0.1:{port}", "--user-secret", "uuuu", "--org-secret", "oooo", "list")
    assert res.exit_code == 6
    assert "could not be reached" in res.stderr


def test_post_dropped_after_sending_is_unknown_and_not_repeated(
    cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path, instant_sleep: list[float]
) -> None:
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    posts = []

    def handler(request: httpx.Request) -> httpx.Response:
        posts.append(request)
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    g = mock(cli, handler)
    res = cli(*g, "create", str(defs / "a.yaml"), "-o", "json")
    assert res.exit_code == 6
    result = json.loads(res.stdout)["results"][0]
    assert result["action"] == "unknown" and result["name"] == "alpha"
    assert "alpha" in res.stderr and "outcome is unknown" in res.stderr
    assert len(posts) == 1


def test_garbage_200_is_a_clean_error(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    g = mock(cli, lambda r: httpx.Response(200, text="<html>login page</html>"))
    res = cli(*g, "list")
    assert res.exit_code == 6
    assert "non-JSON body" in res.stderr and "Traceback" not in res.output and "<html>" not in res.output


# -- secrets never shown ------------------------------------------------------------------------------------
def test_no_secret_in_any_output(cli: Any, wired: list[str], defs: Path, emulator: Any, tmp_path: Path) -> None:
    secrets = [PW, SIG, emulator.user_secret, emulator.org_secret]
    outputs = []

    def run(*args: str) -> None:
        res = cli(*args)
        outputs.append((args, res.stdout + res.stderr))

    bad_auth = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret, "--org-secret", "wrong-org-x"]
    for g in (wired, bad_auth):
        for fmt in ("table", "json"):
            run("-v", *g, "-o", fmt, "create", str(defs))
            run("-v", *g, "-o", fmt, "apply", str(defs))
            run("-v", *g, "-o", fmt, "apply", "--update-secrets", str(defs))
            run("-v", *g, "-o", fmt, "apply", "--dry-run", "--update-secrets", str(defs))
            run("-v", *g, "-o", fmt, "diff", str(defs))
            run("-v", *g, "-o", fmt, "list")
            run("-v", *g, "-o", fmt, "get", "1")
            run("-v", *g, "-o", fmt, "get", "alpha")
        run("-v", *g, "create", "--dry-run", str(defs))
        run("-v", *g, "delete", "--yes", "2")
    run("-v", *wired, "profile", "add", "p", "--user-secret", PW, "--org-secret", SIG)
    run("-v", "profile", "show", "p")
    run("-v", "profile", "list", "-o", "json")
    for args, text in outputs:
        for secret in secrets:
            assert secret not in text, f"{secret!r} shown by {args}"


# -- export -------------------------------------------------------------------------------------------------
def test_export_to_stdout_and_to_a_folder_round_trips(
    cli: Any, wired: list[str], defs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    cli(*wired, "create", str(defs))
    res = cli(*wired, "export", "alpha", "3")
    assert res.exit_code == 0, res.stderr
    docs = list(yaml.safe_load_all(res.stdout))
    assert [d["name"] for d in docs] == ["alpha", "gamma"]
    assert docs[0]["configuration"]["password"].startswith("${env:")
    assert PW not in res.stdout and SIG not in res.stdout
    assert cli(*wired, "export").exit_code == 2
    out_dir = tmp_path / "exported"
    res = cli(*wired, "export", "--all", "-d", str(out_dir))
    assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["alpha.yaml", "beta.yaml", "gamma.yaml"]
    res = cli(*wired, "export", "--tag", "crm", "-d", str(out_dir))
    assert res.exit_code == 2 and "--force" in res.stderr
    assert cli(*wired, "export", "--tag", "crm", "-d", str(out_dir), "--force").exit_code == 0
    res = cli(*wired, "export", "--all", "-o", "json")
    assert [i["name"] for i in json.loads(res.stdout)["instances"]] == ["alpha", "beta", "gamma"]
    # the exported definitions apply as unchanged once their variables are set
    for doc_path in out_dir.iterdir():
        for line in doc_path.read_text().splitlines():
            if line.startswith("#   "):
                var = line[4:].strip()
                monkeypatch.setenv(var, PW if "PASSWORD" in var else SIG)
    res = cli(*wired, "apply", str(out_dir), "-o", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["summary"] == {"unchanged": 3}


def test_interrupt_reports_what_finished_and_exits_130(cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path) -> None:
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return httpx.Response(200, json={"id": len(calls), "name": "x"})

    g = mock(cli, handler)
    res = cli(*g, "create", str(defs), "--concurrency", "1", "-o", "json")
    assert res.exit_code == 130
    assert "interrupted: 1 of 3 finished, 1 unknown" in res.stderr
    assert json.loads(res.stdout)["summary"] == {"created": 1, "unknown": 1, "not-run": 1}


def test_profile_reaches_the_platform_and_verbose_logs_exchanges(
    cli: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch, defs: Path
) -> None:
    cli.seams.transport = emulator.transport
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    res = cli(
        "profile",
        "add",
        "emu",
        "--base-url",
        emulator.base_url,
        "--user-secret",
        emulator.user_secret,
        "--org-secret",
        emulator.org_secret,
    )
    assert res.exit_code == 0, res.stderr
    res = cli("-v", "--profile", "emu", "create", str(defs / "a.yaml"))
    assert res.exit_code == 0, res.stderr
    assert f"http: POST {emulator.base_url}/instances -> 200 in" in res.stderr
    assert '"password": "********"' in res.stderr and PW not in res.stderr
    res = cli("list", "-o", "id")  # the only profile is the default one
    assert res.exit_code == 0 and res.stdout == "1\n"


def test_nothing_valid_needs_no_credentials(cli: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    for command in ("create", "apply", "diff"):
        res = cli(command, str(bad), "-o", "json")
        assert res.exit_code == 3, (command, res.stderr)
        assert json.loads(res.stdout)["summary"] == {"invalid": 1}
    assert cli("create", str(tmp_path / "missing.yaml")).exit_code == 3


@pytest.mark.slow
def test_the_installed_command_against_the_emulator_subprocess(emulator_server: Any, defs: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
    env.update(
        CE_BASE_URL=emulator_server.base_url,
        CE_USER_SECRET=emulator_server.user_secret,
        CE_ORG_SECRET=emulator_server.org_secret,
        TEST_PW=PW,
        TEST_SIG=SIG,
    )
    cmd = [sys.executable, "-m", "cloudevents_cli"]
    done = subprocess.run([*cmd, "-v", "apply", str(defs), "-o", "json"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"] == {"created": 3}
    assert "http: POST" in done.stderr
    for secret in (PW, SIG, emulator_server.user_secret, emulator_server.org_secret):
        assert secret not in done.stdout + done.stderr
    done = subprocess.run([*cmd, "apply", str(defs), "-o", "json"], capture_output=True, text=True, env=env)
    assert json.loads(done.stdout)["summary"] == {"unchanged": 3}
    done = subprocess.run([*cmd, "list", "-o", "id"], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["1", "2", "3"]


@pytest.mark.slow
def test_a_real_timeout_leaves_the_create_unknown_and_exits_6(
    cli: Any, start_emulator: Any, defs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    slow = start_emulator("--latency-ms", "1500")
    g = ["--base-url", slow.base_url, "--user-secret", slow.user_secret, "--org-secret", slow.org_secret]
    res = cli(*g, "--timeout", "0.3", "-o", "json", "create", str(defs / "a.yaml"))
    assert res.exit_code == 6, res.output
    assert json.loads(res.stdout)["results"][0]["action"] == "unknown"
    assert "alpha" in res.stderr and "Traceback" not in res.output
