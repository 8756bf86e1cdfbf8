"""The emulator's element catalogue over HTTP: `GET /elements` (paged), `/elements/{keyOrId}` and
`/elements/{keyOrId}/metadata`, in the shapes the platform's own tests hold them to (repo varunpal72/churros,
src/test/platform/elements/assets: element.schema.json requires name, key, description and authentication;
element.configuration.schema.json; element.metadata.schema.json requires id, key, name, description, events
{supported, methods}; metadata.js: 404 for an unknown id, `webhook` among a webhook element's methods)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudevents_cli.emulator import catalog
from tests.emulator_fixtures import InProcessEmulator

ROOT = Path(__file__).resolve().parents[1]
CONFIGURATION_FIELDS = {
    "id": int,
    "name": str,
    "key": str,
    "description": str,
    "resellerConfig": bool,
    "companyConfig": bool,
    "active": bool,
    "internal": bool,
    "groupControl": bool,
    "displayOrder": int,
    "type": str,
    "hideFromConsole": bool,
    "required": bool,
}


def get(emulator: InProcessEmulator, path: str, **params: Any) -> Any:
    with emulator.sync_client() as c:
        return c.get(path, params=params)


def entries(element: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["key"]: e for e in element["configuration"]}


def test_every_element_is_listed_once_across_pages(emulator: InProcessEmulator) -> None:
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"pageSize": 25}
    with emulator.sync_client() as c:
        for _ in range(10):
            page = c.get("/elements", params=params)
            assert page.status_code == 200, page.text
            assert len(page.json()) <= 25
            seen += page.json()
            token = page.headers.get("elements-next-page-token")
            if token is None:
                break
            params["nextPage"] = token
        whole = c.get("/elements").json()  # the default page holds them all (fewer than 200)
    assert [e["key"] for e in seen] == [e["key"] for e in whole]
    assert sorted(e["key"] for e in seen) == sorted(catalog.ELEMENTS)
    assert len(seen) > 50 and [e["id"] for e in seen] == sorted(e["id"] for e in seen)


@pytest.mark.parametrize("params", [{"pageSize": "0"}, {"pageSize": "many"}, {"nextPage": "not-a-token"}])
def test_bad_paging_is_400(emulator: InProcessEmulator, params: dict[str, str]) -> None:
    answer = get(emulator, "/elements", **params)
    assert answer.status_code == 400 and set(answer.json()) == {"requestId", "message"}


def test_a_page_larger_than_the_maximum_is_cut_to_200(emulator: InProcessEmulator) -> None:
    answer = get(emulator, "/elements", pageSize="5000")
    assert answer.status_code == 200 and len(answer.json()) == min(200, len(catalog.ELEMENTS))


@pytest.mark.parametrize("key", sorted(catalog.ELEMENTS))
def test_each_element_in_the_platform_s_shape(emulator: InProcessEmulator, key: str) -> None:
    elem = catalog.ELEMENTS[key]
    doc = get(emulator, f"/elements/{key}").json()
    assert doc == get(emulator, f"/elements/{elem.id}").json()  # by key or by id
    assert {"name", "key", "description", "authentication"} <= set(doc)
    assert (doc["id"], doc["key"], doc["name"]) == (elem.id, key, elem.name)
    assert doc["authentication"] == {"type": elem.auth_types[0]}
    for entry in doc["configuration"]:
        for field, kind in CONFIGURATION_FIELDS.items():
            assert isinstance(entry[field], kind), (entry["key"], field)
        assert entry["defaultValue"] is None or isinstance(entry["defaultValue"], str)
    keys = [e["key"] for e in doc["configuration"]]
    assert len(keys) == len(set(keys))
    meta = get(emulator, f"/elements/{key}/metadata").json()
    assert {"id", "key", "name", "description", "events"} <= set(meta)
    assert meta["events"]["supported"] is True and meta["authenticationType"] == elem.auth_types[0]


def test_unknown_elements_are_404_in_the_platform_shape(emulator: InProcessEmulator) -> None:
    for path in ("/elements/nosuchelement", "/elements/999999999999/metadata", "/elements/nosuch/metadata"):
        answer = get(emulator, path)
        assert answer.status_code == 404 and set(answer.json()) == {"requestId", "message"}, path


def test_the_catalogue_needs_the_account_secrets(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        for path in ("/elements", "/elements/box", "/elements/box/metadata"):
            assert c.get(path, headers={"Authorization": "User x, Organization y"}).status_code == 401


@pytest.mark.parametrize(
    ("key", "auth", "methods"),
    [
        ("box", "oauth2", ["webhook"]),  # docs/elements/box: OAuth 2, webhooks
        ("googledrive", "oauth2", ["polling"]),  # no longer webhooks
        ("sfdc", "oauth2", ["polling", "webhook"]),
        ("zendesk", "oauth2", ["polling", "webhook"]),
        ("hubspotcrm", "oauth2", ["polling", "webhook"]),
        ("quickbooks", "oauth2", ["polling", "webhook"]),
        ("dynamicscrm", "custom", ["polling"]),
        ("closeio", "basic", ["polling", "webhook"]),
    ],
)
def test_authentication_type_and_event_methods(
    emulator: InProcessEmulator, key: str, auth: str, methods: list[str]
) -> None:
    meta = get(emulator, f"/elements/{key}/metadata").json()
    assert meta["authenticationType"] == auth and meta["events"]["methods"] == methods
    assert get(emulator, f"/elements/{key}").json()["authentication"]["type"] == auth


def test_oauth_credentials_are_required_of_oauth_only_elements(emulator: InProcessEmulator) -> None:
    box = entries(get(emulator, "/elements/box").json())
    for key in ("oauth.api.key", "oauth.api.secret", "oauth.callback.url"):
        assert box[key]["required"] is True and box[key]["hideFromConsole"] is True
    assert box["oauth.user.refresh_token"]["required"] is False and box["oauth.user.refresh_token"]["internal"] is True
    assert "authentication.type" not in box
    # several types: the instance picks one with authentication.type, so no key of one type is required
    hubspot = entries(get(emulator, "/elements/hubspotcrm").json())
    assert hubspot["authentication.type"]["defaultValue"] == "oauth2"
    assert hubspot["oauth.api.key"]["required"] is False
    closeio = entries(get(emulator, "/elements/closeio").json())
    assert closeio["username"]["required"] is True and closeio["password"]["type"] == "PASSWORD"
    assert not [k for k in closeio if k.startswith("oauth.")]


def test_the_default_poller_configuration_is_what_an_instance_gets(emulator: InProcessEmulator) -> None:
    for key in ("hubspotcrm", "zendesk", "closeio", "box"):
        default = entries(get(emulator, f"/elements/{key}").json())["event.poller.configuration"]
        assert default["type"] == "TEXTAREA" and default["hideFromConsole"] is False
        body = {"element": {"key": key}, "name": "n", "externalAuthentication": "initial"}
        body["configuration"] = {"authentication.type": "apiKey", "oauth.user.refresh_token": "r"}
        body["configuration"] |= dict.fromkeys(catalog.ELEMENTS[key].required, "x")
        with emulator.sync_client() as c:
            created = c.post("/instances", json=body)
        assert created.status_code == 200, created.text
        assert created.json()["configuration"]["event.poller.configuration"] == default["defaultValue"], key
    zendesk = entries(get(emulator, "/elements/zendesk").json())["event.poller.configuration"]["defaultValue"]
    assert json.loads(zendesk)["users"]["url"] == "/hubs/helpdesk/users"  # docs/elements/zendesk/events.md
    meta = get(emulator, "/elements/zendesk/metadata").json()
    assert meta["events"]["polling"] == json.loads(zendesk)


def test_every_element_the_samples_use_is_in_the_catalogue(emulator: InProcessEmulator) -> None:
    used = set()
    for path in (ROOT / "sample-configs").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and isinstance(doc.get("element"), str):
                used.add(doc["element"])
    assert used and all(get(emulator, f"/elements/{key}").status_code == 200 for key in used)
