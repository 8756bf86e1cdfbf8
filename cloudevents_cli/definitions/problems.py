"""A problem found in a definition: located, coded, with a hint that says how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    source: str  # the file ("-" for stdin)
    line: int | None  # from 1
    column: int | None  # from 1
    path: str  # the path in the definition, e.g. events.resources.contacts.dates.updated_format ("" for the file)
    severity: Severity
    code: str  # stable, e.g. unknown-key
    message: str
    hint: str | None = None

    def location(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def one_line(self) -> str:
        text = f"{self.location()}: {self.severity} [{self.code}]"
        if self.path:
            text += f" {self.path}:"
        text += f" {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("hint")
        if self.hint:
            data["message"] = f"{self.message} ({self.hint})"
        return data
