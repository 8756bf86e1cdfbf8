"""The platform's queued webhook deliveries: `/notifications/subscriptions/deliveries`.

`GET ...?where=channel='webhook' and status='queued' and config.url='<callback URL>'` lists the queued
deliveries (all URLs when `config.url` is left out); `PUT` with the same query releases them: each is sent
once more, as a new round of retries, and the URL's subscription is active again.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudevents_cli.emulator import defaults, responses, validation
from cloudevents_cli.emulator.instances_api import emulator_of

_TERM = re.compile(r"^\s*([A-Za-z_.]+)\s*=\s*'((?:[^']|'')*)'\s*$")
_KNOWN = {"channel": "webhook", "status": "queued"}


def where_url(where: str | None) -> str | None:
    """The `config.url` of a where clause (None: every URL), or Invalid for anything but queued webhooks."""
    if not where:
        raise validation.Invalid("'where' is required: channel='webhook' and status='queued' [and config.url='..']")
    terms: dict[str, str] = {}
    for part in re.split(r"\s+and\s+", where.strip(), flags=re.IGNORECASE):
        match = _TERM.match(part)
        if match is None:
            raise validation.Invalid(f"cannot read the where clause term '{part.strip()}': expected key='value'")
        terms[match[1]] = match[2].replace("''", "'")
    for key, wanted in _KNOWN.items():
        if terms.pop(key, wanted).lower() != wanted:
            raise validation.Invalid(f"only {key}='{wanted}' deliveries are kept")
    url = terms.pop("config.url", None)
    if terms:
        raise validation.Invalid(f"unknown where clause key(s): {', '.join(sorted(terms))}")
    return url


def _shape(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "eventId": record["eventId"],
        "instanceId": record["instanceId"],
        "channel": "webhook",
        "status": record["status"].lower(),
        "config": {"url": record["callbackUrl"]},
        "createdDate": record["createdDate"],
    }


async def deliveries(request: Request) -> Response:
    try:
        url = where_url(request.query_params.get("where"))
    except validation.Invalid as err:
        return responses.invalid(err)
    emu = emulator_of(request)
    if request.method == "PUT":
        released = emu.deliverer.release(url)
        return JSONResponse([{**_shape(r), "status": "released"} for r in released])
    return JSONResponse([_shape(r) for r in emu.store.queued(url)])


def routes() -> list[Route]:
    path = defaults.API_PREFIX + "/notifications/subscriptions/deliveries"
    return [Route(path, deliveries, methods=["GET", "PUT"])]
