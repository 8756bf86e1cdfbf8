"""The definition format as pydantic models: strict types, descriptions for the schema.

The `events` section, a polled resource and its dates are built from the table of event keys (keys.py): one row
there is one field here. Unknown keys are refused at the top level and in `events`; inside a resource or its dates
they are allowed (checks.py warns about them and expansion passes them through), because real poller
configurations carry keys nobody documented. The models check structure and types; `checks.py` adds the rules
that need more than a type.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from cloudevents_cli.definitions import keys

ConfigValue = Any  # str | int | float | bool; checked in checks.py so that every problem gets its own code


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


_OPEN = ConfigDict(extra="allow", strict=True, populate_by_name=False)


def _fields(scope: keys.Scope, nested: dict[str, Any]) -> dict[str, Any]:
    """pydantic field definitions for the keys of SCOPE; NESTED gives the type of the keys that hold a model."""
    fields: dict[str, Any] = {}
    for key in keys.section_keys(scope):
        name = key.short_key or ""
        kind: Any = nested.get(name) or key.python_type
        if key.choices:
            kind = Literal[key.choices]
        default = True if key.dotted_key == keys.ENABLED else None
        described = f"{key.dotted_key}: {key.description}"
        if default is None:
            kind = kind | None
        min_length = 1 if key.python_type is str and scope != "instance" else None  # an empty url or field
        fields[name] = (kind, Field(default, ge=key.minimum, min_length=min_length, description=described))
    return fields


Dates = create_model(
    "Dates",
    __config__=_OPEN,
    __doc__="Advanced filtering: how the poller reads the resource's dates (datesConfiguration).",
    **_fields("dates", {}),
)
Resource = create_model(
    "Resource",
    __config__=_OPEN,
    __doc__="One resource to poll (a key of event.poller.configuration); {} takes the element's defaults.",
    **_fields("resource", {"dates": Dates}),
)
Events = create_model(
    "Events",
    __base__=_Strict,
    __doc__="The events section: becomes the event.* configuration keys.",
    **_fields("instance", {"resources": dict[str, Resource]}),  # type: ignore[valid-type]
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
    external_authentication: str | None = Field(
        None,
        min_length=1,
        description="externalAuthentication: 'initial' to bring your own OAuth tokens (oauth.user.refresh_token in "
        "configuration) instead of a browser consent.",
    )
    events: Events | None = Field(None, description="Events: polling or webhooks.")  # type: ignore[valid-type]
    tenants: str | list[dict[str, str | int | float | bool | None]] | None = Field(
        None,
        description="Makes this definition a template, one instance a tenant: a .csv or .yaml file (relative to "
        "this file) or a list of mappings; ${tenant.KEY} reads the row's values; the columns profile, user_secret "
        "and org_secret choose the account.",
    )


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
