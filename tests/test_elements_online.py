"""`elements [KEY]`, `validate --online`, `init --online`/`--oauth` and the state of instances in `list`/`get`,
against the in-process emulator (its catalogue is the witness), with the element cache under tmp_path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator_fixtures import InProcessEmulator


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


class Counting(httpx.AsyncBaseTransport):
    """The emulator's transport, recording each request's method and path."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path.removeprefix('/elements/api-v2')}")
        return await self.inner.handle_async_request(request)


def wire(cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch) -> Counting:
    counting = Counting(emulator.transport)
    cli.seams.transport = counting
    monkeypatch.setenv("CE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("CE_USER_SECRET", emulator.user_secret)
    monkeypatch.setenv("CE_ORG_SECRET", emulator.org_secret)
    return counting


# -- elements -----------------------------------------------------------------------------------------------
def test_elements_lists_the_catalogue(cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    wire(cli, emulator, monkeypatch)
    res = cli("elements", "-o", "json")
    assert res.exit_code == 0, res.output
    rows = {e["key"]: e for e in json.loads(res.stdout)["elements"]}
    with emulator.sync_client() as c:
        witness = {e["key"] for e in c.get("/elements", params={"pageSize": 200}).json()}
        box = c.get("/elements/box/metadata").json()
    assert set(rows) == witness
    assert rows["box"]["methods"] == box["events"]["methods"] == ["webhook"]
    assert rows["box"]["auth_type"] == "oauth2" and rows["closeio"]["auth_type"] == "basic"
    table = cli("elements")
    assert table.exit_code == 0 and "event methods" in table.stdout and "polling, webhook" in table.stdout


def test_one_element_and_the_cache(
    cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch, cache_home: Path
) -> None:
    counting = wire(cli, emulator, monkeypatch)
    res = cli("elements", "closeio", "-o", "json")
    assert res.exit_code == 0, res.output
    element = json.loads(res.stdout)["element"]
    assert element["required_keys"] == ["username", "password"]
    assert element["methods"] == ["polling", "webhook"]
    assert list(element["default_poller_configuration"]) == ["contacts"]
    assert counting.seen == ["GET /elements/closeio", "GET /elements/closeio/metadata"]
    [cache] = list((cache_home / "cloudevents").iterdir())
    assert cache.stat().st_mode & 0o777 == 0o600
    counting.seen.clear()
    assert cli("elements", "closeio").exit_code == 0
    assert counting.seen == []  # a day's cache: nothing asked again
    stale = json.loads(cache.read_text())
    stale["elements"]["closeio"]["at"] -= 25 * 3600
    cache.write_text(json.dumps(stale))
    assert cli("elements", "closeio").exit_code == 0
    assert counting.seen == ["GET /elements/closeio", "GET /elements/closeio/metadata"]


def test_an_unknown_element_gets_a_suggestion(
    cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire(cli, emulator, monkeypatch)
    res = cli("elements", "hubspotcrn")
    assert res.exit_code == 4
    assert "no element 'hubspotcrn'" in res.stderr and "did you mean 'hubspotcrm'" in res.stderr


# -- validate --online --------------------------------------------------------------------------------------
DEFINITIONS = """\
name: a
element: closeio
configuration:
  username: bob
events:
  type: polling
  callback_url: https://hooks.example.com/ce
  signature_key: a-signature-key-0123456789
---
name: b
element: box
external_authentication: initial
configuration:
  oauth.user.refresh_token: ${env:BOX_TOKEN}
events:
  type: polling
  callback_url: https://hooks.example.com/ce
  signature_key: a-signature-key-0123456789
---
name: c
element: hubspotcrn
---
name: d
element: zendesk
"""


def test_validate_online_locates_each_problem(
    cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wire(cli, emulator, monkeypatch)
    monkeypatch.setenv("BOX_TOKEN", "box-refresh-token-1")
    path = tmp_path / "defs.yaml"
    path.write_text(DEFINITIONS)
    offline = cli("validate", str(path))
    assert offline.exit_code == 0, offline.output
    res = cli("validate", "--online", str(path))
    assert res.exit_code == 3
    lines = res.stderr.splitlines()
    missing = "configuration: element 'closeio' requires configuration key 'password'"
    assert f"{path}:3:1: error [missing-required-key] {missing}" in res.stderr
    assert any(line.startswith(f"{path}:16:9: error [unsupported-event-method] events.type:") for line in lines)
    assert "element 'box' does not offer polling events (it offers webhook) (use type: webhooks)" in res.stderr
    assert f"{path}:21:10: error [unknown-element] element: the platform has no element 'hubspotcrn'" in res.stderr
    assert "did you mean 'hubspotcrm'" in res.stderr
    assert f"{path}:24:10: warning [needs-authorization]" in res.stderr  # zendesk: OAuth2, no code, no tokens
    assert "box-refresh-token-1" not in res.output
    doc = json.loads(cli("validate", "--online", str(path), "-o", "json").stdout)
    found = {(p["code"], p["line"], p["column"]) for p in doc["problems"]}
    assert {("missing-required-key", 3, 1), ("unsupported-event-method", 16, 9), ("unknown-element", 21, 10)} <= found
    github = cli("validate", "--online", str(path), "-o", "github").stdout
    assert f"::error file={path},line=16,col=9,title=unsupported-event-method::" in github


def test_validate_online_needs_a_connection(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("name: a\nelement: closeio\n")
    res = cli("validate", "--online", str(path))
    assert res.exit_code == 2 and "Traceback" not in res.output


# -- init ---------------------------------------------------------------------------------------------------
def test_init_oauth_writes_a_bring_your_own_tokens_starter(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "byo.yaml"
    res = cli("init", "--oauth", "--element", "zendesk", "--name", "byo", str(path))
    assert res.exit_code == 0, res.output
    assert "ZENDESK_OAUTH_API_KEY=... ZENDESK_OAUTH_API_SECRET=... ZENDESK_REFRESH_TOKEN=..." in res.stderr
    env = {
        "ZENDESK_OAUTH_API_KEY": "k",
        "ZENDESK_OAUTH_API_SECRET": "secret-1234",
        "ZENDESK_REFRESH_TOKEN": "rt-1234",
        "CE_SIGNATURE_KEY": "a-signature-key-0123456789",
    }
    body = json.loads(cli("render", str(path), env=env).stdout)
    assert body["externalAuthentication"] == "initial"
    assert body["configuration"]["oauth.user.refresh_token"] == "********"
    assert "providerData" not in body


def test_init_online_starts_from_the_elements_metadata(
    cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire(cli, emulator, monkeypatch)
    closeio = cli("init", "--online", "--element", "closeio", "--name", "x").stdout
    assert "  username: ${env:CLOSEIO_USERNAME}\n  password: ${env:CLOSEIO_PASSWORD}\n" in closeio
    assert "    contacts:\n      url: /hubs/crm/contacts?where=date_updated>" in closeio
    box = cli("init", "--online", "--element", "box", "--name", "y").stdout
    assert "type: webhooks" in box and "external_authentication: initial" in box
    offline = cli("init", "--element", "box", "--name", "y").stdout
    assert "type: polling" in offline  # offline, nothing is known of the element


# -- list / get: instances that need re-authentication ---------------------------------------------------------
def test_list_and_get_show_instances_that_need_attention(
    cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire(cli, emulator, monkeypatch)
    with emulator.sync_client() as c:
        for name in ("fine", "broken"):
            body = {"name": name, "element": {"key": "closeio"}, "configuration": {"username": "u", "password": "p"}}
            assert c.post("/instances", json=body).status_code == 200
        broken = next(i for i in c.get("/instances").json() if i["name"] == "broken")
        root = emulator.root_url + "/_emulator"
        answer = c.post(f"{root}/instances/{broken['id']}/refresh-failures", json={"count": 5})
        assert answer.status_code == 200 and answer.json()["disabled"] is True
        witness = c.get(f"/instances/{broken['id']}").json()
    res = cli("list", "-o", "json", "--needs-auth")
    assert res.exit_code == 0, res.output
    [shown] = json.loads(res.stdout)["instances"]
    assert shown["id"] == broken["id"]
    assert (shown["disabled"], shown["valid"]) == (witness["disabled"], witness["valid"]) == (True, False)
    table = cli("list")
    assert "state" in table.stdout and "disabled, invalid" in table.stdout and " ok " in table.stdout
    assert "1 disabled or invalid" in table.stderr
    got = cli("get", "broken")
    assert got.exit_code == 0
    assert f"instance {broken['id']} is disabled and invalid: cloudevents enable {broken['id']}, then " in got.stderr


def test_validate_online_unreachable_is_one_line(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    cli.seams.transport = httpx.MockTransport(refuse)
    cli.seams.sleep = lambda seconds: _instant()
    monkeypatch.setenv("CE_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CE_USER_SECRET", "u-secret")
    monkeypatch.setenv("CE_ORG_SECRET", "o-secret")
    path = tmp_path / "d.yaml"
    path.write_text("name: a\nelement: closeio\n")
    res = cli("validate", "--online", str(path))
    assert res.exit_code == 6, res.output
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output


async def _instant() -> None:
    return None


def test_apply_of_an_oauth_definition_without_a_code_points_to_authorize(
    cli: Any, emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wire(cli, emulator, monkeypatch)
    path = tmp_path / "z.yaml"
    path.write_text(
        "name: z\nelement: zendesk\nconfiguration:\n  oauth.api.key: k\n  oauth.api.secret: s-123456\n"
        "  oauth.callback.url: https://app.example.com/cb\n"
    )
    res = cli("apply", str(path))
    assert res.exit_code == 4
    assert "an OAuth2 instance needs a fresh code: run cloudevents authorize PATH" in res.stderr
    assert "s-123456" not in res.output
