"""`cloudevents enable|disable INSTANCE...`: switch instances on or off (`PUT`/`DELETE /instances/{id}/enabled`).

`events on|off` (cli/events_history_cmds.py) runs through `switch_batch` here too: by id, name or `--tag`,
idempotent (`unchanged` and nothing sent when an instance already is in that state), results like apply's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cloudevents_cli.cli.app import State, command_group, state
from cloudevents_cli.cli.common import OutputOpt, finish
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.cli.results_view import render_results
from cloudevents_cli.errors import UsageError, batch_code

if TYPE_CHECKING:
    from cloudevents_cli.platform.client import PlatformClient
    from cloudevents_cli.platform.results import Result

app = command_group()  # this module's commands; cli.app.Group loads them when they run

RefsArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="[ID|NAME...]", help="Instance ids or names.", show_default=False),
]
TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", metavar="TAG", help="Every instance with this tag (repeat: all of them).")
]


def switch_batch(st: State, refs: list[str], tags: list[str], what: str, on: bool, output: str | None) -> None:
    """Resolve the instances, set `what` ("enabled" or "events") to `on` where it differs, render the results."""
    out = st.output_for(output)
    if not refs and not tags:
        raise UsageError("say which instances: ID|NAME... or --tag T")
    conn = connection(st)
    from cloudevents_cli.platform.event_history import find_targets, switch

    async def go(client: PlatformClient) -> list[Result]:
        return await switch(client, await find_targets(client, refs, tags), what, on)

    results = with_client(st, conn, go)
    if not results:
        out.warn("no instances matched")
    render_results(out, results)
    finish(batch_code(results))


@app.command()
def enable(ctx: typer.Context, refs: RefsArg = None, tag: TagOpt = None, output: OutputOpt = None) -> None:
    """Enable instances (PUT /instances/{id}/enabled); unchanged where already enabled."""
    switch_batch(state(ctx), refs or [], tag or [], "enabled", True, output)


@app.command()
def disable(ctx: typer.Context, refs: RefsArg = None, tag: TagOpt = None, output: OutputOpt = None) -> None:
    """Disable instances (DELETE /instances/{id}/enabled): the platform refuses their calls with 403."""
    switch_batch(state(ctx), refs or [], tag or [], "enabled", False, output)
