"""A valid definition to the JSON body of POST /instances, key for key as the platform documents it.

Top level: element, providerData, externalAuthentication, configuration, tags, name. Inside configuration: the
element's own keys as written, then the event keys in the documented order. Keys absent in the definition are
absent in the body; values are sent as written (`type: webhook` is sent as `webhook`). The names come from the
table of event keys (keys.py); keys of a resource or its dates that the table does not have pass through unchanged.
"""

from __future__ import annotations

from typing import Any

from cloudevents_cli.definitions import keys


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """The request body of a definition that passed validation."""
    body: dict[str, Any] = {"element": {"key": data["element"]}}
    if data.get("provider_data") is not None:
        body["providerData"] = dict(data["provider_data"])
    if data.get("external_authentication") is not None:
        body["externalAuthentication"] = data["external_authentication"]
    configuration = dict(data.get("configuration") or {})
    events = data.get("events")
    if isinstance(events, dict):
        for key, value in event_keys(events).items():
            configuration.setdefault(key, value)
    if configuration or "configuration" in data or isinstance(events, dict):
        body["configuration"] = configuration
    if data.get("tags") is not None:
        body["tags"] = list(data["tags"])
    body["name"] = data["name"]
    return body


def event_keys(events: dict[str, Any]) -> dict[str, Any]:
    """The event.* configuration keys that an events section stands for, in the documented order."""
    out: dict[str, Any] = {}
    for key in keys.section_keys("instance"):
        field = key.short_key or ""
        if key.dotted_key == keys.ENABLED:
            out[key.dotted_key] = events.get(field, True)
        elif events.get(field) is None:
            continue
        elif key.dotted_key == keys.POLLER_CONFIGURATION:
            out[key.dotted_key] = {name: resource_body(res) for name, res in events[field].items()}
        else:
            out[key.dotted_key] = events[field]
    return out


def resource_body(resource: dict[str, Any]) -> dict[str, Any]:
    """One polled resource under the platform's names, in the order written; unknown keys unchanged."""
    return _renamed(resource, keys.by_field("resource"), nested=keys.by_field("dates"))


def _renamed(
    given: dict[str, Any], names: dict[str, keys.EventKey], nested: dict[str, keys.EventKey]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, value in given.items():
        key = names.get(field)
        if key is None:
            out[field] = value  # not modelled: passed through as written
        elif value is None:
            continue
        elif key.dotted_key == keys.DATES and isinstance(value, dict):
            out[key.dotted_key] = _renamed(value, nested, {})
        else:
            out[key.dotted_key] = value
    return out
