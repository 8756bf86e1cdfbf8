"""The platform's response shapes: error bodies with a request id, instances as the platform returns them.

Fields and defaults follow published responses (repo cloud-elements/devportal at dad3573:
docs/elements/abbyy/abbyy-create-instance.md, docs/elements/box/authenticate.md) and the JSON Schema the
platform's own tests apply to `GET /instances/{id}` (repo varunpal72/churros,
src/test/platform/elements/assets/element.instance.schema.json).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.responses import JSONResponse

from cloudevents_cli.emulator import catalog, validation
from cloudevents_cli.emulator.masking import masked
from cloudevents_cli.emulator.store import Instance

# The account every emulator instance belongs to (the platform answers the instance's owner as `user`).
USER = {"id": 1, "emailAddress": "emulator@localhost", "firstName": "Emulator", "lastName": "User"}

# Event keys every element carries, with the defaults published responses show (abbyy, box).
EVENT_DEFAULTS: dict[str, str | None] = {
    validation.ENABLED: "false",
    validation.CALLBACK_URL: None,
    validation.VENDOR_TYPE: None,
    validation.REFRESH: "15",
    validation.POLLER_CONFIG: "{}",
    validation.SIGNATURE_KEY: None,
    "event.notification.subscription.id": None,
    "event.notification.instance.finder": None,
}


def error(
    status: int, message: str, headers: dict[str, str] | None = None, provider_message: str | None = None
) -> JSONResponse:
    body = {"requestId": str(uuid.uuid4()), "message": message}
    if provider_message is not None:  # an error the provider behind the element answered
        body["providerMessage"] = provider_message
    return JSONResponse(body, status_code=status, headers=headers)


def invalid(err: validation.Invalid) -> JSONResponse:
    return error(err.status, str(err), provider_message=err.provider_message)


def element_defaults(elem: catalog.Element | None) -> dict[str, str | None]:
    """Every configuration key of the element with its default or null (what `fill_defaults` adds)."""
    if elem is None:
        return dict(EVENT_DEFAULTS)
    defaults = dict(EVENT_DEFAULTS)
    if elem.poller:
        defaults[validation.POLLER_CONFIG] = json.dumps(elem.poller, separators=(",", ":"))
    if elem.objects:
        defaults[validation.OBJECTS] = None
    return defaults


def configuration(inst: Instance, *, fill: bool) -> dict[str, str | None]:
    """The configuration as answered: masked by the platform's rule, with the element's defaults if `fill`."""
    base = element_defaults(catalog.find(inst.element_key)) if fill else {}
    return {k: masked(k, v) for k, v in {**base, **inst.configuration}.items()}


def configuration_records(inst: Instance, ids: dict[str, int], *, fill: bool) -> list[dict[str, Any]]:
    """`GET /instances/{id}/configuration`: one record a key."""
    return [{"id": ids[k], "key": k, "propertyValue": v} for k, v in configuration(inst, fill=fill).items()]


def instance(inst: Instance, *, fill: bool = False) -> dict[str, Any]:
    elem = catalog.find(inst.element_key)
    ref = elem.as_ref() if elem else {"id": 0, "key": inst.element_key, "name": inst.element_key}
    try:
        enabled = validation.events_enabled(inst.configuration)
    except validation.Invalid:
        enabled = False
    return {
        "id": inst.id,
        "name": inst.name,
        "token": inst.token,
        "element": ref,
        "elementId": ref["id"],
        "provisionInteractions": [],
        "tags": inst.tags,
        "valid": inst.valid,
        "disabled": inst.disabled,
        "maxCacheSize": 0,
        "cacheTimeToLive": 0,
        "configuration": configuration(inst, fill=fill),
        "eventsEnabled": enabled,
        "eventsNotificationCallbackUrl": inst.configuration.get(validation.CALLBACK_URL),
        "traceLoggingEnabled": False,
        "cachingEnabled": False,
        "externalAuthentication": inst.external_authentication,
        "user": dict(USER),
        "createdDate": inst.created,
        "updatedDate": inst.updated,
    }
