"""Configuration records, `/elements/{keyOrId}/instances`, and "this instance" through an `Element <token>`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulator_fixtures import InProcessEmulator, with_own_tokens

BODY = {
    "element": {"key": "closeio"},
    "name": "paths",
    "configuration": {"username": "u", "password": "hunter2-secret", "event.poller.refresh_interval": "15"},
}


@pytest.fixture
def client(emulator: InProcessEmulator) -> Iterator[Any]:
    with emulator.sync_client() as c:
        yield c


def _records(client: Any, inst_id: int) -> dict[str, dict[str, Any]]:
    response = client.get(f"/instances/{inst_id}/configuration")
    assert response.status_code == 200, response.text
    return {r["key"]: r for r in response.json()}


# -- configuration records ---------------------------------------------------------------------------------


def test_patch_one_configuration_record(client: Any, emulator: InProcessEmulator) -> None:
    inst = client.post("/instances", json=BODY).json()
    record = _records(client, inst["id"])["event.poller.refresh_interval"]
    response = client.patch(f"/instances/{inst['id']}/configuration/{record['id']}", json={"propertyValue": 5})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": record["id"], "key": "event.poller.refresh_interval", "propertyValue": "5"}
    assert client.get(f"/instances/{inst['id']}").json()["configuration"]["event.poller.refresh_interval"] == "5"
    assert _records(client, inst["id"])["event.poller.refresh_interval"]["id"] == record["id"]


def test_patch_a_secret_record_answers_it_masked(client: Any, emulator: InProcessEmulator) -> None:
    inst = client.post("/instances", json=BODY).json()
    record = _records(client, inst["id"])["password"]
    assert record["propertyValue"] == "********"
    response = client.patch(
        f"/instances/{inst['id']}/configuration/{record['id']}", json={"key": "password", "propertyValue": "new-pw"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["propertyValue"] == "********"
    stored = emulator.store.get(inst["id"])
    assert stored is not None and stored.configuration["password"] == "new-pw"


def test_patch_configuration_record_errors(client: Any) -> None:
    inst = client.post("/instances", json=BODY).json()
    other = client.post("/instances", json=BODY).json()
    records = _records(client, inst["id"])
    refresh, username = records["event.poller.refresh_interval"]["id"], records["username"]["id"]
    base = f"/instances/{inst['id']}/configuration"
    assert client.patch(f"{base}/{refresh}", json={"propertyValue": "0"}).status_code == 400
    assert client.patch(f"{base}/{refresh}", json={}).status_code == 400
    assert client.patch(f"{base}/{refresh}", json={"key": "username", "propertyValue": "x"}).status_code == 400
    assert client.patch(f"{base}/999999", json={"propertyValue": "x"}).status_code == 404
    # a record of another instance is not this instance's
    other_id = _records(client, other["id"])["username"]["id"]
    assert other_id != username
    assert client.patch(f"{base}/{other_id}", json={"propertyValue": "x"}).status_code == 404
    assert client.get(f"/instances/{inst['id']}").json()["configuration"]["event.poller.refresh_interval"] == "15"


# -- /elements/{keyOrId}/instances -------------------------------------------------------------------------


@pytest.mark.parametrize("key_or_id", ["closeio", "166"])
def test_create_under_the_element_path(client: Any, key_or_id: str) -> None:
    doc = {k: v for k, v in BODY.items() if k != "element"}
    response = client.post(f"/elements/{key_or_id}/instances", json=doc)
    assert response.status_code == 200, response.text
    assert response.json()["element"]["key"] == "closeio"
    assert response.json()["elementId"] == 166


def test_list_under_the_element_path_lists_that_element_only(client: Any) -> None:
    close = client.post("/instances", json=BODY).json()
    client.post("/instances", json=with_own_tokens({"element": {"key": "box"}, "name": "b"}))
    listed = client.get("/elements/closeio/instances")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()] == [close["id"]]
    assert len(client.get("/instances").json()) == 2


def test_unknown_element_in_the_path_is_404(client: Any, emulator: InProcessEmulator) -> None:
    assert client.get("/elements/nosuch/instances").status_code == 404
    response = client.post("/elements/nosuch/instances", json={"name": "x"})
    assert response.status_code == 404 and set(response.json()) == {"requestId", "message"}
    assert emulator.store.count() == 0


# -- Element <token>: this instance -----------------------------------------------------------------------


def _as_instance(emulator: InProcessEmulator, token: str) -> dict[str, str]:
    return {"Authorization": f"User {emulator.user_secret}, Organization {emulator.org_secret}, Element {token}"}


def test_an_element_token_addresses_its_own_instance(client: Any, emulator: InProcessEmulator) -> None:
    client.post("/instances", json={**BODY, "name": "other"})
    inst = client.post("/instances", json=BODY).json()
    headers = _as_instance(emulator, inst["token"])
    got = client.get("/instances", headers=headers)
    assert got.status_code == 200 and got.json()["id"] == inst["id"]
    records = client.get("/instances/configuration", headers=headers).json()
    assert {r["key"]: r["propertyValue"] for r in records}["password"] == "********"
    patched = client.patch("/instances", headers=headers, json={"configuration": {"event.poller.refresh_interval": 3}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["id"] == inst["id"]
    assert client.get(f"/instances/{inst['id']}").json()["configuration"]["event.poller.refresh_interval"] == "3"
    assert client.get("/instances").json()[0]["configuration"]["event.poller.refresh_interval"] == "15"


def test_an_unknown_element_token_is_401(client: Any, emulator: InProcessEmulator) -> None:
    client.post("/instances", json=BODY)
    headers = _as_instance(emulator, "not-a-token")
    for response in (
        client.get("/instances", headers=headers),
        client.get("/instances/configuration", headers=headers),
        client.patch("/instances", headers=headers, json={"tags": []}),
    ):
        assert response.status_code == 401, response.text
        assert set(response.json()) == {"requestId", "message"}


def test_this_instance_paths_need_an_element_token(client: Any) -> None:
    assert client.get("/instances/configuration").status_code == 400
    assert client.patch("/instances", json={"tags": []}).status_code == 400
    assert isinstance(client.get("/instances").json(), list)


def test_the_platforms_own_configuration_update_flow(client: Any) -> None:
    # as churros src/test/platform/elements/instances.js does it: PATCH the record it read, with a new value
    inst = client.post("/instances", json=BODY).json()
    records = client.get(f"/instances/{inst['id']}/configuration").json()
    record = next(r for r in records if r["key"] == "event.poller.refresh_interval")
    patched = client.patch(
        f"/instances/{inst['id']}/configuration/{record['id']}", json={**record, "propertyValue": "30"}
    )
    assert patched.status_code == 200, patched.text
    got = client.get(f"/instances/{inst['id']}/configuration/{patched.json()['id']}")
    assert got.status_code == 200 and got.json()["propertyValue"] == "30"
    assert client.get(f"/instances/{inst['id']}/configuration/999999").status_code == 404


@pytest.mark.parametrize("key_or_id", ["closeio", "166"])
def test_crud_under_the_element_path(client: Any, emulator: InProcessEmulator, key_or_id: str) -> None:
    # churros: "should support CRUD by key" / "by ID"
    base = f"/elements/{key_or_id}/instances"
    created = client.post(base, json={k: v for k, v in BODY.items() if k != "element"}).json()
    got = client.get(f"{base}/{created['id']}")
    assert got.status_code == 200 and got.json()["configuration"]["password"] == "********"
    put = client.put(f"{base}/{created['id']}", json={**BODY, "name": "updated-instance"})
    assert put.status_code == 200 and put.json()["name"] == "updated-instance"
    patched = client.patch(f"{base}/{created['id']}", json={"tags": ["x"]})
    assert patched.status_code == 200 and patched.json()["tags"] == ["x"]
    assert client.delete(f"{base}/{created['id']}").status_code == 200
    assert emulator.store.count() == 0


def test_an_instance_of_another_element_is_not_under_this_element_path(client: Any) -> None:
    box = client.post("/instances", json=with_own_tokens({"element": {"key": "box"}, "name": "b"})).json()
    assert client.get(f"/elements/closeio/instances/{box['id']}").status_code == 404
    assert client.delete(f"/elements/closeio/instances/{box['id']}").status_code == 404
    assert client.get(f"/elements/box/instances/{box['id']}").status_code == 200
