"""How results of create/apply/diff/delete are shown: one table (or json/yaml/ids), changes, a summary line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from cloudevents_cli.errors import ExitCode, worst
from cloudevents_cli.output import Output

if TYPE_CHECKING:
    from cloudevents_cli.platform.operations import Result


def render_results(out: Output, results: Sequence[Result], *, diff: bool = False) -> ExitCode:
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
            [r.name, c["path"], show_value(c.get("before")), show_value(c.get("after"))]
            for r in results
            for c in r.changes
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


def show_value(value: Any) -> str:
    import json

    if value is None:
        return "(absent)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def finish(code: ExitCode) -> None:
    if code != ExitCode.OK:
        raise typer.Exit(int(code))
