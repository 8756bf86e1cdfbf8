"""The callback receiver in-process (httpx.ASGITransport) and `cloudevents listen` as a real subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudevents_cli.events.parse import event_rows
from cloudevents_cli.events.receiver import Delivery, create_receiver, forwarded_headers
from cloudevents_cli.events.signature import sign

ROOT = Path(__file__).resolve().parent.parent
KEY = "listen-test-signature-key-0123"


def callback_body(*events: dict[str, Any], instance_id: int = 42, element: str = "sfdc") -> bytes:
    message: dict[str, Any] = {
        "eventId": "ev-1",
        "instanceId": instance_id,
        "elementKey": element,
        "events": list(events),
        "raw": {"vendor": "payload"},
    }
    return json.dumps({"message": message}).encode()


def an_event(object_id: str = "003A", event_type: str = "CREATED", object_type: str = "Contact") -> dict[str, Any]:
    return {
        "objectId": object_id,
        "objectType": object_type,
        "eventType": event_type,
        "elementKey": "sfdc",
        "date": "2026-11-28T13:00:00Z",
    }


def signed_headers(body: bytes, key: str = KEY, webhook_id: str = "wh-1") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Elements-Webhook-Signature": sign(key, body),
        "Elements-Webhook-Id": webhook_id,
    }


# -- parsing bodies ----------------------------------------------------------------------------------------
def test_rows_one_per_event() -> None:
    rows = event_rows(json.loads(callback_body(an_event("1"), an_event("2", "UPDATED", "Account"))))
    assert [r["object_id"] for r in rows] == ["1", "2"]
    assert rows[1] == {
        "event_id": "ev-1",
        "instance_id": 42,
        "element_key": "sfdc",
        "object_type": "Account",
        "object_id": "2",
        "event_type": "UPDATED",
        "date": "2026-11-28T13:00:00Z",
    }


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        [1, 2],
        "text",
        12,
        {},
        {"message": None},
        {"message": {"events": "nope"}},
        {"message": {"events": []}},
    ],
)
def test_rows_tolerate_odd_bodies(body: Any) -> None:
    rows = event_rows(body)
    assert len(rows) == 1
    assert set(rows[0]) == {
        "event_id",
        "instance_id",
        "element_key",
        "object_type",
        "object_id",
        "event_type",
        "date",
    }


def test_rows_with_what_is_known() -> None:
    rows = event_rows({"message": {"instance_id": 7, "elementKey": "hubspot", "objectType": "contacts"}})
    assert rows == [
        {
            "event_id": None,
            "instance_id": 7,
            "element_key": "hubspot",
            "object_type": "contacts",
            "object_id": None,
            "event_type": None,
            "date": None,
        }
    ]
    # a bare message without the envelope, an event without fields, a non-scalar id, a non-dict event
    rows = event_rows({"instanceId": 9, "events": [{}, {"objectId": {"a": 1}, "date": 1700000000000}, "x"]})
    assert [r["instance_id"] for r in rows] == [9, 9]
    assert rows[1]["object_id"] == '{"a":1}'
    assert rows[1]["date"] == 1700000000000


def test_forwarded_headers_keep_content_type_and_elements() -> None:
    kept = forwarded_headers(
        {
            "Content-Type": "application/json",
            "Elements-Webhook-Id": "1",
            "elements-extra": "x",
            "Host": "h",
            "X-A": "1",
        }.items()
    )
    assert kept == {"Content-Type": "application/json", "Elements-Webhook-Id": "1", "elements-extra": "x"}


# -- the receiver in-process -------------------------------------------------------------------------------
class Recorder:
    """Collects deliveries; as an httpx MockTransport handler, records forwarded requests."""

    def __init__(self, status: int = 202, fail: bool = False) -> None:
        self.deliveries: list[Delivery] = []
        self.requests: list[httpx.Request] = []
        self.status = status
        self.fail = fail

    def __call__(self, delivery: Delivery) -> None:
        self.deliveries.append(delivery)

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.fail:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        return httpx.Response(self.status, json={"ok": True})


def exchange(app: Any, *requests: tuple[str, str, dict[str, Any]]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            answers = [await client.request(method, url, **kw) for method, url, kw in requests]
        await app.aclose()
        return answers

    return asyncio.run(go())


def test_valid_signature_is_accepted() -> None:
    seen = Recorder()
    body = callback_body(an_event("1"), an_event("2"))
    (answer,) = exchange(
        create_receiver(signature_key=KEY, on_event=seen),
        ("POST", "/", {"content": body, "headers": signed_headers(body)}),
    )
    assert answer.status_code == 200
    assert answer.json() == {"received": True}
    (delivery,) = seen.deliveries
    rows = delivery.rows()
    assert len(rows) == 2
    assert rows[0]["signature"] == "ok"
    assert rows[0]["webhook_id"] == "wh-1"
    assert rows[0]["http_status"] == 200
    assert rows[0]["instance_id"] == 42
    assert rows[0]["error"] is None
    assert rows[0]["forward_status"] is None


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, "missing"),
        ("", "missing"),
        (sign("wrong key", b"x"), "invalid"),
        ("sha256=not-base64", "invalid"),
        ("jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ=", "invalid"),
    ],
)
def test_bad_signatures_get_401(header: str | None, status: str) -> None:
    seen = Recorder()
    body = callback_body(an_event())
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Elements-Webhook-Signature"] = header
    (answer,) = exchange(
        create_receiver(signature_key=KEY, on_event=seen),
        ("POST", "/", {"content": body, "headers": headers}),
    )
    assert answer.status_code == 401
    assert answer.json()["received"] is False
    (delivery,) = seen.deliveries
    (row,) = delivery.rows()
    assert row["signature"] == status
    assert row["http_status"] == 401
    assert row["object_id"] == "003A"  # what the body claims is still shown
    assert row["error"]
    assert KEY not in json.dumps(row) + answer.text


def test_signature_is_checked_against_the_raw_bytes() -> None:
    seen = Recorder()
    body = callback_body(an_event())
    reformatted = json.dumps(json.loads(body), indent=2).encode()  # same JSON, other bytes
    (answer,) = exchange(
        create_receiver(signature_key=KEY, on_event=seen),
        ("POST", "/", {"content": reformatted, "headers": signed_headers(body)}),
    )
    assert answer.status_code == 401
    assert seen.deliveries[0].signature == "invalid"


def test_without_a_key_events_are_unsigned() -> None:
    seen = Recorder()
    body = callback_body(an_event())
    (answer,) = exchange(create_receiver(on_event=seen), ("POST", "/", {"content": body}))
    assert answer.status_code == 200
    assert seen.deliveries[0].rows()[0]["signature"] == "unsigned"


def test_body_not_json_gets_400() -> None:
    seen = Recorder()
    body = b"this is not json"
    (answer,) = exchange(
        create_receiver(signature_key=KEY, on_event=seen),
        ("POST", "/", {"content": body, "headers": signed_headers(body)}),
    )
    assert answer.status_code == 400
    (row,) = seen.deliveries[0].rows()
    assert row["signature"] == "ok"
    assert row["http_status"] == 400
    assert "not JSON" in row["error"]


def test_body_too_large_gets_413() -> None:
    seen = Recorder()
    big = b"x" * 2000

    async def chunks() -> Any:  # no Content-Length: the cap applies while reading
        for _ in range(20):
            yield b"y" * 100

    app = create_receiver(on_event=seen, max_body=1000)
    answers = exchange(
        app,
        ("POST", "/", {"content": big}),
        ("POST", "/", {"content": chunks()}),
        ("POST", "/", {"content": b"z" * 1000}),  # exactly the limit is fine
    )
    assert [a.status_code for a in answers] == [413, 413, 400]
    assert [d.rows() for d in seen.deliveries[:2]] == [[], []]
    assert "too large" in (seen.deliveries[0].error or "")


def test_only_post_on_the_path() -> None:
    seen = Recorder()
    answers = exchange(
        create_receiver(path="/hook", on_event=seen),
        ("GET", "/hook", {}),
        ("PUT", "/hook", {"content": b"{}"}),
        ("POST", "/", {"content": b"{}"}),
        ("POST", "/other", {"content": b"{}"}),
        ("POST", "/hook", {"content": b"{}"}),
    )
    assert [a.status_code for a in answers] == [405, 405, 404, 404, 200]
    assert answers[0].headers["allow"] == "POST"
    assert (answers[0].text, answers[2].text) == ("Method Not Allowed", "Not Found")
    assert len(seen.deliveries) == 1


def test_the_lifespan_closes_the_forward_client() -> None:
    app = create_receiver(forward_to="http://app.local/in")
    client = app.client()
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert client.is_closed


def test_forward_relays_the_raw_callback() -> None:
    seen = Recorder(status=202)
    client = httpx.AsyncClient(transport=httpx.MockTransport(seen.handler))
    body = callback_body(an_event())
    headers = {**signed_headers(body), "X-Other": "dropped", "Elements-Extra": "kept"}
    app = create_receiver(signature_key=KEY, forward_to="http://app.local/in", on_event=seen, client=client)
    bad = {**headers, "Elements-Webhook-Signature": sign("nope", body)}
    answers = exchange(
        app,
        ("POST", "/", {"content": body, "headers": headers}),
        ("POST", "/", {"content": body, "headers": bad}),
    )
    assert [a.status_code for a in answers] == [200, 401]
    (sent,) = seen.requests  # the rejected one is not forwarded
    assert sent.url == "http://app.local/in"
    assert sent.content == body
    assert sent.headers["Elements-Webhook-Signature"] == headers["Elements-Webhook-Signature"]
    assert sent.headers["Elements-Webhook-Id"] == "wh-1"
    assert sent.headers["Elements-Extra"] == "kept"
    assert sent.headers["Content-Type"] == "application/json"
    assert "X-Other" not in sent.headers
    assert seen.deliveries[0].rows()[0]["forward_status"] == 202
    assert seen.deliveries[1].rows()[0]["forward_status"] is None


def test_forward_failure_is_recorded_and_the_sender_still_gets_200() -> None:
    seen = Recorder(fail=True)
    client = httpx.AsyncClient(transport=httpx.MockTransport(seen.handler))
    body = callback_body(an_event())
    app = create_receiver(forward_to="http://app.local/in", on_event=seen, client=client)
    (answer,) = exchange(app, ("POST", "/", {"content": body}))
    assert answer.status_code == 200
    row = seen.deliveries[0].rows()[0]
    assert row["forward_status"] is None
    assert "ConnectError" in row["forward_error"]


def test_receiver_repr_hides_the_key() -> None:
    app = create_receiver(signature_key=KEY)
    assert KEY not in repr(app)


# -- `cloudevents listen` as a real subprocess -------------------------------------------------------------
class Listen:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(self.url, content=body, headers=headers or {}, timeout=10)

    def finish(self, timeout: float = 15) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def lines(self, out: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def listen(tmp_path: Path) -> Iterator[Callable[..., Listen]]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> Listen:
        ready = tmp_path / f"ready-{len(started)}"
        cmd = [sys.executable, "-m", "cloudevents_cli", *args]
        proc = subprocess.Popen(
            [*cmd, "--port", "0", "--ready-file", str(ready)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(proc)
        deadline = time.monotonic() + 20
        while not ready.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _, err = proc.communicate()
                raise AssertionError(f"listen did not start: {err}")
            time.sleep(0.02)
        return Listen(proc, ready.read_text().strip())

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.slow
def test_listen_json_lines(listen: Callable[..., Listen]) -> None:
    server = listen("listen", "-o", "json", "--signature-key", KEY, "--max-events", "2", "--max-body", "100000")
    assert server.url.startswith("http://127.0.0.1:")
    good = callback_body(an_event("1"), an_event("2", "DELETED"))
    assert server.post(b"x" * 200_000, signed_headers(b"x")).status_code == 413
    one = callback_body(an_event("1"))
    assert server.post(one, signed_headers(one, key="not the key")).status_code == 401
    assert server.post(one, {"Content-Type": "application/json"}).status_code == 401
    assert server.post(b"<xml/>", signed_headers(b"<xml/>")).status_code == 400
    assert server.proc.poll() is None  # rejected callbacks do not count towards --max-events
    assert server.post(good, signed_headers(good, webhook_id="wh-good")).status_code == 200
    code, out, err = server.finish()
    assert code == 0, err
    rows = server.lines(out)
    assert [(r["signature"], r["http_status"], r["object_id"]) for r in rows] == [
        ("invalid", 401, "1"),
        ("missing", 401, "1"),
        ("ok", 400, None),
        ("ok", 200, "1"),
        ("ok", 200, "2"),
    ]
    first = rows[3]
    assert first["schema_version"] == 1
    assert first["webhook_id"] == "wh-good"
    assert first["instance_id"] == 42
    assert first["element_key"] == "sfdc"
    assert first["object_type"] == "Contact"
    assert first["event_type"] == "CREATED"
    assert first["date"] == "2026-11-28T13:00:00Z"
    assert first["event_id"] == "ev-1"
    assert rows[4]["event_type"] == "DELETED"
    assert "listening on http://127.0.0.1:" in err
    assert err.count("rejected callback") == 4  # 413, invalid, missing, not JSON
    assert "5 events received (3 verified, 3 rejected); 1 callbacks refused" in err
    assert KEY not in out + err


@pytest.mark.slow
def test_listen_table_and_sigterm(listen: Callable[..., Listen]) -> None:
    server = listen("--color", "never", "listen", "--signature-key", KEY, "--path", "/hook")
    assert server.url.endswith("/hook")
    body = callback_body(an_event("003XYZ"))
    assert server.post(body, signed_headers(body)).status_code == 200
    assert httpx.get(server.url, timeout=5).status_code == 405
    time.sleep(0.2)
    server.proc.send_signal(signal.SIGTERM)
    code, out, err = server.finish()
    assert code == 0, err
    header, line = out.splitlines()
    assert header.split()[:3] == ["TIME", "SIGNATURE", "EVENT"]
    assert "003XYZ" in line
    assert line.split()[1:3] == ["ok", "CREATED"]
    assert "2026-11-28T13:00:00Z" in line and "DATE" in header
    assert "1 event received (1 verified, 0 rejected)" in err
    assert KEY not in out + err


@pytest.mark.slow
def test_listen_ctrl_c_exits_130(listen: Callable[..., Listen]) -> None:
    server = listen("listen", "-o", "json")
    body = callback_body(an_event())
    assert server.post(body).status_code == 200
    time.sleep(0.2)
    server.proc.send_signal(signal.SIGINT)
    code, out, err = server.finish()
    assert code == 130, err
    assert len(server.lines(out)) == 1
    assert server.lines(out)[0]["signature"] == "unsigned"
    assert "1 event received (0 rejected, signatures not checked)" in err


class TargetApp:
    """A user's app on a real port: records what it is sent, answers 202."""

    def __init__(self) -> None:
        import uvicorn
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        self.received: list[tuple[bytes, dict[str, str]]] = []

        async def hook(request: Request) -> PlainTextResponse:
            self.received.append((await request.body(), dict(request.headers)))
            return PlainTextResponse("thanks", status_code=202)

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/in"
        config = uvicorn.Config(Starlette(routes=[Route("/in", hook, methods=["POST"])]), log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])))

    def __enter__(self) -> TargetApp:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "target app did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.mark.slow
