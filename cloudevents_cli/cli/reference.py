"""The command reference (docs/commands.md), generated from --help so that it cannot drift.

Run `python -m cloudevents_cli.cli.reference > docs/commands.md` (make docs); a test compares.
"""

from __future__ import annotations

from typing import Any

WIDTH = 100


def reference() -> str:
    from typer.main import get_command

    from cloudevents_cli.cli import app

    root = get_command(app)
    parts = [
        "# Command reference",
        "",
        "Generated from `--help` by `make docs`; a test fails when it is stale.",
        "",
        "## cloudevents",
        "",
        "```",
        _help(root, None, "cloudevents").rstrip(),
        "```",
        "",
    ]
    root_ctx = _context(root, None, "cloudevents")
    for name, command in _commands(root, root_ctx):
        parts += [f"## cloudevents {name}", "", "```", _help(command, root_ctx, name).rstrip(), "```", ""]
    return "\n".join(parts)


def _context(command: Any, parent: Any, name: str) -> Any:
    return command.context_class(
        command,
        parent=parent,
        info_name=name,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
        help_option_names=["-h", "--help"],  # as the root's context_settings say
    )


def _help(command: Any, parent: Any, name: str) -> str:
    return str(command.get_help(_context(command, parent, name)))


def _commands(group: Any, ctx: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or getattr(command, "hidden", False):
            continue
        full = f"{prefix}{name}"
        out.append((full, command))
        if hasattr(command, "list_commands"):
            out.extend(_commands(command, _context(command, ctx, name), prefix=f"{full} "))
    return out


if __name__ == "__main__":
    import sys

    sys.stdout.write(reference())
