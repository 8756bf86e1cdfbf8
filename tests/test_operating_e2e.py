"""Issue 10, "How it is checked", end to end against the emulator as a subprocess: the rows each command shows
equal the emulator's own records (read from its API, not through the client), `status` exits 1 exactly when
something needs attention, a release delivers every queued event exactly once to `listen --dedupe`, and resent
events carry signatures that `verify` accepts (and a wrong key's that it refuses)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator_fixtures import EmulatorProcess
from tests.test_emulator_delivery import KEY, trigger, wait_until, webhook_body
from tests.test_events_cmds import event_lines
from tests.test_health_cmds import event_status, queued_via_api

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SIGNATURE = "elements-webhook-signature"
WEBHOOK_ID = "elements-webhook-id"


def cli_args(emu: EmulatorProcess) -> list[str]:
    return ["--base-url", emu.base_url, "--user-secret", emu.user_secret, "--org-secret", emu.org_secret]


def api(emu: EmulatorProcess) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, headers=emu.headers, timeout=10)


def history(c: httpx.Client, inst: int) -> list[dict[str, Any]]:
    """Every event record of the instance, as the emulator's own paging answers them."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"pageSize": 2}
    while True:
        response = c.get(f"/instances/{inst}/events", params=params)
        assert response.status_code == 200
        out += response.json()
        token = response.headers.get("elements-next-page-token")
        if not token:
            return out
        params["nextPage"] = token


def header(received: Any, name: str) -> str:
    return next(v for k, v in received.headers.items() if k.lower() == name)


def run_json(cli: Any, *args: str) -> dict[str, Any]:
    res = cli(*args, "-o", "json")
    assert res.exit_code == 0, res.stderr
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


# -- events list / show, switches ----------------------------------------------------------------------------
def test_events_and_switches_show_the_emulators_records(cli: Any, start_emulator: Any, callback_receiver: Any) -> None:
    emu = start_emulator()
    receiver = callback_receiver()
    args = cli_args(emu)
    with api(emu) as c:
        inst = c.post("/instances", json={**webhook_body(receiver.url), "name": "shop"}).json()
        trigger(c, emu.root_url, inst["id"], count=45, objectType="orders")  # three batches: three records
        records = history(c, inst["id"])
        assert len(records) == 3
        assert event_lines(cli, args, "events", "list", "shop") == records
        assert event_lines(cli, args, "events", "list", "shop", "--limit", "1") == records[-1:]
        table = cli(*args, "events", "shop")
        for record in records:
            [row] = [line for line in table.stdout.splitlines() if record["eventId"] in line]
            assert record["status"] in row and str(record["attempts"][-1]["statusCode"]) in row
        [shown] = event_lines(cli, args, "events", "show", records[1]["eventId"])
        assert shown == c.get(f"/instances/events/{records[1]['eventId']}").json()

        def live() -> dict[str, Any]:
            return dict(c.get(f"/instances/{inst['id']}").json())

        for command, field, value in (
            (["events", "off", "shop"], "eventsEnabled", False),
            (["events", "on", str(inst["id"])], "eventsEnabled", True),
            (["disable", "shop"], "disabled", True),
            (["enable", "shop"], "disabled", False),
        ):
            [result] = run_json(cli, *args, *command)["results"]
            assert (result["id"], result["action"]) == (inst["id"], "updated") and live()[field] is value
            [again] = run_json(cli, *args, *command)["results"]
            assert again["action"] == "unchanged" and live()[field] is value
        assert live()["configuration"]["event.notification.enabled"] == "true"


