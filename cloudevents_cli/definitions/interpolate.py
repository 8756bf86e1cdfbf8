"""`${env:NAME}`, `${env:NAME:-default}`, `${file:PATH}` and `$${` in string values, after parsing.

Every other `${...}` (the platform's own macros such as `${gmtDate:...}`) is left exactly as written.
Values that come from the environment or a file are secret by origin: they are recorded on the document.
`${file:}` reads regular files only, at most 1 MiB, and never blocks (a FIFO or a device is refused); with
`confine`, only files inside the folder of the definition file that names them.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudevents_cli.definitions.loader import MAX_FILE_BYTES, Document, Path_
from cloudevents_cli.definitions.problems import Problem
from cloudevents_cli.redact import MASK

_TOKEN = re.compile(r"\$\$\{|\$\{(env|file):([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def interpolate(doc: Document, environ: Mapping[str, str] | None = None, *, confine: bool = False) -> list[Problem]:
    """Replace the references inside `doc.data` in place; return the problems found.

    With `confine` (--no-file-outside), a `${file:}` path that resolves outside `doc.base_dir` is refused.
    """
    if not doc.may_interpolate:
        return []
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    doc.data = _walk(doc.data, (), _Context(doc, env, confine, problems))
    return problems


class _Context:
    def __init__(self, doc: Document, env: Mapping[str, str], confine: bool, problems: list[Problem]) -> None:
        self.doc, self.env, self.confine, self.problems = doc, env, confine, problems


def _walk(value: Any, path: Path_, ctx: _Context) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, (*path, k), ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, (*path, i), ctx) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _substitute(value, path, ctx)
    return value


def _substitute(text: str, path: Path_, ctx: _Context) -> str:
    doc, env, problems = ctx.doc, ctx.env, ctx.problems

    def problem(code: str, message: str, hint: str | None = None) -> None:
        line, col = doc.mark(path)
        problems.append(Problem(doc.source, line, col, _dotted(path), "error", code, message, hint))

    shown: list[str] = []  # what each token becomes with the secret values masked, in order

    def secret(value: str) -> str:
        doc.secrets.add(value)
        shown.append(MASK)
        return value

    def plain(value: str) -> str:
        shown.append(value)
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return plain("${")
        doc.interpolated.add(path)
        kind, body = match.group(1), match.group(2)
        if kind == "env":
            name, sep, default = body.partition(":-")
            if not _NAME.match(name):
                problem("bad-variable", f"'{name}' is not a valid environment variable name")
                return plain(match.group(0))
            found = env.get(name)
            if found is None or (sep and found == ""):
                if sep:
                    return plain(default)  # written in the file: not a secret
                problem(
                    "unset-variable",
                    f"the environment variable {name} is not set",
                    f"export {name}=... or write ${{env:{name}:-default}}",
                )
                return plain(match.group(0))
            return secret(found)
        try:
            content = _read(body, doc.base_dir, ctx.confine)
        except _Unread as err:
            problem(err.code, err.message)
            return plain(match.group(0))
        return secret(content)

    result = _TOKEN.sub(replace, text)
    masked = _TOKEN.sub(lambda _: shown.pop(0), text)
    if masked != MASK and masked != result:  # secret values inside other text: how to show that text
        doc.bearing[result] = masked
    return result


def _nonblocking(path: str, flags: int) -> int:
    """open()'s opener: a FIFO must not block the open (it is refused right after)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


class _Unread(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def _read(body: str, base_dir: Path, confine: bool) -> str:
    """The text of the file `${file:body}` names, read from at most 1 MiB + 1 byte; `_Unread` says why not."""
    ref = "${file:" + body.replace("\x00", "\\0") + "}"
    if "\x00" in body:
        raise _Unread("bad-file-path", f"{ref}: a path cannot contain a NUL character")
    folder = os.path.realpath(base_dir)
    target = os.path.realpath(os.path.join(folder, os.path.expanduser(body)))  # symlinks followed, .. resolved
    if confine and os.path.commonpath([target, folder]) != folder:
        raise _Unread("file-outside", f"{ref} is outside the folder of this definition file (--no-file-outside)")
    try:
        with open(target, "rb", opener=_nonblocking) as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise _Unread("not-a-file", f"{ref} is not a regular file (a device, FIFO or socket)")
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise _Unread("file-not-found", f"{ref}: no such file ({target})") from None
    except IsADirectoryError:
        raise _Unread("not-a-file", f"{ref} is a folder, not a file") from None
    except OSError as err:
        raise _Unread("unreadable", f"{ref}: cannot read it ({err.strerror or type(err).__name__})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _Unread("file-too-large", f"{ref} is over 1 MiB")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unread("unreadable", f"{ref} is not UTF-8 text") from None
    content = content[:-1] if content.endswith("\n") else content
    return content[:-1] if content.endswith("\r") else content


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)
