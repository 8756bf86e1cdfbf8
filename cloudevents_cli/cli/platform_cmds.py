"""Commands that talk to the platform: create, apply, diff, list, get, delete, export.

Each converts options, calls one core function (platform/operations.py, platform/client.py) and renders.
httpx and the platform modules are imported inside the commands only, to keep --help fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cloudevents_cli.cli.app import command_group, state
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
from cloudevents_cli.errors import ExitCode, UsageError, worst
from cloudevents_cli.output import Output

app = command_group()  # this module's commands; cli.app.Group loads them when they run

if TYPE_CHECKING:
    from cloudevents_cli.definitions.pipeline import Batch
    from cloudevents_cli.platform.operations import Result

T = TypeVar("T")

OutputOpt = Annotated[
    str | None,
    typer.Option("-o", "--output", metavar="FORMAT", help="table, json, yaml or id (overrides the global -o)."),
]
PathsArg = Annotated[list[str], typer.Argument(help="Definition files or folders; - for stdin.", show_default=False)]
OptPathsArg = Annotated[
    list[str] | None,
    typer.Argument(help="Definition files, folders (*.yaml/*.yml below them) or - for stdin.", show_default=False),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Send nothing; show what would be done.")]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", metavar="N", min=1, max=64, help="Requests in flight at once.")
]
FailFastOpt = Annotated[bool, typer.Option("--fail-fast", help="Start nothing new after the first failure.")]


# -- helpers shared by the commands -------------------------------------------------------------------------
def _build(paths: Sequence[str], overrides: Any = None, *, unique: bool = False) -> Batch:
    from cloudevents_cli.definitions import pipeline

    return pipeline.build(list(paths), overrides, unique=unique)


def _print_problems(out: Output, batch: Batch) -> None:
    for problem in batch.problems:
        if problem.severity == "error":
            out.error(problem.one_line())
        else:
            out.warn(problem.one_line())


def _render_results(out: Output, results: Sequence[Result], *, diff: bool = False) -> ExitCode:
    from cloudevents_cli.platform.operations import summary

    for r in results:
        if r.error is not None and r.action not in ("invalid", "not-run"):
            out.error(f"error: {r.source} {r.name or ''}: {r.error.message}")
    counts = summary(results)
    doc = {"results": [r.as_dict() for r in results], "summary": counts}
    if out.fmt == "json":
        out.json(doc)
    elif out.fmt == "yaml":
        out.yaml({"schema_version": 1, **doc})
    elif out.fmt == "id":
        out.ids([r.id for r in results if r.id is not None])
    else:
        if results:
            rows = [[r.source, r.name, r.element, r.action, r.id, _status_cell(r)] for r in results]
            out.table(["source", "name", "element", "action", "id", "status"], rows)
        changes = [
            [r.name, c["path"], _show(c.get("before")), _show(c.get("after"))] for r in results for c in r.changes
        ]
        if changes:
            out.table(["name", "path", "before", "after"], changes, title="changes")
        out.info(", ".join(f"{n} {a}" for a, n in counts.items()) or "nothing to do")
    codes = [r.exit_code for r in results]
    if diff and any(r.action in ("would-create", "would-update") for r in results):
        codes.append(ExitCode.NO)
    return worst(codes)


def _status_cell(r: Result) -> str:
    if r.error is not None:
        return r.error.message if r.action != "invalid" else "invalid (see above)"
    return str(r.http_status or "")


def _show(value: Any) -> str:
    import json

    if value is None:
        return "(absent)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _finish(code: ExitCode) -> None:
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


def _run_batch(out: Output, total: int, label: str, start: Callable[[Callable[[Result], None]], Any]) -> Any:
    """Run a batch with a progress bar; on Ctrl-C report what finished, then exit 130."""
    done: list[Result] = []
    with out.progress(total, label) as bar:

        def on_done(result: Result) -> None:
            done.append(result)
            bar.advance()

        try:
            return start(on_done)
        except KeyboardInterrupt:
            pass
    out.error(f"interrupted: {len(done)} of {total} finished")
    _render_results(out, done)
    raise typer.Exit(int(ExitCode.INTERRUPTED))


# -- create / apply / diff ---------------------------------------------------------------------------------
@app.command()
def create(
    ctx: typer.Context,
    paths: OptPathsArg = None,
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
    _print_problems(out, batch)
    if dry_run:
        from cloudevents_cli.platform.operations import dry_run_create

        results = dry_run_create(batch.items, show_secrets=show_secrets)
        _finish(worst([_render_dry_run(out, results, show_secrets), *_batch_codes(batch)]))
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
    _finish(worst([_render_results(out, results), *_batch_codes(batch)]))


def _nothing_to_send(out: Output, batch: Batch) -> None:
    """No valid definition: report without asking for credentials or touching the network."""
    if any(item.valid for item in batch.items):
        return
    from cloudevents_cli.platform.operations import invalid_result

    if not batch.items and not batch.errors:
        out.error("no definition found")
    results = [invalid_result(item) for item in batch.items]
    _render_results(out, results)
    raise typer.Exit(int(ExitCode.INVALID))


def _batch_codes(batch: Batch) -> list[ExitCode]:
    return [ExitCode.INVALID] if batch.errors else []


def _render_dry_run(out: Output, results: Sequence[Result], show_secrets: bool) -> ExitCode:
    """create --dry-run: what would be sent. The bodies are masked already, unless --show-secrets: then the
    text is written around the scrubbing of Output, because the user asked for the secrets."""
    if (not show_secrets and out.fmt != "table") or out.fmt == "id":
        return _render_results(out, results)
    from cloudevents_cli.output import to_json, to_yaml
    from cloudevents_cli.platform.operations import summary

    def write(text: str) -> None:
        out.stdout.write(text if show_secrets else redact_scrub(text))

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


def redact_scrub(text: str) -> str:
    from cloudevents_cli import redact

    return redact.scrub(text)


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
    _print_problems(out, batch)
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
    _finish(worst([_render_results(out, results, diff=diff), *_batch_codes(batch)]))


@app.command()
def apply(
    ctx: typer.Context,
    paths: OptPathsArg = None,
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
    paths: OptPathsArg = None,
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
    output: OutputOpt = None,
) -> None:
    """Show what apply would change; exit 1 when something differs. Takes apply's event flags."""
    overrides = overrides_of(paths, locals())
    _apply_like(
        ctx,
        paths or [],
        overrides=overrides,
        dry_run=True,
        concurrency=concurrency,
        fail_fast=False,
        update_secrets=False,
        output=output,
        diff=True,
    )


