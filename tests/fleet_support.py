"""Shared by the fleet tests (plan, prune, shard, all-or-nothing, stream, accounts): definitions with secrets from
`${env:}`, a transport that records every request the CLI sends to an emulator subprocess, and the wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

PASSWORD = "fleet-password-6f1c2a"
SIGNATURE_KEY = "fleet-signature-key-93b7d0e4"
ENV = {"FLEET_PW": PASSWORD, "FLEET_SIG": SIGNATURE_KEY}
DEFINITION = (
    "name: {name}\nelement: closeio\nconfiguration:\n  username: {user}\n  password: ${{env:FLEET_PW}}\n"
    "events:\n  type: polling\n  callback_url: https://hooks.example.com/x\n  signature_key: ${{env:FLEET_SIG}}\n"
)


def write_fleet(folder: Path, names: list[str], *, user: str = "bob") -> Path:
    """One file per definition, `NAME.yaml`, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.yaml").write_text(DEFINITION.format(name=name, user=user))
    return folder


class Recorder(httpx.AsyncBaseTransport):
    """Sends over the network (to the emulator subprocess on loopback) and records (method, path, body)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bytes]] = []
        self.senders: list[tuple[str, str, str]] = []  # (method, host:port, Authorization) of each request
        self._inner: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host in ("127.0.0.1", "::1"), request.url
        self.calls.append((request.method, request.url.path, await request.aread()))
        self.senders.append((request.method, request.url.netloc.decode(), request.headers.get("Authorization", "")))
        if self._inner is None:
            self._inner = httpx.AsyncHTTPTransport()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._inner is not None:
            inner, self._inner = self._inner, None
            await inner.aclose()

    @property
    def writes(self) -> list[tuple[str, str, bytes]]:
        return [c for c in self.calls if c[0] != "GET"]

    def methods(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.calls]


def wire(cli: Any, emulator: Any) -> tuple[list[str], Recorder]:
    """The global options for `emulator`, and the recorder every client of the next runs sends through."""
    recorder = Recorder()
    cli.seams.transport = recorder
    args = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret]
    return [*args, "--org-secret", emulator.org_secret], recorder


def live(emulator: Any) -> list[dict[str, Any]]:
    """Every instance the emulator holds, read directly."""
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers) as client:
        answer = client.get("/instances", params={"pageSize": 500})
        answer.raise_for_status()
        return list(answer.json())


def post(emulator: Any, body: dict[str, Any]) -> dict[str, Any]:
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers) as client:
        answer = client.post("/instances", json=body)
        answer.raise_for_status()
        return dict(answer.json())


def patch(emulator: Any, instance_id: Any, body: dict[str, Any]) -> None:
    with httpx.Client(base_url=emulator.base_url, headers=emulator.headers) as client:
        client.patch(f"/instances/{instance_id}", json=body).raise_for_status()


def look_alike(name: str, tags: list[str] | None = None) -> dict[str, Any]:
    """A POST body for an instance like the fleet's, made outside cloudevents (without the ownership tag)."""
    return {
        "element": {"key": "closeio"},
        "name": name,
        "tags": tags or [],
        "configuration": {"username": "bob", "password": "other-password-1"},
    }
