"""Files to request bodies: load, interpolate, apply flags, validate, expand. The entry point of `definitions/`.

A problem with a value given by a flag is a usage error (the command line is wrong, for every definition).
A definition with `tenants:` is a template: one Item a tenant row (tenants.py), its source `FILE#INDEX (tenant N)`.
A problem of the template is located at the template's line and names the tenants that have it: once in the
batch's problems for all of them, and on each item for its own row.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from cloudevents_cli import redact
from cloudevents_cli.definitions import loader, tenants
from cloudevents_cli.definitions import overrides as flags
from cloudevents_cli.definitions.expand import expand
from cloudevents_cli.definitions.interpolate import FileCache, interpolate
from cloudevents_cli.definitions.problems import Problem, Severity
from cloudevents_cli.definitions.tenants import Account, Tenant
from cloudevents_cli.definitions.validate import validate
from cloudevents_cli.errors import UsageError

__all__ = ["Account", "Batch", "Item", "Tenant", "build"]


@dataclass
class Item:
    """One definition, ready to send (when `valid`)."""

    source: str  # "FILE#INDEX", INDEX counting documents from 1; "FILE#INDEX (tenant N)" for a template's row
    name: str | None
    element: str | None
    body: dict[str, Any] | None  # the POST /instances body; None when the definition is invalid
    secrets: frozenset[str] = frozenset()  # values that came from ${env:}/${file:} or secret flags: mask them
    problems: list[Problem] = field(default_factory=list)
    name_at: tuple[int | None, int | None] = (None, None)  # line and column of the name
    account: Account | None = None  # None: the run's account (profile/flags/env)
    tenant: Tenant | None = None  # the row of a template's tenants this item was made from
    doc: loader.Document | None = field(default=None, repr=False, compare=False)  # marks, for later checks

    @property
    def valid(self) -> bool:
        return self.body is not None and not any(p.severity == "error" for p in self.problems)


@dataclass
class Batch:
    items: list[Item]
    problems: list[Problem]  # every problem of the run, items' included, in file order
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def build(
    paths: Sequence[str],
    overrides: flags.Overrides | None = None,
    *,
    stdin: BinaryIO | None = None,
    environ: Mapping[str, str] | None = None,
    unique: bool = False,
    confine_files: bool = False,
    allow_unset: bool = False,
) -> Batch:
    """Read every PATH (file, folder, '-') and turn each document into an Item. Never raises for bad input in
    files; raises UsageError for a bad flag value (naming the flag).

    With `unique`, two definitions with the same name and element are an error (apply needs one of each).
    With `confine_files` (--no-file-outside), `${file:}` reads only inside the folder of the definition file.
    With `allow_unset` (validate --allow-unset, where the secrets are not set: a pre-commit hook), an unset
    `${env:}` variable is a warning, and what its value would have been checked for is not checked.
    """
    with _cycle_collector_paused():
        return _build(paths, overrides, stdin, environ, unique, confine_files, allow_unset)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A batch keeps everything it builds (data, marks, items) and makes no reference cycles, so Python's cycle
    collector, run again and again as that grows, finds nothing: a sixth of the time of a large `validate`.
    Paused while building; as it was afterwards (unused memory is still freed at once, by reference counts).
    What the build made then joins the oldest generation without a walk (freeze, then unfreeze, which puts
    objects there), instead of being walked by the next collection; unless the process froze objects itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _build(
    paths: Sequence[str],
    overrides: flags.Overrides | None,
    stdin: BinaryIO | None,
    environ: Mapping[str, str] | None,
    unique: bool,
    confine_files: bool,
    allow_unset: bool = False,
) -> Batch:
    items: list[Item] = []
    problems: list[Problem] = []
    if not paths and overrides is not None and overrides.defines_instance:
        files: list[str] = []
        loaded = [("", ([flags.from_flags(overrides)], list[Problem]()))]
    else:
        files, problems = loader.expand_paths(paths)
        folders: dict[str, Path] = {}
        loaded = [(source, loader.load(source, stdin, folders)) for source in files]
    data_files = _tenant_files(loaded)
    files_cache: FileCache = {}
    for source, (docs, file_problems) in loaded:
        if not docs and data_files and source != loader.STDIN and Path(source).resolve() in data_files:
            files.remove(source)  # a tenants file among the paths (a folder walk): data, not a definition
            continue
        problems.extend(file_problems)
        for doc in docs:
            if tenants.KEY in doc.data:
                made, found = _tenant_items(doc, overrides, environ, confine_files, files_cache, allow_unset)
                items.extend(made)
                problems.extend(found)
                continue
            item = _item(doc, overrides, environ, confine_files, files_cache, allow_unset=allow_unset)
            items.append(item)
            problems.extend(item.problems)
    redact.register(*(value for item in items for value in item.secrets))  # once: a fleet has many
    for problem in problems:
        if problem.severity == "error" and flags.is_flag(problem.source):
            raise UsageError(f"{problem.source}: {problem.message}" + (f" ({problem.hint})" if problem.hint else ""))
    _duplicates(items, problems, unique)
    return Batch(items=items, problems=problems, files=len(files))


def _tenant_files(loaded: list[tuple[str, tuple[list[loader.Document], list[Problem]]]]) -> set[Path]:
    """The files the run's definitions name as their `tenants:` (resolved)."""
    found: set[Path] = set()
    for _, (docs, _) in loaded:
        for doc in docs:
            spec = doc.data.get(tenants.KEY)
            if isinstance(spec, str) and spec.strip():
                found.add((doc.base_dir / Path(spec).expanduser()).resolve())
    return found


