"""The event keys reference: UI label, dotted key, definition key, type, default, description.

Rows come from the seed's two parameter tables (polling and webhooks, merged; the seed's words where it has
them) and from the platform notes ("Events configuration"). `explain` prints them; validation uses
KNOWN_EVENT_KEYS to warn about unknown `event.*` keys.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

Scope = Literal["instance", "resource", "dates"]

UNKNOWN_LABEL = "—"
_R = "events.resources.<name>"


@dataclass(frozen=True)
class EventKey:
    ui_label: str  # the label in the platform's UI; "—" where none is known
    dotted_key: str  # the key in the request body: `event.*` in `configuration`, or inside a polled resource
    definition_key: str | None  # the path in our YAML format; None when the `events` section has no such key
    type: str
    default: str | None
    description: str
    scope: Scope  # instance: a `configuration` key; resource: in a polled resource; dates: datesConfiguration

    @property
    def short_key(self) -> str | None:
        """The last part of the definition key (`callback_url`, `updated_format`), or None."""
        return self.definition_key.rsplit(".", 1)[-1] if self.definition_key else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


EVENT_KEYS: tuple[EventKey, ...] = (
    # -- the seed's tables: polling and webhooks -----------------------------------------------------------
    EventKey(
        "Events Enabled",
        "event.notification.enabled",
        "events.enabled",
        "boolean",
        "false",
        "Identifies that events are enabled for the element instance. Default: false. (In a definition, "
        "`events.enabled` defaults to true once `events` is given.) Polling and webhooks.",
        "instance",
    ),
    EventKey(
        "Event Type",
        "event.vendor.type",
        "events.type",
        "string",
        None,
        "The type of event, either polling or webhook. Values sent: `polling` or `webhooks` (the seed's "
        "examples); `webhook` also occurs in official material and is written as `webhooks`. "
        "Polling and webhooks.",
        "instance",
    ),
    EventKey(
        "Event Notification Callback URL",
        "event.notification.callback.url",
        "events.callback_url",
        "string",
        None,
        "The URL where you want Cloud Elements to send the events. Polling and webhooks.",
        "instance",
    ),
    EventKey(
        "Event poller refresh interval (mins)",
        "event.poller.refresh_interval",
        "events.refresh_interval",
        "number",
        "15 (the element's default)",
        "A number in minutes to identify how often the poller should check for changes. Polling only; "
        "a whole number >= 1 in a definition.",
        "instance",
    ),
    EventKey(
        "Callback Notification Signature Key",
        "event.notification.signature.key",
        "events.signature_key",
        "string",
        None,
        "Optional. A user-defined key for added security to show that events have not been tampered with. "
        "Polling and webhooks.",
        "instance",
    ),
    EventKey(
        "Configure Polling",
        "event.poller.configuration",
        "events.resources",
        "JSON object",
        "the element's default poller configuration",
        "Configuration parameters for polling. Tip: The default polling configuration represents the "
        "optimal configuration. Although you can change anything in the poller configuration, we recommend "
        "that you do so rarely and in conjunction with Cloud Elements support. Polling only.",
        "instance",
    ),
    EventKey(
        "Resource to Poll",
        "<resourceName>",
        _R,
        "JSON object",
        None,
        "The polling event configuration of the resource that you will monitor (resourceName, e.g. contacts).",
        "resource",
    ),
    EventKey(
        "URL",
        "url",
        f"{_R}.url",
        "string",
        None,
        "The url to query for updates to the resource. May carry platform macros such as ${gmtDate:PATTERN}.",
        "resource",
    ),
    EventKey(
        "ID Field",
        "idField",
        f"{_R}.id_field",
        "string",
        None,
        "The field in the resource that is used to uniquely identify it.",
        "resource",
    ),
    EventKey(
        "Advanced Filtering",
        "datesConfiguration",
        f"{_R}.dates",
        "JSON object",
        None,
        "Configuration parameters for dates in polling.",
        "resource",
    ),
    EventKey(
        "Updated Date Field",
        "updatedDateField",
        f"{_R}.dates.updated_field",
        "string",
        None,
        "The field that identifies an updated object.",
        "dates",
    ),
    EventKey(
        "Updated Date Format",
        "updatedDateFormat",
        f"{_R}.dates.updated_format",
        "string",
        None,
        "The date format of the field that identifies an updated object: a Java SimpleDateFormat "
        "pattern, or `milliseconds`.",
        "dates",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "updatedDateTimezone",
        f"{_R}.dates.updated_timezone",
        "string",
        None,
        "The time zone of the updated date field (seed example: GMT): a region id, a Java short id or an offset.",
        "dates",
    ),
    EventKey(
        "Created Date Field",
        "createdDateField",
        f"{_R}.dates.created_field",
        "string",
        None,
        "The field that identifies a created object.",
        "dates",
    ),
    EventKey(
        "Created Date Format",
        "createdDateFormat",
        f"{_R}.dates.created_format",
        "string",
        None,
        "The date format of the field that identifies a created object: a Java SimpleDateFormat "
        "pattern, or `milliseconds`.",
        "dates",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "createdDateTimezone",
        f"{_R}.dates.created_timezone",
        "string",
        None,
        "The time zone of the created date field (seed example: GMT): a region id, a Java short id or an offset.",
        "dates",
    ),
    # -- advanced per-resource settings (platform notes) ---------------------------------------------------
    EventKey(
        UNKNOWN_LABEL,
        "filterByUpdatedDate",
        f"{_R}.filter_by_updated_date",
        "boolean",
        "true",
        "Whether the poller filters the resource's objects by the updated date (not in the seed).",
        "resource",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "filterByCurrentDate",
        f"{_R}.filter_by_current_date",
        "boolean",
        None,
        "Whether the poller filters by the current date (not in the seed).",
        "resource",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "createdCheckTolerance",
        f"{_R}.created_check_tolerance",
        "number",
        None,
        "Tolerance in seconds when telling a created object from an updated one (not in the seed).",
        "resource",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "pageSize",
        f"{_R}.page_size",
        "number",
        None,
        "The page size the poller uses when it reads the resource (not in the seed).",
        "resource",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "pollDelay",
        f"{_R}.poll_delay",
        "number",
        None,
        "A delay in seconds applied when polling the resource (not in the seed).",
        "resource",
    ),
    # -- other event keys that exist (platform notes); set them under `configuration` ------------------------
    EventKey(
        UNKNOWN_LABEL,
        "event.objects",
        None,
        "string",
        None,
        "Comma-separated list of the objects to receive events for, e.g. Contact,Account.",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.metadata",
        None,
        "string",
        None,
        "Element-specific event metadata, as a JSON string.",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.poller.urls",
        None,
        "string",
        None,
        "Poller URLs in the legacy pipe-separated format; superseded by event.poller.configuration.",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.helper.key",
        None,
        "string",
        None,
        "Element-specific events helper key (exists on some elements; not described in the seed).",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.instance.finder",
        None,
        "string",
        None,
        "Element-specific: how an incoming vendor webhook is matched to its instance (exists on some "
        "elements; not described in the seed).",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.subscription.id",
        None,
        "string",
        None,
        "The id of the webhook subscription at the provider (exists on some elements; not described in the seed).",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.callback.headers",
        None,
        "string",
        None,
        "Extra headers for event notifications (exists on some elements; not described in the seed).",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.basic.username",
        None,
        "string",
        None,
        "Basic authentication user name for event notifications (exists on some elements; not described in the seed).",
        "instance",
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.basic.password",
        None,
        "string",
        None,
        "Basic authentication password for event notifications; secret (exists on some elements; not "
        "described in the seed).",
        "instance",
    ),
)

KNOWN_EVENT_KEYS: frozenset[str] = frozenset(k.dotted_key for k in EVENT_KEYS if k.dotted_key.startswith("event."))

# events.resources.contacts.dates.updated_format -> events.resources.<name>.dates.updated_format
_RESOURCE_PATH = re.compile(r"^events\.resources\.(?!<name>)[^.]+(?=\.|$)", re.IGNORECASE)


def _fields(key: EventKey) -> list[str]:
    fields = [key.dotted_key, key.ui_label]
    if key.definition_key:
        fields += [key.definition_key, key.short_key or ""]
    return [f.casefold() for f in fields if f and f != UNKNOWN_LABEL]


def lookup(query: str) -> list[EventKey]:
    """The keys QUERY names (dotted key, definition key, its last part, or UI label; case-insensitive).

    Exact matches when there are any, else substring matches; [] when nothing matches. A definition path
    with a real resource name (`events.resources.contacts.url`) matches the `<name>` row.
    """
    q = query.strip().casefold()
    if not q:
        return []
    q = _RESOURCE_PATH.sub("events.resources.<name>", q)
    exact = [k for k in EVENT_KEYS if q in _fields(k)]
    if exact:
        return exact
    return [k for k in EVENT_KEYS if any(q in f for f in _fields(k))]


def all_names() -> list[str]:
    """Every name `lookup` knows exactly, for "did you mean" suggestions."""
    names: list[str] = []
    for key in EVENT_KEYS:
        for name in (key.dotted_key, key.definition_key, key.short_key, key.ui_label):
            if name and name != UNKNOWN_LABEL and name not in names:
                names.append(name)
    return names


def suggest(query: str) -> str | None:
    """The known name closest to QUERY, for "did you mean"; None when nothing is close."""
    import difflib

    names = {n.casefold(): n for n in all_names()}
    close = difflib.get_close_matches(query.strip().casefold(), list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None
