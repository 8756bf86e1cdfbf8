"""Commands that work offline: validate and render."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudevents_cli.cli.app import command_group, state
from cloudevents_cli.cli.common import OutputOpt, PathsArg, ShowSecretsOpt, report_problems
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
from cloudevents_cli.errors import ExitCode
from cloudevents_cli.output import Output

if TYPE_CHECKING:
    from cloudevents_cli.definitions.pipeline import Batch
    from cloudevents_cli.definitions.problems import Problem

app = command_group()  # this module's commands; cli.app.Group loads them when they run


TABLE_ALL_UP_TO = 50  # definitions; above this the table lists only those with problems


@app.command()
def validate(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Definition files, folders or - for stdin.", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    unique: Annotated[
        bool, typer.Option("--unique/--no-unique", help="Same name and element twice is an error (as for apply).")
    ] = True,
    no_file_outside: NoFileOutsideOpt = False,
    allow_unset: Annotated[
        bool,
        typer.Option(
            "--allow-unset",
            help="An unset ${env:} variable is a warning, not an error (where the secrets are not set: a pre-commit "
            "hook, a laptop); what its value would be is not checked.",
        ),
    ] = False,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also check against the platform's element metadata (required keys, event methods, element keys).",
        ),
    ] = False,
    output: OutputOpt = None,
) -> None:
    """Validate definitions offline; every problem of every file, located. -o github gives annotations."""
    st = state(ctx)
    out = st.output_for(output, allowed=("table", "json", "yaml", "github"))
    from cloudevents_cli.definitions.pipeline import build

    batch = build(paths, unique=unique, confine_files=no_file_outside, allow_unset=allow_unset)
    if online:
        _check_online(st, batch)
    failed = bool(batch.errors) or (strict and bool(batch.warnings))
    summary = {
        "files": batch.files,
        "definitions": len(batch.items),
        "errors": len(batch.errors),
        "warnings": len(batch.warnings),
    }
    verdict = "failed" if failed else "valid"
    line = (
        f"{_count(summary['definitions'], 'definition')} in {_count(summary['files'], 'file')}: {verdict} "
        f"({_count(summary['errors'], 'error')}, {_count(summary['warnings'], 'warning')})"
    )

    def table(doc: dict[str, Any]) -> None:
        report_problems(out, batch.problems)
        _validate_table(out, batch)
        out.error(line) if failed else out.success(line)

    out.emit(
        {"problems": [p.as_dict() for p in batch.problems], "summary": summary},
        table=table,
        views={"github": lambda doc: _annotations(out, batch.problems)},
    )
    if failed:
        raise typer.Exit(int(ExitCode.INVALID))


def _check_online(st: Any, batch: Batch) -> None:
    """Add the problems found against the platform's element metadata (cached for a day per base URL)."""
    from cloudevents_cli.cli.connect import connection, with_client
    from cloudevents_cli.definitions import online_checks
    from cloudevents_cli.platform.elements import Catalogue

    items = [i for i in batch.items if i.doc is not None and isinstance(i.element, str)]
    if not items:
        return
    conn = connection(st)

    async def look_up(client: Any) -> tuple[dict[str, Any], list[str]]:
        catalogue = Catalogue(client)
        infos = await catalogue.many(sorted({str(i.element) for i in items}))
        known = [e["key"] for e in await catalogue.keys()] if None in infos.values() else []
        return infos, known

    infos, known = with_client(st, conn, look_up)
    for item in items:
        assert item.doc is not None
        found = online_checks.check(item.doc, infos[str(item.element)], known)
        item.problems.extend(found)
        batch.problems.extend(found)


def _validate_table(out: Output, batch: Batch) -> None:
    """One row a definition, and one a file that did not load; a long run lists only what needs a look."""
    loaded = {item.source.rpartition("#")[0] for item in batch.items}
    unloaded = dict.fromkeys(p.source for p in batch.errors if p.source not in loaded)
    rows: list[tuple[str, str | None, str | None, str, str]] = [
        (source, "", "", "", _verdict(batch.errors, source)) for source in unloaded
    ]
    shown = batch.items
    if len(shown) > TABLE_ALL_UP_TO:  # a long run: the table lists what needs a look, the summary the rest
        shown = [item for item in batch.items if item.problems]
    rows += [(item.source, item.name, item.element, _events_type(item.body), _verdict(item.problems)) for item in shown]
    if rows:
        out.table(["definition", "name", "element", "events", "result"], rows)
    if len(shown) < len(batch.items):
        out.info(f"{_count(len(batch.items) - len(shown), 'more definition')} without any problem not listed")


@app.command()
def render(
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
    show_secrets: ShowSecretsOpt = False,
    output: OutputOpt = None,
) -> None:
    """Print the request body that would be sent: one JSON object, or a list for several definitions."""
    out = state(ctx).output_for(output, default="json", allowed=("json", "yaml"))
    overrides = overrides_of(paths, locals())
    from cloudevents_cli.definitions.pipeline import build

    batch = build(paths or [], overrides, confine_files=no_file_outside)
    report_problems(out, batch.errors if out.quiet else batch.problems)
    if batch.errors:
        out.error(f"{_count(len(batch.errors), 'error')}: nothing rendered")
        raise typer.Exit(int(ExitCode.INVALID))
    if not batch.items:
        out.error("no definition found")
        raise typer.Exit(int(ExitCode.INVALID))
    bodies = [item.body for item in batch.items]
    secrets = [value for item in batch.items for value in item.secrets]
    out.emit(bodies[0] if len(bodies) == 1 else bodies, envelope=False, reveal=show_secrets, secrets=secrets)


def _events_type(body: dict | None) -> str:
    if not body:
        return ""
    cfg = body.get("configuration") or {}
    if cfg.get("event.notification.enabled") is False:
        return "off"
    return str(cfg.get("event.vendor.type", "")) if "event.notification.enabled" in cfg else ""


def _verdict(problems: list[Problem], source: str | None = None) -> str:
    """ok / ok (N warnings) / invalid (N errors), for a definition's problems or a file's (`source`)."""
    if source is not None:
        problems = [p for p in problems if p.source == source]
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        return f"invalid ({_count(errors, 'error')})"
    return f"ok ({_count(warnings, 'warning')})" if warnings else "ok"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _annotations(out: Output, problems: list[Problem]) -> None:
    from cloudevents_cli.definitions.problem_reporter import github_annotation

    if problems:  # none: no output at all, not an empty line
        out.text("".join(github_annotation(p) + "\n" for p in problems))
