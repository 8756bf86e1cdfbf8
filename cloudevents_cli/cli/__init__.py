"""The Typer layer: parse options, call the core, hand results to output. No logic here."""

from __future__ import annotations

import sys

from cloudevents_cli.cli.app import app

# Each module registers its commands on `app`; order here is the order in --help.
from cloudevents_cli.cli import definitions_cmds  # noqa: F401  isort: skip
from cloudevents_cli.cli import platform_cmds  # noqa: F401  isort: skip
from cloudevents_cli.cli import events_cmds  # noqa: F401  isort: skip
from cloudevents_cli.cli import emulator_cmds  # noqa: F401  isort: skip
from cloudevents_cli.cli import profile_cmds  # noqa: F401  isort: skip
from cloudevents_cli.cli import explain_cmd  # noqa: F401  isort: skip
from cloudevents_cli.cli import misc_cmds  # noqa: F401  isort: skip

__all__ = ["app", "main"]


def main() -> None:
    from typer.completion import completion_init

    completion_init()
    try:
        app(prog_name="cloudevents")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
