"""Options and small renderers shared by several commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from cloudevents_cli.output import Output

if TYPE_CHECKING:
    from cloudevents_cli.definitions.problems import Problem

OutputOpt = Annotated[
    str | None,
    typer.Option(
        "-o", "--output", metavar="FORMAT", help="Output format (overrides the global -o).", show_default=False
    ),
]
PathsArg = Annotated[
    list[str] | None,
    typer.Argument(help="Definition files, folders (*.yaml/*.yml below them) or - for stdin.", show_default=False),
]
ShowSecretsOpt = Annotated[bool, typer.Option("--show-secrets", help="Show secret values instead of ********.")]


def report_problems(out: Output, problems: Sequence[Problem]) -> None:
    """Each problem as one located line on stderr: file:line:col: severity [code] path: message (hint)."""
    for problem in problems:
        if problem.severity == "error":
            out.error(problem.one_line())
        else:
            out.warn(problem.one_line())


def summary_line(counts: dict[str, int]) -> str:
    parts = [f"{n} {label}" for label, n in counts.items() if n]
    return ", ".join(parts) if parts else "nothing to do"