# -- status, deliveries, release to listen --dedupe -----------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Any]:
    """Start `cloudevents listen ARGS...` as a subprocess; each is killed at the end if still running."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        ready = tmp_path / f"listen-{len(started)}.url"
        cmd = [sys.executable, "-m", "cloudevents_cli", "listen", "-o", "json", "--ready-file", str(ready), *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        started.append(proc)
        assert wait_until(lambda: ready.exists() or proc.poll() is not None, timeout=20) and proc.poll() is None
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_status_is_1_exactly_while_deliveries_are_queued_and_release_delivers_each_once(
    cli: Any, start_emulator: Any, listener: Any
) -> None:
    emu = start_emulator("--failure-policy", "queue", "--flavour", "open-connectors", "--minute", "0.0001")
    args = cli_args(emu)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"  # nobody listens there yet: every delivery fails
    with api(emu) as c:
        inst = c.post("/instances", json={**webhook_body(url), "name": "shop"}).json()
        assert cli(*args, "status", "--all").exit_code == 0  # nothing needs attention yet
        first = trigger(c, emu.root_url, inst["id"]).json()["batches"][0]["eventId"]
        assert wait_until(lambda: event_status(c, first, "QUEUED"))  # five quick retries ran out
        trigger(c, emu.root_url, inst["id"], count=25)  # the subscription is inactive: queued at once
        queued = queued_via_api(c, url)
        assert len(queued) == 3
        status = cli(*args, "-o", "json", "status", "--all")
        assert status.exit_code == 1, status.stderr
        [row] = json.loads(status.stdout)["instances"]
        assert row["queued"] == len(queued) and row["last_event_status"] == history(c, inst["id"])[-1]["status"]
        assert row["attention"] == ["last delivery queued", "3 queued deliveries"]
        shown = run_json(cli, *args, "deliveries", "--callback-url", url)
        assert shown == {"schema_version": 1, "deliveries": queued, "released": 0}

        objects = sum(len(r["events"]) for r in history(c, inst["id"]))
        proc = listener("--port", str(port), "--signature-key", KEY, "--dedupe", "--max-events", str(objects))
        released = run_json(cli, *args, "deliveries", "--release", "--callback-url", url)
        assert released["released"] == 3
        out, err = proc.communicate(timeout=30)  # it stops by itself after --max-events
        assert proc.returncode == 0, err
        again = run_json(cli, *args, "deliveries", "--release", "--callback-url", url)
        after = cli(*args, "status", "--all")
        records = history(c, inst["id"])
    rows = [json.loads(line) for line in out.splitlines()]
    by_event = Counter(r["event_id"] for r in rows)
    assert set(by_event) == {d["eventId"] for d in queued}  # every queued event arrived...
    assert all(by_event[r["eventId"]] == len(r["events"]) for r in records)  # ...each once, all its objects
    assert "duplicate event" not in err and all(r["signature"] == "ok" for r in rows)
    assert all(r["status"] == "NOTIFIED" and r["attempts"][-1]["statusCode"] == 200 for r in records)
    assert [a["statusCode"] for a in records[0]["attempts"]].count(200) == 1  # one delivery per release
    assert again["released"] == 0
    assert after.exit_code == 0, after.stdout  # nothing needs attention any more


# -- resend -----------------------------------------------------------------------------------------------
def test_a_resent_event_verifies_with_verify_and_a_wrong_keys_does_not(
    cli: Any, start_emulator: Any, callback_receiver: Any, tmp_path: Path
) -> None:
    emu = start_emulator()
    receiver = callback_receiver()
    args = cli_args(emu)
    with api(emu) as c:
        inst = c.post("/instances", json={**webhook_body(receiver.url), "name": "shop"}).json()
        event_id = trigger(c, emu.root_url, inst["id"], count=2).json()["batches"][0]["eventId"]
        record = c.get(f"/instances/events/{event_id}").json()
    original = receiver.received[0]
    [notified] = record["eventElementInstances"]
    assert notified["notifiedData"].encode() == original.body  # the record holds the exact body sent

    res = cli(*args, "-v", "-o", "json", "events", "resend", event_id)  # the key: the instance's, from the platform
    assert res.exit_code == 0, res.stderr
    row = json.loads(res.stdout)["resent"]
    assert (row["url"], row["http_status"], row["signed"], row["instance_id"]) == (receiver.url, 200, True, inst["id"])
    resent = receiver.received[1]
    assert resent.body == original.body and header(resent, SIGNATURE) == header(original, SIGNATURE)
    assert header(resent, WEBHOOK_ID) == row["webhook_id"] != header(original, WEBHOOK_ID)
    assert KEY not in res.output

    body = tmp_path / "body.json"
    body.write_bytes(resent.body)
    good = cli("verify", "--signature", header(resent, SIGNATURE), "--signature-key", KEY, str(body))
    assert good.exit_code == 0, good.output

    wrong_key = "not-the-instance-key"
    res = cli(*args, "events", "resend", event_id, "--signature-key", wrong_key)
    assert res.exit_code == 0 and wrong_key not in res.output
    forged = receiver.received[2]
    refused = cli("verify", "--signature", header(forged, SIGNATURE), "--signature-key", KEY, str(body))
    assert refused.exit_code == 1 and "invalid" in refused.stdout
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(resent.body.replace(b'"events"', b'"Events"'))
    assert cli("verify", "--signature", header(resent, SIGNATURE), "--signature-key", KEY, str(tampered)).exit_code == 1


def test_resend_to_a_local_listen_signed_with_the_definitions_key(
    cli: Any, start_emulator: Any, callback_receiver: Any, listener: Any, tmp_path: Path
) -> None:
    emu = start_emulator()
    receiver = callback_receiver()
    with api(emu) as c:
        body = webhook_body(receiver.url, key=None)  # the platform holds no key: only the definition knows it
        inst = c.post("/instances", json={**body, "name": "shop"}).json()
        event_id = trigger(c, emu.root_url, inst["id"]).json()["batches"][0]["eventId"]
    definition = tmp_path / "shop.yaml"
    definition.write_text(
        "name: shop\nelement: shopify\nconfiguration: {}\nevents:\n  type: webhooks\n"
        "  callback_url: https://hooks.example.com/shop\n  signature_key: ${env:SHOP_KEY}\n"
    )
    proc = listener("--port", "0", "--signature-key", KEY, "--max-events", "1")
    ready = Path(proc.args[proc.args.index("--ready-file") + 1]).read_text().strip()
    env = {"SHOP_KEY": KEY, "CE_SIGNATURE_KEY": "a-stale-key-from-the-env"}  # -f beats the environment
    res = cli(*cli_args(emu), "-o", "json", "events", "resend", event_id, "--to", ready, "-f", str(definition), env=env)
    assert res.exit_code == 0, res.stderr
    out, _ = proc.communicate(timeout=20)
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["event_id"], row["signature"]) == (event_id, "ok")
    assert row["webhook_id"] == json.loads(res.stdout)["resent"]["webhook_id"]
    assert KEY not in res.output and "a-stale-key" not in res.output
    assert len(receiver.received) == 1  # the callback URL got only the original delivery


def test_resend_exit_codes_destination_refusing_unreachable_unsigned(
    cli: Any, start_emulator: Any, callback_receiver: Any
) -> None:
    emu = start_emulator()
    args = cli_args(emu)
    receiver = callback_receiver()
    with api(emu) as c:
        inst = c.post("/instances", json={**webhook_body(receiver.url, key=None), "name": "shop"}).json()
        event_id = trigger(c, emu.root_url, inst["id"]).json()["batches"][0]["eventId"]
    receiver.always_fail = True  # the callback now answers 500
    refused = cli(*args, "-o", "json", "events", "resend", event_id)
    assert refused.exit_code == 1 and json.loads(refused.stdout)["resent"]["http_status"] == 500
    assert f"{receiver.url} answered HTTP 500" in refused.stderr
    assert "sent unsigned" in refused.stderr  # the instance has no key: unsigned, as the platform sends it
    assert SIGNATURE not in {k.lower() for k in receiver.received[0].headers}
    dead = f"http://127.0.0.1:{free_port()}/"
    gone = cli(*args, "-o", "json", "events", "resend", event_id, "--to", dead)
    assert gone.exit_code == 6 and json.loads(gone.stdout)["resent"]["http_status"] is None
    assert gone.stderr.count("error:") == 1 and "Traceback" not in gone.output
    missing = cli(*args, "events", "resend", "no-such-event")
    assert missing.exit_code == 4 and "no event with id 'no-such-event'" in missing.stderr
    bad = cli(*args, "events", "resend", event_id, "--to", "ftp://127.0.0.1/x")
    assert bad.exit_code == 2 and "--to 'ftp://127.0.0.1/x' is not an http:// or https:// URL" in bad.stderr
    assert receiver.hits == 2  # the original and the refused resend: nothing else reached it


def test_events_json_lines_arrive_page_by_page(cli: Any) -> None:
    """The first page's events are printed before the second page is asked for (here: it fails)."""
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/instances/7"):
            return httpx.Response(200, json={"id": 7, "name": "shop"})
        pages.append(request.url.params.get("nextPage", ""))
        if len(pages) == 1:
            return httpx.Response(
                200, json=[{"eventId": "e1"}, {"eventId": "e2"}], headers={"elements-next-page-token": "p2"}
            )
        return httpx.Response(200, json={"not": "a list"})

    cli.seams.transport = httpx.MockTransport(handler)
    base = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    res = cli(*base, "events", "7", "-o", "json")
    assert res.exit_code == 6 and "expected a list of events" in res.stderr
    assert [json.loads(line)["eventId"] for line in res.stdout.splitlines()] == ["e1", "e2"]
    assert pages == ["", "p2"]
    pages.clear()
    ids = cli(*base, "events", "7", "-o", "id")
    assert ids.exit_code == 6 and ids.stdout.split() == ["e1", "e2"]
    pages.clear()
    table = cli(*base, "events", "7")  # the default table streams too: a header, then a line per event
    assert table.exit_code == 6 and [line.split()[0] for line in table.stdout.splitlines()] == ["event", "e1", "e2"]


