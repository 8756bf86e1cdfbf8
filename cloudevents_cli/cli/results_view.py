"""How results of create/apply/diff/delete are shown: one document, as a table (with changes and a summary
line) or json/yaml/ids. Rendering only: the exit code is errors.batch_code's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cloudevents_cli.output import Output, to_json

if TYPE_CHECKING:
    from cloudevents_cli.platform.results import Result


def render_results(out: Output, results: Sequence[Result], *, bodies: bool = False, reveal: bool = False) -> None:
    """The results on stdout; each failure also as one line on stderr.

    `bodies` (create --dry-run): the table shows the request bodies; `reveal` (--show-secrets) leaves them clear.
    """
    from cloudevents_cli.platform.results import summary

    for r in results:
        if r.error is not None and r.action not in ("invalid", "not-run"):
            out.error(f"error: {r.source} {r.name or ''}: {r.error.message}")
    doc = {"results": [r.as_dict() for r in results], "summary": summary(results)}
    out.emit(
        doc,
        table=(lambda d: _bodies_table(out, d)) if bodies else (lambda d: _results_table(out, d)),
        ids=lambda d: [r["id"] for r in d["results"]],
        reveal=reveal,
    )


def stream_result(out: Output, result: Result) -> None:
    """--stream: one result as one JSON line as it finishes (the result object of the document, with
    `schema_version`); a failure also as one line on stderr."""
    if result.error is not None and result.action not in ("invalid", "not-run"):
        out.error(f"error: {result.source} {result.name or ''}: {result.error.message}")
    out.emit_line(result.as_dict(), table=lambda d: None)


def stream_summary(out: Output, results: Sequence[Result]) -> None:
    """--stream: the last line, `{"schema_version": 1, "summary": {action: count}}`: the run is over."""
    from cloudevents_cli.platform.results import summary

    out.emit_line({"summary": summary(results)}, table=lambda d: None)


def _results_table(out: Output, doc: dict[str, Any]) -> None:
    results = doc["results"]
    if results:
        rows = [[r["source"], r["name"], r["element"], r["action"], r["id"], _status_cell(r)] for r in results]
        out.table(["source", "name", "element", "action", "id", "status"], rows)
    changes = [
        [r["name"], c["path"], show_value(c.get("before")), show_value(c.get("after"), absent="(removed)")]
        for r in results
        for c in r["changes"]
    ]
    if changes:
        out.table(["name", "path", "before", "after"], changes, title="changes")
    _summary_line(out, doc)


def _bodies_table(out: Output, doc: dict[str, Any]) -> None:
    """create --dry-run as a "table": each body that would be POSTed, as JSON."""
    for r in doc["results"]:
        if r.get("body") is not None:
            out.info(f"# {r['source']} ({r['name']}): would POST /instances")
            out.text(to_json(r["body"]))
    _summary_line(out, doc)


def _summary_line(out: Output, doc: dict[str, Any]) -> None:
    out.info(", ".join(f"{n} {a}" for a, n in doc["summary"].items()) or "nothing to do")


def _status_cell(r: dict[str, Any]) -> str:
    if r["error"] is not None:
        return str(r["error"]["message"]) if r["action"] != "invalid" else "invalid (see above)"
    return str(r["http_status"] or "")


def show_value(value: Any, absent: str = "(absent)") -> str:
    """A change's value in a table cell; None is a key the platform does not hold (or, after, one unset)."""
    import json

    if value is None:
        return absent
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
