"""Commands that send definitions to the platform: create, apply, diff, plan.

Each converts options, calls core functions (platform/create_apply.py, platform/plans.py) and renders.
httpx and the platform modules are imported inside the commands only, to keep --help fast.

All or nothing: create, apply and plan send nothing when any definition of the run is invalid (exit 3, every
problem reported, the valid ones `not-run`); `--partial` sends the valid ones. A shard (--shard I/N) is taken
after that check, so every job of a CI matrix refuses a fleet with an invalid definition anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, PathsArg, finish, report_problems
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
from cloudevents_cli.cli.results_view import render_results, stream_result, stream_summary
from cloudevents_cli.errors import ExitCode, UsageError, batch_code
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run

if TYPE_CHECKING:
    from cloudevents_cli.definitions.pipeline import Batch, Item
    from cloudevents_cli.platform.results import Result

DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Send nothing; show what would be done.")]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", metavar="N", min=1, max=64, help="Requests in flight at once.")
]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", help="Start nothing new after the first failure.")]
PruneOpt = Annotated[
    bool,
    typer.Option("--prune", help="Delete the instances tagged --owner that no definition describes (needs --owner)."),
]
OwnerOpt = Annotated[
    str | None,
    typer.Option(
        "--owner",
        metavar="TAG",
        help="Ownership tag: added to every instance created or updated; only instances with it are pruned.",
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="I/N",
        help="Only shard I of N (split by a stable hash of element and name; with --prune, prune in it only).",
    ),
]
PartialOpt = Annotated[bool, typer.Option("--partial", help="Send the valid definitions even when others are invalid.")]
StreamOpt = Annotated[
    bool,
    typer.Option("--stream", help="With -o json: each result as one JSON line as it finishes, then a summary line."),
]
UpdateSecretsOpt = Annotated[
    bool, typer.Option("--update-secrets", help="Send secrets even though the platform masks them.")
]


@dataclass
class Scope:
    """Which definitions and instances a run covers, and what it may do to them."""

    owner: str | None = None
    prune: bool = False
    shard: tuple[int, int] | None = None
    partial: bool = False

    @classmethod
    def of(cls, *, owner: str | None, prune: bool, shard: str | None, partial: bool) -> Scope:
        from cloudevents_cli.platform.plans import parse_shard

        if prune and not owner:
            raise UsageError("--prune needs --owner TAG: only instances carrying that tag are ever deleted")
        if owner is not None and not owner.strip():
            raise UsageError("--owner: the tag is empty")
        return cls(owner, prune, parse_shard(shard) if shard is not None else None, partial)

    def in_shard(self, name: str | None, element: str | None, source: str = "") -> bool:
        from cloudevents_cli.platform.plans import shard_of

        return self.shard is None or shard_of(name, element, source, self.shard[1]) == self.shard[0]

    def as_dict(self) -> dict[str, Any]:
        shard = f"{self.shard[0]}/{self.shard[1]}" if self.shard else None
        return {"owner": self.owner, "prune": self.prune, "shard": shard, "partial": self.partial}


# -- helpers shared by the commands -------------------------------------------------------------------------
def _build(paths: Sequence[str], overrides: Any, *, unique: bool = False, confine_files: bool) -> Batch:
    from cloudevents_cli.definitions import pipeline

    return pipeline.build(list(paths), overrides, unique=unique, confine_files=confine_files)


def _run_batch(out: Output, total: int, label: str, start: Callable[[Callable[[Result], None]], Any]) -> Any:
    """Run a batch with a progress bar. On Ctrl-C the batch (platform/runner.py) raises errors.Interrupted
    with its partial results, which the one handler in cli/app.py reports."""
    with out.progress(total, label) as bar:
        return start(lambda result: bar.advance())


def _stream_or_bar(out: Output, stream: bool) -> Any:
    """--stream: each result on stdout as it finishes; else a progress bar (see _run_batch)."""
    if not stream:
        return None
    if out.fmt != "json":
        raise UsageError("--stream goes with -o json (one JSON document a line)")
    return lambda result: stream_result(out, result)


def _show(out: Output, results: list[Result], stream: bool) -> None:
    if stream:
        stream_summary(out, results)
    else:
        render_results(out, results)


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


def _select(out: Output, batch: Batch, scope: Scope) -> list[Item]:
    """All or nothing (unless --partial), then the shard's items. With --partial and an invalid definition,
    prune is left out: the invalid one may describe an owned instance."""
    from cloudevents_cli.platform.results import held_result, invalid_result

    _nothing_to_send(out, batch)
    if batch.errors and not scope.partial:
        results = [held_result(i) if i.valid else invalid_result(i) for i in batch.items]
        render_results(out, results)
        invalid = len(batch.errors)
        out.error(
            f"{invalid} problem{'s' if invalid > 1 else ''} in the definitions: nothing was sent "
            "(--partial sends the valid ones)"
        )
        raise typer.Exit(int(ExitCode.INVALID))
    if scope.prune and batch.errors:
        out.warn("warning: --prune deletes nothing in this run: a definition is invalid (it may describe one)")
        scope.prune = False
    return [i for i in batch.items if scope.in_shard(i.name, i.element, i.source)]


# -- create / apply / diff / plan --------------------------------------------------------------------------
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
    partial: PartialOpt = False,
    shard: ShardOpt = None,
    stream: StreamOpt = False,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="With --dry-run: secrets in clear.")] = False,
    output: OutputOpt = None,
) -> None:
    """POST every definition (create new instances)."""
    st = state(ctx)
    out = st.output_for(output)
    if show_secrets and not dry_run:
        raise UsageError("--show-secrets only goes with --dry-run")
    scope = Scope.of(owner=None, prune=False, shard=shard, partial=partial)
    on_result = _stream_or_bar(out, stream)
    overrides = overrides_of(paths, locals())
    batch = _build(paths or [], overrides, confine_files=no_file_outside)
    report_problems(out, batch.problems)
    if dry_run:
        from cloudevents_cli.platform.create_apply import dry_run_create

        selected = [i for i in batch.items if scope.in_shard(i.name, i.element, i.source)]
        results = dry_run_create(selected, show_secrets=show_secrets)
        render_results(out, results, bodies=True, reveal=show_secrets)
        finish(batch_code(results, invalid_input=bool(batch.errors)))
        return
    items = _select(out, batch, scope)
    from cloudevents_cli.cli.accounts import with_clients
    from cloudevents_cli.platform.create_apply import create_all

    def start(on_done: Callable[[Result], None]) -> list[Result]:
        return with_clients(
            st,
            items,
            lambda clients, _conn: create_all(
                clients, items, concurrency=concurrency, fail_fast=fail_fast, on_done=on_result or on_done
            ),
            concurrency,
        )

    results = _run_batch(out, 0 if stream else len(items), "creating", start)
    _show(out, results, stream)
    finish(batch_code(results, invalid_input=bool(batch.errors)))


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
    scope: Scope,
    stream: bool = False,
) -> None:
    st = state(ctx)
    out = st.output_for(output)
    on_result = _stream_or_bar(out, stream)
    from cloudevents_cli.cli.accounts import early_listing, with_clients
    from cloudevents_cli.definitions import pipeline  # noqa: F401 - imported before the early listing's clock runs
    from cloudevents_cli.platform.create_apply import apply_all

    early = early_listing(st)  # a large batch lists its account: begun during the build when that is long
    try:
        batch = _build(paths, overrides, unique=True, confine_files=no_file_outside)
        report_problems(out, batch.problems)
        if diff:  # diff reads only: it compares what it can, the invalid definitions reported among the results
            _nothing_to_send(out, batch)
            items = [i for i in batch.items if scope.in_shard(i.name, i.element, i.source)]
        else:
            items = _select(out, batch, scope)
    except BaseException:
        if early is not None:
            early.cancel()
        raise

    def start(on_done: Callable[[Result], None]) -> list[Result]:
        return with_clients(
            st,
            items,
            lambda clients, _conn: apply_all(
                clients,
                items,
                concurrency=concurrency,
                fail_fast=fail_fast,
                update_secrets=update_secrets,
                dry_run=dry_run,
                owner=scope.owner,
                prune=scope.prune,
                in_scope=scope.in_shard,
                on_done=on_result or on_done,
                early=early,
            ),
            concurrency,
        )

    try:
        results = _run_batch(out, 0 if stream else len(items), "comparing" if dry_run else "applying", start)
    finally:
        if early is not None:
            early.cancel()
    _show(out, results, stream)
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
    update_secrets: UpdateSecretsOpt = False,
    prune: PruneOpt = False,
    owner: OwnerOpt = None,
    shard: ShardOpt = None,
    partial: PartialOpt = False,
    stream: StreamOpt = False,
    output: OutputOpt = None,
) -> None:
    """Create what is missing, PATCH what differs, leave what matches (by name and element).

    `apply PLAN.json` applies a plan made by `plan --out` exactly, or refuses with exit 1 (and sends nothing)
    when it was applied already or the live state changed since; a plan takes no other definition flag.
    """
    if paths and len(paths) == 1 and _is_plan(paths[0]):
        given = [flag for flag, on in _definition_flags(locals()) if on]
        if given:
            raise UsageError(f"{given[0]}: a plan holds the flags it was made with; apply PLAN takes none")
        _apply_plan(ctx, Path(paths[0]), concurrency=concurrency, fail_fast=fail_fast, stream=stream, output=output)
        return
    scope = Scope.of(owner=owner, prune=prune, shard=shard, partial=partial)
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
        scope=scope,
        stream=stream,
    )


def _is_plan(path: str) -> bool:
    from cloudevents_cli.platform.plans import is_plan

    return path != "-" and is_plan(Path(path))


def _definition_flags(given: dict[str, Any]) -> list[tuple[str, bool]]:
    flags = ("polling", "webhooks", "no_events", "callback_url", "signature_key", "refresh_interval", "tag", "set_")
    more = ("element", "name", "no_file_outside", "dry_run", "update_secrets", "prune", "owner", "shard", "partial")
    return [("--" + key.strip("_").replace("_", "-"), bool(given[key])) for key in (*flags, *more)]


def _apply_plan(
    ctx: typer.Context, path: Path, *, concurrency: int, fail_fast: bool, stream: bool, output: str | None
) -> None:
    """Render the plan's definitions again, read the live state again, check both against the plan, mark it
    applied, then do its writes (platform/plans.py)."""
    from cloudevents_cli.cli.accounts import with_clients
    from cloudevents_cli.definitions.overrides import Overrides
    from cloudevents_cli.platform import plans
    from cloudevents_cli.platform.create_apply import assess, carry_out

    st = state(ctx)
    out = st.output_for(output)
    on_result = _stream_or_bar(out, stream)
    doc = plans.read(path)
    plans.check_unapplied(doc)
    try:
        definitions, options = doc["definitions"], doc["options"]
        overrides = Overrides(**definitions["overrides"])
        scope = Scope.of(
            owner=options["owner"], prune=options["prune"], shard=options["shard"], partial=options["partial"]
        )
        paths, update_secrets, confine = definitions["paths"], options["update_secrets"], options["no_file_outside"]
    except (KeyError, TypeError, UsageError):
        from cloudevents_cli.errors import InvalidInput

        raise InvalidInput(f"{path}: the plan is damaged (its definitions or options cannot be read)") from None
    batch = _build(paths, overrides, unique=True, confine_files=confine)
    report_problems(out, batch.problems)
    items = _select(out, batch, scope)

    async def go(clients: Any, run_conn: Any) -> list[Result]:
        plans.check_target(doc, run_conn.base_url)
        assessment = await assess(
            clients,
            items,
            concurrency=concurrency,
            update_secrets=update_secrets,
            owner=scope.owner,
            prune=scope.prune,
            in_scope=scope.in_shard,
        )
        plans.check(doc, assessment)
        plans.mark_applied(path, doc)
        return await carry_out(assessment, concurrency=concurrency, fail_fast=fail_fast, on_done=on_result)

    results = with_clients(st, items, go, concurrency)
    _show(out, results, stream)
    out.info(f"plan {doc.get('plan_id')} applied")
    finish(batch_code(results, invalid_input=bool(batch.errors)))


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
    prune: PruneOpt = False,
    owner: OwnerOpt = None,
    shard: ShardOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show what apply would change; exit 1 when something differs. Takes apply's flags."""
    scope = Scope.of(owner=owner, prune=prune, shard=shard, partial=True)
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
        scope=scope,
    )


