"""`${env:NAME}`, `${env:NAME:-default}`, `${file:PATH}`, `${tenant.KEY}` and `$${` in string values, after parsing.

Every other `${...}` (the platform's own macros such as `${gmtDate:...}`) is left exactly as written.
Values that come from the environment or a file are secret by origin: they are recorded on the document.
`${file:}` reads regular files only, at most 1 MiB, and never blocks (a FIFO or a device is refused); with
`confine`, only files inside the folder of the definition file that names them.
`${tenant.KEY}` is the value of one tenant row (tenants.py), replaced in the same single pass: a value put in is
never read again, so a row's text cannot plant a reference.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudevents_cli.definitions.loader import MAX_FILE_BYTES, Document, Path_
from cloudevents_cli.definitions.problems import Problem
from cloudevents_cli.redact import MASK

if TYPE_CHECKING:
    from cloudevents_cli.definitions.tenants import Row

_TOKEN = re.compile(r"\$\$\{|\$\{(env|file):([^}]*)\}|\$\{tenant(?:([.:])([^}]*))?\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FileCache = dict[tuple[str, str, bool], "str | Unread"]  # ${file:} reads shared by the rows of one template


def interpolate(
    doc: Document,
    environ: Mapping[str, str] | None = None,
    *,
    confine: bool = False,
    tenant: Row | None = None,
    in_row: bool = False,
    files: FileCache | None = None,
) -> list[Problem]:
    """Replace the references inside `doc.data` in place; return the problems found.

    With `confine` (--no-file-outside), a `${file:}` path that resolves outside `doc.base_dir` is refused.
    `tenant` is the row `${tenant.KEY}` reads; without one such a reference is an error (`in_row`: the document
    is a row's own values). `files` caches `${file:}` reads across the documents that share it.
    """
    if not doc.may_interpolate:
        return []
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    ctx = _Context(doc, env, confine, problems, tenant, in_row, {} if files is None else files)
    doc.data = _walk(doc.data, (), ctx)
    return problems


class _Context:
    def __init__(
        self,
        doc: Document,
        env: Mapping[str, str],
        confine: bool,
        problems: list[Problem],
        tenant: Row | None,
        in_row: bool,
        files: FileCache,
    ) -> None:
        self.doc, self.env, self.confine, self.problems = doc, env, confine, problems
        self.tenant, self.in_row, self.files = tenant, in_row, files


def _walk(value: Any, path: Path_, ctx: _Context) -> Any:
    # A value with nothing to replace (most of them) is kept without a call.
    if isinstance(value, dict):
        return {
            k: _walk(v, (*path, k), ctx) if isinstance(v, (dict, list)) or (isinstance(v, str) and "${" in v) else v
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            _walk(v, (*path, i), ctx) if isinstance(v, (dict, list)) or (isinstance(v, str) and "${" in v) else v
            for i, v in enumerate(value)
        ]
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
        if kind is None:
            return _tenant_value(match, ctx, problem, secret, shown)
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
        key = (body, str(doc.base_dir), ctx.confine)
        if key not in ctx.files:
            try:
                ctx.files[key] = read_text_file(body, doc.base_dir, ctx.confine)
            except Unread as err:
                ctx.files[key] = err
        content = ctx.files[key]
        if isinstance(content, Unread):
            problem(content.code, content.message)
            return plain(match.group(0))
        return secret(content)

    result = _TOKEN.sub(replace, text)
    masked = _TOKEN.sub(lambda _: shown.pop(0), text)
    if masked != MASK and masked != result:  # secret values inside other text: how to show that text
        doc.bearing[result] = masked
    return result


def _tenant_value(
    match: re.Match[str],
    ctx: _Context,
    problem: Callable[..., None],
    secret: Callable[[str], str],
    shown: list[str],
) -> str:
    """The row's value for `${tenant.KEY}`; a problem (and the reference as written) when there is none."""
    written, sep, key = match.group(0), match.group(3), match.group(4) or ""
    row = ctx.tenant
    if row is None:
        if ctx.in_row:
            problem("bad-tenant-reference", f"{written}: a tenant's own value cannot use another tenant value")
        else:
            problem(
                "bad-tenant-reference",
                f"{written}: this definition has no tenants",
                "add 'tenants: FILE.csv' (or a list) to make it a template, or write $${ to mean the text",
            )
    elif sep != ".":
        problem("bad-tenant-reference", f"{written} is not a tenant value", f"write ${{tenant.{key or 'KEY'}}}")
    elif key not in row.values:
        problem("unknown-tenant-key", f"{written}: the tenant has no '{key}'", row.suggest(key))
    else:
        value = row.values[key]
        if value in row.secrets:
            return secret(value)
        shown.append(row.bearing.get(value, value))
        return value
    shown.append(written)
    return written


def _nonblocking(path: str, flags: int) -> int:
    """open()'s opener: a FIFO must not block the open (it is refused right after)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


class Unread(Exception):
    """Why a file could not be read: a problem code and a message that names the file."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


def read_text_file(body: str, base_dir: Path, confine: bool, ref: str | None = None) -> str:
    """The text of the file `${file:body}` names, read from at most 1 MiB + 1 byte; `Unread` says why not.

    `ref` names the file in messages (the `${file:...}` reference by default)."""
    ref = ref or "${file:" + body.replace("\x00", "\\0") + "}"
    if "\x00" in body:
        raise Unread("bad-file-path", f"{ref}: a path cannot contain a NUL character")
    folder = os.path.realpath(base_dir)
    target = os.path.realpath(os.path.join(folder, os.path.expanduser(body)))  # symlinks followed, .. resolved
    if confine and os.path.commonpath([target, folder]) != folder:
        raise Unread("file-outside", f"{ref} is outside the folder of this definition file (--no-file-outside)")
    try:
        with open(target, "rb", opener=_nonblocking) as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise Unread("not-a-file", f"{ref} is not a regular file (a device, FIFO or socket)")
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise Unread("file-not-found", f"{ref}: no such file ({target})") from None
    except IsADirectoryError:
        raise Unread("not-a-file", f"{ref} is a folder, not a file") from None
    except OSError as err:
        raise Unread("unreadable", f"{ref}: cannot read it ({err.strerror or type(err).__name__})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise Unread("file-too-large", f"{ref} is over 1 MiB")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unread("unreadable", f"{ref} is not UTF-8 text") from None
    content = content[:-1] if content.endswith("\n") else content
    return content[:-1] if content.endswith("\r") else content


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)
