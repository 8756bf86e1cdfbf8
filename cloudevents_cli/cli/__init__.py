"""The Typer layer: parse options, call the core, hand results to output. No logic here."""

from __future__ import annotations

import sys

from cloudevents_cli.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    from typer.completion import completion_init

    completion_init()
    try:
        app(prog_name="cloudevents")
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
