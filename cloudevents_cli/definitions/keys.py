"""The one table of event keys: UI label, dotted key, definition key, type, default, description, documentation.

Rows come from the two parameter tables of the Cloud Elements page "Authenticate an Element Instance with Events
(API)" (polling and webhooks, merged; the page's words where it has them) and from the keys the platform's Element
Guides and element configurations show. Each row names where the platform documents it.

Everything else is derived from this table, so a new key is one row: the pydantic model of the `events` section
(model.py, hence the JSON Schema), expansion into the request body (expand.py), the checks of both the `events`
section and the raw form (checks.py), `explain`, and the way back from stored values (`from_stored`, for export).
"""

from __future__ import annotations

import builtins
import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

Scope = Literal["instance", "resource", "dates"]

UNKNOWN_LABEL = "—"
_R = "events.resources.<name>"

# Where the platform documents a key (the `documented in` column of `explain`).
_PAGE = "Cloud Elements docs: Authenticate an Element Instance with Events (API)"
BOTH_TABLES = f"{_PAGE}, Polling Parameters and Webhook Parameters"
POLLING_TABLE = f"{_PAGE}, Polling Parameters"
POLLING_EXAMPLE = f"{_PAGE}, the polling example body"
ELEMENT_GUIDES = "Cloud Elements docs: Element Guides, Events (the poller configurations of some elements)"
HUBSPOT_GUIDE = "Cloud Elements docs: Element Guides, HubSpot Events (the example poller configuration)"
ELEMENT_CONFIG = "Cloud Elements: the configuration of the elements that have it (GET /elements/{keyOrId})"


@dataclass(frozen=True)
class EventKey:
    ui_label: str  # the label in the platform's UI; "—" where none is known
    dotted_key: str  # the key in the request body: `event.*` in `configuration`, or inside a polled resource
    definition_key: str | None  # the path in our YAML format; None when the `events` section has no such key
    type: str
    default: str | None
    description: str
    scope: Scope  # instance: a `configuration` key; resource: in a polled resource; dates: datesConfiguration
    documented_in: str  # where the platform documents the key
    minimum: int | None = None  # a number's least value in a definition
    choices: tuple[str, ...] = ()  # the values a definition may give, when only some are

    @property
    def short_key(self) -> str | None:
        """The last part of the definition key (`callback_url`, `updated_format`), or None."""
        return self.definition_key.rsplit(".", 1)[-1] if self.definition_key else None

    @property
    def python_type(self) -> builtins.type:
        """The type of the value in a definition (and in the request body): bool, int, str or dict."""
        return _PYTHON_TYPES[self.type]

    def as_dict(self) -> dict[str, Any]:
        """The columns `explain` shows."""
        return {column: getattr(self, column) for column in COLUMNS}


COLUMNS = ("ui_label", "dotted_key", "definition_key", "type", "default", "description", "scope", "documented_in")
_PYTHON_TYPES: dict[str, type] = {"boolean": bool, "number": int, "string": str, "JSON object": dict}