def test_listen_forward_to(listen: Callable[..., Listen]) -> None:
    with TargetApp() as target:
        server = listen("listen", "-o", "json", "--signature-key", KEY, "--forward-to", target.url, "--max-events", "1")
        body = callback_body(an_event())
        headers = signed_headers(body, webhook_id="wh-fwd")
        assert server.post(body, signed_headers(body, key="forged")).status_code == 401
        assert server.post(body, headers).status_code == 200
        code, out, err = server.finish()
    assert code == 0, err
    rows = server.lines(out)
    assert [(r["signature"], r["forward_status"]) for r in rows] == [("invalid", None), ("ok", 202)]
    (received,) = target.received
    sent_body, sent_headers = received
    assert sent_body == body
    assert sent_headers["elements-webhook-signature"] == headers["Elements-Webhook-Signature"]
    assert sent_headers["elements-webhook-id"] == "wh-fwd"
    assert sent_headers["content-type"] == "application/json"
    assert KEY not in out + err


@pytest.mark.slow
def test_listen_forward_error(listen: Callable[..., Listen]) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    port = dead.getsockname()[1]
    try:
        server = listen("listen", "-o", "json", "--forward-to", f"http://127.0.0.1:{port}/", "--max-events", "1")
        body = callback_body(an_event())
        assert server.post(body).status_code == 200
        code, out, err = server.finish()
    finally:
        dead.close()
    assert code == 0, err
    (row,) = server.lines(out)
    assert row["forward_status"] is None
    assert row["forward_error"]
    assert "forward failed" in err


