"""The rules of the format that need more than a type: URLs, macros, dates, zones, conflicts, warnings.

They read the raw data and look only at values of the right type, so that they run (and report) even when
other parts of the definition failed the model.
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from cloudevents_cli.definitions import expand, keys, platform_formats
from cloudevents_cli.definitions.loader import Path_
from cloudevents_cli.definitions.problem_reporter import Reporter, describe_value

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host.docker.internal"}
MIN_SIGNATURE_KEY = 16
MAX_SENSIBLE_REFRESH = 1440


def run(r: Reporter, data: Any) -> None:
    if not isinstance(data, dict):
        return
    tags = data.get("tags")
    if isinstance(tags, list):
        _tags(r, tags)
    configuration = data.get("configuration")
    if not isinstance(configuration, dict):
        configuration = {}
    _configuration(r, configuration)
    events = data.get("events")
    if isinstance(events, dict):
        _events(r, events, configuration)
        _conflicts(r, events, configuration)
    _no_callback(r, events if isinstance(events, dict) else None, configuration)


def _tags(r: Reporter, tags: list[Any]) -> None:
    seen: set[str] = set()
    for i, tag in enumerate(tags):
        if isinstance(tag, str):
            if tag in seen:
                r.warn(("tags", i), "duplicate-tag", f"the tag '{tag}' is given twice", "remove one")
            seen.add(tag)


def _configuration(r: Reporter, configuration: dict[str, Any]) -> None:
    """The element's keys as written, and the raw form of the event keys, checked like the `events` section."""
    for key, value in configuration.items():
        path = ("configuration", key)
        if key == keys.POLLER_CONFIGURATION:
            _raw_poller(r, path, value)
            continue
        if value is None or isinstance(value, (list, dict)):
            kind = "nothing (null)" if value is None else ("a list" if isinstance(value, list) else "a mapping")
            r.error(
                path,
                "bad-config-value",
                f"configuration values are texts, numbers or booleans, not {kind}",
                "write the value as a text" if value is not None else "give a value or remove the key",
            )
        elif key == keys.CALLBACK_URL and isinstance(value, str):
            _callback_url(r, path, value)
        elif key == keys.VENDOR_TYPE:
            _raw_vendor_type(r, path, value)
        elif key == keys.REFRESH_INTERVAL and _minutes(value) is None:
            r.warn(
                path, "unexpected-type", "the refresh interval is not a whole number of minutes >= 1; sent as written"
            )
        if key.startswith("event.") and key not in keys.KNOWN_EVENT_KEYS:
            close = difflib.get_close_matches(key, sorted(keys.KNOWN_EVENT_KEYS), n=1, cutoff=0.75)
            hint = f"did you mean '{close[0]}'?" if close else "see 'cloudevents explain'"
            r.warn(
                path, "unknown-event-key", f"'{key}' is not an event key the platform is known to read", hint, key=True
            )


def _raw_vendor_type(r: Reporter, path: Path_, value: Any) -> None:
    """The raw vendor type: one of the documented spellings; a case variant or an empty text, which the platform
    stores as sent (an export of such an instance must validate), is a warning and sent as written."""
    choices = keys.by_field("instance")["type"].choices
    if value in choices:
        return
    hint = "polling, webhooks or webhook"
    if isinstance(value, str) and (value == "" or value.lower() in choices):
        message = f"'{value}' is not one of the documented spellings; sent as written"
        r.warn(path, "unexpected-event-type", message, hint)
    else:
        r.error(path, "bad-event-type", f"'{value}' is not an event type", hint)


