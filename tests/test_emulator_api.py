"""The emulator's instances API, in-process: auth, create, validation, paging, filters, updates."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.emulator_fixtures import InProcessEmulator, with_own_tokens

POLLER = {
    "contacts": {
        "url": "/hubs/crm/contacts?where=lastUpdated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
        "idField": "id",
        "datesConfiguration": {"updatedDateField": "_info.lastUpdated", "updatedDateFormat": "milliseconds"},
    }
}


def body(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "element": {"key": "closeio"},
        "configuration": {
            "username": "bob",
            "password": "hunter2-secret",
            "event.notification.enabled": True,
            "event.vendor.type": "polling",
            "event.notification.callback.url": "https://hooks.example.com/ce",
            "event.poller.refresh_interval": 15,
            "event.notification.signature.key": "MySecretEventSignatureKey",
            "event.poller.configuration": POLLER,
        },
        "tags": ["acme", "crm"],
        "name": "acme-close",
    }
    doc.update(overrides)
    return doc


def config(**changes: Any) -> dict[str, Any]:
    base = dict(body()["configuration"])
    for key, value in changes.items():
        dotted = key.replace("__", ".")
        if value is None:
            base.pop(dotted, None)
        else:
            base[dotted] = value
    return base


@pytest.fixture
def client(emulator: InProcessEmulator) -> Iterator[Any]:
    with emulator.sync_client() as c:
        yield c


def assert_error(response: httpx.Response, status: int, fragment: str = "") -> None:
    assert response.status_code == status, response.text
    doc = response.json()
    assert set(doc) == {"requestId", "message"}
    uuid.UUID(doc["requestId"])
    assert fragment.lower() in doc["message"].lower()


# -- auth and the error shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "User emulator-user",
        "User wrong, Organization emulator-org",
        "User emulator-user, Organization wrong",
        "Bearer emulator-user",
    ],
)
def test_missing_or_wrong_authorization_is_401(emulator: InProcessEmulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    with emulator.sync_client() as c:
        c.headers.pop("Authorization", None)
        assert_error(c.get("/instances", headers=headers), 401)
        assert_error(c.post("/instances", json=body(), headers=headers), 401)
    assert emulator.store.count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "User emulator-user, Organization emulator-org",
        "User   emulator-user ,  Organization   emulator-org  ",
    ],
)
def test_accepted_authorization_shapes(emulator: InProcessEmulator, header: str) -> None:
    with emulator.sync_client() as c:
        assert c.get("/instances", headers={"Authorization": header}).status_code == 200


def test_unknown_route_404_and_wrong_method_405_in_platform_shape(client: Any) -> None:
    assert_error(client.get("/nothing-here"), 404)
    assert_error(client.get("/instances/999"), 404, "999")
    assert_error(client.get("/instances/abc"), 404)
    response = client.put("/instances")
    assert_error(response, 405)
    assert "POST" in response.headers["allow"]


def test_info_needs_no_auth(emulator: InProcessEmulator) -> None:
    with emulator.sync_client() as c:
        c.headers.pop("Authorization", None)
        info = c.get(emulator.root_url + "/_emulator/info").json()
    assert info["emulator"] == "cloudevents"
    assert info["version"]


def test_asgi_transport_works_for_async_clients(emulator: InProcessEmulator) -> None:
    async def run() -> tuple[int, int]:
        async with emulator.async_client() as c:
            created = await c.post("/instances", json=body())
            listed = await c.get("/instances")
            return created.status_code, len(listed.json())

    assert asyncio.run(run()) == (200, 1)


# -- create ------------------------------------------------------------------------------------------------


def test_create_answers_200_with_the_instance_as_the_platform_returns_it(
    client: Any, emulator: InProcessEmulator
) -> None:
    response = client.post("/instances", json=body())
    assert response.status_code == 200
    inst = response.json()
    assert isinstance(inst["id"], int)
    assert inst["name"] == "acme-close"
    assert inst["element"] == {"id": inst["elementId"], "key": "closeio", "name": "Close.io"}
    assert inst["tags"] == ["acme", "crm"]
    assert inst["valid"] is True and inst["disabled"] is False and inst["eventsEnabled"] is True
    assert inst["eventsNotificationCallbackUrl"] == "https://hooks.example.com/ce"
    assert isinstance(inst["token"], str) and len(inst["token"]) >= 16
    conf = inst["configuration"]
    assert all(isinstance(conf[k], str) for k in body()["configuration"])
    assert all(v is None or isinstance(v, str) for v in conf.values())  # the element's unset keys: null
    assert conf["event.notification.enabled"] == "true"
    assert conf["event.poller.refresh_interval"] == "15"
    assert conf["username"] == "bob"
    assert conf["password"] == "********"
    # no published response shows the signature key masked (emulator/masking.py): answered as stored
    assert conf["event.notification.signature.key"] == "MySecretEventSignatureKey"
    assert json.loads(conf["event.poller.configuration"]) == POLLER
    assert " " not in conf["event.poller.configuration"].split("where")[0]
    assert inst["createdDate"].startswith("20") and "T" in inst["createdDate"]
    assert "hunter2-secret" not in response.text
    # the real values are kept (delivery signs with the key)
    stored = emulator.store.get(inst["id"])
    assert stored is not None
    assert stored.configuration["password"] == "hunter2-secret"
    assert stored.configuration["event.notification.signature.key"] == "MySecretEventSignatureKey"


def test_tokens_are_fresh_and_names_not_unique(client: Any, emulator: InProcessEmulator) -> None:
    first = client.post("/instances", json=body()).json()
    second = client.post("/instances", json=body()).json()
    assert first["id"] != second["id"]
    assert first["token"] != second["token"]
    assert emulator.store.count() == 2


def test_poller_configuration_as_a_json_string_and_numbers_as_strings(client: Any) -> None:
    response = client.post(
        "/instances",
        json=body(
            configuration=config(event__poller__configuration=json.dumps(POLLER), event__poller__refresh_interval="1")
        ),
    )
    assert response.status_code == 200, response.text
    assert response.json()["configuration"]["event.poller.refresh_interval"] == "1"


@pytest.mark.parametrize("vendor_type", ["webhooks", "webhook"])
def test_webhook_spellings(client: Any, vendor_type: str) -> None:
    response = client.post(
        "/instances",
        json=with_own_tokens(
            {
                "element": {"key": "box"},
                "name": "box",
                "configuration": {
                    "event.notification.enabled": "true",
                    "event.vendor.type": vendor_type,
                    "event.notification.callback.url": "https://hooks.example.com/ce",
                },
            }
        ),
    )
    assert response.status_code == 200, response.text


def test_events_disabled_need_no_callback(client: Any) -> None:
    conf = config(event__notification__enabled=False, event__notification__callback__url=None)
    response = client.post("/instances", json=body(configuration=conf))
    assert response.status_code == 200, response.text
    assert response.json()["eventsEnabled"] is False
    assert response.json()["configuration"]["event.notification.enabled"] == "false"


# -- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({"name": "x"}, "element.key"),
        (body(element={}), "element.key"),
        (body(element={"key": "nosuchelement"}), "nosuchelement"),
        (body(configuration=config(password=None)), "password"),
        (body(configuration=config(event__notification__callback__url="not a url")), "callback.url"),
        (body(configuration=config(event__vendor__type="carrier-pigeon")), "event.vendor.type"),
        (body(element={"key": "googledrive"}, configuration=config(event__vendor__type="webhooks")), "webhooks"),
        (body(configuration=config(event__poller__refresh_interval=0)), "refresh_interval"),
        (body(configuration=config(event__poller__refresh_interval=-5)), "refresh_interval"),
        (body(configuration=config(event__poller__refresh_interval="often")), "refresh_interval"),
        (body(configuration=config(event__poller__configuration="{not json")), "event.poller.configuration"),
        (body(configuration=config(event__poller__configuration=[])), "event.poller.configuration"),
        (body(configuration=config(event__poller__configuration={"c": {"url": "/x"}})), "idField"),
        (body(configuration=config(event__poller__configuration={"c": {"idField": "id"}})), "url"),
        (body(configuration=config(event__poller__configuration={"c": "x"})), "event.poller.configuration"),
        (body(configuration=config(event__notification__enabled="maybe")), "event.notification.enabled"),
        (body(configuration=config(username=["a"])), "username"),
        (body(configuration="x"), "configuration"),
        (body(tags="acme"), "tags"),
        (body(name=""), "name"),
        ([1, 2], "object"),
    ],
)
def test_invalid_bodies_are_400_with_a_message(
    client: Any, emulator: InProcessEmulator, doc: Any, fragment: str
) -> None:
    assert_error(client.post("/instances", json=doc), 400, fragment)
    assert emulator.store.count() == 0


def test_polling_asked_of_a_webhooks_only_element(client: Any) -> None:
    doc = {
        "element": {"key": "box"},
        "name": "box",
        "configuration": {
            "event.notification.enabled": True,
            "event.vendor.type": "polling",
            "event.notification.callback.url": "https://hooks.example.com/ce",
        },
    }
    assert_error(client.post("/instances", json=doc), 400, "does not support polling")


def test_body_not_json(client: Any) -> None:
    response = client.post("/instances", content=b"{nope", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "JSON")


def test_invalid_body_message_never_echoes_secrets(client: Any) -> None:
    response = client.post("/instances", json=body(configuration=config(event__vendor__type="x", password="s3cr3t!")))
    assert response.status_code == 400
    assert "s3cr3t!" not in response.text


# -- listing, paging, filters ------------------------------------------------------------------------------


def _create(client: Any, name: str, tags: list[str]) -> int:
    response = client.post("/instances", json=body(name=name, tags=tags))
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_paging_follows_the_next_page_header(client: Any) -> None:
    ids = [_create(client, f"i{n}", []) for n in range(5)]
    seen: list[int] = []
    pages = 0
    params: dict[str, str] = {"pageSize": "2"}
    while True:
        response = client.get("/instances", params=params)
        assert response.status_code == 200
        pages += 1
        page = response.json()
        assert len(page) <= 2
        seen += [i["id"] for i in page]
        token = response.headers.get("elements-next-page-token")
        if not token:
            break
        params["nextPage"] = token
    assert pages == 3
    assert seen == ids


def test_default_page_holds_everything_and_has_no_token(client: Any) -> None:
    for n in range(3):
        _create(client, f"i{n}", [])
    response = client.get("/instances")
    assert len(response.json()) == 3
    assert not response.headers.get("elements-next-page-token")


def test_bad_paging_parameters(client: Any) -> None:
    assert_error(client.get("/instances", params={"pageSize": "0"}), 400, "pageSize")
    assert_error(client.get("/instances", params={"pageSize": "x"}), 400, "pageSize")
    assert_error(client.get("/instances", params={"nextPage": "garbage!!"}), 400, "nextPage")


def test_tag_and_search_filters(client: Any) -> None:
    a = _create(client, "acme-hubspot", ["acme", "crm"])
    b = _create(client, "acme-zendesk", ["acme"])
    c = _create(client, "other", ["crm"])

    def ids(params: Any) -> list[int]:
        return [i["id"] for i in client.get("/instances", params=params).json()]

    assert ids({"tags[]": "acme"}) == [a, b]
    assert ids([("tags[]", "acme"), ("tags[]", "crm")]) == [a]
    assert ids({"tags[]": "crm"}) == [a, c]
    assert ids({"searchText": "acme"}) == [a, b]
    assert ids({"searchText": "zendesk", "tags[]": "acme"}) == [b]
    assert ids({"searchText": "nothing"}) == []


# -- one instance ------------------------------------------------------------------------------------------


def test_get_configuration_answers_records_with_secrets_masked(client: Any) -> None:
    inst_id = _create(client, "x", [])
    assert client.get(f"/instances/{inst_id}").json()["id"] == inst_id
    records = client.get(f"/instances/{inst_id}/configuration").json()
    assert all(set(r) == {"id", "key", "propertyValue"} and isinstance(r["id"], int) for r in records)
    conf = {r["key"]: r["propertyValue"] for r in records}
    assert conf["password"] == "********"
    assert conf["event.poller.refresh_interval"] == "15"
    assert len({r["id"] for r in records}) == len(records)
    assert records == client.get(f"/instances/{inst_id}/configuration").json()  # ids are stable


def test_patch_merges_configuration_and_replaces_tags_and_name(client: Any, emulator: InProcessEmulator) -> None:
    inst_id = _create(client, "x", ["a", "b"])
    response = client.patch(
        f"/instances/{inst_id}",
        json={
            "configuration": {"event.notification.callback.url": "https://new.example.com/cb"},
            "tags": ["c"],
        },
    )
    assert response.status_code == 200, response.text
    inst = response.json()
    assert inst["tags"] == ["c"]
    assert inst["name"] == "x"
    assert inst["eventsNotificationCallbackUrl"] == "https://new.example.com/cb"
    assert inst["configuration"]["username"] == "bob"  # untouched keys stay
    assert inst["configuration"]["event.poller.refresh_interval"] == "15"
    response = client.patch(f"/instances/{inst_id}", json={"name": "renamed"})
    assert response.json()["name"] == "renamed" and response.json()["tags"] == ["c"]
    # a masked value sent back keeps the stored secret
    client.patch(f"/instances/{inst_id}", json={"configuration": {"password": "********"}})
    stored = emulator.store.get(inst_id)
    assert stored is not None and stored.configuration["password"] == "hunter2-secret"


def test_patch_is_validated_on_the_merged_result(client: Any) -> None:
    inst_id = _create(client, "x", [])
    bad = {"configuration": {"event.poller.refresh_interval": "0"}}
    assert_error(client.patch(f"/instances/{inst_id}", json=bad), 400, "refresh_interval")
    assert_error(client.patch(f"/instances/{inst_id}", json={"tags": "x"}), 400, "tags")
    assert client.get(f"/instances/{inst_id}").json()["configuration"]["event.poller.refresh_interval"] == "15"


def test_put_replaces(client: Any) -> None:
    inst_id = _create(client, "x", ["a"])
    doc = body(name="replaced", tags=[], configuration={"username": "u", "password": "p"})
    response = client.put(f"/instances/{inst_id}", json=doc)
    assert response.status_code == 200, response.text
    inst = response.json()
    assert inst["id"] == inst_id and inst["name"] == "replaced" and inst["tags"] == []
    assert inst["configuration"]["event.vendor.type"] is None  # not set: the element's keys are answered
    assert inst["eventsEnabled"] is False


def test_delete(client: Any, emulator: InProcessEmulator) -> None:
    inst_id = _create(client, "x", [])
    assert client.delete(f"/instances/{inst_id}").status_code == 200
    assert emulator.store.count() == 0
    assert_error(client.get(f"/instances/{inst_id}"), 404)
    assert_error(client.delete(f"/instances/{inst_id}"), 404)


def test_enabled_toggle(client: Any) -> None:
    inst_id = _create(client, "x", [])
    response = client.delete(f"/instances/{inst_id}/enabled")
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert client.get(f"/instances/{inst_id}").json()["disabled"] is True
    response = client.put(f"/instances/{inst_id}/enabled")
    assert response.status_code == 200 and response.json()["disabled"] is False


def test_events_list_starts_empty(client: Any) -> None:
    inst_id = _create(client, "x", [])
    response = client.get(f"/instances/{inst_id}/events")
    assert response.status_code == 200 and response.json() == []


# -- faults in-process -------------------------------------------------------------------------------------


def test_in_process_drop_is_a_transport_error_after_the_work() -> None:
    from tests.emulator_fixtures import make_in_process

    handle = make_in_process(drop_rate=1.0)

    async def run() -> None:
        async with handle.async_client() as c:
            with pytest.raises(httpx.TransportError):
                await c.post("/instances", json=body())

    asyncio.run(run())
    assert handle.store.count() == 1


def test_in_process_rate_limit_and_fail_rate() -> None:
    from tests.emulator_fixtures import make_in_process

    limited = make_in_process(rate_limit=2)
    with limited.sync_client() as c:
        statuses = [c.get("/instances").status_code for _ in range(5)]
        assert c.get(limited.root_url + "/_emulator/info").status_code == 200  # never faulted
    assert statuses.count(429) >= 1 and statuses[:2] == [200, 200]
    failing = make_in_process(fail_rate=1.0, seed=7)
    with failing.sync_client() as c:
        assert_error(c.post("/instances", json=body()), 503)
    assert failing.store.count() == 0
