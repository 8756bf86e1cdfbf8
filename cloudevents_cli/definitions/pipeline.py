"""Files to request bodies: load, interpolate, validate, expand. The one entry point of `definitions/`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli.definitions.problems import Problem


@dataclass
class Item:
    """One definition, ready to send (when `valid`)."""

    source: str  # "FILE#INDEX", INDEX counting documents from 1
    name: str | None
    element: str | None
    body: dict[str, Any] | None  # the POST /instances body; None when the definition is invalid
    secrets: frozenset[str] = frozenset()  # values that came from ${env:}/${file:}: mask them
    problems: list[Problem] = field(default_factory=list)

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


def build(paths: Sequence[str], overrides: Any = None, *, stdin: Any = None) -> Batch:
    """Read every PATH (file, folder, '-') and turn each document into an Item. Never raises for bad input."""
    raise NotImplementedError