EVENT_KEYS: tuple[EventKey, ...] = (
    # -- the page's two tables: polling and webhooks -----------------------------------------------------------
    EventKey(
        "Events Enabled",
        "event.notification.enabled",
        "events.enabled",
        "boolean",
        "false",
        "Identifies that events are enabled for the element instance. Default: false. (In a definition, "
        "`events.enabled` defaults to true once `events` is given.) Polling and webhooks.",
        "instance",
        BOTH_TABLES,
    ),
    EventKey(
        "Event Type",
        "event.vendor.type",
        "events.type",
        "string",
        None,
        "The type of event, either polling or webhook. Values: `polling`, `webhooks` (the documented examples) or "
        "`webhook` (element metadata, some guides); sent with the spelling written, the platform stores both. "
        "Optional: without it the platform decides from the element. Polling and webhooks.",
        "instance",
        BOTH_TABLES,
        choices=("polling", "webhooks", "webhook"),
    ),
    EventKey(
        "Event Notification Callback URL",
        "event.notification.callback.url",
        "events.callback_url",
        "string",
        None,
        "The URL where you want Cloud Elements to send the events. Optional (enabled events without it reach no "
        "endpoint of yours: a warning). Polling and webhooks.",
        "instance",
        BOTH_TABLES,
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
        POLLING_TABLE,
        minimum=1,
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
        BOTH_TABLES,
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
        POLLING_TABLE,
    ),
    EventKey(
        "Resource to Poll",
        "<resourceName>",
        _R,
        "JSON object",
        None,
        "The polling event configuration of the resource that you will monitor (resourceName, e.g. contacts).",
        "resource",
        POLLING_TABLE,
    ),
    EventKey(
        "URL",
        "url",
        f"{_R}.url",
        "string",
        None,
        "The url to query for updates to the resource. May carry platform macros such as ${gmtDate:PATTERN}.",
        "resource",
        POLLING_TABLE,
    ),
    EventKey(
        "ID Field",
        "idField",
        f"{_R}.id_field",
        "string",
        None,
        "The field in the resource that is used to uniquely identify it.",
        "resource",
        POLLING_TABLE,
    ),
    EventKey(
        "Advanced Filtering",
        "datesConfiguration",
        f"{_R}.dates",
        "JSON object",
        None,
        "Configuration parameters for dates in polling.",
        "resource",
        POLLING_TABLE,
    ),
    EventKey(
        "Updated Date Field",
        "updatedDateField",
        f"{_R}.dates.updated_field",
        "string",
        None,
        "The field that identifies an updated object.",
        "dates",
        POLLING_TABLE,
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
        POLLING_TABLE,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "updatedDateTimezone",
        f"{_R}.dates.updated_timezone",
        "string",
        None,
        "The time zone of the updated date field (GMT in the documented example): a region id, a Java short id or an "
        "offset.",
        "dates",
        POLLING_EXAMPLE,
    ),
    EventKey(
        "Created Date Field",
        "createdDateField",
        f"{_R}.dates.created_field",
        "string",
        None,
        "The field that identifies a created object.",
        "dates",
        POLLING_TABLE,
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
        POLLING_TABLE,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "createdDateTimezone",
        f"{_R}.dates.created_timezone",
        "string",
        None,
        "The time zone of the created date field (GMT in the documented example): a region id, a Java short id or an "
        "offset.",
        "dates",
        POLLING_EXAMPLE,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "createdCheckTolerance",
        f"{_R}.dates.created_check_tolerance",
        "number",
        None,
        "Tolerance in seconds when telling a created object from an updated one; inside datesConfiguration, as the "
        "HubSpot guide's example body shows.",
        "dates",
        HUBSPOT_GUIDE,
        minimum=0,
    ),
    # -- advanced per-resource settings (Element Guides) -------------------------------------------------------
    EventKey(
        UNKNOWN_LABEL,
        "filterByUpdatedDate",
        f"{_R}.filter_by_updated_date",
        "boolean",
        "true",
        "Whether the poller filters the resource's objects by the updated date.",
        "resource",
        ELEMENT_GUIDES,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "filterByCurrentDate",
        f"{_R}.filter_by_current_date",
        "boolean",
        None,
        "Whether the poller filters by the current date.",
        "resource",
        ELEMENT_GUIDES,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "pageSize",
        f"{_R}.page_size",
        "number",
        None,
        "The page size the poller uses when it reads the resource.",
        "resource",
        ELEMENT_GUIDES,
        minimum=1,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "pollDelay",
        f"{_R}.poll_delay",
        "number",
        None,
        "A delay in seconds applied when polling the resource.",
        "resource",
        ELEMENT_GUIDES,
        minimum=0,
    ),
    # -- other event keys of some elements; set them under `configuration` -------------------------------------
    EventKey(
        UNKNOWN_LABEL,
        "event.objects",
        None,
        "string",
        None,
        "Comma-separated list of the objects to receive events for, e.g. Contact,Account.",
        "instance",
        ELEMENT_GUIDES,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.metadata",
        None,
        "string",
        None,
        "Element-specific event metadata, as a JSON string.",
        "instance",
        ELEMENT_CONFIG,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.poller.urls",
        None,
        "string",
        None,
        "Poller URLs in the legacy pipe-separated format; superseded by event.poller.configuration.",
        "instance",
        ELEMENT_GUIDES,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.helper.key",
        None,
        "string",
        None,
        "Element-specific events helper key (exists on some elements).",
        "instance",
        ELEMENT_CONFIG,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.instance.finder",
        None,
        "string",
        None,
        "Element-specific: how an incoming vendor webhook is matched to its instance (exists on some elements).",
        "instance",
        ELEMENT_CONFIG,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.subscription.id",
        None,
        "string",
        None,
        "The id of the webhook subscription at the provider (exists on some elements).",
        "instance",
        ELEMENT_CONFIG,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.callback.headers",
        None,
        "string",
        None,
        "Extra headers for event notifications (exists on some elements).",
        "instance",
        ELEMENT_CONFIG,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.basic.username",
        None,
        "string",
        None,
        "Basic authentication user name for event notifications (exists on some elements).",
        "instance",
        ELEMENT_CONFIG,
    ),
    EventKey(
        UNKNOWN_LABEL,
        "event.notification.basic.password",
        None,
        "string",
        None,
        "Basic authentication password for event notifications; secret (exists on some elements).",
        "instance",
        ELEMENT_CONFIG,
    ),
)

