"""Commands that work offline: validate and render."""

from __future__ import annotations

from typing import Annotated

import typer

from cloudevents_cli import redact
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
    output: OutputOpt = None,
) -> None:
    """Validate definitions offline; every problem of every file, located. -o github gives annotations."""
    out = state(ctx).output_for(output, allowed=("table", "json", "yaml", "github"))
    from cloudevents_cli.definitions.pipeline import build

    batch = build(paths, unique=unique, confine_files=no_file_outside)
    failed = bool(batch.errors) or (strict and bool(batch.warnings))
    summary = {
        "files": batch.files,
        "definitions": len(batch.items),
        "errors": len(batch.errors),
        "warnings": len(batch.warnings),
    }
    if out.fmt in ("json", "yaml"):
        doc = {"problems": [p.as_dict() for p in batch.problems], "summary": summary}
        out.json(doc) if out.fmt == "json" else out.yaml({"schema_version": 1, **doc})
    elif out.fmt == "github":
        out.text("".join(_annotation(p) + "\n" for p in batch.problems) or "")
    else:
        report_problems(out, batch.problems)
        shown = batch.items
        if len(shown) > TABLE_ALL_UP_TO:  # a long run: the table lists what needs a look, the summary the rest
            shown = [item for item in batch.items if item.problems]
        rows = [(item.source, item.name, item.element, _events_type(item.body), _verdict(item)) for item in shown]
        if rows:
            out.table(["definition", "name", "element", "events", "result"], rows)
        if len(shown) < len(batch.items):
            out.info(f"{_count(len(batch.items) - len(shown), 'more definition')} without any problem not listed")
        verdict = "failed" if failed else "valid"
        line = (
            f"{_count(summary['definitions'], 'definition')} in {_count(summary['files'], 'file')}: {verdict} "
            f"({_count(summary['errors'], 'error')}, {_count(summary['warnings'], 'warning')})"
        )
        out.error(line) if failed else out.success(line)
    if failed:
        raise typer.Exit(int(ExitCode.INVALID))


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
    bodies = [item.body if show_secrets else redact.mask(item.body, item.secrets) for item in batch.items]
    doc = bodies[0] if len(bodies) == 1 else bodies
    if out.fmt == "json":
        out.raw_json(doc, reveal=show_secrets)
    else:
        out.yaml(doc, reveal=show_secrets)


def _events_type(body: dict | None) -> str:
    if not body:
        return ""
    cfg = body.get("configuration") or {}
    if cfg.get("event.notification.enabled") is False:
        return "off"
    return str(cfg.get("event.vendor.type", "")) if "event.notification.enabled" in cfg else ""


def _verdict(item: object) -> str:
    problems = getattr(item, "problems", [])
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if errors:
        return f"invalid ({_count(errors, 'error')})"
    return f"ok ({_count(warnings, 'warning')})" if warnings else "ok"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _annotation(problem: object) -> str:
    from cloudevents_cli.definitions.problems import Problem

    assert isinstance(problem, Problem)
    level = "error" if problem.severity == "error" else "warning"
    props = [f"file={problem.source}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
    if problem.column is not None:
        props.append(f"col={problem.column}")
    props.append(f"title={problem.code}")
    message = (f"{problem.path}: " if problem.path else "") + problem.message
    if problem.hint:
        message += f" ({problem.hint})"
    message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{level} {','.join(props)}::{message}"
