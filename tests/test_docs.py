"""Docs that cannot drift: the command table, the generated reference, the README, every command's help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from cloudevents_cli.cli import app
from cloudevents_cli.cli.commands import COMMANDS
from cloudevents_cli.cli.reference import reference

ROOT = Path(__file__).resolve().parent.parent


def _loaded() -> list[tuple[str, Any]]:
    root = get_command(app)
    ctx = root.context_class(root, info_name="cloudevents")
    return [(name, root.get_command(ctx, name)) for name in root.list_commands(ctx)]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_exists_and_its_table_help_is_its_own(name: str) -> None:
    command = dict(_loaded())[name]
    assert command is not None, f"{name} is in cli/commands.py but its module does not define it"
    assert command.help, f"{name} has no help"
    assert command.get_short_help_str(limit=500) == COMMANDS[name][1]


def test_every_command_of_every_module_is_listed() -> None:
    import importlib

    for module_name in {module for module, _ in COMMANDS.values()}:
        module = importlib.import_module(f"cloudevents_cli.cli.{module_name}")
        defined = {c.name or c.callback.__name__.replace("_", "-") for c in module.app.registered_commands}
        defined |= {g.name for g in module.app.registered_groups}
        assert defined <= set(COMMANDS), f"{module_name} defines {defined - set(COMMANDS)} not in COMMANDS"


def test_reference_is_current() -> None:
    import difflib

    committed = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    current = reference()
    diff = "".join(list(difflib.unified_diff(committed.splitlines(True), current.splitlines(True)))[:30])
    assert committed == current, "docs/commands.md is stale: run make docs\n" + diff


@pytest.mark.parametrize("name", [n for n in COMMANDS if n != "profile"])
def test_readme_shows_every_command(name: str) -> None:
    assert f"`{name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_setup_commands_and_ci_runs_the_tests() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_option_has_help() -> None:
    for name, command in _loaded():
        commands = [command]
        if hasattr(command, "commands"):
            commands = list(command.commands.values())
        for cmd in commands:
            for param in cmd.params:
                if getattr(param, "param_type_name", "") == "option" and not param.hidden:
                    assert param.help, f"{name} {cmd.name}: option {param.opts} has no help"
