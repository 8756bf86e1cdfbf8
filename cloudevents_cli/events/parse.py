"""Turn a callback body into event rows, tolerating what real vendors send.

The documented shape is `{"message": {"eventId", "instanceId", "elementKey", "events": [{"objectId",
"objectType", "eventType", "elementKey", "date"}], "raw": {...}}}`. Bodies vary: fields go missing, some
messages carry `instance_id` instead of `instanceId`, some have no `events` at all. Every body gives at
least one row, with what is known; unknown fields are None.
"""

from __future__ import annotations

import json
from typing import Any

EVENT_FIELDS = ("event_id", "instance_id", "element_key", "object_type", "object_id", "event_type", "date")

# row field -> keys looked up, first present wins
_MESSAGE_KEYS: dict[str, tuple[str, ...]] = {
    "event_id": ("eventId", "event_id"),
    "instance_id": ("instanceId", "instance_id"),
    "element_key": ("elementKey", "element_key"),
    "object_type": ("objectType", "object_type"),
    "event_type": ("eventType", "event_type"),
    "date": ("date", "eventDate", "pollDate"),
}
_EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "instance_id": ("instanceId", "instance_id"),
    "element_key": ("elementKey", "element_key"),
    "object_type": ("objectType", "object_type"),
    "object_id": ("objectId", "object_id", "id"),
    "event_type": ("eventType", "event_type"),
    "date": ("date", "eventDate", "updatedDate"),
}


def _scalar(value: Any) -> str | int | float | bool | None:
    """A value fit for one cell: scalars as they are, anything else as compact JSON."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _pick(obj: dict[str, Any], keys: tuple[str, ...]) -> str | int | float | bool | None:
    for key in keys:
        value = obj.get(key)
        if value is not None:
            return value if isinstance(value, (str, int, float, bool)) else _scalar(value)
    return None


def message_of(body: Any) -> dict[str, Any]:
    """The `message` object of a body; the body itself when it has no `message` but looks like one."""
    if not isinstance(body, dict):
        return {}
    inner = body.get("message")
    if isinstance(inner, dict):
        return inner
    return body


def event_rows(body: Any) -> list[dict[str, Any]]:
    """One row per event in `message.events`; one row with the message's fields when there is none."""
    message = message_of(body)
    base: dict[str, Any] = {name: None for name in EVENT_FIELDS}
    for name, keys in _MESSAGE_KEYS.items():
        base[name] = _pick(message, keys)
    events = message.get("events")
    items = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
    if not items:
        return [base]
    rows = []
    for event in items:
        row = dict(base)
        for name, keys in _EVENT_KEYS.items():
            value = _pick(event, keys)
            if value is not None:
                row[name] = value
        rows.append(row)
    return rows