KNOWN_EVENT_KEYS: frozenset[str] = frozenset(k.dotted_key for k in EVENT_KEYS if k.dotted_key.startswith("event."))

# The dotted keys the code names (the rest of what it knows comes from the rows).
ENABLED = "event.notification.enabled"
VENDOR_TYPE = "event.vendor.type"
CALLBACK_URL = "event.notification.callback.url"
REFRESH_INTERVAL = "event.poller.refresh_interval"
SIGNATURE_KEY = "event.notification.signature.key"
POLLER_CONFIGURATION = "event.poller.configuration"
DATES = "datesConfiguration"


@functools.cache  # the table is constant; validation asks for these for every resource of every definition
@functools.cache
def section_keys(scope: Scope) -> tuple[EventKey, ...]:
    """The keys the format models in SCOPE, in the order of the request body.

    instance: the `events` section's keys (events.enabled ... events.resources), in the order the platform's
    examples give the event keys; resource: the keys of one polled resource (url, idField, datesConfiguration,
    the advanced settings); dates: the keys of datesConfiguration.
    """
    return tuple(
        k
        for k in EVENT_KEYS
        if k.scope == scope
        and k.definition_key
        and k.definition_key.startswith("events.")
        and k.dotted_key != "<resourceName>"
    )


@functools.cache
def by_field(scope: Scope) -> dict[str, EventKey]:
    """Definition field (`callback_url`, `id_field`, `updated_format`) -> its key, for SCOPE (shared: read only)."""
    return {k.short_key: k for k in section_keys(scope) if k.short_key}


@functools.cache
def by_platform_key(scope: Scope) -> dict[str, EventKey]:
    """Platform key (`event.notification.callback.url`, `idField`, `updatedDateFormat`) -> its key, for SCOPE
    (shared: read only)."""
    return {k.dotted_key: k for k in section_keys(scope)}


def from_stored(key: EventKey, value: Any) -> Any:
    """A value as the platform stores it (a string), in the type of KEY when it reads back exactly.

    "true"/"false" for a boolean, "15" for a number (not "015", " 15" or "1.0"); anything else, and values that
    already have a type, come back unchanged, so that rendering them again gives what the platform holds.
    """
    if not isinstance(value, str):
        return value
    if key.python_type is bool:
        return {"true": True, "false": False}.get(value, value)
    if key.python_type is int and re.fullmatch(r"-?(0|[1-9][0-9]*)", value):
        return int(value)
    return value


def closest(name: str, scope: Scope, *, platform: bool) -> str | None:
    """The modelled key NAME most likely means inside a polled resource (scope resource or dates), or None.

    Named as the form in use writes it: the platform's names (`pageSize`, `datesConfiguration.createdCheckTolerance`)
    for the raw form, the definition's (`page_size`, `dates.created_check_tolerance`) for the `events` section.
    Spellings of the other form count as exact (`pageSize` in a definition means `page_size`).
    """
    import difflib

    def shown(key: EventKey, where: Scope) -> str:
        name = key.dotted_key if platform else key.short_key or ""
        if where == scope:
            return name
        if where == "dates":
            return f"{DATES if platform else 'dates'}.{name}"
        return f"{name} (a key of the resource itself)"

    candidates: dict[str, str] = {}
    for where in (scope, "dates" if scope == "resource" else "resource"):
        for key in section_keys(where):
            for spelling in (key.dotted_key, key.short_key or ""):
                candidates.setdefault(_flat(spelling), shown(key, where))
    flat = _flat(name)
    if flat in candidates:
        return candidates[flat]
    close = difflib.get_close_matches(flat, list(candidates), n=1, cutoff=0.75)
    return candidates[close[0]] if close else None


def _flat(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


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
