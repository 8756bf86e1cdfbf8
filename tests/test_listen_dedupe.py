"""`listen --dedupe`: each eventId handled once; a repeated Elements-Webhook-Id is flagged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cloudevents_cli.events.receiver import create_receiver
from tests.test_listen import KEY, Listen, Recorder, an_event, exchange, listen, signed_headers

__all__ = ["listen"]  # the fixture, imported for the subprocess test


def body_with(event_id: str, *object_ids: str) -> bytes:
    events = [an_event(object_id) for object_id in object_ids]
    return json.dumps({"message": {"eventId": event_id, "instanceId": 42, "events": events}}).encode()


def post(body: bytes, webhook_id: str, key: str = KEY) -> tuple[str, str, dict[str, Any]]:
    return ("POST", "/", {"content": body, "headers": signed_headers(body, key=key, webhook_id=webhook_id)})


def test_a_repeated_event_id_gets_200_but_is_not_forwarded_or_counted() -> None:
    seen, target = Recorder(), Recorder()
    client = httpx.AsyncClient(transport=httpx.MockTransport(target.handler))
    app = create_receiver(
        signature_key=KEY, on_event=seen, dedupe=True, forward_to="http://target/", client=client, max_events=3
    )
    first, again, other = body_with("ev-1", "A"), body_with("ev-1", "A-again"), body_with("ev-2", "B")
    answers = exchange(app, post(first, "wh-1"), post(again, "wh-2"), post(first, "wh-1"), post(other, "wh-3"))
    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert [a.json() for a in answers[1:3]] == [{"received": True, "duplicate": True}] * 2
    assert [(d.event_id, d.duplicate, d.webhook_id_repeated) for d in seen.deliveries] == [
        ("ev-1", False, False),
        ("ev-1", True, False),
        ("ev-1", True, True),
        ("ev-2", False, False),
    ]
    assert [r.content for r in target.requests] == [first, other]  # duplicates are not forwarded
    assert app.accepted_events == 2  # nor counted towards --max-events
    assert app.accepting


def test_a_forged_callback_does_not_mark_an_event_id_as_seen() -> None:
    seen = Recorder()
    body = body_with("ev-1", "A")
    answers = exchange(
        create_receiver(signature_key=KEY, on_event=seen, dedupe=True),
        post(body, "wh-1", key="forged"),
        post(body, "wh-1"),
        post(body, "wh-1"),
    )
    assert [a.status_code for a in answers] == [401, 200, 200]
    assert [(d.duplicate, d.webhook_id_repeated) for d in seen.deliveries] == [
        (False, False),
        (False, False),
        (True, True),
    ]


def test_without_dedupe_repeats_are_shown_and_the_webhook_id_flagged() -> None:
    seen = Recorder()
    body = body_with("ev-1", "A")
    answers = exchange(create_receiver(on_event=seen), post(body, "wh-1"), post(body, "wh-1"))
    assert [a.json() for a in answers] == [{"received": True}] * 2
    assert [d.duplicate for d in seen.deliveries] == [False, False]
    assert [r["webhook_id_repeated"] for d in seen.deliveries for r in d.rows()] == [False, True]


def test_memory_is_bounded_oldest_forgotten_first() -> None:
    seen = Recorder()
    bodies = [body_with(f"ev-{n}", str(n)) for n in range(3)]
    exchange(
        create_receiver(on_event=seen, dedupe=True, memory=2),
        *(post(b, f"wh-{n}") for n, b in enumerate(bodies)),
        post(bodies[2], "wh-x"),  # still remembered
        post(bodies[0], "wh-y"),  # forgotten: handled again
    )
    assert [d.duplicate for d in seen.deliveries] == [False, False, False, True, False]
    assert seen.deliveries[4].event_id == "ev-0"


@pytest.mark.slow
def test_listen_dedupe_shows_each_event_id_once(listen: Callable[..., Listen]) -> None:
    server = listen("listen", "-o", "json", "--signature-key", KEY, "--dedupe", "--max-events", "2")
    one, two = body_with("ev-1", "A"), body_with("ev-2", "B")
    first = server.post(one, signed_headers(one, webhook_id="wh-1"))
    again = server.post(one, signed_headers(one, webhook_id="wh-1"))  # the platform retrying the same delivery
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"received": True, "duplicate": True}
    assert server.proc.poll() is None  # the duplicate did not count towards --max-events
    assert server.post(two, signed_headers(two, webhook_id="wh-1")).status_code == 200  # new event, old webhook id
    code, out, err = server.finish()
    assert code == 0, err
    rows = server.lines(out)
    assert [(r["event_id"], r["object_id"], r["webhook_id_repeated"]) for r in rows] == [
        ("ev-1", "A", False),
        ("ev-2", "B", True),
    ]
    assert err.count("duplicate event ev-1: answered 200, not shown again") == 1
    assert err.count("webhook id wh-1 was seen before") == 2
    assert "2 events received (2 verified, 0 rejected); 1 duplicates ignored" in err
    assert KEY not in out + err