def test_listen_port_in_use_exits_3(cli: Any) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        result = cli("listen", "--port", str(busy.getsockname()[1]))
    finally:
        busy.close()
    assert result.exit_code == 3, result.output
    assert "cannot listen" in result.stderr


def test_listen_rejects_a_bad_forward_url(cli: Any) -> None:
    result = cli("listen", "--port", "0", "--forward-to", "ftp://x")
    assert result.exit_code == 2


# -- --max-events counts accepted events only; 503 after the stop ------------------------------------------
def test_only_accepted_events_count_and_later_callbacks_get_503() -> None:
    seen = Recorder()
    stops: list[bool] = []
    app = create_receiver(signature_key=KEY, on_event=seen, max_events=2, on_stop=lambda: stops.append(True))
    one, two = callback_body(an_event("1")), callback_body(an_event("2"), an_event("3"))
    forged = signed_headers(one, key="forged")
    answers = exchange(
        app,
        ("POST", "/", {"content": one, "headers": forged}),
        ("POST", "/", {"content": one, "headers": {}}),
        ("POST", "/", {"content": one, "headers": signed_headers(one)}),
        ("POST", "/", {"content": two, "headers": signed_headers(two)}),  # reaches 2: all 3 events shown
        ("POST", "/", {"content": one, "headers": signed_headers(one)}),
        ("POST", "/", {"content": one, "headers": forged}),
    )
    assert [a.status_code for a in answers] == [401, 401, 200, 200, 503, 503]
    assert answers[4].json() == {"received": False, "error": "the listener has stopped"}
    assert [d.http_status for d in seen.deliveries] == [401, 401, 200, 200]  # nothing after the stop
    assert [r["object_id"] for r in seen.deliveries[3].rows()] == ["2", "3"]
    assert stops == [True]


