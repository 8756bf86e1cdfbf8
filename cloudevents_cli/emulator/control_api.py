"""The emulator's own endpoints under /_emulator (no Authorization needed; never faulted).

- `GET /_emulator/info`: tells an emulator from the real platform.
- `POST /_emulator/instances/{id}/events` `{"objectType", "eventType", "count", "wait"}`: delivers `count`
  events now, as the vendor's webhook would (batches of 20), or as a poll would for a polling instance
  (batches of 10).
- `POST /_emulator/instances/{id}/poll` `{"count"}`: runs one poll of a polling instance now.
- `POST /_emulator/instances/{id}/refresh-failures` `{"count": n}`: n more consecutive failed token refreshes
  (0: a refresh worked); the instance answers `valid: false` until a refresh works or a new code
  re-authenticates it, and at 5 it is disabled, as the platform does. Answers
  `{"instanceId", "refreshFailures", "disabled"}`; enabling the instance starts the count over.
- OAuth: the consent page and its controls are in emulator/oauth_api.py.
- `GET|PUT /_emulator/settings` `{"failurePolicy": "retry"|"queue"}`: the account's webhook failure policy;
  answers `{"failurePolicy", "flavour", "retrySchedule"}` (the waits before each retry, in real seconds).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudevents_cli import __version__
from cloudevents_cli.emulator import catalog, changes, defaults, responses, validation
from cloudevents_cli.emulator.delivery import Batch, schedule
from cloudevents_cli.emulator.instances_api import emulator_of, find_instance, json_body
from cloudevents_cli.emulator.store import Instance

MAX_COUNT = 10_000
EVENT_TYPES = ("CREATED", "UPDATED", "DELETED", "UNKNOWN")


async def info(request: Request) -> Response:
    emu = emulator_of(request)
    return JSONResponse({"emulator": "cloudevents", "version": __version__, "minute": emu.settings.minute})


def _deliverable(instance: Instance) -> tuple[catalog.Element, str]:
    """The element and the event method, or Invalid (409) when nothing may be delivered."""
    elem = catalog.find(instance.element_key)
    if elem is None:
        raise validation.Invalid(f"instance {instance.id} has an unknown element")
    if instance.disabled:
        raise validation.Invalid(f"instance {instance.id} is disabled: enable it before triggering events")
    if not validation.events_enabled(instance.configuration):
        raise validation.Invalid(f"events are not enabled for instance {instance.id}")
    if not instance.configuration.get(validation.CALLBACK_URL):
        raise validation.Invalid(f"instance {instance.id} has no '{validation.CALLBACK_URL}' to deliver to")
    return elem, validation.vendor_type(elem, instance.configuration)


def _options(body: Any, elem: catalog.Element) -> tuple[str, str, int, bool]:
    obj = validation.as_object(body if body is not None else {})
    object_type = obj.get("objectType") or elem.default_resource
    event_type = str(obj.get("eventType") or "CREATED").upper()
    count = obj.get("count", 1)
    if not isinstance(object_type, str):
        raise validation.Invalid("'objectType' must be a string")
    if event_type not in EVENT_TYPES:
        raise validation.Invalid(f"'eventType' must be one of {', '.join(EVENT_TYPES)}")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise validation.Invalid(f"'count' must be an integer from 1 to {MAX_COUNT}")
    return object_type, event_type, count, obj.get("wait", True) is not False


def _polling_batches(instance: Instance, object_type: str, event_type: str, count: int, emu: Any) -> list[Batch]:
    batches = changes.webhook_batches(instance, object_type, event_type, count, emu.rng)
    events = [e for b in batches for e in b.events]
    return [
        Batch(part, {object_type: [{"id": e["objectId"], "updated": e["date"]} for e in part]})
        for part in (events[i : i + defaults.POLLING_BATCH] for i in range(0, len(events), defaults.POLLING_BATCH))
    ]


async def trigger(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    emu = emulator_of(request)
    try:
        elem, method = _deliverable(found)
    except validation.Invalid as err:
        return responses.error(409, str(err))
    try:
        object_type, event_type, count, wait = _options(await json_body(request), elem)
    except validation.Invalid as err:
        return responses.invalid(err)
    if method == catalog.WEBHOOKS:
        batches = changes.webhook_batches(found, object_type, event_type, count, emu.rng)
    else:
        batches = _polling_batches(found, object_type, event_type, count, emu)
    summaries = await emu.deliverer.deliver(found, method, batches, wait=wait)
    return JSONResponse({"instanceId": found.id, "method": method, "events": count, "batches": summaries})


async def poll(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    emu = emulator_of(request)
    try:
        _, method = _deliverable(found)
        if method != catalog.POLLING:
            raise validation.Invalid(f"instance {found.id} uses {method} events, not polling")
    except validation.Invalid as err:
        return responses.error(409, str(err))
    body = await request.body()
    count = None
    if body:
        try:
            raw = validation.as_object(await json_body(request)).get("count")
        except validation.Invalid as err:
            return responses.invalid(err)
        count = raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else None
    summaries = await emu.poller.poll(found, wait=True, count=count)
    total = sum(s["count"] for s in summaries)
    return JSONResponse({"instanceId": found.id, "method": method, "events": total, "batches": summaries})


async def refresh_failures(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    try:
        body = await json_body(request)
        count = validation.as_object(body if body is not None else {}).get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
            raise validation.Invalid(f"'count' must be an integer from 0 to {MAX_COUNT}")
    except validation.Invalid as err:
        return responses.invalid(err)
    store = emulator_of(request).store
    total = store.refresh_failed(found.id, count)
    disabled = found.disabled
    if total >= defaults.REFRESH_FAILURES_TO_DISABLE and not disabled:
        disabled = True
        store.set_disabled(found.id, True)
    return JSONResponse({"instanceId": found.id, "refreshFailures": total, "disabled": disabled})


def _settings(emu: Any) -> dict[str, Any]:
    return {
        "failurePolicy": emu.settings.failure_policy,
        "flavour": emu.settings.flavour,
        "retrySchedule": schedule(emu.settings.flavour, emu.settings.time_scale),
    }


async def settings(request: Request) -> Response:
    emu = emulator_of(request)
    if request.method == "PUT":
        try:
            policy = validation.as_object(await json_body(request)).get("failurePolicy")
            if policy not in defaults.FAILURE_POLICIES:
                raise validation.Invalid(f"'failurePolicy' must be one of {', '.join(defaults.FAILURE_POLICIES)}")
        except validation.Invalid as err:
            return responses.invalid(err)
        emu.settings.failure_policy = policy
    return JSONResponse(_settings(emu))


def routes() -> list[Route]:
    base = defaults.EMULATOR_PREFIX
    return [
        Route(base + "/info", info, methods=["GET"]),
        Route(base + "/instances/{id}/events", trigger, methods=["POST"]),
        Route(base + "/instances/{id}/poll", poll, methods=["POST"]),
        Route(base + "/instances/{id}/refresh-failures", refresh_failures, methods=["POST"]),
        Route(base + "/settings", settings, methods=["GET", "PUT"]),
    ]
