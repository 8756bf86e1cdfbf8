"""`${env:NAME}`, `${env:NAME:-default}`, `${file:PATH}` and `$${` in string values, after parsing.

Every other `${...}` (the platform's own macros such as `${gmtDate:...}`) is left exactly as written.
Values that come from the environment or a file are secret by origin: they are recorded on the document.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudevents_cli.definitions.loader import MAX_FILE_BYTES, Document, Path_
from cloudevents_cli.definitions.problems import Problem

_TOKEN = re.compile(r"\$\$\{|\$\{(env|file):([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def interpolate(doc: Document, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Replace the references inside `doc.data` in place; return the problems found."""
    if not doc.may_interpolate:
        return []
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    doc.data = _walk(doc.data, (), doc, env, problems)
    return problems


def _walk(value: Any, path: Path_, doc: Document, env: Mapping[str, str], problems: list[Problem]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, k), doc, env, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), doc, env, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute(value, path, doc, env, problems)
    return value


def _substitute(text: str, path: Path_, doc: Document, env: Mapping[str, str], problems: list[Problem]) -> str:
    def problem(code: str, message: str, hint: str | None = None) -> None:
        line, col = doc.mark(path)
        problems.append(Problem(doc.source, line, col, _dotted(path), "error", code, message, hint))

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        doc.interpolated.add(path)
        kind, body = match.group(1), match.group(2)
        if kind == "env":
            name, sep, default = body.partition(":-")
            if not _NAME.match(name):
                problem("bad-variable", f"'{name}' is not a valid environment variable name")
                return match.group(0)
            found = env.get(name)
            if found is None or (sep and found == ""):
                if sep:
                    return default
                problem(
                    "unset-variable",
                    f"the environment variable {name} is not set",
                    f"export {name}=... or write ${{env:{name}:-default}}",
                )
                return match.group(0)
            doc.secrets.add(found)
            return found
        target = Path(body).expanduser()
        if not target.is_absolute():
            target = doc.base_dir / target
        try:
            if target.stat().st_size > MAX_FILE_BYTES:
                problem("file-too-large", f"{body} is over 1 MiB")
                return match.group(0)
            content = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            problem("file-not-found", f"${{file:{body}}}: no such file ({target})")
            return match.group(0)
        except (OSError, UnicodeDecodeError) as err:
            problem("unreadable", f"${{file:{body}}}: cannot read it ({type(err).__name__})")
            return match.group(0)
        content = content[:-1] if content.endswith("\n") else content
        content = content[:-1] if content.endswith("\r") else content
        doc.secrets.add(content)
        return content

    return _TOKEN.sub(replace, text)


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)
