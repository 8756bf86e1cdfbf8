"""Command: explain — the event keys reference (the seed's parameter tables, and the keys beyond them)."""

from __future__ import annotations

from typing import Annotated

import typer

from cloudevents_cli.cli.app import command_group, state

app = command_group()  # this module's commands; cli.app.Group loads them when they run

COLUMNS = ("UI label", "dotted key", "definition key", "type", "default", "description")


@app.command()
def explain(
    ctx: typer.Context,
    key: Annotated[
        str | None,
        typer.Argument(help="A dotted key, definition key or UI label (case-insensitive; part of one will do)."),
    ] = None,
    output: Annotated[str | None, typer.Option("-o", "--output", metavar="FORMAT", help="table, json or yaml.")] = None,
) -> None:
    """The event keys: UI label, dotted key, definition key, type, default, description."""
    from cloudevents_cli.definitions import keys
    from cloudevents_cli.errors import UsageError

    out = state(ctx).output_for(output, default="table", allowed=("table", "json", "yaml"))
    found = keys.lookup(key) if key is not None else list(keys.EVENT_KEYS)
    if not found:
        close = keys.suggest(key or "")
        hint = f"did you mean '{close}'?" if close else "run 'cloudevents explain' to list them all"
        raise UsageError(f"no event key matches '{key}'; {hint}")
    out.emit(
        {"keys": [k.as_dict() for k in found]},
        table=lambda doc: out.table(
            COLUMNS, [(k.ui_label, k.dotted_key, k.definition_key, k.type, k.default, k.description) for k in found]
        ),
    )
