"""The platform's response shapes: error bodies with a request id, instances with string configuration."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

from cloudevents_cli.emulator import catalog, validation
from cloudevents_cli.emulator.store import Instance
from cloudevents_cli.redact import MASK, is_secret_key


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"requestId": str(uuid.uuid4()), "message": message}, status_code=status, headers=headers)


def masked_configuration(config: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if is_secret_key(k) and v != "" else v) for k, v in config.items()}


def instance(inst: Instance) -> dict[str, Any]:
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
        "tags": inst.tags,
        "valid": True,
        "disabled": inst.disabled,
        "eventsEnabled": enabled,
        "eventsNotificationCallbackUrl": inst.configuration.get(validation.CALLBACK_URL),
        "configuration": masked_configuration(inst.configuration),
        "createdDate": inst.created,
        "updatedDate": inst.updated,
    }