def test_events_table_lines_show_control_characters_escaped(cli: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/instances/7"):
            return httpx.Response(200, json={"id": 7, "name": "shop"})
        events = [{"objectType": "orders\x1b[2J", "objectId": "1"}]
        return httpx.Response(200, json=[{"eventId": "e1\x1b]0;owned\x07", "status": "NOTIFIED", "events": events}])

    cli.seams.transport = httpx.MockTransport(handler)
    base = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    res = cli(*base, "events", "7")
    assert res.exit_code == 0 and "\x1b" not in res.stdout and "\x07" not in res.stdout
    assert "e1\\x1b]0;owned\\x07" in res.stdout and "orders\\x1b[2J/1" in res.stdout


def test_a_masked_signature_key_needs_the_key_and_nothing_is_sent(cli: Any, callback_receiver: Any) -> None:
    receiver = callback_receiver()
    body = json.dumps({"message": {"eventId": "e1", "instanceId": 7, "events": []}})
    record = {
        "id": "e1",
        "status": "NOTIFIED",
        "eventElementInstances": [{"elementInstanceId": 7, "notifiedData": body}],
    }
    conf = {"event.notification.signature.key": "********", "event.notification.callback.url": receiver.url}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/instances/events/e1"):
            return httpx.Response(200, json=record)
        return httpx.Response(200, json={"id": 7, "name": "shop", "configuration": conf})

    cli.seams.transport = httpx.MockTransport(handler)
    base = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    res = cli(*base, "events", "resend", "e1")
    assert res.exit_code == 2 and "signature key masked" in res.stderr and receiver.hits == 0
    res = cli(*base, "-o", "json", "events", "resend", "e1", "--signature-key", KEY)
    assert res.exit_code == 0, res.stderr
    [got] = receiver.received
    assert got.body == body.encode() and header(got, SIGNATURE).startswith("sha256=")
    clash = cli(*base, "events", "resend", "e1", "--signature-key", KEY, "-f", "x.yaml")
    assert clash.exit_code == 2 and "one way" in clash.stderr and receiver.hits == 1


def test_resend_sends_nothing_for_an_invalid_definition(cli: Any, tmp_path: Path) -> None:
    sent: list[httpx.Request] = []
    cli.seams.transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    base = ["--base-url", "http://127.0.0.1:9/elements/api-v2", "--user-secret", "u-1", "--org-secret", "o-1"]
    (tmp_path / "bad.yaml").write_text("name: x\nelement: shopify\nevents:\n  signature_key: ${env:NOPE_NOT_SET}\n")
    res = cli(*base, "events", "resend", "e1", "-f", str(tmp_path / "bad.yaml"))
    assert res.exit_code == 3 and "NOPE_NOT_SET" in res.stderr and sent == []