# -- list / get ---------------------------------------------------------------------------------------------
def _config(inst: dict[str, Any]) -> dict[str, Any]:
    conf = inst.get("configuration")
    return conf if isinstance(conf, dict) else {}


def _row(inst: dict[str, Any]) -> list[Any]:
    from cloudevents_cli.platform.client import instance_element

    conf = _config(inst)
    enabled = inst.get("eventsEnabled")
    if enabled is None and "event.notification.enabled" in conf:
        enabled = str(conf["event.notification.enabled"]).lower() == "true"
    callback = inst.get("eventsNotificationCallbackUrl") or conf.get("event.notification.callback.url")
    return [
        inst.get("id"),
        inst.get("name"),
        instance_element(inst),
        conf.get("event.vendor.type"),
        enabled,
        callback,
        inst.get("tags") or [],
    ]


LIST_COLUMNS = ["id", "name", "element", "events type", "enabled", "callback URL", "tags"]


def _render_instances(out: Output, instances: list[dict[str, Any]]) -> None:
    from cloudevents_cli import redact

    if out.fmt == "json":
        out.json({"instances": [redact.mask(i) for i in instances]})
    elif out.fmt == "yaml":
        out.yaml({"schema_version": 1, "instances": [redact.mask(i) for i in instances]})
    elif out.fmt == "id":
        out.ids([i.get("id") for i in instances])
    else:
        out.table(LIST_COLUMNS, [_row(i) for i in instances])


@app.command("list")
def list_(
    ctx: typer.Context,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Only instances with this tag (repeat).")
    ] = None,
    element: Annotated[str | None, typer.Option("--element", metavar="KEY", help="Only this element key.")] = None,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", help="Only names matching this glob.")] = None,
    output: OutputOpt = None,
) -> None:
    """Instances as a table: id, name, element, events type, enabled, callback URL, tags."""
    st = state(ctx)
    out = st.output_for(output)
    conn = connection(st)
    from cloudevents_cli.platform.operations import list_filtered

    instances = with_client(st, conn, lambda c: list_filtered(c, tags=tag or [], element=element, name=name))
    _render_instances(out, instances)
    if out.fmt == "table":
        out.info(f"{len(instances)} instance{'s' if len(instances) != 1 else ''}")


