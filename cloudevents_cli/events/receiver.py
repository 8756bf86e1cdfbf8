"""The callback receiver: an ASGI app that checks, reports and optionally relays event callbacks.

It is a plain ASGI callable rather than a Starlette app: it serves one path and one method, and per callback it
costs a fraction of Starlette's request, response and middleware objects (bench/bench_listen.py).

Per POST on the path, in this order:
- once it has stopped accepting (`max_events` accepted events, or `stop_accepting()`) -> 503, not reported;
- Content-Length over `max_body` (or more bytes than that while reading) -> 413, nothing parsed; a body not
  received within `body_timeout` seconds -> 408; a sender that disconnects mid-body is reported with an error;
- with a signature key: no `Elements-Webhook-Signature` -> 401 "missing"; a malformed one or one that does not
  match the raw body bytes -> 401 "invalid";
- a body that is not JSON -> 400;
- otherwise 200 `{"received": true}`, and its events count towards `max_events`; the callback that reaches it
  is the last accepted (all its events are reported), then `on_stop` is called. With `forward_to`, the callback
  is first relayed unchanged (the same raw bytes, Content-Type and every `Elements-*` header) to that URL with
  one shared httpx.AsyncClient; the sender gets 200 whatever the forward's outcome, which is recorded on the
  delivery (`forward_status` or `forward_error`). Rejected callbacks (4xx) are never forwarded.
- with `dedupe`, an accepted callback whose `message.eventId` was accepted before is a duplicate: 200
  `{"received": true, "duplicate": true}`, reported with `duplicate` set, but not forwarded and not counted.
A callback whose `Elements-Webhook-Id` was on an accepted callback before is reported with
`webhook_id_repeated` (the signature has no timestamp: that header is the only sign of a replay). Both memories
keep the last `memory` ids.
Other methods on the path get 405 (with `Allow: POST`), other paths 404. Each POST is reported once to `on_event`
as a Delivery, whose rows are one per event in `message.events` (see parse.py). This module never prints.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cloudevents_cli.events import signature as sig
from cloudevents_cli.events.parse import event_rows

if TYPE_CHECKING:
    import httpx

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY = 1 << 20  # 1 MiB
FORWARD_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0  # seconds for a sender to deliver the whole body
MEMORY = 100_000  # event ids and webhook ids remembered

OK = "ok"
INVALID = "invalid"
MISSING = "missing"
UNSIGNED = "unsigned"

ROW_FIELDS = (
    "received_at",
    "signature",
    "http_status",
    "webhook_id",
    "event_id",
    "instance_id",
    "element_key",
    "object_type",
    "object_id",
    "event_type",
    "date",
    "forward_status",
    "forward_error",
    "error",
    "webhook_id_repeated",
)

# Header names as ASGI servers give them (lower case bytes).
_CONTENT_LENGTH = b"content-length"
_SIGNATURE = sig.HEADER.lower().encode()
_WEBHOOK_ID = sig.ID_HEADER.lower().encode()
_JSON_TYPE = (b"content-type", b"application/json")
_CLOSE = (b"connection", b"close")


@dataclass
class Delivery:
    """One callback POST as received and answered."""

    received_at: str
    http_status: int  # what the receiver answered the sender
    signature: str  # ok | invalid | missing | unsigned
    webhook_id: str | None
    body_bytes: int
    events: list[dict[str, Any]] = field(default_factory=list)  # parse.event_rows; empty when not parsed
    error: str | None = None  # why the callback was rejected
    forward_status: int | None = None
    forward_error: str | None = None
    duplicate: bool = False  # its eventId was accepted before (only with dedupe)
    webhook_id_repeated: bool = False  # its Elements-Webhook-Id was on an accepted callback before

    @property
    def event_id(self) -> Any:
        return self.events[0]["event_id"] if self.events else None

    @property
    def accepted(self) -> bool:
        return self.http_status == 200

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per event, with the delivery's fields, in ROW_FIELDS order."""
        return [
            {
                "received_at": self.received_at,
                "signature": self.signature,
                "http_status": self.http_status,
                "webhook_id": self.webhook_id,
                **event,  # parse.EVENT_FIELDS, in that order
                "forward_status": self.forward_status,
                "forward_error": self.forward_error,
                "error": self.error,
                "webhook_id_repeated": self.webhook_id_repeated,
            }
            for event in self.events
        ]


