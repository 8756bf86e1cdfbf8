"""Tenants: one definition written as a template and expanded over a list of rows (`tenants:`), an instance a row.

`tenants:` is a path, relative to the definition's folder, to a `.csv` file (a header row naming the columns,
then a row per tenant) or a `.yaml`/`.yml` file (a list of mappings), or an inline list of mappings. A row's
values are texts, as written (a YAML `0123` or `no` stays that text). `${env:}` and `${file:}` inside a value are
interpolated (a `${file:}` relative to the folder of the file that holds the row), so a tenants file kept in git
can take each customer's secrets from the environment. Secret are such values, the `user_secret`/`org_secret`
columns and columns named like a secret (`api_key`, `password`). The columns `profile`, `user_secret` and
`org_secret` choose the account the row's instance goes to (empty: the run's).

The file obeys the limits of a `${file:}` read (a regular file, at most 1 MiB, UTF-8; a byte order mark is
allowed), a YAML file also the node budget of a definition; at most 100,000 rows. Problems are returned, never
raised: a row's own are located at the row (in the tenants file) and name it.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.definitions import loader
from cloudevents_cli.definitions.interpolate import FileCache, Unread, interpolate, read_text_file
from cloudevents_cli.definitions.loader import Document, Path_
from cloudevents_cli.definitions.problems import Problem

KEY = "tenants"
MAX_TENANTS = 100_000
ACCOUNT_COLUMNS = ("profile", "user_secret", "org_secret")
_SECRET_COLUMNS = ("user_secret", "org_secret")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_COLUMN_HINT = "a column name is letters, digits, _ and -, starting with a letter or _"


@dataclass(frozen=True)
class Account:
    """Whose platform account an item goes to, when it is not the run's own (a tenant row's profile or secrets).
    Fields left None fall back to the run's settings."""

    profile: str | None = None
    user_secret: str | None = None
    org_secret: str | None = None


@dataclass(frozen=True)
class Tenant:
    """The tenant row an item was made from: its number in the list (from 1) and where the row is written."""

    number: int
    source: str  # the tenants file, or the definition file for an inline list
    line: int | None

    @property
    def where(self) -> str:
        return self.source if self.line is None else f"{self.source}:{self.line}"


@dataclass
class Row:
    """One tenant: its values (interpolated), which of them are secret, and the account it chooses."""

    tenant: Tenant
    values: dict[str, str]
    secrets: set[str] = field(default_factory=set)
    bearing: dict[str, str] = field(default_factory=dict)  # a value with secrets inside -> its masked form
    problems: list[Problem] = field(default_factory=list)  # the row's own, located at the row
    account: Account | None = None

    def suggest(self, key: str) -> str:
        """A hint for a `${tenant.KEY}` the row lacks."""
        if not self.values:
            return "the tenant has no values"
        names = list(self.values)
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return (f"did you mean '{close[0]}'? " if close else "") + f"the tenant has: {listed}"


_Mark = tuple[int, int]
_Raw = tuple[int, _Mark, dict[str, str], dict[str, _Mark]]  # number, where the row is, values, where each is


def rows(
    doc: Document, environ: Mapping[str, str] | None, *, confine: bool, files: FileCache
) -> tuple[list[Row], list[Problem]]:
    """The rows of `doc`'s `tenants:` (the key is removed from its data), interpolated and checked, and the
    problems that keep rows from being read (each row's own are on the row)."""
    spec = doc.data.pop(KEY)
    line, col = doc.mark((KEY,))

    def problem(code: str, message: str, hint: str | None = None) -> tuple[list[Row], list[Problem]]:
        return [], [Problem(doc.source, line, col, KEY, "error", code, message, hint)]

    if isinstance(spec, list):
        source, base = doc.source, doc.base_dir
        raw, found = _mappings(spec, (KEY,), doc, source)
    elif isinstance(spec, str) and spec.strip():
        suffix = Path(spec).suffix.lower()
        if suffix not in (".csv", ".yaml", ".yml"):
            return problem("bad-tenants", f"'{spec}': a tenants file is a .csv, .yaml or .yml file")
        try:
            text = read_text_file(spec, doc.base_dir, confine, ref=f"the tenants file {spec}")
        except Unread as err:
            return problem(err.code, err.message)
        text = text.removeprefix("\ufeff")
        path = os.path.expanduser(spec)
        source = path if doc.source == loader.STDIN else os.path.join(os.path.dirname(doc.source), path)
        base = Path(os.path.join(doc.base_dir, path)).parent
        raw, found = _csv(text, source) if suffix == ".csv" else _yaml(text, source, base)
    else:
        return problem(
            "bad-tenants", "tenants is a file (.csv, .yaml) or a list of mappings", "e.g. 'tenants: tenants.csv'"
        )
    if not raw and not found:
        return problem("no-tenants", f"no tenant in {'the list' if source == doc.source else source}")
    made = [_row(number, at, values, marks, source, base, environ, confine, files) for number, at, values, marks in raw]
    return made, found


