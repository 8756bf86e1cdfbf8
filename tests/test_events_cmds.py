"""`events list|show|on|off` and `enable|disable` through the CLI against the in-process emulator: what goes over
the wire, and rows equal to the emulator's own records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.emulator_fixtures import InProcessEmulator

HOOK = "http://127.0.0.1:9/hook"


@dataclass
class Sent:
    method: str
    path: str
    params: list[tuple[str, str]]
    body: Any


class Recording(httpx.AsyncBaseTransport):
    """The emulator's transport, keeping every request sent through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[Sent] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.raw_path.split(b"?")[0].decode()
        self.sent.append(Sent(request.method, path, list(request.url.params.multi_items()), body))
        return await self.inner.handle_async_request(request)

    def writes(self) -> list[Sent]:
        return [s for s in self.sent if s.method != "GET"]


@pytest.fixture
def wire(cli: Any, emulator: InProcessEmulator) -> Recording:
    cli.seams.transport = Recording(emulator.transport)
    return cli.seams.transport


@pytest.fixture
def opts(emulator: InProcessEmulator, wire: Recording) -> list[str]:
    return ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret, "--org-secret", emulator.org_secret]


def make(emulator: InProcessEmulator, name: str, *, tags: list[str] | None = None, events: bool = True) -> int:
    conf = {
        "event.notification.enabled": events,
        "event.vendor.type": "webhooks",
        "event.notification.callback.url": HOOK,
        "authentication.type": "basic",
    }
    body = {"element": {"key": "shopify"}, "name": name, "tags": tags or [], "configuration": conf}
    with emulator.sync_client() as c:
        response = c.post("/instances", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def record(
    emulator: InProcessEmulator,
    inst: int,
    *,
    objects: Sequence[tuple[str, str, str]] = (("contacts", "CREATED", "1"),),
    attempts: Sequence[tuple[int | None, str | None]] = ((200, None),),
    status: str = "NOTIFIED",
    created: str | None = None,
) -> str:
    """One delivery record in the emulator's store, as its delivery loop would leave it; returns the event id."""
    event_id = str(uuid.uuid4())
    events = [{"objectType": t, "eventType": e, "objectId": i} for t, e, i in objects]
    store = emulator.store
    delivery = store.add_delivery(
        inst,
        webhook_id=str(uuid.uuid4()),
        event_id=event_id,
        method="POST",
        events=events,
        url=HOOK,
        body=b"{}",
        status=status,
    )
    for n, (code, error) in enumerate(attempts, start=1):
        store.add_attempt(delivery, n, status_code=code, error=error)
    if created is not None:
        store._exec("UPDATE deliveries SET created = ? WHERE id = ?", (created, delivery))
    return event_id


def history(emulator: InProcessEmulator, inst: int) -> list[dict[str, Any]]:
    """Every record of the instance, read from the emulator directly (its own paging, to the end)."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"pageSize": 1000}
    with emulator.sync_client() as c:
        while True:
            response = c.get(f"/instances/{inst}/events", params=params)
            out += response.json()
            token = response.headers.get("elements-next-page-token")
            if not token:
                return out
            params["nextPage"] = token


def run_json(cli: Any, opts: list[str], *args: str) -> dict[str, Any]:
    res = cli(*opts, *args, "-o", "json")
    assert res.exit_code == 0, res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


# -- events list ----------------------------------------------------------------------------------------------
def test_events_list_pages_to_the_end_and_its_rows_are_the_emulators_records(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    inst = make(emulator, "shop")
    ids = [record(emulator, inst, objects=[("orders", "UPDATED", str(n))]) for n in range(450)]
    doc = run_json(cli, opts, "events", "list", "shop")
    assert doc["schema_version"] == 1 and doc["events"] == history(emulator, inst)
    assert [e["eventId"] for e in doc["events"]] == ids
    pages = [s for s in wire.sent if s.path.endswith(f"/instances/{inst}/events")]
    assert len(pages) == 3 and all(("pageSize", "200") in s.params for s in pages)
    assert "nextPage" not in dict(pages[0].params) and all("nextPage" in dict(s.params) for s in pages[1:])
    assert wire.writes() == []
    short = cli(*opts, "events", str(inst), "-o", "id")  # `events INSTANCE` is `events list INSTANCE`
    assert short.exit_code == 0 and short.stdout.split() == ids


def test_events_list_filters(cli: Any, emulator: InProcessEmulator, opts: list[str]) -> None:
    inst = make(emulator, "shop")
    old = record(emulator, inst, objects=[("contacts", "CREATED", "1")], created="2026-01-01T10:00:00Z")
    mid = record(emulator, inst, objects=[("deals", "UPDATED", "2")], created="2026-06-01T10:00:00Z")
    new = record(emulator, inst, objects=[("contacts", "UPDATED", "3"), ("deals", "DELETED", "4")])

    def ids(*args: str) -> list[str]:
        return [e["eventId"] for e in run_json(cli, opts, "events", "list", str(inst), *args)["events"]]

    assert ids() == [old, mid, new]
    assert ids("--object-type", "deals") == [mid, new]
    assert ids("--event-type", "updated") == [mid, new]  # event types match in any case
    assert ids("--object-type", "contacts", "--event-type", "CREATED") == [old]
    assert ids("--since", "2026-03-01") == [mid, new]
    assert ids("--since", "2026-06-01T10:00:00+00:00") == [mid, new]
    assert ids("--limit", "2") == [mid, new]  # the most recent ones, still oldest first
    assert ids("--since", "2999-01-01") == []


def test_events_list_table_shows_status_attempts_and_objects(
    cli: Any, emulator: InProcessEmulator, opts: list[str]
) -> None:
    inst = make(emulator, "shop")
    objects = [("contacts", "CREATED", str(n)) for n in range(5)]
    failing = record(
        emulator, inst, objects=objects, attempts=[(500, "HTTP 500"), (None, "ConnectError")], status="RETRYING"
    )
    res = cli(*opts, "events", "shop")
    assert res.exit_code == 0, res.stderr
    [row] = [line for line in res.stdout.splitlines() if failing[:8] in line]
    assert "RETRYING" in row and " 2 " in row and "contacts/0, contacts/1, contacts/2 (+2 more)" in row
    assert "1 event" in res.stderr


def test_events_list_bad_input_sends_nothing(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    make(emulator, "shop")
    res = cli(*opts, "events", "list", "shop", "--since", "last tuesday")
    assert res.exit_code == 2 and "--since 'last tuesday': not an ISO date" in res.stderr
    assert "Traceback" not in res.output and wire.sent == []
    res = cli(*opts, "events", "list", "shop", "--limit", "0")
    assert res.exit_code == 2 and wire.sent == []
    res = cli(*opts, "events", "list", "nobody")
    assert res.exit_code == 4 and res.stderr.strip() == "error: no instance named 'nobody'"


# -- events show ----------------------------------------------------------------------------------------------
def test_events_show_every_attempt(cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording) -> None:
    inst = make(emulator, "shop")
    event_id = record(emulator, inst, attempts=[(503, "HTTP 503"), (None, "ConnectError"), (200, None)])
    doc = run_json(cli, opts, "events", "show", event_id)
    with emulator.sync_client() as c:
        assert doc["events"] == [c.get(f"/instances/events/{event_id}").json()]
    assert [s.path for s in wire.sent] == [f"/elements/api-v2/instances/events/{event_id}"]
    res = cli(*opts, "events", "show", event_id)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    for n, (code, error) in enumerate([("503", "HTTP 503"), (None, "ConnectError"), ("200", None)], start=1):
        [line] = [x for x in lines if x.startswith(f"│ {n} ")]
        assert (code is None or code in line) and (error is None or error in line)
        assert doc["events"][0]["attempts"][n - 1]["date"] in line


def test_events_show_quotes_the_id_and_reports_a_missing_event(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    res = cli(*opts, "events", "show", "no-such-event")
    assert res.exit_code == 4 and res.stderr.count("\n") == 1 and "no event with id 'no-such-event'" in res.stderr
    wire.sent.clear()
    res = cli(*opts, "events", "show", "../7?x=1")  # one path segment, whatever it holds
    assert res.exit_code == 4 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert [s.path for s in wire.sent] == ["/elements/api-v2/instances/events/..%2F7%3Fx%3D1"]


def test_events_never_print_the_secrets(cli: Any, emulator: InProcessEmulator, opts: list[str]) -> None:
    inst = make(emulator, "shop")
    event_id = record(emulator, inst)
    for args in (["events", "shop"], ["events", "show", event_id], ["events", "show", "nope"], ["disable", "shop"]):
        res = cli(*opts, "-v", *args)
        for secret in (emulator.user_secret, emulator.org_secret):
            assert secret not in res.output


# -- switches -------------------------------------------------------------------------------------------------
def test_disable_and_enable_are_idempotent_by_name_id_and_tag(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    a = make(emulator, "alpha", tags=["crm"])
    b = make(emulator, "beta", tags=["crm"])
    doc = run_json(cli, opts, "disable", "alpha")
    assert [(s.method, s.path) for s in wire.writes()] == [("DELETE", f"/elements/api-v2/instances/{a}/enabled")]
    [result] = doc["results"]
    assert result["action"] == "updated" and result["id"] == a and result["name"] == "alpha"
    assert result["changes"] == [{"path": "enabled", "before": True, "after": False}]
    assert emulator.store.get(a).disabled is True  # type: ignore[union-attr]
    wire.sent.clear()
    again = run_json(cli, opts, "disable", str(a))
    assert again["results"][0]["action"] == "unchanged" and again["summary"] == {"unchanged": 1}
    assert wire.writes() == []  # nothing written when nothing changes
    both = run_json(cli, opts, "disable", "--tag", "crm", "alpha")  # alpha twice: switched once
    assert [(r["id"], r["action"]) for r in both["results"]] == [(a, "unchanged"), (b, "updated")]
    assert [(s.method, s.path) for s in wire.writes()] == [("DELETE", f"/elements/api-v2/instances/{b}/enabled")]
    wire.sent.clear()
    on = run_json(cli, opts, "enable", "--tag", "crm")
    assert on["summary"] == {"updated": 2}
    assert sorted((s.method, s.path) for s in wire.writes()) == [
        ("PUT", f"/elements/api-v2/instances/{a}/enabled"),
        ("PUT", f"/elements/api-v2/instances/{b}/enabled"),
    ]
    assert not emulator.store.get(a).disabled and not emulator.store.get(b).disabled  # type: ignore[union-attr]


def test_a_missing_instance_fails_alone_with_the_batch_exit_code(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    a = make(emulator, "alpha")
    res = cli(*opts, "disable", "nobody", "alpha", "-o", "json")
    assert res.exit_code == 4, res.stderr
    doc = json.loads(res.stdout)
    assert [(r["source"], r["action"]) for r in doc["results"]] == [("nobody", "failed"), ("alpha", "updated")]
    assert doc["results"][0]["error"]["message"] == "no instance named 'nobody'"
    assert [(s.method, s.path) for s in wire.writes()] == [("DELETE", f"/elements/api-v2/instances/{a}/enabled")]
    res = cli(*opts, "enable")
    assert res.exit_code == 2 and "say which instances" in res.stderr


def test_events_on_off_patch_only_the_switch(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    a = make(emulator, "alpha", events=True)
    b = make(emulator, "beta", events=False)
    doc = run_json(cli, opts, "events", "off", "alpha", "beta")
    assert [(r["id"], r["action"]) for r in doc["results"]] == [(a, "updated"), (b, "unchanged")]
    [patch] = wire.writes()
    assert (patch.method, patch.path) == ("PATCH", f"/elements/api-v2/instances/{a}")
    assert patch.body == {"configuration": {"event.notification.enabled": False}}
    with emulator.sync_client() as c:
        assert c.get(f"/instances/{a}").json()["eventsEnabled"] is False
    wire.sent.clear()
    doc = run_json(cli, opts, "events", "on", str(a), str(b))
    assert doc["summary"] == {"updated": 2}
    assert [s.body for s in wire.writes()] == [{"configuration": {"event.notification.enabled": True}}] * 2
    with emulator.sync_client() as c:
        assert all(c.get(f"/instances/{i}").json()["eventsEnabled"] is True for i in (a, b))


def test_events_shortcut_takes_options_before_the_instance(
    cli: Any, emulator: InProcessEmulator, opts: list[str]
) -> None:
    inst = make(emulator, "shop")
    old = record(emulator, inst, created="2026-01-01T10:00:00Z")
    new = record(emulator, inst)
    res = cli(*opts, "events", "--since", "2026-02-01", "shop", "-o", "id")
    assert res.exit_code == 0 and res.stdout.split() == [new] and old not in res.stdout
    res = cli(*opts, "events", "shwo", "x")  # a mistyped subcommand reads as an instance name: one usage line
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_events_of_triggered_deliveries_equal_the_emulators_records(
    cli: Any, emulator: InProcessEmulator, opts: list[str], callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    conf = {"event.notification.enabled": True, "event.vendor.type": "webhooks", "authentication.type": "basic"}
    body = {"element": {"key": "shopify"}, "name": "shop", "configuration": conf}
    body["configuration"]["event.notification.callback.url"] = receiver.url
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=body).json()["id"]
        trigger = f"{emulator.root_url}/_emulator/instances/{inst}/events"
        sent = c.post(trigger, json={"count": 45, "objectType": "orders"}).json()["batches"]
        sent += c.post(trigger, json={"count": 3, "objectType": "customers"}).json()["batches"]
    everything = run_json(cli, opts, "events", "list", "shop")["events"]
    assert everything == history(emulator, inst) and [e["eventId"] for e in everything] == [b["eventId"] for b in sent]
    assert all(e["status"] == "NOTIFIED" and len(e["attempts"]) == 1 for e in everything)
    customers = run_json(cli, opts, "events", "list", "shop", "--object-type", "customers")["events"]
    assert customers == everything[-1:] and receiver.hits == 4


def test_a_repeated_page_token_stops_the_listing(cli: Any) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/instances/7"):
            return httpx.Response(200, json={"id": 7, "name": "shop"})
        return httpx.Response(200, json=[{"eventId": "e"}], headers={"elements-next-page-token": "same"})

    cli.seams.transport = httpx.MockTransport(handler)
    base = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    res = cli(*base, "events", "7")
    assert res.exit_code == 6 and "repeated a page token" in res.stderr and len(calls) == 3


def test_ctrl_c_during_a_switch_reports_the_write_in_flight_as_unknown(
    cli: Any, emulator: InProcessEmulator, opts: list[str], wire: Recording
) -> None:
    a = make(emulator, "alpha")

    class Interrupting(Recording):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "DELETE":
                raise KeyboardInterrupt
            return await super().handle_async_request(request)

    cli.seams.transport = Interrupting(emulator.transport)
    res = cli(*opts, "disable", "alpha", "-o", "json")
    assert res.exit_code == 130 and "1 unknown" in res.stderr
    [result] = json.loads(res.stdout)["results"]
    assert (result["id"], result["action"]) == (a, "unknown")
