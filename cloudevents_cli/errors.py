"""The exception hierarchy and the exit codes: the one place that maps one to the other.

Core code raises these; only the CLI layer turns them into a message and an exit code (`batch_code` for the
results of a batch). Messages must never carry a secret: build them from names, ids and statuses, not values;
the messages that quote the platform or a library are scrubbed of registered secret values when built.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    NO = 1  # the answer is no: diff found differences, verify found the signature wrong
    USAGE = 2
    INVALID = 3  # a definition, file or config failed validation; nothing was sent for it
    REJECTED = 4  # the platform rejected a request (4xx other than 401/403)
    AUTH = 5  # 401/403
    UNREACHABLE = 6  # unreachable, timed out, 5xx/429 after retries, or outcome unknown
    INTERNAL = 70
    INTERRUPTED = 130


def worst(codes: Iterable[ExitCode | int]) -> ExitCode:
    """Combine the exit codes of a batch: the highest failure (2-6, 70) wins, then 1, then 0."""
    codes = list(codes)
    failing = [c for c in codes if c not in (ExitCode.OK, ExitCode.NO)]
    if failing:
        return ExitCode(max(failing))
    if any(c == ExitCode.NO for c in codes):
        return ExitCode.NO
    return ExitCode.OK


def result_code(action: str, error: CloudEventsError | None = None) -> ExitCode:
    """The exit code of one result of a batch (platform/results.Result: its action and error)."""
    if action == "invalid":
        return ExitCode.INVALID
    if action == "unknown":
        return ExitCode.UNREACHABLE
    if action == "failed":
        return error.exit_code if error is not None else ExitCode.INTERNAL
    return ExitCode.OK


def batch_code(results: Iterable[Any], *, invalid_input: bool = False, diff: bool = False) -> ExitCode:
    """The exit code of a create/apply/diff/delete run, from its results alone.

    `invalid_input`: some input failed to load (it has no result); `diff`: a pending change answers "no" (1).
    """
    results = list(results)
    codes = [result_code(r.action, r.error) for r in results]
    if invalid_input:
        codes.append(ExitCode.INVALID)
    if diff and any(r.action in ("would-create", "would-update", "would-delete") for r in results):
        codes.append(ExitCode.NO)
    return worst(codes)


class CloudEventsError(Exception):
    """Base of every error the tool expects. `str(err)` is the one-line message."""

    exit_code: ExitCode = ExitCode.INTERNAL
    code: str = "error"
    # The message quotes text of foreign origin (the platform's answer, a library's exception): registered secret
    # values are scrubbed from it here, the last resort of redact.py. The tool's own messages are left as built.
    quotes_foreign_text = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        if self.quotes_foreign_text:
            from cloudevents_cli import redact

            message = redact.scrub(message)
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class UsageError(CloudEventsError):
    exit_code = ExitCode.USAGE
    code = "usage"


class InvalidInput(CloudEventsError):
    """The user's input (definition, file, config) is not acceptable. Nothing was sent for it."""

    exit_code = ExitCode.INVALID
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, problems: list[Any] | None = None) -> None:
        super().__init__(message, code=code)
        self.problems = problems or []


class PlatformError(CloudEventsError):
    """The platform answered, and the answer is an error."""

    exit_code = ExitCode.REJECTED
    code = "rejected"
    quotes_foreign_text = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.request_id = request_id


class AuthFailed(PlatformError):
    exit_code = ExitCode.AUTH
    code = "auth"


class Unreachable(CloudEventsError):
    """Could not reach the platform, timed out, or it kept answering 5xx/429 after retries."""

    exit_code = ExitCode.UNREACHABLE
    code = "unreachable"
    quotes_foreign_text = True


class OutcomeUnknown(Unreachable):
    """A request was sent but no answer came back: it may or may not have taken effect."""

    code = "unknown"


class Interrupted(CloudEventsError):
    """Ctrl-C during a batch. `results` holds one result per item: what finished, in-flight writes as
    `unknown` (they may have taken effect), the rest `not-run`. The CLI's one handler renders them."""

    exit_code = ExitCode.INTERRUPTED
    code = "interrupted"

    def __init__(self, message: str = "interrupted", *, results: list[Any] | None = None) -> None:
        super().__init__(message)
        self.results = results or []


class PlanRefused(CloudEventsError):
    """`apply PLAN` will not apply the plan: the live state changed since it was made (`plan-stale`), it was
    applied already (`plan-applied`), or it is for another platform or renders otherwise now. Exit 1: the
    answer is no; make a new plan."""

    exit_code = ExitCode.NO
    code = "plan-refused"


class NotFound(PlatformError):
    code = "not-found"


class Conflict(PlatformError):
    """E.g. two live instances share the name and element `apply` looks for."""

    code = "conflict"
