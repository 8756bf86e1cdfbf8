"""The platform's instances API under /elements/api-v2.

Besides `/instances` and `/instances/{id}`: `/elements/{keyOrId}/instances[/{id}]` (the element from the path,
as the platform's own tests use it: repo varunpal72/churros, src/test/platform/elements/instances.js), and
"this instance" through the `Element <token>` of the Authorization header: `GET|PATCH /instances` and
`GET /instances/configuration` address the token's own instance. OAuth 2 instances are created with a code or
the user's own tokens, and re-authenticated by a PUT or PATCH with a new code (emulator/oauth.py).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudevents_cli.emulator import catalog, defaults, oauth, responses, validation
from cloudevents_cli.emulator.context import Emulator
from cloudevents_cli.emulator.masking import MASK
from cloudevents_cli.emulator.store import Instance

NEXT_PAGE_HEADER = "elements-next-page-token"
Endpoint = Callable[[Request], Awaitable[Response]]


def emulator_of(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emulator
    return emu


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type")
    raw = await request.body()
    if raw and content_type is not None and not _is_json(content_type):
        raise validation.Unsupported(f"unsupported Content-Type '{content_type}': send application/json")
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise validation.Invalid("the request body is not valid JSON") from None


def _answer(request: Request, inst: Instance) -> JSONResponse:
    return JSONResponse(responses.instance(inst, fill=emulator_of(request).settings.fill_defaults))


def _disabled_token(request: Request) -> Response | None:
    """403 when the Element token of the Authorization header is a disabled instance's (as the platform does)."""
    token = _element_token(request)
    found = emulator_of(request).store.by_token(token) if token is not None else None
    if found is not None and found.disabled:
        return responses.error(
            403, f"instance {found.id} is disabled: enable it with PUT /instances/{found.id}/enabled"
        )
    return None


def find_instance(request: Request) -> Instance | Response:
    """The instance of the path's `{id}`, or of the Element token when the path names none."""
    refused = _disabled_token(request)
    if refused is not None:
        return refused
    if "id" not in request.path_params:
        return _own_instance(request)
    raw = request.path_params["id"]
    try:
        instance_id = int(raw)
    except ValueError:
        return responses.error(404, f"no instance with id '{raw}'")
    found = emulator_of(request).store.get(instance_id)
    path_key = request.path_params.get("keyOrId")
    if found is not None and path_key is not None and catalog.find(path_key) != catalog.find(found.element_key):
        found = None  # /elements/{keyOrId}/instances/{id} of another element
    if found is None:
        return responses.error(404, f"no instance with id {instance_id}")
    return found


def _element_token(request: Request) -> str | None:
    token: str | None = getattr(request.state, "element_token", None)
    return token


def _own_instance(request: Request) -> Instance | Response:
    token = _element_token(request)
    if token is None:
        return responses.error(400, "no instance id: give one in the path or send 'Element <token>' in Authorization")
    found = emulator_of(request).store.by_token(token)
    if found is None:
        return responses.error(401, "invalid element token")
    return found


def _keep_masked(new: dict[str, str | None], old: dict[str, str]) -> dict[str, str | None]:
    """A masked value sent back ("********") keeps the stored secret."""
    return {k: (old[k] if v == MASK and k in old else v) for k, v in new.items()}


async def create(request: Request) -> Response:
    codes = emulator_of(request).codes
    try:
        raw = await json_body(request)
        body = validation.parse_body(raw, request.path_params.get("keyOrId"))
        tokens = oauth.on_create(codes, body.element, raw, body.configuration, body.external_authentication)
    except validation.Invalid as err:
        return responses.invalid(err)
    inst = emulator_of(request).store.create(
        body.name, body.element.key, body.tags, {**body.configuration, **tokens}, body.external_authentication
    )
    return _answer(request, inst)


def page_token(after: int) -> str:
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
    if _element_token(request) is not None and "keyOrId" not in request.path_params:
        return await get_instance(request)
    query = request.query_params
    try:
        elem = _path_element(request)
        after, size = page_query(request)
    except validation.Invalid as err:
        return responses.invalid(err)
    tags = query.getlist("tags[]") + query.getlist("tags")
    page, more = emulator_of(request).store.page(
        after=after,
        limit=size,
        tags=tags,
        search=query.get("searchText"),
        element_key=elem.key if elem else None,
    )
    headers = {NEXT_PAGE_HEADER: page_token(page[-1].id)} if more and page else {}
    fill = emulator_of(request).settings.fill_defaults
    return JSONResponse([responses.instance(i, fill=fill) for i in page], headers=headers)