@pytest.mark.slow
def test_listen_a_forged_callback_does_not_stop_it(listen: Callable[..., Listen]) -> None:
    server = listen("listen", "-o", "json", "--signature-key", KEY, "--max-events", "1")
    body = callback_body(an_event("GOOD"))
    assert server.post(body, signed_headers(body, key="forged")).status_code == 401
    assert server.post(body, signed_headers(body)).status_code == 200
    code, out, err = server.finish()
    assert code == 0, err
    assert [(r["signature"], r["object_id"]) for r in server.lines(out)] == [("invalid", "GOOD"), ("ok", "GOOD")]


# -- control characters from senders never reach the terminal ----------------------------------------------
def test_printable_escapes_controls() -> None:
    from cloudevents_cli.cli.events_cmds import printable

    assert printable("a\x1b[31mb\x07c\rd\ne\x9b\u202ef\u2028g") == "a\\x1b[31mb\\x07c\\x0dd\\x0ae\\x9b\\u202ef\\u2028g"
    assert printable("Kontakt née 003A") == "Kontakt née 003A"
    assert printable("a\u00a0b c") == "a\u00a0b c"  # a no-break space is not printable() but shown as it is


def test_lines_reach_stdout_once_per_loop_iteration_in_order() -> None:
    import io

    from cloudevents_cli.cli.events_cmds import _PerIteration

    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    real = Counting()
    stream = _PerIteration(real, on_broken=lambda: None)

    async def serve() -> tuple[str, str]:
        for n in range(3):  # three events handled in the same iteration
            stream.write(f"line {n}\n")
            stream.flush()
        before = real.getvalue()
        await asyncio.sleep(0)  # the end of the iteration
        return before, real.getvalue()

    before, after = asyncio.run(serve())
    assert (before, after, real.writes) == ("", "line 0\nline 1\nline 2\n", 1)
    stream.write("after the loop\n")
    stream.flush()  # no loop running: at once
    assert real.getvalue().endswith("after the loop\n")


