"""Commands that send definitions to the platform: create, apply, diff.

Each converts options, calls one core function (platform/operations.py, platform/client.py) and renders.
httpx and the platform modules are imported inside the commands only, to keep --help fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli import redact
from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, PathsArg, report_problems
from cloudevents_cli.cli.connect import connection, with_client
from cloudevents_cli.cli.event_flags import (
    CallbackUrlOpt,
    ElementOpt,
    NameOpt,
    NoEventsOpt,
    PollingOpt,
    RefreshIntervalOpt,
    SetOpt,
    SignatureKeyOpt,
    TagOpt,
    WebhooksOpt,
    overrides_of,
)
from cloudevents_cli.cli.results_view import finish, render_results
from cloudevents_cli.errors import ExitCode, UsageError, worst
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run

if TYPE_CHECKING:
    from cloudevents_cli.definitions.pipeline import Batch
    from cloudevents_cli.platform.operations import Result

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Send nothing; show what would be done.")]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", metavar="N", min=1, max=64, help="Requests in flight at once.")
]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", help="Start nothing new after the first failure.")]


# -- helpers shared by the commands -------------------------------------------------------------------------
def _build(paths: Sequence[str], overrides: Any = None, *, unique: bool = False) -> Batch:
    from cloudevents_cli.definitions import pipeline

    return pipeline.build(list(paths), overrides, unique=unique)


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
    batch = _build(paths or [], overrides)
    report_problems(out, batch.problems)
    if dry_run:
        from cloudevents_cli.platform.operations import dry_run_create

        results = dry_run_create(batch.items, show_secrets=show_secrets)
        finish(worst([_render_dry_run(out, results, show_secrets), *_batch_codes(batch)]))
        return
    _nothing_to_send(out, batch)
    conn = connection(st)
    from cloudevents_cli.platform.operations import create_all

    def start(on_done: Callable[[Result], None]) -> list[Result]:
        return with_client(
            st,
            conn,
            lambda c: create_all(c, batch.items, concurrency=concurrency, fail_fast=fail_fast, on_done=on_done),
            concurrency,
        )

    results = _run_batch(out, len(batch.items), "creating", start)
    finish(worst([render_results(out, results), *_batch_codes(batch)]))


def _nothing_to_send(out: Output, batch: Batch) -> None:
    """No valid definition: report without asking for credentials or touching the network."""
    if any(item.valid for item in batch.items):
        return
    from cloudevents_cli.platform.operations import invalid_result

    if not batch.items and not batch.errors:
        out.error("no definition found")
    results = [invalid_result(item) for item in batch.items]
    render_results(out, results)
    raise typer.Exit(int(ExitCode.INVALID))


def _batch_codes(batch: Batch) -> list[ExitCode]:
    return [ExitCode.INVALID] if batch.errors else []


def _render_dry_run(out: Output, results: Sequence[Result], show_secrets: bool) -> ExitCode:
    """create --dry-run: what would be sent. The bodies are masked already, unless --show-secrets: then the
    text is written around the scrubbing of Output, because the user asked for the secrets."""
    if (not show_secrets and out.fmt != "table") or out.fmt == "id":
        return render_results(out, results)
    from cloudevents_cli.output import to_json, to_yaml
    from cloudevents_cli.platform.operations import summary

    def write(text: str) -> None:
        out.stdout.write(text if show_secrets else redact.scrub(text))

    counts = summary(results)
    doc = {"schema_version": 1, "results": [r.as_dict() for r in results], "summary": counts}
    if out.fmt == "json":
        write(to_json(doc) + "\n")
    elif out.fmt == "yaml":
        write(to_yaml(doc))
    else:
        for r in results:
            if r.body is not None:
                out.info(f"# {r.source} ({r.name}): would POST /instances")
                write(to_json(r.body) + "\n")
        out.info(", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to do")
    out.stdout.flush()
    return worst([r.exit_code for r in results])


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
    overrides: Any = None,
) -> None:
    st = state(ctx)
    out = st.output_for(output)
    batch = _build(paths, overrides, unique=True)
    report_problems(out, batch.problems)
    _nothing_to_send(out, batch)
    conn = connection(st)
    from cloudevents_cli.platform.operations import apply_all

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
    finish(worst([render_results(out, results, diff=diff), *_batch_codes(batch)]))


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
        dry_run=True,
        concurrency=concurrency,
        fail_fast=False,
        update_secrets=update_secrets,
        output=output,
        diff=True,
    )
