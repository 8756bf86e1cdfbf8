"""Validation of one document: the model's structural errors, then the rules in checks.py.

The pydantic model runs only on data that shape.py cannot pass: most definitions never import pydantic."""

from __future__ import annotations

import difflib
from typing import Any

from cloudevents_cli.definitions import checks, shape
from cloudevents_cli.definitions.loader import YAML11_BOOLS, Document, Path_
from cloudevents_cli.definitions.problem_reporter import Reporter, describe_value, dotted
from cloudevents_cli.definitions.problems import Problem

_TYPE_NAMES = {
    "string_type": "a text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "float_type": "a number",
}
_SPECIFIC_CODES = {
    "events.type": "bad-event-type",
    "events.refresh_interval": "bad-refresh-interval",
}


def validate(doc: Document) -> list[Problem]:
    """Every problem of one document (errors and warnings), in a stable order."""
    report = Reporter(doc)
    if not shape.fits(doc.data):
        from pydantic import ValidationError

        from cloudevents_cli.definitions.model import Definition

        try:
            Definition.model_validate(doc.data)
        except ValidationError as err:
            for error in err.errors(include_url=False, include_context=True, include_input=False):
                _structural(report, doc, error)
    checks.run(report, doc.data)
    return _dedupe(report.problems)


def _structural(report: Reporter, doc: Document, error: Any) -> None:
    loc: Path_ = tuple(error["loc"])
    kind: str = error["type"]
    path_text = dotted(loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        hint = _did_you_mean(key, loc[:-1])
        where = f"in {dotted(loc[:-1])}" if len(loc) > 1 else "at the top level"
        report.error(loc, "unknown-key", f"unknown key '{key}' {where}", hint, key=True)
        return
    if kind == "missing":
        report.error(loc[:-1], "missing-key", f"'{loc[-1]}' is required", _missing_hint(loc))
        return
    code = _SPECIFIC_CODES.get(path_text, "wrong-type")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        report.error(loc, _SPECIFIC_CODES.get(path_text, "bad-value"), f"must be one of {expected}")
        return
    if kind in _TYPE_NAMES:
        value = _value_at(doc.data, loc)
        message = f"expected {_TYPE_NAMES[kind]}, got {describe_value(value)}"
        report.error(loc, code, message, _type_hint(doc, loc, value, kind))
        return
    if kind in ("greater_than_equal", "greater_than"):
        limit = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("gt"))
        report.error(loc, _SPECIFIC_CODES.get(path_text, "bad-value"), f"must be a whole number >= {limit}")
        return
    if kind == "string_too_short":
        report.error(loc, "empty-value", "must not be empty")
        return
    report.error(loc, "bad-value", str(error.get("msg", "invalid value")))


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and part < len(data)
        ):
            data = data[part]  # type: ignore[index]
        else:
            return None
    return data


def _type_hint(doc: Document, loc: Path_, value: Any, kind: str) -> str | None:
    raw = doc.plain_scalars.get(loc)
    if loc in doc.interpolated and kind != "string_type":
        return (
            "a value from ${env:}, ${file:} or ${tenant.} is always a text: write the value itself, or use a flag "
            "or --set"
        )
    if kind == "string_type" and raw is not None:
        if raw.lower() in YAML11_BOOLS:
            return f'YAML reads an unquoted {raw} as a boolean; write "{raw}" to mean the text'
        return f'write "{raw}" in quotes to make it a text'
    if kind in ("int_type", "int_from_float") and isinstance(value, str) and value.strip().isdigit():
        return f"write {value.strip()} without quotes"
    if kind == "bool_type" and isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return "write true or false without quotes"
    return None


def _did_you_mean(key: str, parent: Path_) -> str | None:
    from cloudevents_cli.definitions.model import model_at

    model = model_at(parent)
    if model is None:
        return None
    names = list(model.model_fields)
    # Platform spellings (idField, callbackUrl, ...) map to ours: compare without case and separators.
    flat = {n.replace("_", "").lower(): n for n in names}
    direct = flat.get(key.replace("_", "").replace("-", "").replace(".", "").lower())
    if direct:
        return f"did you mean '{direct}'?"
    close = difflib.get_close_matches(key.lower(), names, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"allowed keys: {', '.join(names)}"


def _missing_hint(loc: Path_) -> str | None:
    hints = {
        "name": "add 'name: my-instance'",
        "element": "add the element key, e.g. 'element: hubspotcrm'",
    }
    return hints.get(str(loc[-1]))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.path, p.code, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    out.sort(key=lambda p: (p.line or 0, p.column or 0))
    return out
