"""Commands about operating events: `deliveries` (queued webhook deliveries, and their release) and `status`
(the health of instances; exit 1 when one needs attention, so CI can alert on it).

Each converts options, calls platform/deliveries.py or platform/health.py and renders.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, PathsArg, finish, report_problems
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.errors import ExitCode, UsageError
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run


# -- deliveries ---------------------------------------------------------------------------------------------
DELIVERY_COLUMNS = ["id", "event id", "instance", "status", "callback URL", "created"]


def _delivery_row(d: dict[str, Any]) -> list[Any]:
    config = d.get("config")
    config = config if isinstance(config, dict) else {}
    return [
        d.get("id"),
        d.get("eventId"),
        d.get("instanceId"),
        d.get("status"),
        config.get("url"),
        d.get("createdDate"),
    ]


@app.command()
def deliveries(
    ctx: typer.Context,
    callback_url: Annotated[
        str | None, typer.Option("--callback-url", metavar="URL", help="Only deliveries to this callback URL.")
    ] = None,
    release: Annotated[bool, typer.Option("--release", help="Release them: each is delivered once more.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --release: show what would be released.")] = False,
    output: OutputOpt = None,
) -> None:
    """Queued webhook deliveries (all, or of one callback URL); --release sends them again."""
    st = state(ctx)
    out = st.output_for(output)
    if dry_run and not release:
        raise UsageError("--dry-run goes with --release")
    conn = connection(st)
    from cloudevents_cli.platform import deliveries as platform_deliveries

    if release and not dry_run:
        found = with_client(st, conn, lambda c: platform_deliveries.release(c, callback_url))
        released = len(found)
    else:
        found = with_client(st, conn, lambda c: platform_deliveries.queued(c, callback_url))
        released = 0

    def table(doc: dict[str, Any]) -> None:
        out.table(DELIVERY_COLUMNS, [_delivery_row(d) for d in doc["deliveries"]])
        count = len(doc["deliveries"])
        if release and dry_run:
            out.info(f"dry run: {count} deliver{'ies' if count != 1 else 'y'} would be released")
        elif release:
            out.info(f"{released} deliver{'ies' if released != 1 else 'y'} released")
        else:
            out.info(f"{count} queued deliver{'ies' if count != 1 else 'y'}")

    out.emit(
        {"deliveries": found, "released": released},
        table=table,
        ids=lambda doc: [d.get("id") for d in doc["deliveries"]],
    )


# -- status -------------------------------------------------------------------------------------------------
STATUS_COLUMNS = [
    "id", "name", "enabled", "valid", "events", "vendor type", "callback URL", "last event", "queued", "attention",
]  # fmt: skip


def _switch(value: Any, yes: str, no: str) -> str | None:
    return None if value is None else yes if value else no


def _status_row(row: dict[str, Any]) -> list[Any]:
    last = " ".join(str(v) for v in (row.get("last_event_date"), row.get("last_event_status")) if v) or None
    return [
        row.get("id"),
        row.get("name"),
        _switch(row.get("disabled"), "disabled", "enabled"),
        row.get("valid"),
        _switch(row.get("events"), "on", "off"),
        row.get("vendor_type"),
        row.get("callback_url"),
        last,
        row.get("queued"),
        ", ".join(row.get("attention") or []) or "-",
    ]


def _selected(out: Output, paths: list[str], tags: list[str], all_: bool) -> tuple[Any, Any]:
    """(a coroutine factory listing the instances, the definitions' events switch by (name, element))."""
    from cloudevents_cli.platform.instance_refs import list_filtered

    if sum([bool(paths), bool(tags), all_]) != 1:
        raise UsageError("say which instances: PATH..., --tag TAG or --all (one of them)")
    if not paths:
        return (lambda c: list_filtered(c, tags=tags)), None
    from cloudevents_cli.definitions import pipeline

    batch = pipeline.build(paths)
    report_problems(out, batch.problems)
    if batch.errors or not batch.items:
        if not batch.items and not batch.errors:
            out.error("no definition found")
        raise typer.Exit(int(ExitCode.INVALID))
    wanted: dict[tuple[str, str], bool] = {}
    for item in batch.items:
        conf = (item.body or {}).get("configuration") or {}
        wanted[(str(item.name), str(item.element))] = str(conf.get("event.notification.enabled")).lower() == "true"

    async def listing(c: Any) -> list[dict[str, Any]]:
        from cloudevents_cli.platform.client import instance_element

        found = await list_filtered(c)
        return [i for i in found if (str(i.get("name")), str(instance_element(i))) in wanted]

    return listing, wanted


@app.command()
def status(
    ctx: typer.Context,
    paths: PathsArg = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Instances with this tag (repeat).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every instance.")] = False,
    output: OutputOpt = None,
) -> None:
    """Health of instances (by definition, tag or all); exit 1 when one needs attention."""
    st = state(ctx)
    out = st.output_for(output)
    listing, wanted = _selected(out, paths or [], tag or [], all_)
    conn = connection(st)
    from cloudevents_cli.platform.health import health

    async def go(c: Any) -> list[dict[str, Any]]:
        return await health(c, await listing(c), wanted)

    rows = with_client(st, conn, go)
    attention = sum(1 for r in rows if r["attention"])
    summary = {"instances": len(rows), "attention": attention}

    def table(doc: dict[str, Any]) -> None:
        out.table(STATUS_COLUMNS, [_status_row(r) for r in doc["instances"]])
        needs = "needs" if attention == 1 else "need"
        out.info(f"{len(rows)} instance{'s' if len(rows) != 1 else ''}, {attention} {needs} attention")

    out.emit({"instances": rows, "summary": summary}, table=table, ids=lambda doc: [r["id"] for r in doc["instances"]])
    finish(ExitCode.NO if attention else ExitCode.OK)
