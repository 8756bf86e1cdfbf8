"""Problems located in a document: the Reporter the validation passes share, and a problem as a GitHub annotation."""

from __future__ import annotations

from typing import Any

from cloudevents_cli.definitions.loader import Document, Path_
from cloudevents_cli.definitions.problems import Problem, Severity


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


class Reporter:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def add(
        self, severity: Severity, path: Path_, code: str, message: str, hint: str | None = None, *, key: bool = False
    ) -> None:
        if self.doc.secrets:  # a message may quote a value that came from ${env:} / ${file:}: never show it
            message = mask_words(message, self.doc.secrets)
            hint = mask_words(hint, self.doc.secrets) if hint is not None else None
        flag = self._flag(path)
        if flag is not None:
            problem = Problem(flag, None, None, dotted(path), severity, code, message, hint)
        else:
            line, col = self.doc.mark(path, key=key)
            problem = Problem(self.doc.source, line, col, dotted(path), severity, code, message, hint)
        self.problems.append(problem)

    def error(self, path: Path_, code: str, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.add("error", path, code, message, hint, key=key)

    def warn(self, path: Path_, code: str, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.add("warning", path, code, message, hint, key=key)

    def _flag(self, path: Path_) -> str | None:
        p = path
        while p:
            if p in self.doc.flag_paths:
                return self.doc.flag_paths[p]
            p = p[:-1]
        return None

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def mask_words(text: str, secrets: set[str]) -> str:
    """TEXT with each of SECRETS masked where it stands as a whole word (`'tz-value'`), not inside another word:
    a signature key `short` leaves "shorter than 16 characters" as it is."""
    import re

    from cloudevents_cli.redact import MASK

    for secret in sorted(secrets, key=len, reverse=True):
        if not secret or secret not in text:
            continue
        left = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
        right = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
        text = re.sub(left + re.escape(secret) + right, MASK, text)
    return text


def github_annotation(problem: Problem) -> str:
    """PROBLEM as a GitHub Actions workflow command (`::error file=F,line=L,col=C,title=CODE::MESSAGE`).

    Escaped as GitHub's runner reads them: property values escape % CR LF : and , (a file name with a comma
    or colon would otherwise end its property early); the message escapes % CR LF.
    """
    level = "error" if problem.severity == "error" else "warning"
    props = [f"file={_escape_property(problem.source)}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
    if problem.column is not None:
        props.append(f"col={problem.column}")
    props.append(f"title={_escape_property(problem.code)}")
    message = (f"{problem.path}: " if problem.path else "") + problem.message
    if problem.hint:
        message += f" ({problem.hint})"
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def describe_value(value: Any) -> str:
    """What a value is, for "expected X, got Y" messages: its kind, never a secret's text."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "an empty text" if value == "" else "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
