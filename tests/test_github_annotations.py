"""`validate -o github`: annotations escaped as GitHub's runner reads workflow commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudevents_cli.definitions.problem_reporter import github_annotation
from cloudevents_cli.definitions.problems import Problem


def _unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner splits it: `::NAME PROPS::DATA`, PROPS split on `,` then on the first `=`."""
    assert line.startswith("::")
    head, data = line[2:].split("::", 1)
    name, props = head.split(" ", 1)
    fields = dict(p.split("=", 1) for p in props.split(","))
    return name, {k: _unescape(v) for k, v in fields.items()}, _unescape(data)


def test_file_name_with_comma_colon_and_percent_survives(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    name = "acme, eu: 100%.yaml"
    Path(name).write_text('name: n\nelement: box\n"50%off": 1\n', encoding="utf-8")
    res = cli("validate", "-o", "github", name)
    assert res.exit_code == 3
    line = res.stdout.rstrip("\n")
    assert "\n" not in line
    assert line.startswith("::error file=acme%2C eu%3A 100%25.yaml,line=3,col=1,title=unknown-key::")
    command, props, message = _parse(line)
    assert command == "error"
    assert props == {"file": name, "line": "3", "col": "1", "title": "unknown-key"}
    assert message.startswith("50%off: unknown key '50%off' at the top level")
    assert "'50%25off'" in line  # % in the message is escaped; `:` and `,` in the message are not
    assert ": unknown key" in line and "name, element" in line


def test_message_newlines_are_escaped(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "nl.yaml"
    f.write_text('name: n\nelement: box\n"a\\r\\nb": 1\n', encoding="utf-8")
    res = cli("validate", "-o", "github", str(f))
    assert res.exit_code == 3
    lines = res.stdout.splitlines()
    assert len(lines) == 1, lines
    assert "a%0D%0Ab" in lines[0]
    assert _parse(lines[0])[2].startswith("a\r\nb: unknown key")


def test_property_values_escape_cr_and_lf() -> None:
    problem = Problem("dir\r\nx.yaml", None, None, "", "warning", "code:1,2", "100% sure")
    assert github_annotation(problem) == "::warning file=dir%0D%0Ax.yaml,title=code%3A1%2C2::100%25 sure"
