"""`deliveries` and `status` through the CLI, against the emulator: rows equal the emulator's records, `status`
exits 1 exactly when something needs attention, release delivers each queued event once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
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


# -- status -------------------------------------------------------------------------------------------------
def rows_by_name(res: Any) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in json.loads(res.stdout)["instances"]}


def test_status_is_0_and_rows_equal_the_emulators_records_when_all_is_well(
    cli: Any, emulator: InProcessEmulator, callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    args = wiring(cli, emulator)
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        trigger(c, emulator.root_url, inst["id"], count=25)  # two batches: two history records
        events = f"/instances/{inst['id']}/events"
        assert wait_until(lambda: [r["status"] for r in c.get(events).json()] == ["NOTIFIED", "NOTIFIED"])
        history = c.get(events).json()
        listed = c.get(f"/instances/{inst['id']}").json()
        res = cli(*args, "-o", "json", "status", "--all")
        table = cli(*args, "status", "--all")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"instances": 1, "attention": 0}
    [row] = doc["instances"]
    assert isinstance(listed["valid"], bool)
    assert row == {
        "id": listed["id"],
        "name": "shop",
        "element": "shopify",
        "disabled": False,
        "valid": listed["valid"],
        "events": True,
        "vendor_type": "webhooks",
        "callback_url": receiver.url,
        "last_event_date": history[-1]["createdDate"],
        "last_event_status": "NOTIFIED",
        "queued": 0,
        "attention": [],
    }
    assert table.exit_code == 0 and "NOTIFIED" in table.stdout and "0 need attention" in table.stderr


def test_status_is_1_and_says_why_for_each_instance_that_needs_attention(
    cli: Any, queueing: InProcessEmulator, callback_receiver: Any
) -> None:
    refusing, fine = callback_receiver(always_fail=True), callback_receiver()
    args = wiring(cli, queueing)
    with running(queueing) as c:
        queue_one(c, queueing, refusing.url, name="stuck")
        off = c.post("/instances", json={**webhook_body(fine.url, enabled=False), "name": "quiet"}).json()
        gone = c.post("/instances", json={**webhook_body(fine.url), "name": "switched-off"}).json()
        c.delete(f"/instances/{gone['id']}/enabled")
        healthy = c.post("/instances", json={**webhook_body(fine.url), "name": "healthy", "tags": ["ok"]}).json()
        res = cli(*args, "-o", "json", "status", "--all")
        tagged = cli(*args, "-o", "json", "status", "--tag", "ok")
    assert res.exit_code == 1, res.stderr
    rows = rows_by_name(res)
    assert rows["stuck"]["attention"] == ["last delivery queued", "1 queued deliveries"]
    assert rows["stuck"]["queued"] == 1 and rows["stuck"]["last_event_status"] == "QUEUED"
    assert rows["switched-off"]["attention"] == ["disabled"] and rows["switched-off"]["disabled"] is True
    assert rows["quiet"]["events"] is False and rows["quiet"]["attention"] == []  # off, and nothing wants it on
    assert rows["healthy"]["attention"] == [] and rows["healthy"]["last_event_date"] is None
    assert json.loads(res.stdout)["summary"] == {"instances": 4, "attention": 2}
    assert off["id"] != healthy["id"]
    assert tagged.exit_code == 0 and list(rows_by_name(tagged)) == ["healthy"]


def definition(name: str) -> str:
    return (
        f"name: {name}\nelement: shopify\nconfiguration: {{}}\n"
        "events:\n  type: webhooks\n  callback_url: https://hooks.example.com/x\n"
    )


def test_status_of_definitions_flags_events_off_that_the_definition_wants_on(
    cli: Any, emulator: InProcessEmulator, tmp_path: Path
) -> None:
    args = wiring(cli, emulator)
    (tmp_path / "a.yaml").write_text(definition("wanted"))
    (tmp_path / "b.yaml").write_text(definition("never-created"))
    with running(emulator) as c:
        inst = c.post("/instances", json={**webhook_body("https://hooks.example.com/x"), "name": "wanted"}).json()
        c.post("/instances", json={**webhook_body("https://hooks.example.com/x"), "name": "not-mine"})
        before = cli(*args, "-o", "json", "status", str(tmp_path / "a.yaml"))
        both = cli(*args, "-o", "json", "status", str(tmp_path))
        table = cli(*args, "status", str(tmp_path / "b.yaml"))
        c.patch(f"/instances/{inst['id']}", json={"configuration": {"event.notification.enabled": False}})
        after = cli(*args, "-o", "json", "status", str(tmp_path / "a.yaml"))
    assert before.exit_code == 0, before.stderr
    assert list(rows_by_name(before)) == ["wanted"]
    assert after.exit_code == 1
    assert "no instance" in table.stdout and "enabled" not in table.stdout.split("never-created")[1].split("\n")[0]
    assert both.exit_code == 1 and list(rows_by_name(both)) == ["wanted", "never-created"]
    absent = rows_by_name(both)["never-created"]
    assert absent["id"] is None and absent["element"] == "shopify" and absent["attention"] == ["no instance"]
    assert rows_by_name(after)["wanted"]["attention"] == ["events off, the definition wants them on"]


def test_status_needs_one_selection_and_sends_nothing_for_a_bad_definition(cli: Any, tmp_path: Path) -> None:
    sent: list[httpx.Request] = []
    cli.seams.transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json=[]))
    args = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    (tmp_path / "bad.yaml").write_text("name: x\nelement: shopify\nevents: {type: sometimes}\n")
    none = cli(*args, "status")
    both = cli(*args, "status", "--all", "--tag", "t")
    bad = cli(*args, "status", str(tmp_path / "bad.yaml"))
    assert none.exit_code == 2 and "PATH..., --tag TAG or --all" in none.stderr
    assert both.exit_code == 2
    assert bad.exit_code == 3 and "bad.yaml" in bad.stderr
    assert sent == []
    assert "Traceback" not in none.stderr + both.stderr + bad.stderr
