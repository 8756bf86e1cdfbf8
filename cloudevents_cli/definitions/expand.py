"""A valid definition to the JSON body of POST /instances, key for key as the platform documents it.

Top level: element, providerData, configuration, tags, name. Inside configuration: the element's own keys as
written, then the event keys in the documented order. Keys absent in the definition are absent in the body.
"""

from __future__ import annotations

from typing import Any

ENABLED = "event.notification.enabled"
VENDOR_TYPE = "event.vendor.type"
CALLBACK_URL = "event.notification.callback.url"
REFRESH_INTERVAL = "event.poller.refresh_interval"
SIGNATURE_KEY = "event.notification.signature.key"
POLLER_CONFIGURATION = "event.poller.configuration"

VENDOR_TYPES = {"polling": "polling", "webhooks": "webhooks", "webhook": "webhooks"}

# definition key -> platform key, in the order of the platform's documented examples
EVENT_FIELDS = (
    ("enabled", ENABLED),
    ("type", VENDOR_TYPE),
    ("callback_url", CALLBACK_URL),
    ("refresh_interval", REFRESH_INTERVAL),
    ("signature_key", SIGNATURE_KEY),
    ("resources", POLLER_CONFIGURATION),
)
DATE_FIELDS = (
    ("updated_field", "updatedDateField"),
    ("updated_format", "updatedDateFormat"),
    ("updated_timezone", "updatedDateTimezone"),
    ("created_field", "createdDateField"),
    ("created_format", "createdDateFormat"),
    ("created_timezone", "createdDateTimezone"),
)
ADVANCED_FIELDS = (
    ("page_size", "pageSize"),
    ("poll_delay", "pollDelay"),
    ("filter_by_updated_date", "filterByUpdatedDate"),
    ("filter_by_current_date", "filterByCurrentDate"),
    ("created_check_tolerance", "createdCheckTolerance"),
)


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """The request body of a definition that passed validation."""
    body: dict[str, Any] = {"element": {"key": data["element"]}}
    if data.get("provider_data") is not None:
        body["providerData"] = dict(data["provider_data"])
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
    for field, key in EVENT_FIELDS:
        if field == "enabled":
            out[key] = events.get("enabled", True)
        elif field not in events or events[field] is None:
            continue
        elif field == "type":
            out[key] = VENDOR_TYPES.get(events["type"], events["type"])
        elif field == "resources":
            out[key] = {name: resource_body(res) for name, res in events["resources"].items()}
        else:
            out[key] = events[field]
    return out


def resource_body(resource: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"url": resource["url"], "idField": resource["id_field"]}
    dates = resource.get("dates")
    if isinstance(dates, dict):
        out["datesConfiguration"] = {
            platform: dates[ours] for ours, platform in DATE_FIELDS if dates.get(ours) is not None
        }
    for ours, platform in ADVANCED_FIELDS:
        if resource.get(ours) is not None:
            out[platform] = resource[ours]
    return out
