"""`cloudevents events list|show|on|off|resend`: an instance's event history, one event with its delivery
attempts, the events switch (PATCH `event.notification.enabled`), and replaying a recorded event.

`events INSTANCE` is short for `events list INSTANCE`: when the first word after `events` is not one of its
subcommands, `list` is put in front (an instance named like a subcommand needs the long form)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cloudevents_cli import redact
from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, finish
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.cli.switch_cmds import RefsArg, TagOpt, switch_batch
from cloudevents_cli.errors import ExitCode, UsageError
from cloudevents_cli.output import Output

MAX_OBJECTS_SHOWN = 3


class EventsGroup(TyperGroup):
    """The `events` group, where `events INSTANCE ...` means `events list INSTANCE ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["list", *args]
        return super().parse_args(ctx, args)


app = command_group()  # this module's commands; cli.app.Group loads them when they run
events_app = command_group(
    cls=EventsGroup,
    name="events",
    help="An instance's event history and delivery attempts; turn events on or off.\n\n"
    "`events INSTANCE` is short for `events list INSTANCE`.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(events_app, name="events")


# -- list / show --------------------------------------------------------------------------------------------
def _objects(record: dict[str, Any]) -> str:
    items = [e for e in record.get("events") or [] if isinstance(e, dict)]
    shown = [f"{e.get('objectType')}/{e.get('objectId')}" for e in items[:MAX_OBJECTS_SHOWN]]
    more = len(items) - len(shown)
    return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _attempts(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in record.get("attempts") or [] if isinstance(a, dict)]


def _row(record: dict[str, Any]) -> list[Any]:
    attempts = _attempts(record)
    last = attempts[-1].get("statusCode") if attempts else None
    return [
        record.get("eventId"),
        record.get("createdDate"),
        record.get("status"),
        len(attempts),
        last,
        _objects(record),
    ]


COLUMNS = ["event id", "date", "status", "attempts", "last HTTP", "objects"]
WIDTHS = [36, 24, 9, 8, 9]  # the objects column takes the rest


class _Lines:
    """The table of `events list`, printed as the pages arrive: a header, then one aligned line per event (a
    wider value pushes its line's later columns right rather than being cut)."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.count = 0
        self.header_shown = False

    def _line(self, cells: list[Any]) -> str:
        from cloudevents_cli.cli.events_cmds import printable

        texts = [printable("" if c is None else str(c)) for c in cells]
        return "  ".join([t.ljust(w) for t, w in zip(texts, WIDTHS, strict=False)] + texts[len(WIDTHS) :]).rstrip()

    def header(self) -> None:
        if not self.header_shown:
            self.out.text(self._line(COLUMNS))
            self.header_shown = True

    def __call__(self, record: dict[str, Any]) -> None:
        self.header()
        self.out.text(self._line(_row(record)))
        self.count += 1


def _event_ids(doc: dict[str, Any]) -> list[Any]:
    return [e.get("eventId") for e in doc["events"]]


@events_app.command("list")
def list_(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="Instance id or name.")],
    since: Annotated[
        str | None, typer.Option("--since", metavar="ISO-DATE", help="Only events recorded at or after this time.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", min=1, help="Only the N most recent matching events.")
    ] = None,
    object_type: Annotated[
        str | None, typer.Option("--object-type", metavar="TYPE", help="Only events about this object type.")
    ] = None,
    event_type: Annotated[
        str | None, typer.Option("--event-type", metavar="TYPE", help="Only events of this type (CREATED...).")
    ] = None,
    output: OutputOpt = None,
) -> None:
    """An instance's events, oldest first: id, date, delivery status, attempts, last HTTP status, objects.

    Printed as the pages arrive (with --limit, once the last page is in): a table line, a JSON object a line
    (-o json) or an event id a line (-o id) per event; -o yaml prints one document at the end.
    """
    st = state(ctx)
    out = st.output_for(output)
    from cloudevents_cli.platform.event_history import EventFilter, event_history, history_pages, parse_since

    where = EventFilter(parse_since(since) if since else None, object_type, event_type)
    conn = connection(st)
    lines = _Lines(out)
    streamed = out.fmt != "yaml"

    def stream(events: list[dict[str, Any]]) -> None:
        if out.fmt == "id":
            out.emit({"events": events}, ids=_event_ids)
            return
        for record in events:  # each masked as any output is, then a JSON line or a table line
            out.emit_line(record, table=lines)

    async def go(client: Any) -> list[dict[str, Any]]:
        instance = await client.resolve(ref)
        if streamed and limit is None:
            async for page in history_pages(client, instance["id"], where=where):
                stream(page)
            return []
        return await event_history(client, instance["id"], where=where, limit=limit)

    events = with_client(st, conn, go)
    if not streamed:
        out.emit({"events": events})
        return
    stream(events)
    if out.fmt == "table":
        lines.header()  # an empty history still shows its columns
        out.info(f"{lines.count} event{'s' if lines.count != 1 else ''}")


@events_app.command()
def show(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The event id (from events list).")],
    output: OutputOpt = None,
) -> None:
    """One event with its status and every delivery attempt (time, HTTP status, error); -o json: one line."""
    st = state(ctx)
    out = st.output_for(output)
    if not event_id.strip():
        raise UsageError("EVENT_ID is empty")
    conn = connection(st)
    from cloudevents_cli.platform.event_history import get_event

    record = with_client(st, conn, lambda c: get_event(c, event_id))
    if out.fmt == "json":  # one JSON object a line, as `events list` prints each event
        out.emit_line(record, table=lambda doc: None)
        return
    out.emit({"events": [record]}, table=lambda doc: _event_table(out, doc["events"][0]), ids=_event_ids)


def _event_table(out: Output, record: dict[str, Any]) -> None:
    fields = ["eventId", "instanceId", "status", "createdDate", "callbackUrl", "webhookId", "method"]
    rows = [[f, record.get(f)] for f in fields if f in record]
    rows.append(["objects", _objects(record)])
    out.table(["field", "value"], rows)
    attempts = [[a.get("attempt"), a.get("date"), a.get("statusCode"), a.get("error")] for a in _attempts(record)]
    out.table(["attempt", "time", "HTTP status", "error"], attempts, title="attempts")


# -- on / off -----------------------------------------------------------------------------------------------
@events_app.command()
def on(ctx: typer.Context, refs: RefsArg = None, tag: TagOpt = None, output: OutputOpt = None) -> None:
    """Turn events on (PATCH event.notification.enabled: true); unchanged where already on."""
    switch_batch(state(ctx), refs or [], tag or [], "events", True, output)


@events_app.command()
def off(ctx: typer.Context, refs: RefsArg = None, tag: TagOpt = None, output: OutputOpt = None) -> None:
    """Turn events off (PATCH event.notification.enabled: false); unchanged where already off."""
    switch_batch(state(ctx), refs or [], tag or [], "events", False, output)


# -- resend -------------------------------------------------------------------------------------------------
RESEND_COLUMNS = ["event id", "instance", "to", "webhook id", "signed", "HTTP status", "error"]


def _definition_keys(out: Output, path: str) -> list[tuple[str | None, str | None]]:
    """(name, signature key) of each definition in the file; exit 3 (nothing sent) when one is invalid."""
    from cloudevents_cli.cli.common import report_problems
    from cloudevents_cli.definitions import pipeline

    batch = pipeline.build([path])
    report_problems(out, batch.problems)
    if batch.errors or not batch.items:
        if not batch.items and not batch.errors:
            out.error("no definition found")
        raise typer.Exit(int(ExitCode.INVALID))
    keys: list[tuple[str | None, str | None]] = []
    for item in batch.items:
        redact.register(*item.secrets)
        conf = (item.body or {}).get("configuration") or {}
        key = str(conf.get("event.notification.signature.key") or "") or None
        redact.register(key)
        keys.append((item.name, key))
    return keys


@events_app.command()
def resend(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The event id (from events list).")],
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="URL", help="Send it here (e.g. a local listen) instead of the callback URL."),
    ] = None,
    signature_key: Annotated[
        str | None,
        typer.Option(
            "--signature-key",
            metavar="KEY",
            envvar="CE_SIGNATURE_KEY",
            help="Sign with this key (default: -f's, else the instance's as the platform answers it). Never printed.",
            show_default=False,
        ),
    ] = None,
    definition: Annotated[
        str | None,
        typer.Option("-f", "--file", metavar="PATH", help="A definition file whose events.signature_key signs."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Send a recorded event again, signed as the platform signs, to its callback URL or --to URL.

    The body is the one the platform notified, byte for byte (GET /instances/events/{id}), with a new
    Elements-Webhook-Id; its eventId is unchanged. The key: --signature-key, else -f's events.signature_key,
    else CE_SIGNATURE_KEY, else the instance's as the platform answers it (refused when masked; without one the
    event goes unsigned, as the platform sends it). Exit 0 when the destination answers 2xx, 1 when it answers
    anything else, 6 when it cannot be reached or does not answer in time.
    """
    st = state(ctx)
    out = st.output_for(output)
    redact.register(signature_key)
    if not event_id.strip():
        raise UsageError("EVENT_ID is empty")
    if signature_key is not None and not signature_key:
        raise UsageError("--signature-key is empty")
    from cloudevents_cli.platform.resend import check_url, resend

    if to is not None:
        check_url(to, "--to")
    from_env = getattr(ctx.get_parameter_source("signature_key"), "name", None) == "ENVIRONMENT"
    if definition is not None and signature_key is not None and not from_env:
        raise UsageError("give the signature key one way: --signature-key or -f")
    keys = _definition_keys(out, definition) if definition is not None else []
    conn = connection(st)
    result = with_client(
        st,
        conn,
        lambda c: resend(
            c,
            event_id,
            to=to,
            key=None if from_env else signature_key,
            definitions=keys,
            fallback_key=signature_key if from_env else None,
        ),
    )
    row = result.row()

    def table(doc: dict[str, Any]) -> None:
        r = doc["resent"]
        cells = [r["event_id"], r["instance_id"], r["url"], r["webhook_id"], r["signed"], r["http_status"], r["error"]]
        out.table(RESEND_COLUMNS, [cells])

    out.emit({"resent": row}, table=table, ids=lambda doc: [doc["resent"]["webhook_id"]])
    if not result.signed:
        out.warn(f"sent unsigned: instance {result.instance_id} has no signature key")
    if result.error is not None:
        out.error(f"error: {result.url} did not answer: {result.error}")
        finish(ExitCode.UNREACHABLE)
    if not result.delivered:
        out.warn(f"{result.url} answered HTTP {result.http_status}")
        finish(ExitCode.NO)