def _path_element(request: Request) -> catalog.Element | None:
    key = request.path_params.get("keyOrId")
    if key is None:
        return None
    return validation.element({}, key)


async def get_instance(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    return _answer(request, found)


def _save(request: Request, found: Instance, tokens: dict[str, str], **fields: Any) -> Response:
    """Store a PUT or PATCH (with the provider's new tokens when it re-authenticated) and answer with the
    instance as the platform returns it."""
    fields.setdefault("external_authentication", found.external_authentication)
    fields["configuration"] = {**fields["configuration"], **tokens}
    store = emulator_of(request).store
    updated = store.update(found.id, **fields)
    if tokens:
        store.reauthenticated(found.id)
        updated = store.get(found.id)
    assert updated is not None
    return _answer(request, updated)


def _provider_tokens(found: Instance) -> dict[str, str]:
    """The stored tokens of an instance (a PUT that does not send them keeps them, as it keeps masked values)."""
    return {k: v for k, v in found.configuration.items() if k in (oauth.USER_TOKEN, oauth.REFRESH_TOKEN)}


async def replace(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    try:
        raw = validation.as_object(await json_body(request))
        elem = validation.element(raw, request.path_params.get("keyOrId"))
        given = _keep_masked(validation.configuration(raw.get("configuration")), found.configuration)
        config = validation.merged(_provider_tokens(found), given)
        validation.check(elem, config)
        name = validation.name(raw.get("name"))
        tags = validation.tags(raw.get("tags"))
        external = validation.external_authentication(raw.get("externalAuthentication"))
        tokens = oauth.on_update(emulator_of(request).codes, elem, raw, config)
    except validation.Invalid as err:
        return responses.invalid(err)
    return _save(
        request,
        found,
        tokens,
        name=name,
        element_key=elem.key,
        tags=tags,
        configuration=config,
        external_authentication=external,
    )


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
        config = validation.merged(found.configuration, given)
        validation.check(elem, config)
        name = validation.name(raw["name"]) if "name" in raw else found.name
        tags = validation.tags(raw["tags"]) if "tags" in raw else found.tags
        external = (
            validation.external_authentication(raw["externalAuthentication"])
            if "externalAuthentication" in raw
            else found.external_authentication
        )
        tokens = oauth.on_update(emulator_of(request).codes, elem, raw, config)
    except validation.Invalid as err:
        return responses.invalid(err)
    return _save(
        request,
        found,
        tokens,
        name=name,
        element_key=elem.key,
        tags=tags,
        configuration=config,
        external_authentication=external,
    )


async def delete(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    emulator_of(request).store.delete(found.id)
    return JSONResponse({"id": found.id, "deleted": True})


def _records(request: Request, inst: Instance) -> list[dict[str, Any]]:
    fill = emulator_of(request).settings.fill_defaults
    keys = list(responses.configuration(inst, fill=fill))
    ids = emulator_of(request).store.configuration_ids(inst.id, keys)
    return responses.configuration_records(inst, ids, fill=fill)


async def configuration(request: Request) -> Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    return JSONResponse(_records(request, found))


def _record(request: Request) -> tuple[Instance, dict[str, Any]] | Response:
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    wanted = request.path_params["configId"]
    record = next((r for r in _records(request, found) if str(r["id"]) == wanted), None)
    if record is None:
        return responses.error(404, f"no configuration record {wanted} for instance {found.id}")
    return found, record


async def configuration_record(request: Request) -> Response:
    """`GET /instances/{id}/configuration/{configId}`: one record."""
    found = _record(request)
    return found if isinstance(found, Response) else JSONResponse(found[1])


async def patch_configuration(request: Request) -> Response:
    """`PATCH /instances/{id}/configuration/{configId}` `{"propertyValue": ...}` (the record with a new value,
    as the platform's tests send it): changes one key."""
    got = _record(request)
    if isinstance(got, Response):
        return got
    found, record = got
    wanted, key = str(record["id"]), record["key"]
    try:
        raw = validation.as_object(await json_body(request))
        if "key" in raw and raw["key"] != key:
            raise validation.Invalid(f"configuration record {wanted} is '{key}', not '{raw['key']}'")
        if "propertyValue" not in raw:
            raise validation.Invalid("'propertyValue' is required")
        given = _keep_masked(validation.configuration({key: raw["propertyValue"]}), found.configuration)
        config = validation.merged(found.configuration, given)
        elem = catalog.find(found.element_key)
        if elem is not None:
            validation.check(elem, config)
    except validation.Invalid as err:
        return responses.invalid(err)
    emulator_of(request).store.update(
        found.id,
        name=found.name,
        element_key=found.element_key,
        tags=found.tags,
        configuration=config,
        external_authentication=found.external_authentication,
    )
    updated = emulator_of(request).store.get(found.id)
    assert updated is not None
    return JSONResponse(next(r for r in _records(request, updated) if r["key"] == key))


async def enable(request: Request) -> Response:
    """`PUT /instances/{id}/enabled` enables, `DELETE` disables (both idempotent); answers the instance."""
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    updated = emulator_of(request).store.set_disabled(found.id, request.method == "DELETE")
    assert updated is not None
    return _answer(request, updated)


def page_query(request: Request) -> tuple[int, int]:
    """(after, pageSize) from `pageSize` and `nextPage`, or Invalid."""
    query = request.query_params
    try:
        size = int(query.get("pageSize", str(defaults.DEFAULT_PAGE_SIZE)))
    except ValueError:
        size = 0
    if size < 1:
        raise validation.Invalid("'pageSize' must be a positive integer")
    token = query.get("nextPage")
    return (_after(token) if token else 0), size


async def events(request: Request) -> Response:
    """`GET /instances/{id}/events`: the instance's events, oldest first, paged as `/instances` is."""
    found = find_instance(request)
    if isinstance(found, Response):
        return found
    try:
        after, size = page_query(request)
    except validation.Invalid as err:
        return responses.invalid(err)
    page, more = emulator_of(request).store.delivery_page(found.id, after=after, limit=size)
    headers = {NEXT_PAGE_HEADER: page_token(page[-1]["id"])} if more and page else {}
    return JSONResponse(page, headers=headers)


async def event(request: Request) -> Response:
    """`GET /instances/events/{eventId}`: one event with its status and every delivery attempt."""
    refused = _disabled_token(request)
    if refused is not None:
        return refused
    event_id = request.path_params["eventId"]
    record = emulator_of(request).store.delivery_by_event(event_id)
    if record is None:
        return responses.error(404, f"no event with id '{event_id}'")
    return JSONResponse(record)


def _by_method(handlers: dict[str, Endpoint]) -> Endpoint:
    """One route, several methods (so a 405 names every allowed method)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def routes() -> list[Route]:
    base = defaults.API_PREFIX + "/instances"
    one = base + "/{id}"
    one_of_element = defaults.API_PREFIX + "/elements/{keyOrId}/instances/{id}"
    return [
        Route(
            base,
            _by_method({"GET": list_instances, "POST": create, "PATCH": patch}),
            methods=["GET", "POST", "PATCH"],
        ),
        Route(base + "/configuration", configuration, methods=["GET"]),  # before /instances/{id}
        Route(base + "/events/{eventId}", event, methods=["GET"]),
        Route(
            defaults.API_PREFIX + "/elements/{keyOrId}/instances",
            _by_method({"GET": list_instances, "POST": create}),
            methods=["GET", "POST"],
        ),
        Route(
            one,
            _by_method({"GET": get_instance, "PUT": replace, "PATCH": patch, "DELETE": delete}),
            methods=["GET", "PUT", "PATCH", "DELETE"],
        ),
        Route(one + "/configuration", configuration, methods=["GET"]),
        Route(
            one_of_element,
            _by_method({"GET": get_instance, "PUT": replace, "PATCH": patch, "DELETE": delete}),
            methods=["GET", "PUT", "PATCH", "DELETE"],
        ),
        Route(
            one + "/configuration/{configId}",
            _by_method({"GET": configuration_record, "PATCH": patch_configuration}),
            methods=["GET", "PATCH"],
        ),
        Route(one + "/enabled", enable, methods=["PUT", "DELETE"]),
        Route(one + "/events", events, methods=["GET"]),
    ]
