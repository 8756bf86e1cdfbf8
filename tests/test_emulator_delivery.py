"""Event delivery end to end: the emulator posts to a local receiver; signatures, batches, retries."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cloudevents_cli.events.signature import HEADER, ID_HEADER, verify
from tests.emulator_fixtures import CallbackReceiver, InProcessEmulator, make_in_process

KEY = "MySecretEventSignatureKey"


def webhook_body(url: str, *, key: str | None = KEY, enabled: bool = True) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "event.notification.enabled": enabled,
        "event.vendor.type": "webhooks",
        "event.notification.callback.url": url,
    }
    if key:
        conf["event.notification.signature.key"] = key
    conf["authentication.type"] = "basic"  # a Shopify private app (sample-configs/env-secrets.yaml)
    return {"element": {"key": "shopify"}, "name": "shop", "configuration": conf}


def polling_body(url: str, *, refresh: Any = 1) -> dict[str, Any]:
    poller = {"contacts": {"url": "/hubs/crm/contacts", "idField": "id"}, "deals": {"url": "/d", "idField": "dealId"}}
    return {
        "element": {"key": "hubspotcrm"},
        "name": "poll",
        "configuration": {
            "authentication.type": "apiKey",
            "hubspot.authorization.apikey": "the-api-key",
            "event.notification.enabled": True,
            "event.vendor.type": "polling",
            "event.notification.callback.url": url,
            "event.poller.refresh_interval": refresh,
            "event.notification.signature.key": KEY,
            "event.poller.configuration": poller,
        },
    }


def running(handle: InProcessEmulator) -> Any:
    return handle.sync_client()


@pytest.fixture
def fast() -> Iterator[InProcessEmulator]:
    """An emulator whose minute is 0.1 ms: the nine retries' waits add up to under a second."""
    handle = make_in_process(minute=0.0001)
    yield handle
    handle.store.close()


def trigger(c: Any, root: str, inst_id: int, **body: Any) -> Any:
    return c.post(f"{root}/_emulator/instances/{inst_id}/events", json=body)