def test_a_closed_stdout_is_reported_once_from_the_deferred_write() -> None:
    import io

    from cloudevents_cli.cli.events_cmds import _PerIteration

    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError

    broken: list[bool] = []
    stream = _PerIteration(Closed(), on_broken=lambda: broken.append(True))
    stream.write("x\n")
    stream.flush()
    assert broken == [True]


@pytest.mark.slow
def test_listen_escapes_control_characters(listen: Callable[..., Listen]) -> None:
    server = listen("--color", "never", "listen", "--signature-key", KEY)
    evil = callback_body(an_event(object_id="\x1b]0;pwned\x07\r003", event_type="\x1b[31mX"))
    headers: dict[str, Any] = {**signed_headers(evil, key="forged"), "Elements-Webhook-Id": b"wh\x9b2J\x1b"}
    assert httpx.post(server.url, content=evil, headers=headers, timeout=10).status_code == 401
    assert server.post(evil, signed_headers(evil)).status_code == 200
    time.sleep(0.2)
    server.proc.send_signal(signal.SIGTERM)
    code, out, err = server.finish()
    assert code == 0, err
    for text in (out, err):
        assert not any(ch in text for ch in "\x1b\x07\r\x9b"), repr(text)
    assert "\\x1b[31~" in out  # the EVENT column, 8 wide
    assert "\\x1b]0;pwned\\x07\\x0~" in out  # OBJECT ID, 20 wide
    assert "rejected callback (webhook id wh\\x9b2J\\x1b): 401" in err


