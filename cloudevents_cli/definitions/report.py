"""Problems located in a document: a small helper the validation passes share."""

from __future__ import annotations

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
