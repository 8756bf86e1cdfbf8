"""Commands: `verify` (check a body against its signature) and `listen` (a local callback receiver)."""

from __future__ import annotations

import io
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from cloudevents_cli import redact
from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.errors import ExitCode, InvalidInput
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run

if TYPE_CHECKING:
    import asyncio

    from cloudevents_cli.events.receiver import Delivery

FORMATS = ("table", "json")
DEFAULT_PORT = 8766  # next to the emulator's 8765, so both run side by side

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--signature-key",
        metavar="KEY",
        envvar="CE_SIGNATURE_KEY",
        help="The instance's event signature key (event.notification.signature.key). Never printed.",
        show_default=False,
    ),
]
OutputOption = Annotated[str | None, typer.Option("-o", "--output", metavar="FORMAT", help="table or json.")]


# -- verify ------------------------------------------------------------------------------------------------
def _read_body(file: str | None) -> bytes:
    if file is None or file == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None or sys.stdin.isatty():
            raise InvalidInput("no body: give FILE, or pipe the body on stdin", code="missing-body")
        return bytes(stream.read())
    try:
        return Path(file).read_bytes()
    except OSError as err:
        raise InvalidInput(f"cannot read {file}: {err.strerror or err}", code="unreadable") from None


@app.command()
def verify(
    ctx: typer.Context,
    signature: Annotated[
        str,
        typer.Option(
            "--signature",
            metavar="SIGNATURE",
            help="The Elements-Webhook-Signature value: 'sha256=...' (the whole header line is accepted).",
        ),
    ],
    file: Annotated[
        str | None, typer.Argument(help="The callback body, byte for byte; '-' or nothing reads stdin.")
    ] = None,
    signature_key: KeyOption = None,
    strip_newline: Annotated[
        bool,
        typer.Option(
            "--strip-newline", help="Drop one trailing newline (\\n or \\r\\n) from the body before checking."
        ),
    ] = False,
    show_expected: Annotated[
        bool, typer.Option("--show-expected", help="Also print the signature the body should carry.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Check a callback body against its signature header value.

    The body is read as raw bytes: a trailing newline (an editor's, or echo's) is part of what was signed
    and changes the signature; --strip-newline drops one. Exit 0 when the signature matches, 1 when it does
    not, 3 for a missing key, a malformed signature or an unreadable file. The key is never printed; the
    expected signature only with --show-expected.
    """
    from cloudevents_cli.events.verify import check

    redact.register(signature_key)
    out = state(ctx).output_for(output, default="table", allowed=FORMATS)
    result = check(signature_key, _read_body(file), signature, strip_newline=strip_newline)
    doc: dict[str, Any] = {
        "valid": result.valid,
        "body_bytes": result.body_bytes,
        "stripped_newline": result.stripped_newline,
    }
    if show_expected:
        doc["expected"] = result.expected

    def table(doc: dict[str, Any]) -> None:
        verdict = "valid: the signature matches" if result.valid else "invalid: the signature does not match"
        out.text(f"{verdict} the body ({result.body_bytes} bytes)")
        if show_expected:
            out.text(f"expected: {result.expected}")

    out.emit(doc, table=table)
    if not result.valid:
        if result.ends_with_newline and not strip_newline:
            out.info("hint: the body ends with a newline; if the sender's did not, try --strip-newline")
        raise typer.Exit(int(ExitCode.NO))


# -- listen ------------------------------------------------------------------------------------------------
COLUMNS: tuple[tuple[str, str, int], ...] = (
    # header, row field, width
    ("TIME", "received_at", 12),
    ("SIGNATURE", "signature", 9),
    ("EVENT", "event_type", 8),
    ("OBJECT TYPE", "object_type", 16),
    ("OBJECT ID", "object_id", 20),
    ("DATE", "date", 24),
    ("INSTANCE", "instance_id", 9),
    ("ELEMENT", "element_key", 14),
    ("WEBHOOK ID", "webhook_id", 14),
    ("FORWARD", "forward", 7),
)


def _cell(row: dict[str, Any], name: str) -> str:
    if name == "received_at":
        stamp = str(row["received_at"])
        return stamp[11:23] if len(stamp) >= 23 else stamp
    if name == "forward":
        if row.get("forward_error"):
            return "error"
        return "" if row.get("forward_status") is None else str(row["forward_status"])
    value = row.get(name)
    return "" if value is None else str(value)


def printable(text: str) -> str:
    """Text from a sender made safe for a terminal: control and format characters (ESC, CR, BEL, bidi
    overrides, line separators...) become visible escapes such as `\\x1b` and `\\u202e`."""
    if text.isprintable():  # no control, format or separator character at all: most cells, checked at C speed
        return text
    import unicodedata

    return "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        else ch
        for ch in text
    )


def _line(cells: list[str]) -> str:
    parts = []
    for cell, (_, _, width) in zip(cells, COLUMNS, strict=True):
        text = printable(cell)
        parts.append((text if len(text) <= width else text[: width - 1] + "~").ljust(width))
    return "  ".join(parts).rstrip()


class _PerIteration(io.StringIO):
    """`listen`'s stdout while it serves: what is written and flushed goes on to `stream` in one write at the end
    of the event loop's current iteration, however many events that iteration handled (a write, and so a
    system call, per event was a good part of listen's CPU under load). No line waits longer than that
    iteration; outside a running loop, flush() passes it on at once."""

    def __init__(self, stream: TextIO, on_broken: Callable[[], None]) -> None:
        super().__init__()
        self.stream = stream
        self.on_broken = on_broken
        self._due = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def isatty(self) -> bool:
        return self.stream.isatty()

    def flush(self) -> None:
        import asyncio

        if self._due:
            return
        loop = self._loop
        if loop is None or not loop.is_running():  # looked up once: each look-up is a getpid() system call
            try:
                loop = self._loop = asyncio.get_running_loop()
            except RuntimeError:
                self.pass_on()
                return
        self._due = True
        loop.call_soon(self.pass_on)

    def pass_on(self) -> None:
        self._due = False
        text = self.getvalue()
        if not text:
            return
        self.seek(0)
        self.truncate()
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:  # e.g. `| head -1`: nobody reads any more
            self.on_broken()


class _Printer:
    """Shows each delivery as it arrives and counts what it showed; the receiver decides when to stop."""

    def __init__(self, out: Output, checks_signatures: bool) -> None:
        self.stdout = _PerIteration(out.stdout, self._broken)
        self.out = Output(
            out.fmt, quiet=out.quiet, verbose=out.verbose, color=out.color, stdout=self.stdout, stderr=out.stderr
        )
        self.checks_signatures = checks_signatures
        self.events = 0
        self.verified = 0
        self.rejected = 0
        self.refused = 0  # callbacks with no event to show (too large, unreadable)
        self.duplicates = 0  # callbacks answered 200 but not shown: their eventId was seen (--dedupe)
        self.header_shown = False
        self.closed = False  # stdout is gone
        self.stop: Any = None  # set to the receiver's stop_accepting()

    def __call__(self, delivery: Delivery) -> None:
        if self.closed:
            return
        try:
            self._show(delivery)
        except BrokenPipeError:
            self._broken()

    def _broken(self) -> None:
        if not self.closed:
            self.closed = True
            self.stop()

    def _show(self, delivery: Delivery) -> None:
        if delivery.webhook_id_repeated:
            self.out.warn(printable(f"webhook id {delivery.webhook_id} was seen before: a replay or a redelivery"))
        if delivery.duplicate:
            self.duplicates += 1
            self.out.warn(printable(f"duplicate event {delivery.event_id}: answered 200, not shown again"))
            return
        if not delivery.accepted:
            who = f" (webhook id {delivery.webhook_id})" if delivery.webhook_id else ""
            self.out.warn(printable(f"rejected callback{who}: {delivery.http_status} {delivery.error}"))
        elif delivery.forward_error:
            self.out.warn(printable(f"forward failed: {delivery.forward_error}"))
        elif delivery.forward_status is not None and not 200 <= delivery.forward_status < 300:
            self.out.warn(f"forward answered {delivery.forward_status}")
        rows = delivery.rows()
        if not rows:
            self.refused += 1
        for row in rows:
            self.events += 1
            self.verified += row["signature"] == "ok"
            self.rejected += row["http_status"] != 200
            self.out.emit_line(row, table=self._table_line)

    def _table_line(self, row: dict[str, Any]) -> None:
        if not self.header_shown:
            self.out.text(_line([header for header, _, _ in COLUMNS]))
            self.header_shown = True
        self.out.text(_line([_cell(row, name) for _, name, _ in COLUMNS]))

    def summary(self) -> str:
        noun = "event" if self.events == 1 else "events"
        if self.checks_signatures:
            text = f"{self.events} {noun} received ({self.verified} verified, {self.rejected} rejected)"
        else:
            text = f"{self.events} {noun} received ({self.rejected} rejected, signatures not checked)"
        if self.refused:
            text += f"; {self.refused} callbacks refused"
        if self.duplicates:
            text += f"; {self.duplicates} duplicates ignored"
        return text


def _check_forward_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise typer.BadParameter("must be an http:// or https:// URL")
    return value


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


@app.command()
def listen(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", metavar="PORT", min=0, max=65535, help="Port; 0 picks a free one.")
    ] = DEFAULT_PORT,
    path: Annotated[str, typer.Option("--path", metavar="PATH", help="The callback path; POST only.")] = "/",
    signature_key: KeyOption = None,
    forward_to: Annotated[
        str | None,
        typer.Option(
            "--forward-to",
            metavar="URL",
            callback=_check_forward_url,
            help="Relay each accepted callback unchanged (body bytes, Content-Type, Elements-* headers) "
            "to this URL. The sender gets 200 whatever the forward's outcome; the forward status is "
            "shown per event.",
        ),
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option(
            "--max-events",
            metavar="N",
            min=1,
            help="Stop cleanly after N accepted events (every event of an accepted callback is shown); "
            "rejected callbacks do not count, and callbacks after the stop get 503.",
        ),
    ] = None,
    max_body: Annotated[
        int,
        typer.Option(
            "--max-body", metavar="BYTES", min=1, help="Largest body accepted, in bytes; larger ones get 413."
        ),
    ] = 1 << 20,
    dedupe: Annotated[
        bool,
        typer.Option(
            "--dedupe",
            help="Handle each message eventId once (the last 100,000 remembered): a repeat gets 200 but is "
            "not shown, forwarded or counted; a line on stderr says so.",
        ),
    ] = False,
    ready_file: Annotated[
        Path | None,
        typer.Option("--ready-file", metavar="FILE", help="Write the URL to this file once accepting callbacks."),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Receive event callbacks locally, verify their signatures, and print each event.

    One row per event in the callback's message.events (-o json: one JSON object a line). With a signature
    key, callbacks with a missing, malformed or wrong Elements-Webhook-Signature get 401 and are shown with
    signature 'missing' or 'invalid' and a warning on stderr; without one, events show as 'unsigned'. A body
    that is not JSON gets 400, one over --max-body 413. Ctrl-C stops with exit 130, SIGTERM and --max-events
    with 0; either way a summary goes to stderr. An Elements-Webhook-Id already seen on an accepted callback
    is flagged on stderr and as webhook_id_repeated (the signature carries no timestamp).
    """
    redact.register(signature_key)
    out = state(ctx).output_for(output, default="table", allowed=FORMATS)
    if signature_key is not None and not signature_key:
        raise InvalidInput("the signature key is empty", code="missing-key")

    from cloudevents_cli.events.receiver import create_receiver
    from cloudevents_cli.serving import AppServer, Limits, bind, url_of, write_atomically

    timeout = state(ctx).options.timeout or 10.0
    printer = _Printer(out, signature_key is not None)
    receiver = create_receiver(
        path=path,
        signature_key=signature_key,
        forward_to=forward_to,
        on_event=printer,
        max_body=max_body,
        forward_timeout=timeout,
        max_events=max_events,
        dedupe=dedupe,
    )
    sock = bind(host, port)
    if not _is_loopback(host):
        out.warn(f"listening on {host}: anyone who can reach this port can post callbacks")
    url = url_of(sock, receiver.path)
    listener = AppServer(receiver, sock, limits=Limits())
    receiver.on_stop = listener.stop
    printer.stop = receiver.stop_accepting

    def ready() -> None:
        checks = "signatures checked" if signature_key else "signatures not checked"
        extra = f", forwarding to {forward_to}" if forward_to else ""
        out.info(f"listening on {url} ({checks}{extra}); Ctrl-C to stop")
        if ready_file is not None:
            write_atomically(ready_file, url + "\n")

    try:
        listener.run(on_ready=ready)
    finally:
        printer.stdout.pass_on()
        out.info(printer.summary())
    if listener.stopped_by == signal.SIGINT:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