def _row(
    number: int,
    at: _Mark,
    values: dict[str, str],
    marks: dict[str, _Mark],
    source: str,
    base: Path,
    environ: Mapping[str, str] | None,
    confine: bool,
    files: FileCache,
) -> Row:
    cells = Document(source=source, index=number, data=values, base_dir=base)
    cells.marks = {(): at, **{(key,): mark for key, mark in marks.items()}}
    cells.may_interpolate = any("${" in value for value in values.values())
    found = interpolate(cells, environ, confine=confine, in_row=True, files=files)
    row = Row(Tenant(number, source, at[0]), cells.data, cells.secrets, cells.bearing)
    row.problems = [replace(p, message=f"tenant {number}: {p.message}") for p in found]
    for key, value in row.values.items():
        if value and (key in _SECRET_COLUMNS or redact.is_secret_key(key)):
            row.secrets.add(value)
    for key in _SECRET_COLUMNS:
        value = row.values.get(key, "")
        if not all(32 <= ord(ch) < 127 for ch in value):
            where = cells.mark((key,))
            row.problems.append(
                Problem(
                    source,
                    where[0],
                    where[1],
                    key,
                    "error",
                    "bad-tenant-secret",
                    f"tenant {number}: the {key} contains a control character (such as a line break) or a "
                    "non-ASCII character",
                    "check how it was set",
                )
            )
    chosen = {key: row.values.get(key) or None for key in ACCOUNT_COLUMNS}
    if any(chosen.values()):
        row.account = Account(**chosen)
    return row


def _csv(text: str, source: str) -> tuple[list[_Raw], list[Problem]]:
    """Rows of a CSV text: the first row names the columns; blank lines are skipped."""
    problems: list[Problem] = []
    out: list[_Raw] = []

    def bad(line: int | None, message: str, hint: str | None = None) -> None:
        problems.append(Problem(source, line, None, "", "error", "bad-csv", message, hint))

    header: list[str] | None = None
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record:
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                wrong = next((cell for cell in header if not _COLUMN.match(cell)), None)
                twice = next((cell for i, cell in enumerate(header) if cell in header[:i]), None)
                if wrong is not None:
                    bad(start, f"the first row names the columns, and {wrong!r} is not a column name", _COLUMN_HINT)
                    return [], problems
                if twice is not None:
                    bad(start, f"the column '{twice}' is named twice in the header row", "keep one of them")
                    return [], problems
                continue
            number += 1
            if number > MAX_TENANTS:
                return [], [_too_many(source, start)]
            if len(record) != len(header):
                bad(
                    start,
                    f"tenant {number} has {len(record)} values, the header row names {len(header)} columns",
                    'quote a value that holds a comma: "a, b"',
                )
                continue
            values = dict(zip(header, record, strict=True))
            out.append((number, (start, 1), values, _cells(lines, start, end, header, record)))
    except csv.Error as err:
        bad(reader.line_num, f"not valid CSV: {err}")
    if header is None and not problems:
        bad(None, "the file is empty", "write a header row naming the columns (name,...), then a row per tenant")
    return out, problems


def _cells(lines: list[str], start: int, end: int, header: list[str], record: list[str]) -> dict[str, _Mark]:
    """Where each value of a CSV row starts, when the row is one line without quotes (else the row's start)."""
    if start != end or ",".join(record) != lines[start - 1].rstrip("\r"):
        return {}
    marks: dict[str, _Mark] = {}
    column = 1
    for key, value in zip(header, record, strict=True):
        marks[key] = (start, column)
        column += len(value) + 1
    return marks


def _yaml(text: str, source: str, base: Path) -> tuple[list[_Raw], list[Problem]]:
    docs, problems = loader.parse_documents(text, source, base, mappings=False)
    if problems or not docs:
        return [], problems
    if len(docs) > 1 or not isinstance(docs[0].data, list):
        line, col = docs[0].mark(()) if len(docs) == 1 else docs[1].mark(())
        message = "a tenants file holds one list of mappings (- name: acme), in one document"
        return [], [Problem(source, line, col, "", "error", "bad-tenants", message)]
    return _mappings(docs[0].data, (), docs[0], source)


def _mappings(entries: list[Any], prefix: Path_, doc: Document, source: str) -> tuple[list[_Raw], list[Problem]]:
    """Rows of a YAML list (inline in a definition at `prefix`, or a tenants file's)."""
    if len(entries) > MAX_TENANTS:
        return [], [_too_many(source, doc.mark((*prefix, MAX_TENANTS))[0])]
    out: list[_Raw] = []
    problems: list[Problem] = []

    def bad(path: Path_, message: str, hint: str | None = None, *, key: bool = False) -> None:
        line, col = doc.mark(path, key=key)
        dotted = ".".join(str(p) for p in path)
        problems.append(Problem(source, line, col, dotted, "error", "bad-tenants", message, hint))

    for i, entry in enumerate(entries):
        number, path = i + 1, (*prefix, i)
        if not isinstance(entry, dict):
            bad(path, f"tenant {number} is not a mapping of texts (name: acme, ...)")
            continue
        values: dict[str, str] = {}
        marks: dict[str, _Mark] = {}
        fine = True
        for key, value in entry.items():
            where = (*path, key)
            if not _COLUMN.match(key):
                bad(where, f"tenant {number}: {key!r} is not a column name", _COLUMN_HINT, key=True)
                fine = False
            elif isinstance(value, (dict, list)):
                bad(where, f"tenant {number}: the value of '{key}' is a list or mapping, not a text")
                fine = False
            else:
                values[key] = _text(value, doc.plain_scalars.get(where))
                marks[key] = _at(doc, where)
        if fine:
            out.append((number, _at(doc, path), values, marks))
    return out, problems


def _at(doc: Document, path: Path_) -> _Mark:
    line, col = doc.mark(path)
    return (line or 1, col or 1)


def _text(value: Any, raw: str | None) -> str:
    """A YAML scalar as the text written: `0123` stays 0123, `no` stays no, nothing is empty."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if raw is not None:
        return raw
    return str(value).lower() if isinstance(value, bool) else str(value)


def _too_many(source: str, line: int | None) -> Problem:
    message = f"over {MAX_TENANTS:,} tenants; split the list over several definitions"
    return Problem(source, line, None, "", "error", "too-many-tenants", message)
