"""The emulator held to real responses and bodies (tests/data/realworld/, origin in its SOURCES.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.emulator_fixtures import InProcessEmulator, consent, make_in_process, with_own_tokens

REALWORLD = Path(__file__).parent / "data" / "realworld"
SCHEMA = json.loads((REALWORLD / "churros--element.instance.schema.json").read_text(encoding="utf-8"))
REQUESTS = sorted(p.name for p in REALWORLD.glob("*.json") if "response" not in p.name and "schema" not in p.name)
CALLBACK = "https://hooks.example.com/ce"


def load(name: str) -> Any:
    return json.loads((REALWORLD / name).read_text(encoding="utf-8"))


@pytest.fixture
def filled() -> Iterator[InProcessEmulator]:
    handle = make_in_process(fill_defaults=True)
    yield handle
    handle.store.close()


def post(emu: InProcessEmulator, doc: Any, **kwargs: Any) -> Any:
    with emu.sync_client() as c:
        return c.post("/instances", json=doc, **kwargs)


def stored(emu: InProcessEmulator, instance_id: int) -> dict[str, str]:
    """What the emulator stores for an instance (its answers add the element's unset keys)."""
    found = emu.store.get(instance_id)
    assert found is not None
    return found.configuration


def body(element: str = "closeio", **configuration: Any) -> dict[str, Any]:
    conf = {"username": "u", "password": "hunter2-secret", **configuration}
    return {"element": {"key": element}, "name": "n", "tags": ["t"], "configuration": conf}


# -- the platform's shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fill", [False, True])
def test_get_instance_validates_against_the_platforms_own_schema(fill: bool) -> None:
    emu = make_in_process(fill_defaults=fill)
    created = post(emu, body()).json()
    with emu.sync_client() as c:
        got = c.get(f"/instances/{created['id']}").json()
        listed = c.get("/instances").json()
    jsonschema.validate(got, SCHEMA)
    jsonschema.validate(created, SCHEMA)
    for inst in listed:
        jsonschema.validate(inst, SCHEMA)


def test_the_schema_check_can_fail() -> None:
    emu = make_in_process()
    got = post(emu, body()).json()
    del got["user"]["emailAddress"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(got, SCHEMA)


def test_instances_carry_the_fields_of_published_responses(emulator: InProcessEmulator) -> None:
    got = post(emulator, {**body(), "externalAuthentication": "initial"}).json()
    published = load("devportal--abbyy-create-response.json")
    assert set(published) <= set(got)
    assert set(load("devportal--box-authenticate-response.json")) <= set(got)
    assert got["user"]["id"] and got["user"]["emailAddress"]
    assert got["externalAuthentication"] == "initial"
    assert got["provisionInteractions"] == []
    assert (got["traceLoggingEnabled"], got["cachingEnabled"]) == (False, False)
    assert (got["maxCacheSize"], got["cacheTimeToLive"]) == (0, 0)
    plain = post(emulator, body()).json()
    assert plain["externalAuthentication"] == "none"  # what published responses show when not asked


def test_external_authentication_survives_patch_and_put(emulator: InProcessEmulator) -> None:
    inst = post(emulator, {**body(), "externalAuthentication": "initial"}).json()
    with emulator.sync_client() as c:
        assert c.patch(f"/instances/{inst['id']}", json={"tags": []}).json()["externalAuthentication"] == "initial"
        put = c.put(f"/instances/{inst['id']}", json=body())
    assert put.json()["externalAuthentication"] == "none"
    assert emulator.store.get(inst["id"]) is not None


# -- fill_defaults ------------------------------------------------------------------------------------------


def test_without_fill_defaults_only_the_keys_sent_come_back() -> None:
    emulator = make_in_process(fill_defaults=False)
    conf = post(emulator, body()).json()["configuration"]
    assert conf == {"username": "u", "password": "********"}


def test_with_fill_defaults_every_key_of_the_element_comes_back(filled: InProcessEmulator) -> None:
    published = load("devportal--abbyy-create-response.json")["configuration"]
    got = post(filled, body("abbyy")).json()
    conf = got["configuration"]
    event_keys = {k for k in published if k.startswith("event.")}
    assert event_keys <= set(conf)
    for key in event_keys - {"event.vendor.type"}:
        assert conf[key] == published[key], key  # "{}", "15", "false", nulls: as the platform answers
    assert conf["password"] == "********"
    assert got["eventsEnabled"] is False
    # the element's default poller (from its guide) as a JSON string; event.objects for the Salesforce family
    zendesk = post(filled, with_own_tokens({"element": {"key": "zendesk"}, "name": "z"})).json()["configuration"]
    assert json.loads(zendesk["event.poller.configuration"])["users"]["url"] == "/hubs/helpdesk/users"
    sfdc = post(filled, with_own_tokens({"element": {"key": "sfdc"}, "name": "s"})).json()["configuration"]
    assert sfdc["event.objects"] is None


def test_fill_defaults_never_overrides_what_was_stored(filled: InProcessEmulator) -> None:
    conf = post(filled, body(**{"event.poller.refresh_interval": 1, "event.vendor.type": "webhook"})).json()
    assert conf["configuration"]["event.poller.refresh_interval"] == "1"
    assert conf["configuration"]["event.vendor.type"] == "webhook"
    stored = filled.store.get(conf["id"])
    assert stored is not None and "event.notification.callback.url" not in stored.configuration


def test_a_filled_answer_put_back_as_is_is_accepted_and_changes_nothing(filled: InProcessEmulator) -> None:
    # A client that GETs, edits and PUTs back sends the nulls, the "{}" and the masked password.
    created = post(filled, with_own_tokens(body("box"))).json()
    with filled.sync_client() as c:
        got = c.get(f"/instances/{created['id']}").json()
        doc = {k: got[k] for k in ("element", "name", "tags", "configuration")}
        assert got["configuration"]["event.poller.configuration"] == "{}"
        assert got["configuration"]["event.notification.callback.url"] is None
        put = c.put(f"/instances/{created['id']}", json=doc)
        again = c.get(f"/instances/{created['id']}").json()
    assert put.status_code == 200, put.text
    assert again["configuration"] == got["configuration"]
    after = filled.store.get(created["id"])
    assert after is not None and after.configuration["password"] == "hunter2-secret"


def test_fill_defaults_is_the_default_and_the_cli_flag_turns_it_off(start_emulator: Any) -> None:
    import httpx

    for args, expected in (((), "{}"), (("--no-fill-defaults",), None)):
        handle = start_emulator(*args)
        with httpx.Client(base_url=handle.base_url, headers=handle.headers, timeout=10) as c:
            conf = c.post("/instances", json=with_own_tokens(body("box"))).json()["configuration"]
        assert conf.get("event.poller.configuration") == expected


# -- what the platform stores ----------------------------------------------------------------------------


def test_an_empty_poller_configuration_string_is_stored(emulator: InProcessEmulator) -> None:
    response = post(emulator, body(**{"event.poller.configuration": "{}"}))
    assert response.status_code == 200, response.text
    assert response.json()["configuration"]["event.poller.configuration"] == "{}"


def test_null_configuration_values_are_accepted_and_unset_keys(emulator: InProcessEmulator) -> None:
    response = post(emulator, body(**{"event.vendor.type": None, "event.notification.callback.url": None}))
    assert response.status_code == 200, response.text
    inst = response.json()
    assert inst["configuration"]["event.vendor.type"] is None  # answered as not set
    assert "event.vendor.type" not in stored(emulator, inst["id"])
    with emulator.sync_client() as c:
        c.patch(f"/instances/{inst['id']}", json={"configuration": {"event.poller.refresh_interval": "5"}})
        patched = c.patch(f"/instances/{inst['id']}", json={"configuration": {"event.poller.refresh_interval": None}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["configuration"]["event.poller.refresh_interval"] == "15"  # the element's default again
    assert "event.poller.refresh_interval" not in stored(emulator, inst["id"])


def test_events_on_without_vendor_type_or_callback_url_are_stored(emulator: InProcessEmulator) -> None:
    # platform notes: both optional; production code enables polling without a callback URL
    response = post(emulator, body(**{"event.notification.enabled": "true"}))
    assert response.status_code == 200, response.text
    inst = response.json()
    assert inst["eventsEnabled"] is True and inst["eventsNotificationCallbackUrl"] is None
    assert set(stored(emulator, inst["id"])) == {"username", "password", "event.notification.enabled"}
    with emulator.sync_client() as c:
        trigger = c.post(emulator.root_url + f"/_emulator/instances/{inst['id']}/events", json={})
    assert trigger.status_code == 409 and "callback" in trigger.json()["message"]


@pytest.mark.parametrize("spelling", ["webhooks", "webhook"])
def test_both_webhook_spellings_are_stored_as_sent(emulator: InProcessEmulator, spelling: str) -> None:
    doc = body(**{"event.vendor.type": spelling, "event.notification.enabled": True})
    doc["configuration"]["event.notification.callback.url"] = CALLBACK
    inst = post(emulator, doc).json()
    assert inst["configuration"]["event.vendor.type"] == spelling
    with emulator.sync_client() as c:
        assert c.get(f"/instances/{inst['id']}").json()["configuration"]["event.vendor.type"] == spelling


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"]
)
def test_a_body_that_is_not_json_gets_415_in_the_platform_shape(emulator: InProcessEmulator, content_type: str) -> None:
    raw = json.dumps(body()).encode()
    with emulator.sync_client() as c:
        created = c.post("/instances", json=body()).json()
        answers = [
            c.post("/instances", content=raw, headers={"Content-Type": content_type}),
            c.put(f"/instances/{created['id']}", content=raw, headers={"Content-Type": content_type}),
            c.patch(f"/instances/{created['id']}", content=b'{"tags": []}', headers={"Content-Type": content_type}),
        ]
    for response in answers:
        assert response.status_code == 415, response.text
        assert set(response.json()) == {"requestId", "message"}
        assert content_type in response.json()["message"]
    assert emulator.store.count() == 1
    assert emulator.store.get(created["id"]).tags == ["t"]  # type: ignore[union-attr]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"])
def test_json_content_types_are_accepted(emulator: InProcessEmulator, content_type: str) -> None:
    with emulator.sync_client() as c:
        response = c.post("/instances", content=json.dumps(body()).encode(), headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


# -- published bodies --------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<|%\{|\{\{")
_ELEMENT_OF = {"devportal--hubspot-polling.json": "hubspotcrm", "devportal--revel-polling.json": "revel"}
_ELEMENT_OF |= {
    "devportal--googledrive-polling.json": "googledrive",
    "devportal--quickbooks-webhooks.json": "quickbooks",
}


def fill_placeholders(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Fill a published body's placeholders the way a user would before sending it."""
    doc = json.loads(json.dumps(doc))
    if name in _ELEMENT_OF:
        doc["element"]["key"] = _ELEMENT_OF[name]
    doc["name"] = "realworld"
    doc["tags"] = ["realworld"]
    conf = doc["configuration"]
    for key, value in conf.items():
        if isinstance(value, str) and _PLACEHOLDER.search(value):
            conf[key] = {
                "event.notification.callback.url": CALLBACK,
                "event.poller.refresh_interval": "15",
                "oauth.callback.url": "https://app.example.com/oauth/callback",
            }.get(key, "filled-" + key)
    return doc


def with_a_real_code(emu: InProcessEmulator, doc: dict[str, Any]) -> dict[str, Any]:
    """The published `providerData.code` replaced by one from the emulator's consent page, as a user gets it."""
    if "code" in doc.get("providerData", {}):
        conf = doc["configuration"]
        with emu.sync_client() as c:
            doc["providerData"]["code"] = consent(c, emu.root_url, conf["oauth.api.key"], conf["oauth.callback.url"])
    return doc


def test_there_are_published_bodies_of_each_kind() -> None:
    assert len(REQUESTS) >= 9
    for name in REQUESTS:
        assert name in (REALWORLD / "SOURCES.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", REQUESTS)
def test_published_bodies_are_accepted_and_stored_as_sent(emulator: InProcessEmulator, name: str) -> None:
    doc = with_a_real_code(emulator, fill_placeholders(name, load(name)))
    response = post(emulator, doc)
    assert response.status_code == 200, response.text
    inst = response.json()
    stored = emulator.store.get(inst["id"])
    assert stored is not None
    # OAuth instances gain the provider's tokens (the access token, and the refresh token from a code)
    assert set(stored.configuration) - set(doc["configuration"]) <= {"oauth.user.token", "oauth.user.refresh_token"}
    assert set(doc["configuration"]) <= set(stored.configuration)
    for key, value in doc["configuration"].items():
        if isinstance(value, str):
            assert stored.configuration[key] == value, key  # strings exactly as sent
        elif isinstance(value, bool):
            assert stored.configuration[key] == str(value).lower()
        elif isinstance(value, dict):
            assert json.loads(stored.configuration[key]) == value
    assert inst["externalAuthentication"] == doc.get("externalAuthentication", "none")
    jsonschema.validate(inst, SCHEMA)
