"""The platform's instances API under /elements/api-v2."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudevents_cli.emulator import catalog, defaults, responses, validation
from cloudevents_cli.emulator.context import Emulator
from cloudevents_cli.emulator.store import Instance
from cloudevents_cli.redact import MASK

NEXT_PAGE_HEADER = "elements-next-page-token"
Endpoint = Callable[[Request], Awaitable[Response]]


def emulator_of(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emulator
    return emu


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise validation.Invalid("the request body is not valid JSON") from None


def find_instance(request: Request) -> Instance | Response:
    raw = request.path_params["id"]
    try:
        instance_id = int(raw)
    except ValueError:
        return responses.error(404, f"no instance with id '{raw}'")
    found = emulator_of(request).store.get(instance_id)
    if found is None:
        return responses.error(404, f"no instance with id {instance_id}")
    return found


def _keep_masked(new: dict[str, str], old: dict[str, str]) -> dict[str, str]:
    """A masked value sent back ("********") keeps the stored secret."""
    return {k: (old[k] if v == MASK and k in old else v) for k, v in new.items()}


async def create(request: Request) -> Response:
    try:
        body = validation.parse_body(await json_body(request))
    except validation.Invalid as err:
        return responses.error(400, str(err))
    inst = emulator_of(request).store.create(body.name, body.element.key, body.tags, body.configuration)
    return JSONResponse(responses.instance(inst))


def _token(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def _after(token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise validation.Invalid("'nextPage' is not a valid page token") from None
    if not isinstance(after, int):
        raise validation.Invalid("'nextPage' is not a valid page token")
    return after


async def list_instances(request: Request) -> Response:
    query = request.query_params
    try:
        size_raw = query.get("pageSize", str(defaults.DEFAULT_PAGE_SIZE))
        try:
            size = int(size_raw)
        except ValueError:
            size = 0
        if size < 1:
            raise validation.Invalid("'pageSize' must be a positive integer")
        token = query.get("nextPage")
        after = _after(token) if token else 0
    except validation.Invalid as err:
        return responses.error(400, str(err))
    tags = query.getlist("tags[]") + query.getlist("tags")
    page, more = emulator_of(request).store.page(after=after, limit=size, tags=tags, search=query.get("searchText"))
    headers = {NEXT_PAGE_HEADER: _token(page[-1].id)} if more and page else {}
    return JSONResponse([responses.instance(i) for i in page], headers=headers)


async def get_instance(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    return JSONResponse(responses.instance(found))


def _save(request: Request, instance_id: int, **fields: Any) -> Response:
    """Store a PUT or PATCH and answer with the instance as the platform returns it."""
    updated = emulator_of(request).store.update(instance_id, **fields)
    assert updated is not None
    return JSONResponse(responses.instance(updated))


async def replace(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    try:
        raw = validation.as_object(await json_body(request))
        elem = validation.element(raw)
        config = _keep_masked(validation.configuration(raw.get("configuration")), found.configuration)
        validation.check(elem, config)
        name = validation.name(raw.get("name"))
        tags = validation.tags(raw.get("tags"))
    except validation.Invalid as err:
        return responses.error(400, str(err))
    return _save(request, found.id, name=name, element_key=elem.key, tags=tags, configuration=config)


async def patch(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    try:
        raw = validation.as_object(await json_body(request))
        elem = catalog.find(found.element_key)
        if elem is None:
            raise validation.Invalid(f"unknown element key '{found.element_key}'")
        given = _keep_masked(validation.configuration(raw.get("configuration")), found.configuration)
        config = {**found.configuration, **given}
        validation.check(elem, config)
        name = validation.name(raw["name"]) if "name" in raw else found.name
        tags = validation.tags(raw["tags"]) if "tags" in raw else found.tags
    except validation.Invalid as err:
        return responses.error(400, str(err))
    return _save(request, found.id, name=name, element_key=elem.key, tags=tags, configuration=config)


async def delete(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    emulator_of(request).store.delete(found.id)
    return JSONResponse({"id": found.id, "deleted": True})


async def configuration(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    return JSONResponse(responses.masked_configuration(found.configuration))


async def enable(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    updated = emulator_of(request).store.set_disabled(found.id, request.method == "DELETE")
    assert updated is not None
    return JSONResponse(responses.instance(updated))


async def events(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    return JSONResponse(emulator_of(request).store.deliveries(found.id))


def _by_method(handlers: dict[str, Endpoint]) -> Endpoint:
    """One route, several methods (so a 405 names every allowed method)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def routes() -> list[Route]:
    base = defaults.API_PREFIX + "/instances"
    one = base + "/{id}"
    return [
        Route(base, _by_method({"GET": list_instances, "POST": create}), methods=["GET", "POST"]),
        Route(
            one,
            _by_method({"GET": get_instance, "PUT": replace, "PATCH": patch, "DELETE": delete}),
            methods=["GET", "PUT", "PATCH", "DELETE"],
        ),
        Route(one + "/configuration", configuration, methods=["GET"]),
        Route(one + "/enabled", enable, methods=["PUT", "DELETE"]),
        Route(one + "/events", events, methods=["GET"]),
    ]
