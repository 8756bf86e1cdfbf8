"""Command: explain — the event keys reference, each key with where the platform documents it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state

if TYPE_CHECKING:
    from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run

COLUMNS = ("UI label", "dotted key", "definition key", "type", "default", "description")
FORMAT_DOC = "docs/definition-format.md"  # in the cloudevents-cli repository


@app.command()
def explain(
    ctx: typer.Context,
    key: Annotated[
        str | None,
        typer.Argument(help="A dotted key, definition key or UI label (case-insensitive; part of one will do)."),
    ] = None,
    output: Annotated[str | None, typer.Option("-o", "--output", metavar="FORMAT", help="table, json or yaml.")] = None,
) -> None:
    """The event keys: UI label, dotted key, definition key, type, default, description.

    Each key names where the platform documents it. The definition format itself (YAML, interpolation,
    validation, export) is described in docs/definition-format.md of the cloudevents-cli repository.
    """
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
        table=lambda doc: _table(out, found),
    )


def _table(out: Output, found: list[Any]) -> None:
    out.table(
        COLUMNS,
        [
            (k.ui_label, k.dotted_key, k.definition_key, k.type, k.default, _described(k.description, k.documented_in))
            for k in found
        ],
    )
    out.info(f"The definition format: {FORMAT_DOC} in the cloudevents-cli repository.")


def _described(description: str, documented_in: str) -> str:
    return f"{description}\nDocumented in: {documented_in}."
