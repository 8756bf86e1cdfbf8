"""Docs that cannot drift: the command table, the generated reference, the README, every command's help."""

from __future__ import annotations

import re
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


# -- docs/definition-format.md: the format reference, in the repository ---------------------------------------

FORMAT_DOC = ROOT / "docs" / "definition-format.md"
_NOT_CODES = {"utf-8", "my-instance"}  # strings of that shape in definitions/ that are not problem codes


def test_readme_and_explain_point_to_the_format_doc(cli: Any) -> None:
    assert FORMAT_DOC.exists()
    assert "](docs/definition-format.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    res = cli("explain", "url")
    assert res.exit_code == 0
    assert "docs/definition-format.md" in res.stderr


def test_format_doc_example_body_is_what_render_prints(cli: Any) -> None:
    import json

    text = FORMAT_DOC.read_text(encoding="utf-8")
    shown = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    res = cli("render", "--show-secrets", str(ROOT / "tests" / "data" / "seed-polling.yaml"))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == shown
    assert list(json.loads(res.stdout)["configuration"]) == list(shown["configuration"])


def test_format_doc_names_every_key_of_the_format() -> None:
    from cloudevents_cli.definitions.model import Dates, Definition, Events, Resource

    text = FORMAT_DOC.read_text(encoding="utf-8")
    for model in (Definition, Events, Resource, Dates):
        for name in model.model_fields:
            assert re.search(rf"\b{name}\b", text), f"docs/definition-format.md does not name {name}"


def test_format_doc_lists_every_problem_code() -> None:
    sources = (ROOT / "cloudevents_cli" / "definitions").glob("*.py")
    codes = {c for f in sources for c in re.findall(r'"([a-z]+(?:-[a-z0-9]+)+)"', f.read_text(encoding="utf-8"))}
    codes -= _NOT_CODES
    assert {"unknown-key", "unset-variable", "alias-bomb"} <= codes  # the pattern finds codes
    text = FORMAT_DOC.read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"`{c}`" not in text)
    assert not missing, f"docs/definition-format.md does not describe the problem codes {missing}"


OUTSIDE_NOTES = ("platform-notes.md", "spec/cli.md", "spec/instance-format.md", "seed/000_")  # the team's, not users'


def test_nothing_in_the_repo_docs_reads_or_links_outside_it() -> None:
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "sample-configs" / "README.md"]
    for path in texts:
        text = path.read_text(encoding="utf-8")
        assert not any(name in text for name in OUTSIDE_NOTES) and "/work/" not in text, path
        for target in re.findall(r"\]\(([^)#]+)", text):
            if not target.startswith(("http://", "https://")):
                assert (path.parent / target).resolve().is_relative_to(ROOT), (path, target)
                assert (path.parent / target).exists(), (path, target)


def test_no_user_facing_text_speaks_of_the_seed(cli: Any) -> None:
    for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "sample-configs").rglob("*")]:
        if path.is_file() and path.name != "commands.md":
            assert "seed" not in path.read_text(encoding="utf-8").lower(), path
    for path in (ROOT / "cloudevents_cli").rglob("*.py"):
        if "emulator" not in path.as_posix():  # the emulator's --seed is a random seed
            assert "seed" not in path.read_text(encoding="utf-8").lower(), path
    for args in (("explain",), ("explain", "-o", "json"), ("init",)):
        res = cli(*args)
        assert "seed" not in (res.stdout + res.stderr).lower(), args


def test_format_doc_example_definition_is_valid(cli: Any, tmp_path: Path) -> None:
    text = FORMAT_DOC.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    f = tmp_path / "example.yaml"
    f.write_text(example, encoding="utf-8")
    names = set(re.findall(r"\$\{env:([A-Z_]+)\}", example))
    env = {name: f"value-of-{name.lower()}-0123456789" for name in names}
    res = cli("validate", "--strict", str(f), env=env)
    assert res.exit_code == 0, res.output
