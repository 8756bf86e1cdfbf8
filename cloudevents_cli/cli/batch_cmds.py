"""Commands that send definitions to the platform: create, apply, diff.

Each converts options, calls one core function (platform/create_apply.py, instance_refs.py, client.py) and renders.
httpx and the platform modules are imported inside the commands only, to keep --help fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, PathsArg, finish, report_problems
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.cli.event_flags import (
    CallbackUrlOpt,
    ElementOpt,
    NameOpt,
    NoEventsOpt,
    NoFileOutsideOpt,
    PollingOpt,
    RefreshIntervalOpt,
    SetOpt,
    SignatureKeyOpt,
    TagOpt,
    WebhooksOpt,
    overrides_of,
)
from cloudevents_cli.cli.results_view import render_results
from cloudevents_cli.errors import ExitCode, UsageError, batch_code
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run

if TYPE_CHECKING:
    from cloudevents_cli.definitions.pipeline import Batch
    from cloudevents_cli.platform.results import Result

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Send nothing; show what would be done.")]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", metavar="N", min=1, max=64, help="Requests in flight at once.")
]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", help="Start nothing new after the first failure.")]


# -- helpers shared by the commands -------------------------------------------------------------------------
def _build(paths: Sequence[str], overrides: Any, *, unique: bool = False, confine_files: bool) -> Batch:
    from cloudevents_cli.definitions import pipeline

    return pipeline.build(list(paths), overrides, unique=unique, confine_files=confine_files)


def _run_batch(out: Output, total: int, label: str, start: Callable[[Callable[[Result], None]], Any]) -> Any:
    """Run a batch with a progress bar. On Ctrl-C the batch (platform/runner.py) raises errors.Interrupted
    with its partial results, which the one handler in cli/app.py reports."""
    with out.progress(total, label) as bar:
        return start(lambda result: bar.advance())


# -- create / apply / diff ---------------------------------------------------------------------------------
@app.command()
def create(
    ctx: typer.Context,
    paths: PathsArg = None,
    polling: PollingOpt = False,
    webhooks: WebhooksOpt = False,
    no_events: NoEventsOpt = False,
    callback_url: CallbackUrlOpt = None,
    signature_key: SignatureKeyOpt = None,
    refresh_interval: RefreshIntervalOpt = None,
    tag: TagOpt = None,
    set_: SetOpt = None,
    element: ElementOpt = None,
    name: NameOpt = None,
    no_file_outside: NoFileOutsideOpt = False,
    dry_run: DryRunOpt = False,
    concurrency: ConcurrencyOpt = 8,
    fail_fast: FailFastOpt = False,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="With --dry-run: secrets in clear.")] = False,
    output: OutputOpt = None,
) -> None:
    """POST every definition (create new instances)."""
    st = state(ctx)
    out = st.output_for(output)
    if show_secrets and not dry_run:
        raise UsageError("--show-secrets only goes with --dry-run")
    overrides = overrides_of(paths, locals())
    batch = _build(paths or [], overrides, confine_files=no_file_outside)
    report_problems(out, batch.problems)
    if dry_run:
        from cloudevents_cli.platform.create_apply import dry_run_create

        results = dry_run_create(batch.items, show_secrets=show_secrets)
        render_results(out, results, bodies=True, reveal=show_secrets)
        finish(batch_code(results, invalid_input=bool(batch.errors)))
        return
    _nothing_to_send(out, batch)
    conn = connection(st)
    from cloudevents_cli.platform.create_apply import create_all

    def start(on_done: Callable[[Result], None]) -> list[Result]:
        return with_client(
            st,
            conn,
            lambda c: create_all(c, batch.items, concurrency=concurrency, fail_fast=fail_fast, on_done=on_done),
            concurrency,
        )

    results = _run_batch(out, len(batch.items), "creating", start)
    render_results(out, results)
    finish(batch_code(results, invalid_input=bool(batch.errors)))


def _nothing_to_send(out: Output, batch: Batch) -> None:
    """No valid definition: report without asking for credentials or touching the network."""
    if any(item.valid for item in batch.items):
        return
    from cloudevents_cli.platform.results import invalid_result

    if not batch.items and not batch.errors:
        out.error("no definition found")
    results = [invalid_result(item) for item in batch.items]
    render_results(out, results)
    raise typer.Exit(int(ExitCode.INVALID))


def _apply_like(
    ctx: typer.Context,
    paths: Sequence[str],
    *,
    dry_run: bool,
    concurrency: int,
    fail_fast: bool,
    update_secrets: bool,
    output: str | None,
    diff: bool,
    overrides: Any,
    no_file_outside: bool,
) -> None:
    st = state(ctx)
    out = st.output_for(output)
    batch = _build(paths, overrides, unique=True, confine_files=no_file_outside)
    report_problems(out, batch.problems)
    _nothing_to_send(out, batch)
    conn = connection(st)
    from cloudevents_cli.platform.create_apply import apply_all

    def start(on_done: Callable[[Result], None]) -> list[Result]:
        return with_client(
            st,
            conn,
            lambda c: apply_all(
                c,
                batch.items,
                concurrency=concurrency,
                fail_fast=fail_fast,
                update_secrets=update_secrets,
                dry_run=dry_run,
                on_done=on_done,
            ),
            concurrency,
        )

    results = _run_batch(out, len(batch.items), "comparing" if dry_run else "applying", start)
    render_results(out, results)
    finish(batch_code(results, invalid_input=bool(batch.errors), diff=diff))


@app.command()
def apply(
    ctx: typer.Context,
    paths: PathsArg = None,
    polling: PollingOpt = False,
    webhooks: WebhooksOpt = False,
    no_events: NoEventsOpt = False,
    callback_url: CallbackUrlOpt = None,
    signature_key: SignatureKeyOpt = None,
    refresh_interval: RefreshIntervalOpt = None,
    tag: TagOpt = None,
    set_: SetOpt = None,
    element: ElementOpt = None,
    name: NameOpt = None,
    no_file_outside: NoFileOutsideOpt = False,
    dry_run: DryRunOpt = False,
    concurrency: ConcurrencyOpt = 8,
    fail_fast: FailFastOpt = False,
    update_secrets: Annotated[
        bool, typer.Option("--update-secrets", help="Send secrets even though the platform masks them.")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Create what is missing, PATCH what differs, leave what matches (by name and element)."""
    overrides = overrides_of(paths, locals())
    _apply_like(
        ctx,
        paths or [],
        overrides=overrides,
        no_file_outside=no_file_outside,
        dry_run=dry_run,
        concurrency=concurrency,
        fail_fast=fail_fast,
        update_secrets=update_secrets,
        output=output,
        diff=False,
    )


@app.command()
def diff(
    ctx: typer.Context,
    paths: PathsArg = None,
    polling: PollingOpt = False,
    webhooks: WebhooksOpt = False,
    no_events: NoEventsOpt = False,
    callback_url: CallbackUrlOpt = None,
    signature_key: SignatureKeyOpt = None,
    refresh_interval: RefreshIntervalOpt = None,
    tag: TagOpt = None,
    set_: SetOpt = None,
    element: ElementOpt = None,
    name: NameOpt = None,
    no_file_outside: NoFileOutsideOpt = False,
    concurrency: ConcurrencyOpt = 8,
    update_secrets: Annotated[
        bool, typer.Option("--update-secrets", help="Count secrets as changes though the platform masks them.")
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Show what apply would change; exit 1 when something differs. Takes apply's flags."""
    overrides = overrides_of(paths, locals())
    _apply_like(
        ctx,
        paths or [],
        overrides=overrides,
        no_file_outside=no_file_outside,
        dry_run=True,
        concurrency=concurrency,
        fail_fast=False,
        update_secrets=update_secrets,
        output=output,
        diff=True,
    )
