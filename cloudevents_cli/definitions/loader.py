"""YAML files to documents: plain data plus the line and column of every node.

Safe loading only (CSafeLoader's parser where available). Limits are enforced before any work: file size,
binary content, non-UTF-8 bytes; while building: nodes per file (aliases counted each time they are used),
nesting depth, numbers JSON can carry. Dates stay the text written. Duplicate keys are refused. Problems are
returned, never raised.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import yaml

from cloudevents_cli.definitions.problems import Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000  # per file, across its documents: aliases count each time they are used
MAX_DEPTH = 64  # nesting levels of mappings and lists
MAX_INT = 2**63 - 1  # whole numbers must fit a signed 64-bit integer, as on the platform
_MAX_INT_TEXT = 100  # an int scalar longer than this is refused before it is converted
STDIN = "-"

Path_ = tuple[str | int, ...]

try:
    _Parser: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Parser = yaml.SafeLoader

# YAML 1.1 reads these plain scalars as booleans: a classic surprise for names and tags.
YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n", "true", "false"}


@dataclass
class Document:
    """One YAML document of one file."""

    source: str  # the file as the user named it ("-" for stdin)
    index: int  # from 1
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # value node: (line, column), from 1
    key_marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)  # mapping key node
    plain_scalars: dict[Path_, str] = field(default_factory=dict)  # raw text of plain bool/number scalars
    base_dir: Path = field(default_factory=Path.cwd)
    flag_paths: dict[Path_, str] = field(default_factory=dict)  # paths set by a command-line flag
    secrets: set[str] = field(default_factory=set)  # values that came from ${env:} / ${file:}
    # a text that holds such a value among other text (`https://h/cb?t=${env:TOK}`) -> the same text with only
    # those values masked (`https://h/cb?t=********`)
    bearing: dict[str, str] = field(default_factory=dict)
    interpolated: set[Path_] = field(default_factory=set)  # paths whose value had a ${env:} / ${file:}
    may_interpolate: bool = True  # False when the file has no "${" at all

    @property
    def ref(self) -> str:
        return f"{self.source}#{self.index}"

    def mark(self, path: Path_, *, key: bool = False) -> tuple[int | None, int | None]:
        """The best location for a path: itself, else its nearest located parent."""
        if key and path in self.key_marks:
            return self.key_marks[path]
        p = path
        while True:
            if p in self.marks:
                return self.marks[p]
            if not p:
                return (None, None)
            p = p[:-1]


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """Files as given, folders as their *.yaml / *.yml files (recursive, sorted), '-' as stdin."""
    files: list[str] = []
    problems: list[Problem] = []
    for raw in paths:
        if raw == STDIN:
            files.append(raw)
            continue
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                (f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file()),
                key=lambda f: f.as_posix(),
            )
            if not found:
                problems.append(_file_problem(raw, "empty-folder", "the folder holds no *.yaml or *.yml file"))
            files.extend(str(f) for f in found)
        elif p.exists():
            files.append(raw)
        else:
            problems.append(_file_problem(raw, "file-not-found", "no such file or folder"))
    return files, problems


def read_file(source: str, stdin: BinaryIO | None = None) -> tuple[str | None, list[Problem]]:
    """The text of a file, or the problem that keeps it from being read. Limits are checked first."""
    try:
        if source == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            raw = stream.read(MAX_FILE_BYTES + 1)
        else:
            with open(source, "rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        return None, [_file_problem(source, "unreadable", f"cannot read the file: {err.strerror or err}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [
            _file_problem(source, "file-too-large", "the file is over 1 MiB; a definition file is far smaller")
        ]
    if b"\x00" in raw[:8192] or _looks_binary(raw):
        return None, [_file_problem(source, "binary-file", "the file is binary, not YAML text")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        return None, [
            Problem(
                source,
                line,
                col,
                "",
                "error",
                "not-utf8",
                f"byte 0x{raw[err.start]:02x} is not UTF-8",
                "save the file as UTF-8",
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:4096]
    if not sample:
        return False
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls / len(sample) > 0.05


def parse_documents(
    text: str, source: str, base_dir: Path, *, mappings: bool = True
) -> tuple[list[Document], list[Problem]]:
    """Every non-empty document of a YAML text, with marks; problems for what cannot be loaded.

    The node budget is shared by every document of the text: past it, the rest of the text is not read.
    With `mappings` (definitions), a document that is not a mapping is a problem; without, any value is kept.
    """
    docs: list[Document] = []
    problems: list[Problem] = []
    loader = _Parser(text)
    builder = _Builder(source)
    index = 0
    may_interpolate = "${" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if node is None or _is_empty(node):
                continue
            doc = Document(source=source, index=index, data=None, base_dir=base_dir)
            doc.may_interpolate = may_interpolate
            doc.data, found = builder.document(doc, node)
            if found:
                problems.extend(found)
                if builder.exhausted:
                    break
                continue
            if mappings and not isinstance(doc.data, dict):
                line, col = _mark(node)
                problems.append(
                    Problem(
                        source,
                        line,
                        col,
                        "",
                        "error",
                        "not-a-mapping",
                        f"a definition is a mapping of keys (name, element, ...), not a {_kind(doc.data)}",
                        "start with 'name: ...' and 'element: ...'"
                        if not (isinstance(doc.data, list) and doc.data and isinstance(doc.data[0], dict))
                        else "a list of mappings is a tenants file: name it in a definition's 'tenants:'",
                    )
                )
                continue
            docs.append(doc)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)  # type: ignore[assignment]
        message = (err.problem or err.context or "not valid YAML").strip()
        problems.append(Problem(source, line, col, "", "error", "yaml-syntax", f"not valid YAML: {message}"))
    except yaml.YAMLError as err:
        problems.append(Problem(source, None, None, "", "error", "yaml-syntax", f"not valid YAML: {err}"))
    except RecursionError:  # pragma: no cover - the pure-Python composer (libyaml stops at 1,000 levels itself)
        problems.append(Problem(source, None, None, "", "error", "too-deep", "the YAML is nested too deeply"))
    finally:
        loader.dispose()
    return docs, problems


def parse_value(text: str, source: str) -> tuple[Any, list[Problem]]:
    """One value written as YAML on the command line (--set PATH=VALUE), by the rules of a file's values.

    Text that is not valid YAML is that text; problems name `source` (the flag).
    """
    loader = _Parser(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return text, []
    finally:
        loader.dispose()
    if node is None:
        return None, []
    value, problems = _Builder(source).document(Document(source=source, index=1, data=None), node)
    return value, [Problem(source, None, None, p.path, p.severity, p.code, p.message, p.hint) for p in problems]


def load(
    source: str, stdin: BinaryIO | None = None, folders: dict[str, Path] | None = None
) -> tuple[list[Document], list[Problem]]:
    """The documents of a file (`folders`: the resolved folders of one run, shared by its files)."""
    text, problems = read_file(source, stdin)
    if text is None:
        return [], problems
    base = Path.cwd() if source == STDIN else _folder(source, folders)
    docs, more = parse_documents(text, source, base)
    if not docs and not more:
        more = [_file_problem(source, "empty-file", "the file holds no definition")]
    return docs, problems + more


def _folder(source: str, known: dict[str, Path] | None) -> Path:
    """Path(source).resolve().parent; for a file that is not a link itself, its folder is resolved once (`known`),
    not once a file."""
    head, tail = os.path.split(source)
    if known is None or tail in ("", ".", "..") or os.path.islink(source):
        return Path(source).resolve().parent
    if head not in known:
        known[head] = Path(head or ".").resolve()
    return known[head]


# -- building plain data from nodes -------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _is_empty(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "null" and node.value in ("", "~", "null")


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


_scalar_constructor = yaml.constructor.SafeConstructor()


class _Refused(Exception):
    """Stops the building of a document: `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Builder:
    """Plain data from the nodes of one file's documents, within the file's node budget and depth."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes = 0  # built so far, every document of the file
        self.exhausted = False
        self.doc: Document
        self.root: yaml.Node
        self.problems: list[Problem] = []
        self.active: set[int] = set()  # the collections being built: an alias to one of them is recursive

    def document(self, doc: Document, root: yaml.Node) -> tuple[Any, list[Problem]]:
        """The data of one document and its problems (data is None when it could not be built)."""
        self.doc, self.root, self.problems, self.active = doc, root, [], set()
        try:
            data = self.build(root, ())
        except _Refused as refused:
            return None, [refused.problem]
        return (None if self.problems else data), self.problems

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.exhausted = True
            self._refuse(
                self.root,
                (),
                "alias-bomb",
                f"the file expands to over {MAX_NODES:,} nodes (an alias counts each time it is used); refused",
            )
        self.doc.marks[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if len(path) >= MAX_DEPTH:
            self._refuse(node, (), "too-deep", f"nested deeper than {MAX_DEPTH} levels; a definition is far flatter")
        return self._collection(node, path)

    def _collection(self, node: yaml.Node, path: Path_) -> Any:
        if id(node) in self.active:
            self._refuse(node, path, "recursive-alias", "an alias refers to the node that holds it")
        self.active.add(id(node))
        if isinstance(node, yaml.MappingNode):
            value: Any = self._mapping(node, path)
        else:
            value = [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        self.active.discard(id(node))
        return value

    def _refuse(self, node: yaml.Node, path: Path_, code: str, message: str, hint: str | None = None) -> NoReturn:
        line, col = _mark(node)
        raise _Refused(Problem(self.source, line, col, _dotted(path), "error", code, message, hint))

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        tag = node.tag
        if tag in (_TAG + "str", _TAG + "timestamp", _TAG + "binary") or not tag.startswith(_TAG):
            return str(node.value)  # a date stays the text written: the platform stores it as a text
        value = node.value
        if not node.style and tag in (_TAG + "bool", _TAG + "int", _TAG + "float"):
            self.doc.plain_scalars[path] = value
        if tag == _TAG + "int" and value.isdigit() and len(value) < 19:  # the common case, without the regexes
            return int(value)
        if tag == _TAG + "bool":
            return value.lower() in ("yes", "true", "on", "y")
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "int" and len(value) > _MAX_INT_TEXT:
            self._too_large(node, path)
        try:
            result = _scalar_constructor.construct_object(node)
        except (yaml.constructor.ConstructorError, ValueError):
            return str(node.value)
        if isinstance(result, float) and not math.isfinite(result):
            what = "NaN (not a number)" if math.isnan(result) else "an infinite (or too large) number"
            self._refuse(
                node,
                path,
                "bad-number",
                f"{what} cannot be sent: JSON and the platform have no NaN or infinity",
                "write a finite number, or quote the value to mean the text",
            )
        if isinstance(result, int) and not -MAX_INT - 1 <= result <= MAX_INT:
            self._too_large(node, path)
        return result

    def _too_large(self, node: yaml.Node, path: Path_) -> NoReturn:
        self._refuse(
            node,
            path,
            "bad-number",
            f"the whole number is too large: at most {MAX_INT} (a signed 64-bit integer)",
            "quote it to mean the text",
        )

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, tuple[int, int]] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                merged.update(self._merge(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                self.problems.append(
                    Problem(
                        self.doc.source,
                        line,
                        col,
                        _dotted(path),
                        "error",
                        "bad-key",
                        "a mapping key must be a plain text, not a list or mapping",
                    )
                )
                continue
            key = str(key_node.value)
            if key in seen:
                line, col = _mark(key_node)
                first = seen[key]
                self.problems.append(
                    Problem(
                        self.doc.source,
                        line,
                        col,
                        _dotted((*path, key)),
                        "error",
                        "duplicate-key",
                        f"'{key}' is given twice (first at line {first[0]})",
                        "keep one of them",
                    )
                )
                continue
            seen[key] = _mark(key_node)
            child: Path_ = (*path, key)
            self.doc.key_marks[child] = seen[key]
            out[key] = self.build(value_node, child)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge(self, node: yaml.Node, path: Path_) -> dict[str, Any]:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        result: dict[str, Any] = {}
        for sub in reversed(nodes):
            if isinstance(sub, yaml.MappingNode):
                result.update(self._collection(sub, path))
        return result


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def _file_problem(source: str, code: str, message: str) -> Problem:
    return Problem(source, None, None, "", "error", code, message)