def wait_until(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    return check()


def test_webhook_delivery_batches_signature_and_shape(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver: CallbackReceiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        response = trigger(c, emulator.root_url, inst["id"], objectType="orders", eventType="updated", count=45)
        assert response.status_code == 200, response.text
        result = response.json()
        assert [b["count"] for b in result["batches"]] == [20, 20, 5]
        assert all(b["status"] == "delivered" and b["attempts"] == 1 for b in result["batches"])
        assert receiver.wait_for(3)
        records = c.get(f"/instances/{inst['id']}/events").json()
    sizes = []
    ids = set()
    for got in receiver.received:
        assert got.headers["Content-Type"] == "application/json"
        assert verify(KEY, got.body, got.headers[HEADER])
        ids.add(got.headers[ID_HEADER])
        message = json.loads(got.body)["message"]
        assert set(message) >= {"eventId", "instanceId", "elementKey", "events", "raw"}
        assert message["instanceId"] == inst["id"] and message["elementKey"] == "shopify"
        for event in message["events"]:
            assert set(event) == {"objectId", "objectType", "eventType", "elementKey", "date"}
            assert event["objectType"] == "orders" and event["eventType"] == "UPDATED"
        sizes.append(len(message["events"]))
    assert sorted(sizes) == [5, 20, 20]
    assert len(ids) == 3
    assert len(records) == 3
    assert all(r["status"] == "NOTIFIED" and len(r["attempts"]) == 1 for r in records)
    assert records[0]["attempts"][0]["statusCode"] == 200


def test_no_signature_header_without_a_key(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver: CallbackReceiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url, key=None)).json()
        assert trigger(c, emulator.root_url, inst["id"]).status_code == 200
    assert receiver.wait_for(1)
    assert HEADER not in receiver.received[0].headers
    assert ID_HEADER in receiver.received[0].headers


def test_a_receiver_that_fails_twice_gets_a_third_attempt(callback_receiver: Any) -> None:
    handle = make_in_process(minute=0.06)  # waits of 4 and 16 ms
    receiver: CallbackReceiver = callback_receiver(fail_first=2)
    with running(handle) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        first = trigger(c, handle.root_url, inst["id"], count=3).json()["batches"][0]
        assert first["status"] == "retrying" and first["statusCode"] == 500
        assert receiver.wait_for(1)

        def delivered() -> Any:
            records = c.get(f"/instances/{inst['id']}/events").json()
            return records if records[0]["status"] == "NOTIFIED" else None

        records = wait_until(delivered)
    assert records, "not delivered"
    attempts = records[0]["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["statusCode"] for a in attempts] == [500, 500, 200]
    assert all(a["date"] for a in attempts)
    assert receiver.hits == 3
    body = receiver.received[0].body
    assert verify(KEY, body, receiver.received[0].headers[HEADER])


def test_attempts_stop_after_nine_retries(fast: InProcessEmulator, callback_receiver: Any) -> None:
    receiver: CallbackReceiver = callback_receiver(always_fail=True)
    with running(fast) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        trigger(c, fast.root_url, inst["id"])

        def failed() -> Any:
            records = c.get(f"/instances/{inst['id']}/events").json()
            return records if records[0]["status"] == "FAILED" else None

        records = wait_until(failed, timeout=15)
        assert records, c.get(f"/instances/{inst['id']}/events").json()
        time.sleep(0.2)
        again = c.get(f"/instances/{inst['id']}/events").json()
    assert [a["attempt"] for a in records[0]["attempts"]] == list(range(1, 11))  # the first and 9 retries
    assert len(again[0]["attempts"]) == 10
    assert receiver.hits == 10


def test_connection_errors_are_recorded(fast: InProcessEmulator) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with running(fast) as c:
        inst = c.post("/instances", json=webhook_body(f"http://127.0.0.1:{port}/cb")).json()
        batch = trigger(c, fast.root_url, inst["id"]).json()["batches"][0]
        assert batch["status"] == "retrying" and batch["statusCode"] is None
        records = c.get(f"/instances/{inst['id']}/events").json()
    first = records[0]["attempts"][0]
    assert first["statusCode"] is None and first["error"]


def test_disabled_events_or_instances_deliver_nothing(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver: CallbackReceiver = callback_receiver()
    with running(emulator) as c:
        off = c.post("/instances", json=webhook_body(receiver.url, enabled=False)).json()
        response = trigger(c, emulator.root_url, off["id"], count=5)
        assert response.status_code == 409 and "not enabled" in response.json()["message"]
        on = c.post("/instances", json=webhook_body(receiver.url)).json()
        c.delete(f"/instances/{on['id']}/enabled")
        response = trigger(c, emulator.root_url, on["id"], count=5)
        assert response.status_code == 409 and "disabled" in response.json()["message"]
        assert trigger(c, emulator.root_url, 999).status_code == 404
        assert trigger(c, emulator.root_url, on["id"], eventType="EXPLODED").status_code in (400, 409)
        assert c.get(f"/instances/{off['id']}/events").json() == []
    time.sleep(0.1)
    assert receiver.hits == 0


def test_trigger_validates_its_body(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver: CallbackReceiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        assert trigger(c, emulator.root_url, inst["id"], eventType="EXPLODED").status_code == 400
        assert trigger(c, emulator.root_url, inst["id"], count=0).status_code == 400
        assert trigger(c, emulator.root_url, inst["id"], count="3").status_code == 400
    assert receiver.hits == 0


def test_a_poll_batches_by_ten(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver: CallbackReceiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=polling_body(receiver.url, refresh=15)).json()
        response = c.post(f"{emulator.root_url}/_emulator/instances/{inst['id']}/poll", json={"count": 12})
        assert response.status_code == 200, response.text
        assert [b["count"] for b in response.json()["batches"]] == [10, 10, 4]
    assert receiver.wait_for(3)
    types = set()
    for got in receiver.received:
        message = json.loads(got.body)["message"]
        assert len(message["events"]) <= 10
        types |= {e["objectType"] for e in message["events"]}
        assert verify(KEY, got.body, got.headers[HEADER])
    assert types == {"contacts", "deals"}


def test_the_scheduler_polls_every_refresh_interval(callback_receiver: Any) -> None:
    handle = make_in_process(minute=0.05, scheduler=True)
    receiver: CallbackReceiver = callback_receiver()
    with running(handle) as c:  # the context runs the lifespan, which starts the scheduler
        inst = c.post("/instances", json=polling_body(receiver.url, refresh="1")).json()
        assert receiver.wait_for(3, timeout=10)
        c.delete(f"/instances/{inst['id']}/enabled")
        time.sleep(0.2)
        settled = receiver.hits
        time.sleep(0.3)
        assert receiver.hits == settled  # a disabled instance is not polled
        records = c.get(f"/instances/{inst['id']}/events").json()
    assert all(r["method"] == "polling" and len(r["events"]) <= 10 for r in records)


def test_polling_in_a_real_server(start_emulator: Any, callback_receiver: Any) -> None:
    import httpx

    handle = start_emulator("--minute", "0.05")
    receiver: CallbackReceiver = callback_receiver()
    with httpx.Client(base_url=handle.base_url, headers=handle.headers) as c:
        assert c.post("/instances", json=polling_body(receiver.url)).status_code == 200
        assert receiver.wait_for(2, timeout=10)
    message = json.loads(receiver.received[0].body)["message"]
    assert message["elementKey"] == "hubspotcrm"
    assert verify(KEY, receiver.received[0].body, receiver.received[0].headers[HEADER])


def test_on_this_machine_judges_the_text_only() -> None:
    from cloudevents_cli.emulator.delivery import on_this_machine

    for url in ("http://127.0.0.1:8080/cb", "http://localhost/x", "http://[::1]:9/", "http://127.5.6.7/"):
        assert on_this_machine(url), url
    for url in ("https://hooks.example.com/ce", "http://10.0.0.1/", "http://127.0.0.1.nip.io/", "http://[::1", ""):
        assert not on_this_machine(url), url


def test_a_callback_elsewhere_is_not_sent_and_recorded_failed(monkeypatch: Any) -> None:
    """The emulator never resolves or connects to a host that is not this machine (unless --deliver-anywhere)."""
    import asyncio
    import socket

    from cloudevents_cli.emulator.delivery import NOT_SENT, Deliverer
    from cloudevents_cli.emulator.settings import Settings

    def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"resolved {args[0]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    recorded: list[tuple[Any, ...]] = []

    class Store:
        def add_attempt(self, *args: Any, **kwargs: Any) -> None:
            recorded.append((args, kwargs))

    class Instance:
        configuration = {  # noqa: RUF012 - a stand-in
            "event.notification.callback.url": "https://hooks.example.com/ce"
        }

    deliverer = Deliverer(Store(), Settings())  # type: ignore[arg-type]
    ok, status, error = asyncio.run(deliverer._attempt(Instance(), 7, "w-1", b"{}", 1))  # type: ignore[arg-type]
    assert (ok, status, error) == (False, None, NOT_SENT)
    assert recorded == [((7, 1), {"status_code": None, "error": NOT_SENT})]
