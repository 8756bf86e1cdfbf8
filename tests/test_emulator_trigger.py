"""`cloudevents trigger` against a real emulator subprocess, and against something that is not one."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from tests.emulator_fixtures import CallbackReceiver, EmulatorProcess

pytestmark = pytest.mark.slow


def create(handle: EmulatorProcess, name: str, url: str, **conf: Any) -> int:
    body = {
        "element": {"key": "shopify"},
        "name": name,
        "configuration": {
            "event.notification.enabled": True,
            "event.vendor.type": "webhooks",
            "event.notification.callback.url": url,
            "authentication.type": "basic",
            **conf,
        },
    }
    with httpx.Client(base_url=handle.base_url, headers=handle.headers) as c:
        response = c.post("/instances", json=body)
        assert response.status_code == 200, response.text
        return int(response.json()["id"])


def run(cli: Any, handle: EmulatorProcess, *args: str, base_url: str | None = None) -> Any:
    return cli(
        "--base-url",
        base_url or handle.base_url,
        "--user-secret",
        handle.user_secret,
        "--org-secret",
        handle.org_secret,
        "trigger",
        *args,
    )


@pytest.fixture
def setup(emulator_server: EmulatorProcess, callback_receiver: Any) -> tuple[EmulatorProcess, CallbackReceiver, int]:
    receiver: CallbackReceiver = callback_receiver()
    inst_id = create(emulator_server, "shop-a", receiver.url)
    return emulator_server, receiver, inst_id


def test_trigger_by_id_shows_the_batches(cli: Any, setup: Any) -> None:
    handle, receiver, inst_id = setup
    result = run(cli, handle, str(inst_id), "--count", "3")
    assert result.exit_code == 0, result.output
    assert "delivered" in result.stdout
    assert receiver.wait_for(1)
    events = json.loads(receiver.received[0].body)["message"]["events"]
    assert len(events) == 3 and events[0]["eventType"] == "CREATED"


def test_trigger_json_output(cli: Any, setup: Any) -> None:
    handle, receiver, inst_id = setup
    result = run(
        cli, handle, str(inst_id), "--count", "25", "--object-type", "orders", "--event-type", "deleted", "-o", "json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1
    assert doc["instanceId"] == inst_id and doc["method"] == "webhooks"
    assert [b["count"] for b in doc["batches"]] == [20, 5]
    assert receiver.wait_for(2)
    events = json.loads(receiver.received[0].body)["message"]["events"]
    assert {(e["objectType"], e["eventType"]) for e in events} == {("orders", "DELETED")}


def test_trigger_by_name_and_ambiguous_or_unknown_names(cli: Any, setup: Any) -> None:
    handle, receiver, _ = setup
    assert run(cli, handle, "shop-a").exit_code == 0
    assert receiver.wait_for(1)
    assert run(cli, handle, "shop").exit_code == 4  # a substring is not a name
    create(handle, "shop-a", receiver.url)
    result = run(cli, handle, "shop-a")
    assert result.exit_code == 4
    assert "ids 1, 2" in result.stderr


def test_trigger_a_disabled_instance_fails_clearly(cli: Any, setup: Any) -> None:
    handle, _, inst_id = setup
    with httpx.Client(base_url=handle.base_url, headers=handle.headers) as c:
        c.delete(f"/instances/{inst_id}/enabled")
    result = run(cli, handle, str(inst_id))
    assert result.exit_code == 4
    assert "disabled" in result.stderr


@pytest.mark.parametrize("ref", ["somename", "1"])
def test_trigger_with_wrong_secrets_is_an_auth_failure(cli: Any, setup: Any, ref: str) -> None:
    handle, receiver, _ = setup
    result = cli("--base-url", handle.base_url, "--user-secret", "nope", "--org-secret", "nope", "trigger", ref)
    assert result.exit_code == 5
    assert receiver.hits == 0


def test_trigger_an_unknown_id(cli: Any, setup: Any) -> None:
    handle, _, _ = setup
    result = run(cli, handle, "4242")
    assert result.exit_code == 4
    assert "4242" in result.stderr


def test_trigger_against_something_that_is_not_the_emulator(
    cli: Any, emulator_server: EmulatorProcess, callback_receiver: Any
) -> None:
    other: CallbackReceiver = callback_receiver()
    base = other.url.rsplit("/", 1)[0] + "/elements/api-v2"
    result = run(cli, emulator_server, "1", base_url=base)
    assert result.exit_code == 2
    assert "is not a cloudevents emulator; trigger only works against the emulator" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_trigger_against_nothing_is_unreachable(cli: Any, emulator_server: EmulatorProcess) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(cli, emulator_server, "1", base_url=f"http://127.0.0.1:{port}")
    assert result.exit_code == 6


# -- --wait: until the deliveries finish ------------------------------------------------------------------------
def test_trigger_wait_exits_0_when_every_delivery_is_notified(cli: Any, setup: Any) -> None:
    handle, receiver, inst_id = setup
    result = run(cli, handle, str(inst_id), "--count", "25", "--wait", "--wait-timeout", "20", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert len(doc["waited"]) == 2 and set(doc["waited"].values()) == {"NOTIFIED"}
    assert set(doc["waited"]) == {b["eventId"] for b in doc["batches"]}
    assert "2 of 2 deliveries NOTIFIED" in result.stderr
    with httpx.Client(base_url=handle.base_url, headers=handle.headers) as c:  # what the emulator recorded
        history = c.get(f"/instances/{inst_id}/events").json()
    assert {r["eventId"]: r["status"] for r in history} == doc["waited"]
    assert len(receiver.received) == 2  # both batches reached the receiver before --wait returned


def test_trigger_wait_exits_6_while_a_failing_receiver_is_still_retried(
    cli: Any, emulator_server: EmulatorProcess, callback_receiver: Any
) -> None:
    receiver = callback_receiver(always_fail=True)
    inst_id = create(emulator_server, "shop-failing", receiver.url)
    result = run(cli, emulator_server, str(inst_id), "--wait", "--wait-timeout", "1")
    assert result.exit_code == 6, result.output
    assert "RETRYING at the --wait-timeout" in result.stderr or "PENDING at the --wait-timeout" in result.stderr
    assert "0 of 1 deliveries NOTIFIED" in result.stderr
    assert receiver.hits >= 1


def test_trigger_wait_exits_1_when_retries_run_out(cli: Any, start_emulator: Any, callback_receiver: Any) -> None:
    handle = start_emulator("--minute", "0.001", "--flavour", "open-connectors")
    receiver = callback_receiver(always_fail=True)
    inst_id = create(handle, "shop-failed", receiver.url)
    result = run(cli, handle, str(inst_id), "--wait", "--wait-timeout", "30")
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.stderr and "at the --wait-timeout" not in result.stderr
    assert receiver.hits == 6  # the first attempt and 5 retries


def test_trigger_wait_timeout_must_be_positive(cli: Any, setup: Any) -> None:
    handle, _, inst_id = setup
    result = run(cli, handle, str(inst_id), "--wait", "--wait-timeout", "0")
    assert result.exit_code == 2