class _Seen:
    """The last `size` keys seen, oldest forgotten first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[Any, None] = OrderedDict()

    def __contains__(self, key: Any) -> bool:
        return key in self._keys

    def add(self, key: Any) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


_RECEIVED = _json({"received": True})
_DUPLICATE = _json({"received": True, "duplicate": True})
_STOPPED = _json({"received": False, "error": "the listener has stopped"})


async def _respond(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    head = [(b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


_stamp: tuple[int, str] = (-1, "")  # the last millisecond formatted: callbacks under load share it


def _now() -> str:
    global _stamp
    ms = time.time_ns() // 1_000_000
    if ms != _stamp[0]:
        moment = datetime.fromtimestamp(ms / 1000, timezone.utc)
        _stamp = (ms, moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    return _stamp[1]


def forwarded_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Content-Type and every Elements-* header, as received (name, value pairs)."""
    kept: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower == "content-type" or lower.startswith("elements-"):
            kept[name] = value
    return kept


class Receiver:
    """The receiver as an ASGI app: holds the configuration and the shared forward client."""

    def __init__(
        self,
        *,
        path: str = "/",
        signature_key: str | bytes | None = None,
        forward_to: str | None = None,
        on_event: Callable[[Delivery], None] | None = None,
        max_body: int = MAX_BODY,
        forward_timeout: float = FORWARD_TIMEOUT,
        client: httpx.AsyncClient | None = None,
        max_events: int | None = None,
        on_stop: Callable[[], None] | None = None,
        body_timeout: float = BODY_TIMEOUT,
        dedupe: bool = False,
        memory: int = MEMORY,
    ) -> None:
        self.path = path if path.startswith("/") else "/" + path
        self._key = signature_key.encode() if isinstance(signature_key, str) else signature_key
        self._mac = None if self._key is None else hmac.new(self._key, digestmod="sha256")  # copied per body
        self.forward_to = forward_to
        self.on_event = on_event
        self.max_body = max_body
        self.forward_timeout = forward_timeout
        self._client = client
        self._own_client = client is None
        self.max_events = max_events
        self.on_stop = on_stop
        self.body_timeout = body_timeout
        self.accepted_events = 0
        self.accepting = True
        self.dedupe = dedupe
        self._event_ids = _Seen(memory)
        self._webhook_ids = _Seen(memory)
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop serving it, looked up once

    def __repr__(self) -> str:  # never the key
        return f"Receiver(path={self.path!r}, signed={self._key is not None}, forward_to={self.forward_to!r})"

    @property
    def checks_signatures(self) -> bool:
        return self._key is not None

    # -- the shared forward client ---------------------------------------------------------------------------
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=self.forward_timeout,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._own_client:
            await self._client.aclose()
            self._client = None

    def stop_accepting(self) -> None:
        """From now on every callback gets 503; `on_stop` is called once."""
        if self.accepting:
            self.accepting = False
            if self.on_stop is not None:
                self.on_stop()

    # -- ASGI ------------------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] != self.path:
                await _respond(send, 404, b"Not Found", (b"content-type", b"text/plain; charset=utf-8"))
            elif scope["method"] != "POST":
                await _respond(
                    send,
                    405,
                    b"Method Not Allowed",
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"allow", b"POST"),
                )
            else:
                await self.handle(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- the endpoint ----------------------------------------------------------------------------------------
    async def _read(self, receive: Receive, declared: bytes | None) -> bytes:
        if declared is not None:
            if not declared.strip().isdigit():
                raise ValueError("invalid Content-Length")
            if int(declared) > self.max_body:
                raise _TooLarge(int(declared))
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge(size)
            if not message.get("more_body", False):
                return b"".join([*chunks, chunk]) if chunks else chunk
            chunks.append(chunk)

    async def _read_in_time(self, receive: Receive, declared: bytes | None) -> bytes:
        """The body within `body_timeout` seconds, else TimeoutError: one timer that cancels this task, as
        asyncio.timeout does but without its three look-ups of the running loop (each a getpid() system call;
        wait_for would also start a task per callback)."""
        loop = self._loop
        if loop is None or not loop.is_running():
            loop = self._loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = loop.call_later(self.body_timeout, expire)
        try:
            return await self._read(receive, declared)
        except asyncio.CancelledError:
            if not expired:
                raise
            if sys.version_info >= (3, 11):
                task.uncancel()
            raise asyncio.TimeoutError from None
        finally:
            timer.cancel()

    def _signature_status(self, body: bytes, header: bytes | None) -> tuple[str, str | None]:
        if self._mac is None:
            return UNSIGNED, None
        if header is None or not header.strip():
            return MISSING, f"no {sig.HEADER} header"
        try:
            given = sig.parse(header.decode("latin-1"))
        except sig.MalformedSignature as err:
            return INVALID, f"malformed signature: {err}"
        mac = self._mac.copy()
        mac.update(body)
        if not hmac.compare_digest(mac.digest(), given):
            return INVALID, "the signature does not match the body"
        return OK, None

    async def _forward(self, delivery: Delivery, scope: Scope, body: bytes) -> None:
        import httpx

        assert self.forward_to is not None
        received = ((name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"])
        try:
            answer = await self.client().post(self.forward_to, content=body, headers=forwarded_headers(received))
        except httpx.HTTPError as err:
            delivery.forward_error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        else:
            delivery.forward_status = answer.status_code

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One POST on the path."""
        if not self.accepting:
            await _respond(send, 503, _STOPPED, _JSON_TYPE)
            return
        declared = signature = webhook = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
            if name == _CONTENT_LENGTH:
                declared = value if declared is None else declared
            elif name == _SIGNATURE:
                signature = value if signature is None else signature
            elif name == _WEBHOOK_ID:
                webhook = value if webhook is None else webhook
        webhook_id = None if webhook is None else webhook.decode("latin-1")
        delivery = Delivery(
            received_at=_now(), http_status=200, signature=UNSIGNED, webhook_id=webhook_id, body_bytes=0
        )
        try:
            body = await self._read_in_time(receive, declared)
        except _TooLarge as err:
            delivery.http_status = 413
            delivery.body_bytes = int(err.args[0])
            delivery.error = f"body too large (over {self.max_body} bytes)"
        except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
            delivery.http_status = 408
            delivery.error = f"the body did not arrive within {self.body_timeout:g} s"
        except _Disconnected:
            delivery.http_status = 400
            delivery.error = "the sender disconnected before the end of the body"
        except ValueError as err:
            delivery.http_status = 400
            delivery.error = str(err)
        if delivery.error is not None:
            self._report(delivery)
            # The rest of a body that was cut short may still come: close the connection rather than read it
            # as the next request (and rather than wait for the keep-alive timeout).
            answer = _json({"received": False, "error": delivery.error})
            await _respond(send, delivery.http_status, answer, _JSON_TYPE, _CLOSE)
            return
        delivery.body_bytes = len(body)
        delivery.signature, problem = self._signature_status(body, signature)
        try:
            document = json.loads(body)
        except ValueError:
            document = None
            if problem is None:
                problem = "the body is not JSON"
                delivery.http_status = 400
        delivery.events = event_rows(document)
        if delivery.signature in (INVALID, MISSING):
            delivery.http_status = 401
        delivery.error = problem
        delivery.webhook_id_repeated = webhook_id is not None and webhook_id in self._webhook_ids
        last = False
        if delivery.accepted:
            if not self.accepting:  # another callback reached max_events while this body was read
                await _respond(send, 503, _STOPPED, _JSON_TYPE)
                return
            if webhook_id is not None:
                self._webhook_ids.add(webhook_id)
            if self.dedupe and delivery.event_id is not None:
                delivery.duplicate = delivery.event_id in self._event_ids
                self._event_ids.add(delivery.event_id)
            if delivery.duplicate:
                self._report(delivery)
                await _respond(send, 200, _DUPLICATE, _JSON_TYPE)
                return
            self.accepted_events += len(delivery.events)
            last = self.max_events is not None and self.accepted_events >= self.max_events
            if last:
                self.accepting = False  # at once, before any await: no other callback is accepted
            if self.forward_to:
                await self._forward(delivery, scope, body)
        self._report(delivery)
        if not delivery.accepted:
            await _respond(send, delivery.http_status, _json({"received": False, "error": problem}), _JSON_TYPE)
            return
        if last and self.on_stop is not None:
            self.on_stop()
        await _respond(send, 200, _RECEIVED, _JSON_TYPE)

    def _report(self, delivery: Delivery) -> None:
        if self.on_event is not None:
            self.on_event(delivery)


def create_receiver(
    path: str = "/",
    signature_key: str | bytes | None = None,
    forward_to: str | None = None,
    on_event: Callable[[Delivery], None] | None = None,
    max_body: int = MAX_BODY,
    *,
    forward_timeout: float = FORWARD_TIMEOUT,
    client: httpx.AsyncClient | None = None,
    max_events: int | None = None,
    on_stop: Callable[[], None] | None = None,
    body_timeout: float = BODY_TIMEOUT,
    dedupe: bool = False,
    memory: int = MEMORY,
) -> Receiver:
    """The receiver, an ASGI app (call `aclose()` when done with it outside a server, e.g. in tests)."""
    return Receiver(
        path=path,
        signature_key=signature_key,
        forward_to=forward_to,
        on_event=on_event,
        max_body=max_body,
        forward_timeout=forward_timeout,
        client=client,
        max_events=max_events,
        on_stop=on_stop,
        body_timeout=body_timeout,
        dedupe=dedupe,
        memory=memory,
    )