@app.command()
def plan(
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
    out_file: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the plan here (JSON, mode 0600) for `apply FILE`."),
    ] = None,
    concurrency: ConcurrencyOpt = 8,
    update_secrets: UpdateSecretsOpt = False,
    prune: PruneOpt = False,
    owner: OwnerOpt = None,
    shard: ShardOpt = None,
    partial: PartialOpt = False,
    output: OutputOpt = None,
) -> None:
    """Show what apply would do and, with --out, write it as a plan that `apply FILE` applies exactly.

    The plan file holds the writes (secrets masked), a fingerprint of the live state and a one-time id;
    `apply FILE` renders the definitions again and refuses (exit 1, nothing sent) if the live state or the
    rendered requests changed since, or the plan was applied already. Exit 0 when the plan is made,
    whatever it holds (`diff` is the command whose exit code says whether something differs).
    """
    from cloudevents_cli.files import check_destination
    from cloudevents_cli.platform import plans

    st = state(ctx)
    out = st.output_for(output)
    scope = Scope.of(owner=owner, prune=prune, shard=shard, partial=partial)
    overrides = overrides_of(paths, locals())
    plans.check_plannable(overrides, list(paths or []))
    if out_file is not None:
        check_destination(out_file, force=plans.is_plan(out_file))
    batch = _build(paths or [], overrides, unique=True, confine_files=no_file_outside)
    report_problems(out, batch.problems)
    items = _select(out, batch, scope)
    from cloudevents_cli.cli.accounts import with_clients
    from cloudevents_cli.platform.create_apply import assess

    async def go(clients: Any, run_conn: Any) -> tuple[Any, Any]:
        assessment = await assess(
            clients,
            items,
            concurrency=concurrency,
            update_secrets=update_secrets,
            owner=scope.owner,
            prune=scope.prune,
            in_scope=scope.in_shard,
        )
        return assessment, run_conn

    assessment, run_conn = with_clients(st, items, go, concurrency)
    results = assessment.results
    render_results(out, results)
    code = batch_code(results, invalid_input=bool(batch.errors))
    if any((r.failed and r.action != "invalid") or r.action == "not-run" for r in results):
        out.error("no plan was written: some definitions could not be planned")
        finish(code)
    out.info("Plan: " + plans.summary_line(plans.counts(results)) + ".")
    if out_file is not None:
        options = {**scope.as_dict(), "update_secrets": update_secrets, "no_file_outside": no_file_outside}
        doc = plans.document(
            assessment, base_url=run_conn.base_url, paths=list(paths or []), overrides=overrides, options=options
        )
        plans.write(out_file, doc)
        out.info(f"plan {doc['plan_id']} written to {out_file}: apply it with `cloudevents apply {out_file}`")
    finish(code)
