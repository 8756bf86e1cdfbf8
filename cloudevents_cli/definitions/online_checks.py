"""Checks of a definition against what the platform says of its element (`validate --online`): an element key the
platform does not know (with "did you mean"), required configuration keys that are missing, an events method the
element does not offer, and an OAuth2 element with no way to authenticate (no code, no tokens of its own).

The element's description comes from the caller (platform/elements.py fetches and caches it; any object with
`required_keys`, `auth_type`, `methods`, `events_supported` and `offers(method)`): this module never talks to the
platform. Problems are located like the offline ones, through the document's marks.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from cloudevents_cli.definitions import keys
from cloudevents_cli.definitions.loader import Document, Path_
from cloudevents_cli.definitions.problem_reporter import Reporter
from cloudevents_cli.definitions.problems import Problem


def check(doc: Document, info: Any, known: Sequence[str]) -> list[Problem]:
    """The problems of one definition against its element's description (None: the platform does not know the
    element; `known` holds the keys it does know)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    element = data.get("element")
    if not isinstance(element, str):
        return []
    report = Reporter(doc)
    if info is None:
        close = difflib.get_close_matches(element, known, n=3)
        hint = f"did you mean {', '.join(repr(k) for k in close)}?" if close else "cloudevents elements lists them"
        report.error(("element",), "unknown-element", f"the platform has no element '{element}'", hint)
        return report.problems
    configuration = _mapping(data, "configuration")
    _required(report, element, info, configuration, "configuration" in data)
    _method(report, element, info, data, configuration)
    _authentication(report, element, info, data, configuration)
    return report.problems


def _required(report: Reporter, element: str, info: Any, configuration: dict[str, Any], written: bool) -> None:
    where: Path_ = ("configuration",) if written else ("element",)
    for key in info.required_keys:
        if key.startswith(("event.", "oauth.")) or configuration.get(key) not in (None, ""):
            continue  # events have their own section; OAuth keys are checked with the authentication
        report.error(
            where,
            "missing-required-key",
            f"element '{element}' requires configuration key '{key}'",
            f"add it: configuration: {{{key}: ...}}",
            key=True,
        )


def _method(report: Reporter, element: str, info: Any, data: dict[str, Any], configuration: dict[str, Any]) -> None:
    """Polling asked of an element that only has webhooks, or the other way round."""
    events = _mapping(data, "events")
    if events.get("enabled") is False or str(configuration.get(keys.ENABLED)).lower() == "false":
        return
    asked, where = None, None
    for candidate, path in (
        (events.get("type"), ("events", "type")),
        (configuration.get(keys.VENDOR_TYPE), ("configuration", keys.VENDOR_TYPE)),
    ):
        if isinstance(candidate, str):
            asked, where = candidate, path
            break
    if asked is None and (events.get("resources") or configuration.get(keys.POLLER_CONFIGURATION)):
        asked = "polling"
        where = ("events", "resources") if events.get("resources") else ("configuration", keys.POLLER_CONFIGURATION)
    if asked is None or where is None or info.offers(asked) or not info.methods:
        return
    offered = " and ".join(info.methods)
    other = "webhooks" if asked == "polling" else "polling"
    hint = f"use type: {other}" if info.offers(other) else "turn its events off"
    report.error(
        where,
        "unsupported-event-method",
        f"element '{element}' does not offer {asked} events (it offers {offered})",
        hint,
    )


def _authentication(
    report: Reporter, element: str, info: Any, data: dict[str, Any], configuration: dict[str, Any]
) -> None:
    chosen = configuration.get("authentication.type") or info.auth_type
    if str(chosen or "").lower() != "oauth2":
        return
    provider = _mapping(data, "provider_data")
    if provider.get("code") or data.get("external_authentication"):
        return
    report.warn(
        ("element",),
        "needs-authorization",
        f"element '{element}' authenticates with OAuth2 and the definition has no code or tokens of its own",
        "create it with cloudevents authorize FILE, or bring your own tokens: external_authentication: initial",
    )


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
