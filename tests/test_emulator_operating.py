"""Operating events in the emulator: enable/disable, event history, retry schedules, failure policy."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.emulator_fixtures import InProcessEmulator, auth_headers, make_in_process
from tests.test_emulator_delivery import running, trigger, wait_until, webhook_body


def element_headers(handle: InProcessEmulator, token: str) -> dict[str, str]:
    base = auth_headers(handle.user_secret, handle.org_secret)["Authorization"]
    return {"Authorization": f"{base}, Element {token}"}


def test_a_disabled_instance_answers_403_to_its_token_and_enables_again(
    emulator: InProcessEmulator, callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        own = element_headers(emulator, inst["token"])
        assert c.get("/instances", headers=own).status_code == 200
        for _ in range(2):  # idempotent
            response = c.delete(f"/instances/{inst['id']}/enabled")
            assert response.status_code == 200 and response.json()["disabled"] is True
        refused = c.get("/instances", headers=own)
        assert refused.status_code == 403
        assert set(refused.json()) == {"requestId", "message"} and "disabled" in refused.json()["message"]
        assert c.get(f"/instances/{inst['id']}/configuration", headers=own).status_code == 403
        assert c.get(f"/instances/{inst['id']}").json()["disabled"] is True  # user/org calls still answer
        assert trigger(c, emulator.root_url, inst["id"]).status_code == 409  # its events are refused, not kept
        for _ in range(2):
            response = c.put(f"/instances/{inst['id']}/enabled")
            assert response.status_code == 200 and response.json()["disabled"] is False
        assert c.get("/instances", headers=own).status_code == 200
    assert receiver.hits == 0


def test_event_history_is_paged_and_each_event_has_its_attempts(
    emulator: InProcessEmulator, callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        sent = trigger(c, emulator.root_url, inst["id"], count=45).json()["batches"]
        first = c.get(f"/instances/{inst['id']}/events", params={"pageSize": 2})
        token = first.headers["elements-next-page-token"]
        second = c.get(f"/instances/{inst['id']}/events", params={"pageSize": 2, "nextPage": token})
        one = c.get(f"/instances/events/{sent[1]['eventId']}")
        assert c.get(f"/instances/{inst['id']}/events", params={"pageSize": 0}).status_code == 400
        assert c.get(f"/instances/{inst['id']}/events", params={"nextPage": "%%"}).status_code == 400
        missing = c.get("/instances/events/no-such-event")
    assert [r["eventId"] for r in first.json() + second.json()] == [b["eventId"] for b in sent]
    assert "elements-next-page-token" not in second.headers
    assert all(r["status"] == "NOTIFIED" for r in first.json() + second.json())
    record = one.json()
    assert one.status_code == 200 and record["eventId"] == sent[1]["eventId"] and record["status"] == "NOTIFIED"
    assert record["callbackUrl"] == receiver.url and len(record["events"]) == 20
    [attempt] = record["attempts"]
    assert attempt["statusCode"] == 200 and attempt["error"] is None and attempt["date"].endswith("Z")
    assert missing.status_code == 404 and set(missing.json()) == {"requestId", "message"}


def test_retry_schedules_per_flavour_scaled_by_the_minute() -> None:
    from cloudevents_cli.emulator.delivery import schedule

    assert schedule("cloud-elements") == [float(2 ** (2 * x)) for x in range(1, 10)]
    assert round(schedule("cloud-elements")[-1] / 3600) == 73  # "the last about 73 h later"
    assert schedule("open-connectors") == [8.0, 64.0, 512.0, 4096.0, 32768.0]
    assert schedule("open-connectors", 0.5) == [4.0, 32.0, 256.0, 2048.0, 16384.0]
    handle = make_in_process(minute=6, flavour="open-connectors")
    with handle.sync_client() as c:
        shown = c.get(f"{handle.root_url}/_emulator/settings").json()
    assert shown == {
        "failurePolicy": "retry",
        "flavour": "open-connectors",
        "retrySchedule": [0.8, 6.4, 51.2, 409.6, 3276.8],
    }


def test_open_connectors_attempts_stop_after_five_retries(callback_receiver: Any) -> None:
    handle = make_in_process(minute=0.0001, flavour="open-connectors")
    receiver = callback_receiver(always_fail=True)
    with running(handle) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        event_id = trigger(c, handle.root_url, inst["id"]).json()["batches"][0]["eventId"]
        record = wait_until(lambda: _done(c.get(f"/instances/events/{event_id}").json(), "FAILED"))
        time.sleep(0.1)
        again = c.get(f"/instances/events/{event_id}").json()
    assert record, "retries did not run out"
    assert [a["attempt"] for a in again["attempts"]] == [1, 2, 3, 4, 5, 6]
    assert all(a["statusCode"] == 500 for a in again["attempts"])
    assert receiver.hits == 6


def _done(record: dict[str, Any], status: str) -> dict[str, Any] | None:
    return record if record["status"] == status else None


def _all_notified(records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return records if all(r["status"] == "NOTIFIED" for r in records) else None


def _deliveries(url: str) -> str:
    return f"/notifications/subscriptions/deliveries?where=channel='webhook' and status='queued' and config.url='{url}'"


def test_queue_policy_deactivates_queues_and_releases_each_event_once(callback_receiver: Any) -> None:
    handle = make_in_process(minute=0.0001, flavour="open-connectors", failure_policy="queue")
    receiver = callback_receiver(always_fail=True)
    other = callback_receiver()
    with running(handle) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        bystander = c.post("/instances", json=webhook_body(other.url)).json()
        first = trigger(c, handle.root_url, inst["id"]).json()["batches"][0]
        assert wait_until(lambda: _done(c.get(f"/instances/events/{first['eventId']}").json(), "QUEUED"))
        assert receiver.hits == 6  # the first attempt and five retries; then the subscription is inactive
        later = trigger(c, handle.root_url, inst["id"], count=2).json()["batches"][0]
        assert later["status"] == "queued" and later["attempts"] == 0
        assert trigger(c, handle.root_url, bystander["id"]).json()["batches"][0]["status"] == "delivered"
        listed = c.get(_deliveries(receiver.url))
        assert listed.status_code == 200
        assert [d["eventId"] for d in listed.json()] == [first["eventId"], later["eventId"]]
        assert all(d["status"] == "queued" and d["config"] == {"url": receiver.url} for d in listed.json())
        assert c.get(_deliveries(other.url)).json() == []
        assert receiver.hits == 6
        receiver.always_fail = False  # the receiver is fixed
        released = c.put(_deliveries(receiver.url))
        assert released.status_code == 200 and len(released.json()) == 2
        assert c.put(_deliveries(receiver.url)).json() == []  # nothing is released twice
        assert receiver.wait_for(2)
        history = wait_until(lambda: _all_notified(c.get(f"/instances/{inst['id']}/events").json()))
        assert history, c.get(f"/instances/{inst['id']}/events").json()
        assert c.get(_deliveries(receiver.url)).json() == []
        after = trigger(c, handle.root_url, inst["id"]).json()["batches"][0]  # the subscription is active again
        assert after["status"] == "delivered"
    ids = [json.loads(r.body)["message"]["eventId"] for r in receiver.received]
    assert sorted(ids) == sorted([first["eventId"], later["eventId"], after["eventId"]])
    released_record = next(r for r in history if r["eventId"] == first["eventId"])
    assert [a["attempt"] for a in released_record["attempts"]] == [1, 2, 3, 4, 5, 6, 7]


def test_failure_policy_is_an_emulator_setting(emulator: InProcessEmulator) -> None:
    with running(emulator) as c:
        url = f"{emulator.root_url}/_emulator/settings"
        assert c.get(url).json()["failurePolicy"] == "retry"
        assert c.put(url, json={"failurePolicy": "queue"}).json()["failurePolicy"] == "queue"
        bad = c.put(url, json={"failurePolicy": "drop"})
        assert bad.status_code == 400 and "retry, queue" in bad.json()["message"]
        assert c.get(url).json()["failurePolicy"] == "queue"
    assert emulator.app.state.emulator.settings.failure_policy == "queue"


def test_the_deliveries_where_clause_is_checked(emulator: InProcessEmulator) -> None:
    path = "/notifications/subscriptions/deliveries"
    with running(emulator) as c:
        assert c.get(path).status_code == 400
        assert c.get(path, params={"where": "channel='email' and status='queued'"}).status_code == 400
        assert c.get(path, params={"where": "status='failed'"}).status_code == 400
        assert c.get(path, params={"where": "config.url = http://x"}).status_code == 400
        assert c.get(path, params={"where": "owner='me'"}).status_code == 400
        assert c.get(path, params={"where": "channel='webhook' and status='queued'"}).json() == []
        assert c.put(path).status_code == 400


def test_the_emulator_command_takes_flavour_and_failure_policy(start_emulator: Any) -> None:
    import httpx

    handle = start_emulator("--flavour", "open-connectors", "--failure-policy", "queue", "--minute", "60")
    shown = httpx.get(handle.root_url + "/_emulator/settings").json()
    assert shown == {
        "failurePolicy": "queue",
        "flavour": "open-connectors",
        "retrySchedule": [8.0, 64.0, 512.0, 4096.0, 32768.0],
    }


def test_five_failed_token_refreshes_disable_an_instance(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        own = element_headers(emulator, inst["token"])
        url = f"{emulator.root_url}/_emulator/instances/{inst['id']}/refresh-failures"
        shown = c.post(url, json={"count": 4}).json()
        assert shown == {"instanceId": inst["id"], "refreshFailures": 4, "disabled": False}
        assert c.get("/instances", headers=own).status_code == 200
        assert c.post(url, json={"count": 0}).json()["refreshFailures"] == 0  # a refresh worked: start over
        for expected in range(1, 5):
            assert c.post(url).json() == {"instanceId": inst["id"], "refreshFailures": expected, "disabled": False}
        assert c.post(url).json() == {"instanceId": inst["id"], "refreshFailures": 5, "disabled": True}
        assert c.get(f"/instances/{inst['id']}").json()["disabled"] is True
        assert c.get("/instances", headers=own).status_code == 403
        assert trigger(c, emulator.root_url, inst["id"]).status_code == 409
        c.put(f"/instances/{inst['id']}/enabled")
        assert c.post(url, json={"count": 4}).json()["disabled"] is False  # enabling started the count over
        assert c.post(url, json={"count": -1}).status_code == 400
        assert c.post(url, json={"count": True}).status_code == 400
        assert c.post(f"{emulator.root_url}/_emulator/instances/999/refresh-failures").status_code == 404
    assert receiver.hits == 0