def _item(
    doc: loader.Document,
    overrides: flags.Overrides | None,
    environ: Mapping[str, str] | None,
    confine: bool,
    files: FileCache,
    row: tenants.Row | None = None,
    *,
    allow_unset: bool = False,
) -> Item:
    found = interpolate(doc, environ, confine=confine, tenant=row, files=files)
    found += flags.apply(doc, overrides)
    redact.register_bearing(doc.bearing)
    found += validate(doc)
    if allow_unset:
        found = unset_as_warnings(found)
    data = doc.data
    body = None
    if not any(p.severity == "error" for p in found):
        body = expand(data)
    name = data.get("name") if isinstance(data.get("name"), str) else None
    element = data.get("element") if isinstance(data.get("element"), str) else None
    return Item(doc.ref, name, element, body, frozenset(doc.secrets), found, doc.mark(("name",)), doc=doc)


def _tenant_items(
    template: loader.Document,
    overrides: flags.Overrides | None,
    environ: Mapping[str, str] | None,
    confine: bool,
    files: FileCache,
    allow_unset: bool = False,
) -> tuple[list[Item], list[Problem]]:
    """One item a tenant row of a template, and the problems: the list's own, each row's own, and the template's
    once, naming the rows that have them."""
    rows, problems = tenants.rows(template, environ, confine=confine, files=files)
    if allow_unset:
        for row in rows:
            row.problems = unset_as_warnings(row.problems)
        problems = unset_as_warnings(problems)
    items: list[Item] = []
    by_problem: dict[Problem, list[tenants.Row]] = {}
    for row in rows:
        doc = loader.Document(
            source=template.source,
            index=template.index,
            data=template.data,
            marks=template.marks,
            key_marks=template.key_marks,
            plain_scalars=template.plain_scalars,
            base_dir=template.base_dir,
        )  # may_interpolate: the walk copies the data, which flags then change
        item = _item(doc, overrides, environ, confine, files, row, allow_unset=allow_unset)
        for problem in item.problems:
            by_problem.setdefault(problem, []).append(row)
        item.problems = row.problems + [_naming([row], problem, len(rows)) for problem in item.problems]
        if any(p.severity == "error" for p in row.problems):
            item.body = None
        redact.register_bearing(row.bearing)
        item.source = f"{template.ref} (tenant {row.tenant.number})"
        item.secrets = item.secrets | row.secrets
        item.account, item.tenant = row.account, row.tenant
        items.append(item)
        problems.extend(row.problems)
    problems.extend(_naming(named, problem, len(rows)) for problem, named in by_problem.items())
    return items, problems


def unset_as_warnings(problems: list[Problem]) -> list[Problem]:
    """--allow-unset: an unset variable is a warning, and other errors at the same place go (they judge the text
    `${env:NAME}`, which stands there for now, not the value)."""
    unset = {(p.source, p.path) for p in problems if p.code == "unset-variable"}
    if not unset:
        return problems
    return [
        replace(p, severity="warning") if p.code == "unset-variable" else p
        for p in problems
        if p.code == "unset-variable" or p.severity != "error" or (p.source, p.path) not in unset
    ]


def _naming(rows: list[tenants.Row], problem: Problem, total: int) -> Problem:
    """PROBLEM of a template, its message naming the tenant rows that have it."""
    if flags.is_flag(problem.source):
        return problem
    if len(rows) == 1:
        who = f"tenant {rows[0].tenant.number} ({rows[0].tenant.where})"
    elif len(rows) == total:
        who = f"all {total} tenants"
    else:
        numbers = ", ".join(str(row.tenant.number) for row in rows[:5]) + (" ..." if len(rows) > 5 else "")
        who = f"{len(rows)} tenants ({numbers}; the first at {rows[0].tenant.where})"
    return replace(problem, message=f"{who}: {problem.message}")


def _duplicates(items: list[Item], problems: list[Problem], unique: bool) -> None:
    """Two items of one account with the same name and element: located at the second (a tenant's at its row)."""
    first: dict[tuple[str, str, Account | None], Item] = {}
    for item in items:
        if item.name is None or item.element is None:
            continue
        if item.tenant is not None and any(p.path == "name" and p.severity == "error" for p in item.problems):
            continue  # a name that is wrong already (`${tenant.nme}` left as written) would repeat in every row
        key = (item.name, item.element, item.account)
        if key not in first:
            first[key] = item
            continue
        severity: Severity = "error" if unique else "warning"
        message = f"'{item.name}' ({item.element}) is defined twice in this run (first in {first[key].source})"
        hint = "names must be unique per element for apply"
        if item.tenant is not None:
            where: tuple[str, int | None, int | None] = (item.tenant.source, item.tenant.line, None)
            message = f"tenant {item.tenant.number}: {message}"
            hint = "give each tenant its own name: use ${tenant.KEY} in the template's name"
        else:
            where = (item.source.rpartition("#")[0], *item.name_at)
        problem = Problem(*where, "name", severity, "duplicate-definition", message, hint)
        item.problems.append(problem)
        problems.append(problem)
        if unique:
            item.body = None
