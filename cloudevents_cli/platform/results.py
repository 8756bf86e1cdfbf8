"""One result per item of a batch (a definition, or an ID|NAME), and the constructors the flows share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli.errors import CloudEventsError, InvalidInput, OutcomeUnknown
from cloudevents_cli.platform.errors import status_of

ACTIONS = (
    "created",
    "updated",
    "unchanged",
    "would-create",
    "would-update",
    "would-delete",
    "failed",
    "invalid",
    "unknown",
    "not-run",
    "deleted",
)
NOT_RUN_MESSAGE = "not run: an earlier definition failed and --fail-fast was given"
HELD_MESSAGE = "not sent: another definition of the run is invalid (--partial sends the valid ones)"


@dataclass
class Result:
    source: str
    name: str | None
    element: str | None
    action: str
    id: Any = None
    http_status: int | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    error: CloudEventsError | None = None
    problems: list[Any] = field(default_factory=list)
    body: dict[str, Any] | None = None  # create --dry-run: what would be sent

    @property
    def failed(self) -> bool:
        return self.action in ("failed", "invalid", "unknown")

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "name": self.name,
            "element": self.element,
            "action": self.action,
            "id": self.id,
            "http_status": self.http_status,
            "changes": self.changes,
            "error": self.error.as_dict() if self.error is not None else None,
        }
        if self.body is not None:
            data["body"] = self.body
        return data


def summary(results: Sequence[Result]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.action] = counts.get(r.action, 0) + 1
    return counts


def base_result(item: Any, action: str, **kw: Any) -> Result:
    return Result(source=item.source, name=item.name, element=item.element, action=action, **kw)


def invalid_result(item: Any) -> Result:
    errors = [p for p in item.problems if getattr(p, "severity", "error") == "error"]
    first = errors[0].one_line() if errors else "the definition is invalid"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return base_result(item, "invalid", error=InvalidInput(first + more), problems=errors)


def failed_result(item: Any, err: CloudEventsError, action: str = "failed", **kw: Any) -> Result:
    return base_result(item, action, error=err, http_status=status_of(err), **kw)


def not_run_result(item: Any) -> Result:
    return base_result(item, "not-run", error=CloudEventsError(NOT_RUN_MESSAGE, code="not-run"))


def held_result(item: Any) -> Result:
    """A valid definition not sent because another one is invalid (all or nothing, the default)."""
    return base_result(item, "not-run", error=CloudEventsError(HELD_MESSAGE, code="not-run"))


def cut_short_result(item: Any, wrote: bool) -> Result:
    """An item a Ctrl-C stopped: `unknown` once its write was sent, else `not-run`."""
    if wrote:
        return failed_result(
            item, OutcomeUnknown("interrupted after the request was sent; the outcome is unknown"), "unknown"
        )
    return base_result(item, "not-run", error=CloudEventsError("not run: interrupted", code="not-run"))