def _minutes(value: Any) -> int | None:
    """The minutes of a refresh interval written as a number or as the text of one ("15"), or None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def _raw_poller(r: Reporter, path: Path_, value: Any) -> None:
    """A poller configuration written straight under `configuration`, as a mapping or as a JSON object in a text."""
    reporter: Reporter | _InText = r
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            r.error(path, "bad-config-value", "a poller configuration written as text must be a JSON object")
            return
        reporter = _InText(r, len(path))
    if not isinstance(value, dict):
        r.error(
            path,
            "bad-config-value",
            "the poller configuration must be a mapping of resources",
            "or use events.resources",
        )
        return
    for name, resource in value.items():
        if isinstance(resource, dict):
            _resource(reporter, (*path, name), resource, PLATFORM)
        else:
            reporter.error((*path, name), "wrong-type", f"expected a mapping, got {describe_value(resource)}")


class _InText:
    """A Reporter for problems inside a JSON text: located at the text, the path inside it named in the message."""

    def __init__(self, r: Reporter, depth: int) -> None:
        self.r, self.depth = r, depth

    def error(self, path: Path_, code: str, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.r.error(path, code, self._inside(path, message), hint)

    def warn(self, path: Path_, code: str, message: str, hint: str | None = None, *, key: bool = False) -> None:
        self.r.warn(path, code, self._inside(path, message), hint)

    def _inside(self, path: Path_, message: str) -> str:
        return f"in the JSON text, at {'.'.join(str(p) for p in path[self.depth :])}: {message}"


def _events(r: Reporter, events: dict[str, Any], configuration: dict[str, Any]) -> None:
    enabled = events.get("enabled", True)
    etype = events.get("type")
    url = events.get("callback_url")
    if isinstance(url, str):
        _callback_url(r, ("events", "callback_url"), url)
    key = events.get("signature_key")
    if enabled is True and "signature_key" not in events and keys.SIGNATURE_KEY not in configuration:
        r.warn(
            ("events",),
            "weak-signature-key",
            "no signature_key: your app cannot verify that callbacks are genuine",
            "add signature_key: ${env:CE_SIGNATURE_KEY}",
        )
    elif isinstance(key, str) and len(key) < MIN_SIGNATURE_KEY:
        r.warn(
            ("events", "signature_key"),
            "weak-signature-key",
            f"the signature key is shorter than {MIN_SIGNATURE_KEY} characters",
            "use a long random key",
        )
    webhooks = etype in ("webhooks", "webhook")
    interval = events.get("refresh_interval")
    if webhooks and "refresh_interval" in events:
        r.error(
            ("events", "refresh_interval"),
            "polling-only",
            "refresh_interval applies to polling only",
            "remove it, or use type: polling",
        )
    elif isinstance(interval, int) and not isinstance(interval, bool) and interval > MAX_SENSIBLE_REFRESH:
        r.warn(
            ("events", "refresh_interval"),
            "long-refresh-interval",
            f"{interval} minutes is more than a day between polls",
        )
    resources = events.get("resources")
    if webhooks and "resources" in events:
        r.error(
            ("events", "resources"),
            "polling-only",
            "resources apply to polling only",
            "remove them, or use type: polling",
        )
    elif isinstance(resources, dict):
        for name, resource in resources.items():
            if isinstance(resource, dict):
                _resource(r, ("events", "resources", name), resource, DEFINITION)


def _no_callback(r: Reporter, events: dict[str, Any] | None, configuration: dict[str, Any]) -> None:
    """Events switched on (by the events section or the raw key) with no callback URL anywhere: a warning."""
    where: Path_
    if events is not None:
        on, where = events.get("enabled", True) is True, ("events",)
    else:
        on, where = configuration.get(keys.ENABLED) in (True, "true"), ("configuration", keys.ENABLED)
    given = (events or {}).get("callback_url") is not None or configuration.get(keys.CALLBACK_URL) is not None
    if on and not given:
        r.warn(
            where,
            "no-callback-url",
            "events are enabled without a callback URL: they reach no endpoint of yours",
            "add callback_url: https://your.app/callbacks (or pass --callback-url)",
        )


def _callback_url(r: Reporter, path: Path_, url: str) -> None:
    if url == "":  # what the platform may hold for "none" (an export of it must validate): sent as written
        r.warn(path, "no-callback-url", "the callback URL is empty: events reach no endpoint of yours")
        return
    parts = _split(url.strip())
    if parts is None and _port_text(url) is not None:
        r.error(path, "bad-callback-url", f"the port '{_port_text(url)}' is not a number from 1 to 65535")
        return
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        r.error(
            path,
            "bad-callback-url",
            "the callback URL must be an absolute http(s) URL with a host",
            "e.g. https://hooks.example.com/cloud-elements",
        )
        return
    if url != url.strip() or any(c.isspace() for c in url):
        r.error(path, "bad-callback-url", "the callback URL contains white space")
        return
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        r.warn(path, "insecure-callback", "events would travel over plain http to a public host", "use https")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: there are two, DEFINITION and PLATFORM
class _Form:
    """How one form names the keys of a polled resource: the definition's (`id_field`) or the platform's (`idField`)."""

    platform: bool
    resource: dict[str, keys.EventKey]  # the name written -> its key
    dates: dict[str, keys.EventKey]
    typed: bool  # whether types are checked here (the events section has the model for that)

    def name(self, field: str) -> str:
        """The name this form writes for a definition field (`updated_format` -> `updatedDateFormat`)."""
        return _written_names(self).get(field, field) if self.platform else field  # the definition's: as it is


@functools.cache
def _written_names(form: _Form) -> dict[str, str]:
    names: dict[str, str] = {}
    for known in (form.resource, form.dates):
        for written, key in known.items():
            if key.short_key:
                names.setdefault(key.short_key, written)
    return names


DEFINITION = _Form(False, keys.by_field("resource"), keys.by_field("dates"), typed=False)
PLATFORM = _Form(True, keys.by_platform_key("resource"), keys.by_platform_key("dates"), typed=True)
_TYPE_WORDS = {bool: "true or false", int: "a whole number", str: "a text", dict: "a mapping"}


def _resource(r: Reporter | _InText, path: Path_, resource: dict[str, Any], form: _Form) -> None:
    _known_keys(r, path, resource, form.resource, "resource", form)
    url = resource.get(form.name("url"))
    if isinstance(url, str) and url:
        _poller_url(r, (*path, form.name("url")), url)
    if url is not None and resource.get(form.name("id_field")) is None:
        r.error(path, "missing-key", f"'{form.name('id_field')}' is required with a url", "e.g. the field id")
    dates = resource.get(form.name("dates"))
    if not isinstance(dates, dict):
        return
    path = (*path, form.name("dates"))
    _known_keys(r, path, dates, form.dates, "dates", form)
    for prefix in ("updated", "created"):
        field = dates.get(form.name(f"{prefix}_field"))
        for suffix in ("format", "timezone"):
            key = form.name(f"{prefix}_{suffix}")
            if dates.get(key) is not None and not field:
                field_name = form.name(f"{prefix}_field")
                r.error(
                    (*path, key),
                    "format-without-field",
                    f"{key} is given without {field_name}",
                    f"add {field_name}, or remove {key}",
                )
        fmt_key = form.name(f"{prefix}_format")
        fmt = dates.get(fmt_key)
        if isinstance(fmt, str):
            message = platform_formats.check_date_format(fmt)
            if message:
                r.error(
                    (*path, fmt_key),
                    "bad-date-format",
                    message,
                    "a Java SimpleDateFormat pattern such as yyyy-MM-dd'T'HH:mm:ss'Z', or milliseconds",
                )
        zone_key = form.name(f"{prefix}_timezone")
        zone = dates.get(zone_key)
        if isinstance(zone, str):
            message = platform_formats.check_timezone(zone)
            if message:
                r.error((*path, zone_key), "unknown-timezone", message)


def _known_keys(
    r: Reporter | _InText,
    path: Path_,
    given: dict[str, Any],
    known: dict[str, keys.EventKey],
    scope: keys.Scope,
    form: _Form,
) -> None:
    """A warning for each key the platform does not document (it is passed through); types, in the raw form."""
    others = (keys.by_field if form.platform else keys.by_platform_key)(scope)
    for name, value in given.items():
        key = known.get(name)
        other = others.get(name)
        if key is None and other is not None:  # idField in a definition, id_field in the raw form: a slip
            ours = other.dotted_key if form.platform else other.short_key
            whose = "the definition's" if form.platform else "the platform's"
            message = f"'{name}' is {whose} name of a key; here it is written '{ours}'"
            r.error((*path, name), "unknown-key", message, f"did you mean '{ours}'?", key=True)
        elif key is None:
            close = keys.closest(name, scope, platform=form.platform)
            where = "a polled resource" if scope == "resource" else form.name("dates")
            r.warn(
                (*path, name),
                "undocumented-key",
                f"'{name}' is not a key the platform documents in {where}; it is sent as written",
                f"did you mean '{close}'?" if close else "see 'cloudevents explain'",
                key=True,
            )
        elif form.typed and not _fits(key, value):  # the raw form is sent as written: a value of another type too
            expected = f"{_TYPE_WORDS[key.python_type]}{_at_least(key)}"
            r.warn(
                (*path, name), "unexpected-type", f"expected {expected}, got {describe_value(value)}; sent as written"
            )


def _fits(key: keys.EventKey, value: Any) -> bool:
    if value is None:
        return True  # not set
    if key.python_type is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= (key.minimum or 0)
    return isinstance(value, key.python_type) and (value != "" or key.python_type is not str)


def _at_least(key: keys.EventKey) -> str:
    return f" >= {key.minimum}" if key.minimum is not None else ""


def _poller_url(r: Reporter | _InText, path: Path_, url: str) -> None:
    parts = _split(url) if url.startswith(("http://", "https://")) else None
    if not url.startswith("/") and not (parts is not None and parts.hostname):
        r.error(
            path,
            "bad-poller-url",
            "the url must be a path starting with / or an absolute http(s) URL",
            "e.g. /hubs/crm/contacts",
        )
    for issue in platform_formats.scan_macros(url):
        report = r.warn if issue.code == "macro-case" else r.error
        report(path, issue.code, f"{issue.message} (at character {issue.offset + 1})")


def _split(url: str) -> SplitResult | None:
    """urlsplit, or None for what it cannot read (an unclosed [ of an IPv6 host, say)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return None
    return parts


def _port_text(url: str) -> str | None:
    """The port part of an http(s) URL whose port is unreadable, for the message."""
    rest = url.strip().split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if "]" in rest:
        rest = rest.rsplit("]", 1)[1]
    return rest.split(":", 1)[1] if ":" in rest else None


def _conflicts(r: Reporter, events: dict[str, Any], configuration: dict[str, Any]) -> None:
    if configuration.keys().isdisjoint(_EVENTS_KEYS):
        return  # nothing the events section sets is in configuration: no conflict, whatever the section holds
    try:
        derived = expand.event_keys(events)
    except (KeyError, TypeError, AttributeError):
        return  # a malformed events section: the model has reported it
    for key, value in derived.items():
        if key in configuration and not _same(configuration[key], value):
            r.error(
                ("configuration", key),
                "conflicting-key",
                f"'{key}' is set here and by the events section (or a flag) to a different value",
                "set it in one place",
                key=True,
            )


_EVENTS_KEYS = frozenset(k.dotted_key for k in keys.section_keys("instance"))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and not isinstance(b, str):
        try:
            return bool(json.loads(a) == b)
        except ValueError:
            return False
    if isinstance(b, str) and not isinstance(a, str):
        return _same(b, a)
    return bool(a == b)
