"""What the platform checks in an instance body, and how it stores configuration (every value a string)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cloudevents_cli.emulator import catalog

ENABLED = "event.notification.enabled"
VENDOR_TYPE = "event.vendor.type"
CALLBACK_URL = "event.notification.callback.url"
REFRESH = "event.poller.refresh_interval"
POLLER_CONFIG = "event.poller.configuration"
SIGNATURE_KEY = "event.notification.signature.key"
OBJECTS = "event.objects"
VENDOR_TYPES = {"polling": catalog.POLLING, "webhooks": catalog.WEBHOOKS, "webhook": catalog.WEBHOOKS}


class Invalid(Exception):
    """The body is not acceptable: answered with `status` (400) and this message (never a configuration value),
    plus the provider's own message when the provider refused (an OAuth code, for one)."""

    status = 400

    def __init__(self, message: str, provider_message: str | None = None) -> None:
        super().__init__(message)
        self.provider_message = provider_message


class NotFound(Invalid):
    """The path names an element the platform does not know (404)."""

    status = 404


class Unsupported(Invalid):
    """A body that is not JSON by its Content-Type (415, as the platform answers)."""

    status = 415


@dataclass
class InstanceBody:
    element: catalog.Element
    name: str
    tags: list[str] = field(default_factory=list)
    configuration: dict[str, str] = field(default_factory=dict)
    external_authentication: str = "none"


def as_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("the request body must be a JSON object")
    return body


def to_string(key: str, value: Any) -> str | None:
    """A configuration value as the platform stores it (None: not set)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Invalid(f"configuration value of '{key}' is not a finite number")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if key == POLLER_CONFIG and isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    raise Invalid(f"configuration value of '{key}' must be a string, number, boolean or null")


def configuration(raw: Any) -> dict[str, str | None]:
    """The configuration as sent, values as strings; None (null) means "not set" and unsets a key."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("'configuration' must be an object")
    return {str(k): to_string(str(k), v) for k, v in raw.items()}


def merged(stored: dict[str, str], given: dict[str, str | None]) -> dict[str, str]:
    """`given` over `stored`; a null unsets the key."""
    out = {**stored, **{k: v for k, v in given.items() if v is not None}}
    for key in [k for k, v in given.items() if v is None]:
        out.pop(key, None)
    return out


def external_authentication(raw: Any) -> str:
    if raw is None:
        return "none"
    if not isinstance(raw, str) or not raw:
        raise Invalid("'externalAuthentication' must be a string")
    return raw


def tags(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise Invalid("'tags' must be a list of strings")
    return list(raw)


def name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("'name' is required and must be a non-empty string")
    return raw


def element(body: dict[str, Any], path_key: str | None = None) -> catalog.Element:
    """The element named by the body, or by the path (`/elements/{keyOrId}/instances`) when given."""
    ref = body.get("element")
    key = path_key or (ref.get("key") if isinstance(ref, dict) else None)
    if not isinstance(key, str) or not key:
        raise Invalid("'element.key' is required")
    found = catalog.find(key)
    if found is None:
        raise (NotFound if path_key else Invalid)(f"unknown element key '{key}'")
    return found


def parse_body(body: Any, path_key: str | None = None) -> InstanceBody:
    """A POST/PUT body, checked and normalised (null configuration values dropped: nothing to store)."""
    obj = as_object(body)
    parsed = InstanceBody(
        element=element(obj, path_key),
        name=name(obj.get("name")),
        tags=tags(obj.get("tags")),
        configuration=merged({}, configuration(obj.get("configuration"))),
        external_authentication=external_authentication(obj.get("externalAuthentication")),
    )
    check(parsed.element, parsed.configuration)
    return parsed


def events_enabled(config: dict[str, str]) -> bool:
    value = config.get(ENABLED, "false").strip().lower()
    if value not in ("true", "false"):
        raise Invalid(f"'{ENABLED}' must be true or false")
    return value == "true"


def vendor_type(elem: catalog.Element, config: dict[str, str]) -> str:
    """polling or webhooks (the element's default when absent)."""
    raw = config.get(VENDOR_TYPE)
    if raw is None or raw == "":
        return elem.default_method
    found = VENDOR_TYPES.get(raw.strip().lower())
    if found is None:
        raise Invalid(f"unknown '{VENDOR_TYPE}' '{raw}': use polling or webhooks")
    return found


def refresh_interval(config: dict[str, str]) -> float | None:
    raw = config.get(REFRESH)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"'{REFRESH}' must be a positive number of minutes") from None
    if not math.isfinite(value) or value <= 0:
        raise Invalid(f"'{REFRESH}' must be a positive number of minutes")
    return value


def poller_resources(config: dict[str, str]) -> dict[str, dict[str, Any]] | None:
    """The resources polled; "{}" (what the platform answers when none are set) and an empty resource `{}`
    (docs/elements/revel/events.md) are accepted."""
    raw = config.get(POLLER_CONFIG)
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise Invalid(f"'{POLLER_CONFIG}' is not a JSON object") from None
    if not isinstance(parsed, dict):
        raise Invalid(f"'{POLLER_CONFIG}' must be an object of resources")
    for resource, spec in parsed.items():
        if not isinstance(spec, dict):
            raise Invalid(f"'{POLLER_CONFIG}' resource '{resource}' must be an object")
        if not spec:
            continue
        for needed in ("url", "idField"):
            if not isinstance(spec.get(needed), str) or not spec[needed]:
                raise Invalid(f"'{POLLER_CONFIG}' resource '{resource}' needs '{needed}'")
    return parsed


def _check_callback(url: str | None) -> None:
    """Optional (platform notes: production code enables polling without one); when given, absolute."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(f"'{CALLBACK_URL}' must be an absolute http(s) URL")


def check(elem: catalog.Element, config: dict[str, str]) -> None:
    """Everything the platform validates in a configuration (`required` holds the keys of the element's
    authentication other than OAuth 2, whose credentials emulator/oauth.py checks)."""
    required = () if elem.uses_oauth2(config) else elem.required
    missing = [k for k in required if not config.get(k)]
    if missing:
        raise Invalid(f"missing required configuration for element '{elem.key}': {', '.join(missing)}")
    enabled = events_enabled(config)
    method = vendor_type(elem, config)
    if VENDOR_TYPE in config and method not in elem.methods:
        raise Invalid(f"element '{elem.key}' does not support {method} events (it supports {', '.join(elem.methods)})")
    refresh_interval(config)
    poller_resources(config)
    if enabled:
        _check_callback(config.get(CALLBACK_URL))


def objects(config: dict[str, str]) -> list[str]:
    """`event.objects` as a list (the Salesforce family's resources)."""
    return [o.strip() for o in config.get(OBJECTS, "").split(",") if o.strip()]
