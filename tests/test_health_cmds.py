"""`deliveries` through the CLI, against the emulator: rows equal the emulator's records, release delivers each
queued event once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.emulator_fixtures import InProcessEmulator, make_in_process
from tests.test_emulator_delivery import running, trigger, wait_until, webhook_body

QUEUED_WHERE = "channel='webhook' and status='queued'"


def wiring(cli: Any, handle: Any) -> list[str]:
    cli.seams.transport = handle.transport
    return ["--base-url", handle.base_url, "--user-secret", handle.user_secret, "--org-secret", handle.org_secret]


@pytest.fixture
def queueing() -> Iterator[InProcessEmulator]:
    """An emulator that queues deliveries once retries run out (after five quick retries)."""
    handle = make_in_process(minute=0.0001, flavour="open-connectors", failure_policy="queue")
    yield handle
    handle.store.close()


def queued_via_api(c: Any, url: str | None = None) -> list[dict[str, Any]]:
    where = QUEUED_WHERE + ("" if url is None else f" and config.url='{url}'")
    response = c.get("/notifications/subscriptions/deliveries", params={"where": where})
    assert response.status_code == 200
    return list(response.json())


def event_status(c: Any, event_id: str, status: str) -> bool:
    return bool(c.get(f"/instances/events/{event_id}").json()["status"] == status)


def queue_one(c: Any, handle: Any, url: str, name: str = "shop") -> dict[str, Any]:
    """An instance whose first event ends queued (the receiver at `url` refuses)."""
    inst = c.post("/instances", json={**webhook_body(url), "name": name}).json()
    event_id = trigger(c, handle.root_url, inst["id"]).json()["batches"][0]["eventId"]
    assert wait_until(lambda: event_status(c, event_id, "QUEUED"))
    return dict(inst)


# -- deliveries ---------------------------------------------------------------------------------------------
def test_deliveries_rows_equal_the_emulators_queued_records(
    cli: Any, queueing: InProcessEmulator, callback_receiver: Any
) -> None:
    refusing, fine = callback_receiver(always_fail=True), callback_receiver()
    args = wiring(cli, queueing)
    with running(queueing) as c:
        inst = queue_one(c, queueing, refusing.url)
        trigger(c, queueing.root_url, inst["id"], count=2)  # the subscription is inactive: queued at once
        recorded = queued_via_api(c, refusing.url)
        res = cli(*args, "-o", "json", "deliveries")
        one = cli(*args, "-o", "json", "deliveries", "--callback-url", refusing.url)
        other = cli(*args, "-o", "json", "deliveries", "--callback-url", fine.url)
        table = cli(*args, "deliveries")
        dry = cli(*args, "-o", "json", "deliveries", "--release", "--dry-run")
        still = queued_via_api(c)
    assert res.exit_code == 0, res.stderr
    assert len(recorded) == 2
    assert json.loads(res.stdout) == {"schema_version": 1, "deliveries": recorded, "released": 0}
    assert json.loads(one.stdout)["deliveries"] == recorded
    assert json.loads(other.stdout)["deliveries"] == []
    assert all(str(d["eventId"]) in table.stdout for d in recorded) and "2 queued deliveries" in table.stderr
    assert dry.exit_code == 0 and json.loads(dry.stdout) == {"schema_version": 1, "deliveries": recorded, "released": 0}
    assert still == recorded  # the dry run released nothing
    assert refusing.received == []


def test_a_callback_url_with_quotes_cannot_break_the_where_clause(cli: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    cli.seams.transport = httpx.MockTransport(handler)
    args = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    url = "https://hooks.example.com/x' or config.url='https://other"
    res = cli(*args, "deliveries", "--callback-url", url, "--release")
    assert res.exit_code == 0, res.stderr
    [request] = seen
    assert request.method == "PUT" and request.url.path.endswith("/notifications/subscriptions/deliveries")
    where = parse_qs(urlsplit(str(request.url)).query)["where"]
    assert where == [f"{QUEUED_WHERE} and config.url='https://hooks.example.com/x'' or config.url=''https://other'"]
    assert "0 deliveries released" in res.stderr


def test_the_emulator_reads_a_quoted_url_back_as_written(cli: Any, emulator: InProcessEmulator) -> None:
    from cloudevents_cli.emulator.notifications_api import where_url
    from cloudevents_cli.platform.deliveries import where_clause

    url = "https://hooks.example.com/it's'or'1'='1"  # (the emulator splits terms at " and " even inside quotes)
    assert where_url(where_clause(url)) == url
    res = cli(*wiring(cli, emulator), "-o", "json", "deliveries", "--callback-url", url)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["deliveries"] == []


def test_dry_run_needs_release(cli: Any) -> None:
    res = cli("deliveries", "--dry-run")
    assert res.exit_code == 2 and "--dry-run goes with --release" in res.stderr


def test_release_delivers_each_queued_event_once(cli: Any, start_emulator: Any, callback_receiver: Any) -> None:
    handle = start_emulator("--failure-policy", "queue", "--flavour", "open-connectors", "--minute", "0.0001")
    receiver = callback_receiver(always_fail=True)
    auth = {"Authorization": f"User {handle.user_secret}, Organization {handle.org_secret}"}
    args = ["--base-url", handle.base_url, "--user-secret", handle.user_secret, "--org-secret", handle.org_secret]
    with httpx.Client(base_url=handle.base_url, headers=auth) as c:
        inst = queue_one(c, handle, receiver.url)
        trigger(c, handle.root_url, inst["id"], count=2)
        queued = queued_via_api(c, receiver.url)
        receiver.always_fail = False  # the receiver is fixed
        res = cli(*args, "-o", "json", "deliveries", "--release", "--callback-url", receiver.url)
        assert receiver.wait_for(2)
        again = cli(*args, "-o", "json", "deliveries", "--release", "--callback-url", receiver.url)
        left = queued_via_api(c)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["released"] == 2 and [d["eventId"] for d in doc["deliveries"]] == [d["eventId"] for d in queued]
    assert all(d["status"] == "released" for d in doc["deliveries"])
    assert json.loads(again.stdout) == {"schema_version": 1, "deliveries": [], "released": 0}
    assert left == []
    received = [json.loads(r.body)["message"]["eventId"] for r in receiver.received]
    assert sorted(received) == sorted(d["eventId"] for d in queued)  # each once
