"""The rules of the format that need more than a type: URLs, macros, dates, zones, conflicts, warnings.

They read the raw data and look only at values of the right type, so that they run (and report) even when
other parts of the definition failed the model.
"""

from __future__ import annotations

import difflib
import json
from typing import Any
from urllib.parse import SplitResult, urlsplit

from cloudevents_cli.definitions import expand, formats, keys
from cloudevents_cli.definitions.report import Reporter

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
        _events(r, events)
        _conflicts(r, events, configuration)


def _tags(r: Reporter, tags: list[Any]) -> None:
    seen: set[str] = set()
    for i, tag in enumerate(tags):
        if isinstance(tag, str):
            if tag in seen:
                r.warn(("tags", i), "duplicate-tag", f"the tag '{tag}' is given twice", "remove one")
            seen.add(tag)


def _configuration(r: Reporter, configuration: dict[str, Any]) -> None:
    for key, value in configuration.items():
        path = ("configuration", key)
        if key == expand.POLLER_CONFIGURATION:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    r.error(path, "bad-config-value", "a poller configuration written as text must be a JSON object")
                    continue
            if not isinstance(value, dict):
                r.error(
                    path,
                    "bad-config-value",
                    "the poller configuration must be a mapping of resources",
                    "or use events.resources",
                )
            continue
        if value is None or isinstance(value, (list, dict)):
            kind = "nothing (null)" if value is None else ("a list" if isinstance(value, list) else "a mapping")
            r.error(
                path,
                "bad-config-value",
                f"configuration values are texts, numbers or booleans, not {kind}",
                "write the value as a text" if value is not None else "give a value or remove the key",
            )
        if key.startswith("event.") and key not in keys.KNOWN_EVENT_KEYS:
            close = difflib.get_close_matches(key, sorted(keys.KNOWN_EVENT_KEYS), n=1, cutoff=0.75)
            hint = f"did you mean '{close[0]}'?" if close else "see 'cloudevents explain'"
            r.warn(
                path, "unknown-event-key", f"'{key}' is not an event key the platform is known to read", hint, key=True
            )


def _events(r: Reporter, events: dict[str, Any]) -> None:
    enabled = events.get("enabled", True)
    etype = events.get("type")
    if enabled is True:
        if "type" not in events:
            r.error(
                ("events",),
                "missing-key",
                "'type' is required while events are enabled",
                "type: polling or type: webhooks",
            )
        if events.get("callback_url") is None and "callback_url" not in events:
            r.error(
                ("events",),
                "missing-key",
                "'callback_url' is required while events are enabled",
                "callback_url: https://your.app/callbacks",
            )
    url = events.get("callback_url")
    if isinstance(url, str):
        _callback_url(r, url)
    key = events.get("signature_key")
    if enabled is True and "signature_key" not in events:
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
                _resource(r, ("events", "resources", name), resource)


def _callback_url(r: Reporter, url: str) -> None:
    path = ("events", "callback_url")
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


def _resource(r: Reporter, path: tuple[str, ...], resource: dict[str, Any]) -> None:
    url = resource.get("url")
    if isinstance(url, str) and url:
        _poller_url(r, (*path, "url"), url)
    dates = resource.get("dates")
    if isinstance(dates, dict):
        for prefix in ("updated", "created"):
            field = dates.get(f"{prefix}_field")
            for suffix in ("format", "timezone"):
                key = f"{prefix}_{suffix}"
                if key in dates and dates[key] is not None and not field:
                    r.error(
                        (*path, "dates", key),
                        "format-without-field",
                        f"{key} is given without {prefix}_field",
                        f"add {prefix}_field, or remove {key}",
                    )
            fmt = dates.get(f"{prefix}_format")
            if isinstance(fmt, str):
                message = formats.check_date_format(fmt)
                if message:
                    r.error(
                        (*path, "dates", f"{prefix}_format"),
                        "bad-date-format",
                        message,
                        "a Java SimpleDateFormat pattern such as yyyy-MM-dd'T'HH:mm:ss'Z', or milliseconds",
                    )
            zone = dates.get(f"{prefix}_timezone")
            if isinstance(zone, str):
                message = formats.check_timezone(zone)
                if message:
                    r.error((*path, "dates", f"{prefix}_timezone"), "unknown-timezone", message)


def _poller_url(r: Reporter, path: tuple[str, ...], url: str) -> None:
    parts = _split(url) if url.startswith(("http://", "https://")) else None
    if not url.startswith("/") and not (parts is not None and parts.hostname):
        r.error(
            path,
            "bad-poller-url",
            "the url must be a path starting with / or an absolute http(s) URL",
            "e.g. /hubs/crm/contacts",
        )
    for issue in formats.scan_macros(url):
        r.error(path, issue.code, f"{issue.message} (at character {issue.offset + 1})")


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


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and not isinstance(b, str):
        try:
            return bool(json.loads(a) == b)
        except ValueError:
            return False
    if isinstance(b, str) and not isinstance(a, str):
        return _same(b, a)
    return bool(a == b)
