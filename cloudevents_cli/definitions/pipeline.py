"""Files to request bodies: load, interpolate, apply flags, validate, expand. The entry point of `definitions/`.

A problem with a value given by a flag is a usage error (the command line is wrong, for every definition).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from cloudevents_cli import redact
from cloudevents_cli.definitions import loader
from cloudevents_cli.definitions import overrides as flags
from cloudevents_cli.definitions.expand import expand
from cloudevents_cli.definitions.interpolate import interpolate
from cloudevents_cli.definitions.problems import Problem, Severity
from cloudevents_cli.definitions.validate import validate
from cloudevents_cli.errors import UsageError


@dataclass(frozen=True)
class Account:
    """Whose platform account an item goes to, when it is not the run's own (a tenant row's profile or secrets).
    Fields left None fall back to the run's settings."""

    profile: str | None = None
    user_secret: str | None = None
    org_secret: str | None = None


@dataclass
class Item:
    """One definition, ready to send (when `valid`)."""

    source: str  # "FILE#INDEX", INDEX counting documents from 1
    name: str | None
    element: str | None
    body: dict[str, Any] | None  # the POST /instances body; None when the definition is invalid
    secrets: frozenset[str] = frozenset()  # values that came from ${env:}/${file:} or secret flags: mask them
    problems: list[Problem] = field(default_factory=list)
    name_at: tuple[int | None, int | None] = (None, None)  # line and column of the name
    account: Account | None = None  # None: the run's account (profile/flags/env)
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
) -> Batch:
    """Read every PATH (file, folder, '-') and turn each document into an Item. Never raises for bad input in
    files; raises UsageError for a bad flag value (naming the flag).

    With `unique`, two definitions with the same name and element are an error (apply needs one of each).
    With `confine_files` (--no-file-outside), `${file:}` reads only inside the folder of the definition file.
    """
    items: list[Item] = []
    problems: list[Problem] = []
    if not paths and overrides is not None and overrides.defines_instance:
        files: list[str] = []
        docs_by_file: list[tuple[list[loader.Document], list[Problem]]] = [([flags.from_flags(overrides)], [])]
    else:
        files, problems = loader.expand_paths(paths)
        docs_by_file = [loader.load(source, stdin) for source in files]
    for docs, file_problems in docs_by_file:
        problems.extend(file_problems)
        for doc in docs:
            item = _item(doc, overrides, environ, confine_files)
            items.append(item)
            problems.extend(item.problems)
    for problem in problems:
        if problem.severity == "error" and flags.is_flag(problem.source):
            raise UsageError(f"{problem.source}: {problem.message}" + (f" ({problem.hint})" if problem.hint else ""))
    _duplicates(items, problems, unique)
    return Batch(items=items, problems=problems, files=len(files))


def _item(
    doc: loader.Document, overrides: flags.Overrides | None, environ: Mapping[str, str] | None, confine: bool
) -> Item:
    found = interpolate(doc, environ, confine=confine)
    found += flags.apply(doc, overrides)
    redact.register(*doc.secrets)
    redact.register_bearing(doc.bearing)
    found += validate(doc)
    data = doc.data
    body = None
    if not any(p.severity == "error" for p in found):
        body = expand(data)
    name = data.get("name") if isinstance(data.get("name"), str) else None
    element = data.get("element") if isinstance(data.get("element"), str) else None
    return Item(doc.ref, name, element, body, frozenset(doc.secrets), found, doc.mark(("name",)), doc=doc)


def _duplicates(items: list[Item], problems: list[Problem], unique: bool) -> None:
    first: dict[tuple[str, str], Item] = {}
    for item in items:
        if item.name is None or item.element is None:
            continue
        key = (item.name, item.element)
        if key not in first:
            first[key] = item
            continue
        source, _, _ = item.source.rpartition("#")
        severity: Severity = "error" if unique else "warning"
        problem = Problem(
            source,
            item.name_at[0],
            item.name_at[1],
            "name",
            severity,
            "duplicate-definition",
            f"'{item.name}' ({item.element}) is defined twice in this run (first in {first[key].source})",
            "names must be unique per element for apply",
        )
        item.problems.append(problem)
        problems.append(problem)
        if unique:
            item.body = None
