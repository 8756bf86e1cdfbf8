"""Commands about operating events: `deliveries` (queued webhook deliveries, and their release).

Each converts options, calls platform/deliveries.py and renders.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.errors import UsageError

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
