"""Event flags (--polling, --callback-url, --set PATH=VALUE, ...) applied to definitions before validation.

Flags override every definition of a run and are validated like file content: a problem in a value given by a
flag names the flag instead of a line (and pipeline makes it a usage error). Values are read by the rules of a
file's values (loader.parse_value): a date stays the text written, numbers must be finite and fit 64 bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli.definitions.loader import Document, Path_, parse_value
from cloudevents_cli.definitions.problems import Problem

FLAGS_SOURCE = "<flags>"
# Below these, the rest of a --set path is one key: configuration keys are dotted themselves.
_OPAQUE = ("configuration", "provider_data")


@dataclass
class Overrides:
    event_type: str | None = None  # "polling" | "webhooks" (from --polling / --webhooks)
    no_events: bool = False
    callback_url: str | None = None
    signature_key: str | None = None
    refresh_interval: str | None = None
    tags: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)  # "PATH=VALUE"
    element: str | None = None
    name: str | None = None

    @property
    def defines_instance(self) -> bool:
        return self.element is not None or self.name is not None

    def is_empty(self) -> bool:
        return self == Overrides()


def is_flag(source: str) -> bool:
    """Whether a problem's source is a command-line flag (`--set PATH`, `--refresh-interval`, ...)."""
    return source.startswith("--")


def split_path(path: str) -> Path_:
    """`events.resources.contacts.url` -> its parts; `configuration.event.objects` -> two parts only."""
    parts = path.split(".")
    if parts[0] in _OPAQUE and len(parts) > 1:
        return (parts[0], ".".join(parts[1:]))
    return tuple(parts)


def from_flags(overrides: Overrides) -> Document:
    """A definition made of --element and --name (and the other flags) alone."""
    doc = Document(source=FLAGS_SOURCE, index=1, data={})
    if overrides.name is not None:
        doc.data["name"] = overrides.name
        doc.flag_paths[("name",)] = "--name"
    if overrides.element is not None:
        doc.data["element"] = overrides.element
        doc.flag_paths[("element",)] = "--element"
    return doc


def apply(doc: Document, overrides: Overrides | None) -> list[Problem]:
    """Write the flags into `doc.data` (a mapping), recording which paths they set."""
    if overrides is None or overrides.is_empty():
        return []
    problems: list[Problem] = []
    for assignment in overrides.sets:
        _apply_set(doc, assignment, problems)
    had_events = "events" in doc.data
    events = _section(doc)
    if events is None:
        return problems
    if overrides.event_type is not None:
        _put(doc, ("events", "type"), overrides.event_type, f"--{overrides.event_type}")
        _put(doc, ("events", "enabled"), True, f"--{overrides.event_type}")
    if overrides.no_events:
        _put(doc, ("events", "enabled"), False, "--no-events")
    if overrides.callback_url is not None:
        _put(doc, ("events", "callback_url"), overrides.callback_url, "--callback-url")
    if overrides.signature_key is not None:
        doc.secrets.add(overrides.signature_key)
        _put(doc, ("events", "signature_key"), overrides.signature_key, "--signature-key")
    if overrides.refresh_interval is not None:
        value, found = parse_value(overrides.refresh_interval.strip(), "--refresh-interval")
        problems.extend(found)
        _put(doc, ("events", "refresh_interval"), value, "--refresh-interval")
    if overrides.tags:
        tags = doc.data.get("tags")
        if tags is None:
            tags = doc.data["tags"] = []
            doc.flag_paths[("tags",)] = "--tag"
        if isinstance(tags, list):
            for tag in overrides.tags:
                if tag not in tags:
                    doc.flag_paths[("tags", len(tags))] = "--tag"
                    tags.append(tag)
    if not had_events and not events:
        doc.data.pop("events", None)  # no event flag given: leave the definition as it was
    return problems


def _section(doc: Document) -> dict[str, Any] | None:
    current = doc.data.get("events")
    if current is None:
        doc.data["events"] = current = {}
    return current if isinstance(current, dict) else None


def _put(doc: Document, path: Path_, value: Any, flag: str) -> None:
    target = doc.data
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value
    doc.flag_paths[path] = flag


def _apply_set(doc: Document, assignment: str, problems: list[Problem]) -> None:
    flag = f"--set {assignment.partition('=')[0]}"
    path_text, sep, raw = assignment.partition("=")
    if not sep or not path_text.strip():
        problems.append(
            Problem(
                "--set",
                None,
                None,
                "",
                "error",
                "bad-flag",
                f"'{assignment.partition('=')[0]}...' is not PATH=VALUE",
                "e.g. --set events.refresh_interval=5",
            )
        )
        return
    path = split_path(path_text.strip())
    value, found = parse_value(raw, flag) if raw.strip() else ("", [])
    if found:
        problems.extend(found)
        return
    target: Any = doc.data
    for part in path[:-1]:
        if not isinstance(target, dict):
            break
        nxt = target.get(part)
        if nxt is None:
            nxt = target[part] = {}
        target = nxt
    if not isinstance(target, dict):
        problems.append(
            Problem(
                "--set",
                None,
                None,
                path_text,
                "error",
                "bad-flag",
                f"cannot set {path_text}: a part of the path is not a mapping",
            )
        )
        return
    target[path[-1]] = value
    doc.flag_paths[path] = flag
    if isinstance(value, str) and path[0] in _OPAQUE:
        from cloudevents_cli import redact

        if redact.is_secret_key(str(path[-1])):
            doc.secrets.add(value)
