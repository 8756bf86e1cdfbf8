"""The definition format as pydantic models: strict types, unknown keys refused, descriptions for the schema.

The models check structure and types; `checks.py` adds the rules that need more than a type.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ConfigValue = Any  # str | int | float | bool; checked in checks.py so that every problem gets its own code


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class Dates(_Strict):
    """Advanced filtering: how the poller reads the resource's dates (datesConfiguration)."""

    updated_field: str | None = Field(
        None, description="updatedDateField: the field that identifies an updated object."
    )
    updated_format: str | None = Field(
        None, description="updatedDateFormat: Java SimpleDateFormat pattern of updated_field, or 'milliseconds'."
    )
    updated_timezone: str | None = Field(None, description="updatedDateTimezone: GMT, UTC, a region id or an offset.")
    created_field: str | None = Field(None, description="createdDateField: the field that identifies a created object.")
    created_format: str | None = Field(
        None, description="createdDateFormat: Java SimpleDateFormat pattern of created_field, or 'milliseconds'."
    )
    created_timezone: str | None = Field(None, description="createdDateTimezone: GMT, UTC, a region id or an offset.")


class Resource(_Strict):
    """One resource to poll (a key of event.poller.configuration)."""

    url: str = Field(
        ..., min_length=1, description="The url to query for updates: a path starting with / or an http(s) URL."
    )
    id_field: str = Field(..., min_length=1, description="idField: the field that uniquely identifies an object.")
    dates: Dates | None = Field(None, description="datesConfiguration.")
    page_size: int | None = Field(None, ge=1, description="pageSize.")
    poll_delay: int | None = Field(None, ge=0, description="pollDelay, in seconds.")
    filter_by_updated_date: bool | None = Field(None, description="filterByUpdatedDate (platform default true).")
    filter_by_current_date: bool | None = Field(None, description="filterByCurrentDate.")
    created_check_tolerance: int | None = Field(None, ge=0, description="createdCheckTolerance, in seconds.")


class Events(_Strict):
    """The events section: becomes the event.* configuration keys."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"not": {"properties": {"enabled": {"const": False}}, "required": ["enabled"]}},
            "then": {"required": ["type", "callback_url"]},
        }
    )

    type: Literal["polling", "webhooks", "webhook"] | None = Field(
        None, description="event.vendor.type: polling or webhooks (webhook is accepted and written as webhooks)."
    )
    enabled: bool = Field(True, description="event.notification.enabled (default true).")
    callback_url: str | None = Field(
        None, description="event.notification.callback.url: where the platform sends events. Required while enabled."
    )
    signature_key: str | None = Field(
        None, description="event.notification.signature.key: key of the HMAC-SHA256 signature of each callback."
    )
    refresh_interval: int | None = Field(
        None, ge=1, description="event.poller.refresh_interval: minutes between polls (polling only)."
    )
    resources: dict[str, Resource] | None = Field(
        None, description="event.poller.configuration: the resources to poll, by name (polling only)."
    )


class Definition(_Strict):
    """One element instance with events."""

    model_config = ConfigDict(title="cloudevents instance definition")

    name: str = Field(..., min_length=1, description="The instance name.")
    element: str = Field(..., min_length=1, description="The element key, e.g. hubspotcrm.")
    tags: list[str] | None = Field(None, description="Tags of the instance.")
    configuration: dict[str, ConfigValue] | None = Field(
        None,
        description="The element's own settings (credentials, ...), passed through; dotted event.* keys allowed.",
        json_schema_extra={"additionalProperties": {"type": ["string", "number", "boolean", "object"]}},
    )
    provider_data: dict[str, Any] | None = Field(None, description="providerData (an OAuth code and the like).")
    events: Events | None = Field(None, description="Events: polling or webhooks.")


def model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that holds the keys at a definition path (for 'did you mean')."""
    model: type[BaseModel] = Definition
    i = 0
    while i < len(path):
        key = path[i]
        if model is Definition and key == "events":
            model = Events
        elif model is Events and key == "resources" and i + 1 < len(path):
            model = Resource
            i += 1  # skip the resource name
        elif model is Resource and key == "dates":
            model = Dates
        else:
            return None
        i += 1
    return model
