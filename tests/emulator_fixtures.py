"""Pytest fixtures that run the emulator in-process and as a subprocess (owned by the emulator work).

- `emulator`: in-process app, fresh per test; drive it with `httpx.AsyncClient(transport=emulator.transport,
  base_url=emulator.base_url, headers=emulator.headers)` or synchronously with `emulator.sync_client()`.
- `start_emulator(*extra_cli_args)`: a real `cloudevents emulator` subprocess on a free port.
- `emulator_server`: `start_emulator()` with no extra arguments.
- `with_own_tokens(body)`: an OAuth 2 element's instance body that brings its own tokens, for tests about
  other things (without a code or tokens the emulator refuses it, as the platform does).
- `consent(client, root_url, api_key, callback_url)`: a code from the emulator's consent page.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudevents_cli.emulator.app import create_app
from cloudevents_cli.emulator.defaults import API_PREFIX, DEFAULT_ORG_SECRET, DEFAULT_USER_SECRET
from cloudevents_cli.emulator.settings import Settings
from cloudevents_cli.emulator.store import Store

IN_PROCESS_ROOT = "http://emulator.test"
READY_TIMEOUT = 20.0
OWN_REFRESH_TOKEN = "refresh-token-the-test-brought"


def with_own_tokens(body: dict[str, Any]) -> dict[str, Any]:
    """A copy of an instance body with `externalAuthentication: initial` and a refresh token of its own."""
    out: dict[str, Any] = json.loads(json.dumps(body))
    out["externalAuthentication"] = "initial"
    out.setdefault("configuration", {}).setdefault("oauth.user.refresh_token", OWN_REFRESH_TOKEN)
    return out


def consent(client: Any, root_url: str, api_key: str, callback_url: str, state: str | None = None) -> str:
    """A code the emulator's consent page issues for this client and callback URL (through the oauthUrl that
    `GET /elements/box/oauth/url` answers, followed by hand)."""
    from urllib.parse import parse_qs, urlsplit

    params = {"apiKey": api_key, "apiSecret": "s", "callbackUrl": callback_url} | ({"state": state} if state else {})
    answer = client.get(root_url + "/elements/api-v2/elements/box/oauth/url", params=params)
    assert answer.status_code == 200, answer.text
    redirect = client.get(answer.json()["oauthUrl"], follow_redirects=False)
    assert redirect.status_code == 302, redirect.text
    return parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]


def auth_headers(user_secret: str, org_secret: str) -> dict[str, str]:
    return {"Authorization": f"User {user_secret}, Organization {org_secret}"}


@dataclass
class InProcessEmulator:
    app: Any
    base_url: str
    user_secret: str
    org_secret: str
    transport: httpx.ASGITransport
    headers: dict[str, str]
    store: Store
    root_url: str = IN_PROCESS_ROOT

    def sync_client(self, **kwargs: Any) -> Any:
        """A synchronous client on the same app (starlette's TestClient; no lifespan, no scheduler)."""
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*httpx2")  # starlette 1.x prefers httpx2 for it
            from starlette.testclient import TestClient

            return TestClient(self.app, base_url=self.base_url, headers=self.headers, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, base_url=self.base_url, headers=self.headers, **kwargs)


def make_in_process(**settings: Any) -> InProcessEmulator:
    """An in-process emulator with the given Settings fields (scheduler off unless asked)."""
    settings.setdefault("scheduler", False)
    config = Settings(**settings)
    app = create_app(config)
    return InProcessEmulator(
        app=app,
        base_url=IN_PROCESS_ROOT + API_PREFIX,
        user_secret=config.user_secret,
        org_secret=config.org_secret,
        transport=httpx.ASGITransport(app=app),
        headers=auth_headers(config.user_secret, config.org_secret),
        store=app.state.emulator.store,
    )


@pytest.fixture
def emulator() -> Iterator[InProcessEmulator]:
    handle = make_in_process()
    yield handle
    handle.store.close()


@dataclass
class EmulatorProcess:
    base_url: str
    user_secret: str
    org_secret: str
    process: subprocess.Popen[bytes]
    ready_file: Path
    stderr_file: Path
    args: list[str] = field(default_factory=list)

    @property
    def root_url(self) -> str:
        return self.base_url[: -len(API_PREFIX)]

    @property
    def headers(self) -> dict[str, str]:
        return auth_headers(self.user_secret, self.org_secret)

    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then wait; the exit code (SIGKILL after `timeout`)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)


def _option(args: tuple[str, ...], name: str, default: str) -> str:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


@pytest.fixture
def start_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    def start(*extra: str) -> EmulatorProcess:
        folder = tmp_path_factory.mktemp("emulator")
        ready, err_path = folder / "ready", folder / "stderr.log"
        args = [sys.executable, "-m", "cloudevents_cli", "emulator", "--port", "0"]
        args += ["--ready-file", str(ready)]
        args += list(extra)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
        with err_path.open("wb") as err:
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env=env)
        handle = EmulatorProcess(
            base_url="",
            user_secret=_option(extra, "--user-secret", DEFAULT_USER_SECRET),
            org_secret=_option(extra, "--org-secret", DEFAULT_ORG_SECRET),
            process=proc,
            ready_file=ready,
            stderr_file=err_path,
            args=args,
        )
        started.append(handle)
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {proc.returncode}: {handle.stderr()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator was not ready in time: {handle.stderr()[-2000:]}")
            time.sleep(0.02)
        handle.base_url = ready.read_text().strip()
        return handle

    yield start
    for handle in started:
        handle.stop()


@pytest.fixture
def emulator_server(start_emulator: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return start_emulator()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str


class CallbackReceiver:
    """A small HTTP server on loopback that records callbacks; it can fail the first N or all of them."""

    def __init__(self, *, fail_first: int = 0, always_fail: bool = False, status: int = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.fail_first = fail_first
        self.always_fail = always_fail
        self.status = status
        self.received: list[Received] = []
        self.hits = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.hits += 1
                    failing = receiver.always_fail or receiver.hits <= receiver.fail_first
                    if not failing:
                        receiver.received.append(Received(dict(self.headers.items()), body, self.path))
                self.send_response(500 if failing else receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """True once `count` callbacks were accepted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return True
            time.sleep(0.01)
        return len(self.received) >= count

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def callback_receiver() -> Iterator[Callable[..., CallbackReceiver]]:
    """A factory: callback_receiver(fail_first=0, always_fail=False) -> CallbackReceiver (closed after)."""
    made: list[CallbackReceiver] = []

    def make(**kwargs: Any) -> CallbackReceiver:
        receiver = CallbackReceiver(**kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()