@app.command()
def get(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID|NAME", help="Instance id or name.")],
    output: OutputOpt = None,
) -> None:
    """One instance, by id or name."""
    st = state(ctx)
    out = st.output_for(output)
    conn = connection(st)
    instance = with_client(st, conn, lambda c: c.resolve(ref))
    if out.fmt != "table":
        _render_instances(out, [instance])
        return
    from cloudevents_cli import redact

    masked = redact.mask(instance)
    row = _row(instance)
    rows: list[list[Any]] = [[col, val] for col, val in zip(LIST_COLUMNS, row, strict=True)]
    for key in ("token", "valid", "disabled", "createdDate", "updatedDate"):
        if key in masked:
            rows.append([key, masked[key]])
    for key, value in _config(masked).items():
        rows.append([f"configuration.{key}", _show(value)])
    out.table(["field", "value"], rows)


# -- delete -------------------------------------------------------------------------------------------------
@app.command()
def delete(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(metavar="ID|NAME...", help="Instance ids or names.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    output: OutputOpt = None,
) -> None:
    """Delete instances; asks first on a terminal, needs --yes otherwise."""
    st = state(ctx)
    out = st.output_for(output)
    if not yes and (os.environ.get("CI") or not sys.stdin.isatty()):
        why = "CI is set" if os.environ.get("CI") else "there is no terminal to ask on"
        raise UsageError(f"refusing to delete without --yes: {why}")
    conn = connection(st)
    from cloudevents_cli.platform.operations import delete_refs, resolve_refs

    found = with_client(st, conn, lambda c: resolve_refs(c, refs))
    targets = [f for f in found if f.action == "found"]
    if targets and not yes:
        listing = ", ".join(f"{t.id} ({t.name})" for t in targets)
        if not typer.confirm(f"Delete {len(targets)} instance(s): {listing}?", default=False, err=True):
            out.info("nothing deleted")
            raise typer.Exit(int(ExitCode.NO))
    results = with_client(st, conn, lambda c: delete_refs(c, found))
    _finish(_render_results(out, results))


# -- export -------------------------------------------------------------------------------------------------
@app.command()
def export(
    ctx: typer.Context,
    refs: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID|NAME...]", help="Instance ids or names.", show_default=False),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every instance.")] = False,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Instances with this tag (repeat).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option("-d", "--dir", metavar="DIR", help="Write one <name>.yaml a instance into this folder."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files in DIR.")] = False,
    output: OutputOpt = None,
) -> None:
    """Write definitions (YAML) for existing instances; secrets become ${env:} placeholders."""
    st = state(ctx)
    out = st.output_for(output, default="yaml", allowed=("yaml", "json", "id", "table"))
    if not refs and not all_ and not tag:
        raise UsageError("say which instances: ID|NAME..., --tag T or --all")
    if refs and all_:
        raise UsageError("give ID|NAME... or --all, not both")
    conn = connection(st)
    from cloudevents_cli.platform.operations import collect_for_export

    instances = with_client(st, conn, lambda c: collect_for_export(c, refs or [], tags=tag or [], all_=all_))
    if not instances:
        out.warn("no instances matched")
        return
    if out.fmt in ("json", "id", "table") and directory is None:
        _render_instances(out, instances)
        return
    from cloudevents_cli.definitions.export import render_yaml, to_definition

    documents: list[tuple[dict[str, Any], str]] = []
    for inst in instances:
        definition, env_vars = to_definition(inst)
        origin = f"instance {inst.get('id')} at {conn.base_url}"
        documents.append((inst, render_yaml(definition, env_vars, origin=origin)))
    if directory is None:
        out.text("---\n".join(_doc_end(text) for _, text in documents))
        return
    from cloudevents_cli.platform.operations import export_file_names

    names = export_file_names([inst for inst, _ in documents])
    targets = [directory / n for n in names]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise UsageError(f"not overwriting {', '.join(existing)} (use --force)")
    directory.mkdir(parents=True, exist_ok=True)
    for target, (_, text) in zip(targets, documents, strict=True):
        target.write_text(_doc_end(text), encoding="utf-8")
        out.info(f"wrote {target}")


def _doc_end(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
