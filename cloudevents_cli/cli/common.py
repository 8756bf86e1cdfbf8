"""Options and small helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from cloudevents_cli.errors import ExitCode
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


def finish(code: ExitCode) -> None:
    """End the command with the exit code its results decided (errors.batch_code); nothing to do for 0."""
    if code != ExitCode.OK:
        raise typer.Exit(int(code))