# -- slow and idle clients cannot stall the listener (raw sockets, an in-process server) -------------------
@pytest.fixture
def served() -> Iterator[Callable[..., tuple[str, int]]]:
    """Serve a receiver with short deadlines on 127.0.0.1 in a thread; returns (host, port)."""
    from cloudevents_cli.serving import AppServer, Limits, bind

    servers: list[tuple[AppServer, threading.Thread]] = []

    def start(app: Any, limits: Limits) -> tuple[str, int]:
        sock = bind("127.0.0.1", 0)
        address = sock.getsockname()[:2]
        server = AppServer(app, sock, limits=limits)
        ready = threading.Event()
        thread = threading.Thread(target=server.run, kwargs={"on_ready": ready.set}, daemon=True)
        thread.start()
        assert ready.wait(10), "the server did not start"
        servers.append((server, thread))
        return address

    yield start
    for server, thread in servers:
        server.stop()
        thread.join(10)


def raw(address: tuple[str, int], data: bytes = b"") -> socket.socket:
    conn = socket.create_connection(address, timeout=5)
    if data:
        conn.sendall(data)
    return conn


def answer_of(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the socket times out after 5 s)."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):  # closed with our bytes unread: a reset, also an end
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    conn.close()
    return b"".join(chunks)


def post_status(address: tuple[str, int], body: bytes = b"{}") -> int:
    return httpx.post(f"http://{address[0]}:{address[1]}/", content=body, timeout=5).status_code


HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def test_a_silent_or_trickling_head_is_cut_off(served: Callable[..., tuple[str, int]]) -> None:
    from cloudevents_cli.serving import Limits

    address = served(create_receiver(), Limits(head_timeout=0.5))
    silent = raw(address)
    trickling = raw(address, b"POST / HTTP/1.1\r\n")
    for _ in range(3):  # a header line every 0.1 s: never a whole head
        time.sleep(0.1)
        trickling.sendall(b"X-A: b\r\n")
    assert answer_of(silent) == b""  # closed by the server, not by the 5 s socket timeout
    assert answer_of(trickling) == b""
    huge = raw(address, HEAD + b"X-Big: " + b"b" * 20_000 + b"\r\n\r\n")
    assert answer_of(huge).startswith(b"HTTP/1.1 400 ")  # a head over max_head_bytes
    assert post_status(address) == 200


def test_a_trickled_body_gets_408_and_idle_connections_are_bounded(served: Callable[..., tuple[str, int]]) -> None:
    from cloudevents_cli.serving import Limits

    seen = Recorder()
    address = served(create_receiver(on_event=seen, body_timeout=0.5), Limits(max_connections=4, head_timeout=1.5))
    slow = raw(address, HEAD + b"Content-Length: 100\r\n\r\n{")
    assert answer_of(slow).startswith(b"HTTP/1.1 408 ")
    assert seen.deliveries[0].http_status == 408
    assert "did not arrive" in (seen.deliveries[0].error or "")
    idle = [raw(address) for _ in range(4)]
    assert _eventually(lambda: post_status(address) == 503)  # over the connection limit, once they are accepted
    for conn in idle:
        assert answer_of(conn) == b""  # each closed after the head deadline
    assert _eventually(lambda: post_status(address) == 200)  # slots free again (a loaded machine may lag)


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """True once `check` holds, trying for a bounded time: the server runs in a thread of a loaded machine."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_sender_that_disconnects_mid_body_is_one_line(
    served: Callable[..., tuple[str, int]], caplog: pytest.LogCaptureFixture
) -> None:
    from cloudevents_cli.serving import Limits

    seen = Recorder()
    address = served(create_receiver(on_event=seen), Limits())
    raw(address, HEAD + b'Content-Length: 100\r\n\r\n{"message"').close()
    deadline = time.monotonic() + 5
    while not seen.deliveries and time.monotonic() < deadline:
        time.sleep(0.02)
    (delivery,) = seen.deliveries
    assert delivery.error == "the sender disconnected before the end of the body"
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert post_status(address) == 200


@pytest.mark.slow
def test_listen_reports_a_disconnect_in_one_line(listen: Callable[..., Listen]) -> None:
    server = listen("--color", "never", "listen", "--max-events", "1")
    host, port = server.url.removeprefix("http://").rstrip("/").split(":")
    raw((host, int(port)), HEAD + b"Content-Length: 100\r\n\r\n{").close()
    time.sleep(0.3)
    body = callback_body(an_event())
    assert server.post(body).status_code == 200
    code, out, err = server.finish()
    assert code == 0, err
    assert "CREATED" in out
    assert "Traceback" not in err and "Exception" not in err
    assert "rejected callback: 400 the sender disconnected before the end of the body" in err
