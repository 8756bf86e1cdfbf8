"""The platform's element catalogue under /elements/api-v2: `GET /elements` (paged as `/instances` is),
`GET /elements/{keyOrId}`, `GET /elements/{keyOrId}/metadata` and `GET|POST /elements/{keyOrId}/oauth/url`.

Shapes from the platform's own tests (repo varunpal72/churros, src/test/platform/elements/: elements.js,
metadata.js and assets/element.schema.json, element.configuration.schema.json, element.metadata.schema.json,
element.metadata.expanedschema.json) and published element JSON (repo cloud-elements/devportal at dad3573:
the `configuration` entries of an element with `key`, `name`, `defaultValue`, `type`, `hideFromConsole`,
`required`...; `"authentication": {"type": "oauth2"}` in every published OAuth element; the metadata's event
methods spelled `polling` and `webhook`). The `oauthUrl` points at the emulator's own consent page
(emulator/oauth_api.py), which stands in for the provider's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudevents_cli.emulator import catalog, defaults, oauth, responses, validation
from cloudevents_cli.emulator.instances_api import NEXT_PAGE_HEADER, json_body, page_query, page_token

MAX_PAGE_SIZE = 200  # the platform's documented maximum for /elements; larger pages are cut to it
CONSENT_PATH = defaults.EMULATOR_PREFIX + "/oauth/authorize"
# The metadata spells the webhook method `webhook` (churros metadata.js: methods contain 'webhook').
_METADATA_METHODS = {catalog.POLLING: "polling", catalog.WEBHOOKS: "webhook"}
_NAMES = {
    validation.ENABLED: ("Event Notifications Enabled", "BOOLEAN"),
    validation.CALLBACK_URL: ("Event Notification Callback URL", "TEXTFIELD_1000"),
    validation.VENDOR_TYPE: ("Vendor Event Type", "TEXTFIELD_32"),
    validation.REFRESH: ("Event poller refresh interval (mins)", "TEXTFIELD_32"),
    validation.POLLER_CONFIG: ("Event Poller Resources Configuration", "TEXTAREA"),
    validation.SIGNATURE_KEY: ("Event Notification Signature Key", "TEXTFIELD_128"),
    validation.OBJECTS: ("Objects to monitor for events", "TEXTFIELD_1000"),
    oauth.API_KEY: ("OAuth API Key", "TEXTFIELD_128"),
    oauth.API_SECRET: ("OAuth API Secret", "TEXTFIELD_128"),
    oauth.CALLBACK_URL: ("OAuth Callback URL", "TEXTFIELD_1000"),
    oauth.USER_TOKEN: ("OAuth Access Token", "TEXTFIELD_1000"),
    oauth.REFRESH_TOKEN: ("OAuth Refresh Token", "TEXTFIELD_1000"),
    catalog.AUTH_TYPE_KEY: ("Authentication Type", "TEXTFIELD_32"),
}
_SHOWN_EVENT_KEYS = (validation.ENABLED, validation.CALLBACK_URL, validation.POLLER_CONFIG, validation.REFRESH)


def _entry(elem: catalog.Element, order: int, key: str, default: str | None, *, required: bool) -> dict[str, Any]:
    name, kind = _NAMES.get(key, (key, "TEXTFIELD_128"))
    internal = key in (oauth.USER_TOKEN, oauth.REFRESH_TOKEN)
    hidden = key.startswith("oauth.") or (key.startswith("event.") and key not in _SHOWN_EVENT_KEYS)
    return {
        "id": elem.id * 1000 + order,
        "name": name,
        "key": key,
        "description": f"{elem.name} {name}",
        "defaultValue": default,
        "resellerConfig": False,
        "companyConfig": False,
        "active": True,
        "internal": internal,
        "groupControl": False,
        "displayOrder": order,
        "type": "PASSWORD" if key.rsplit(".", 1)[-1] == "password" else kind,
        "hideFromConsole": hidden,
        "required": required,
    }


def configuration(elem: catalog.Element) -> list[dict[str, Any]]:
    """The element's configuration entries. `required` is true when every authentication type of the element
    needs the key (an element with several types needs only the keys of the type an instance picks)."""
    types = elem.auth_types
    rows: list[tuple[str, str | None, bool]] = []
    if len(types) > 1:
        rows.append((catalog.AUTH_TYPE_KEY, types[0], False))
    rows += [(key, None, catalog.OAUTH2 not in types) for key in elem.required]
    if catalog.OAUTH2 in types:
        only = types == (catalog.OAUTH2,)
        rows += [(key, None, only) for key in oauth.CREDENTIALS]
        rows += [(oauth.USER_TOKEN, None, False), (oauth.REFRESH_TOKEN, None, False)]
    rows += [(key, value, False) for key, value in responses.element_defaults(elem).items()]
    return [_entry(elem, i + 1, key, default, required=required) for i, (key, default, required) in enumerate(rows)]


def _description(elem: catalog.Element) -> str:
    return f"Add a {elem.name} instance to connect your existing {elem.name} account."


def element(elem: catalog.Element) -> dict[str, Any]:
    """An element as `GET /elements/{keyOrId}` answers it."""
    return {
        "id": elem.id,
        "name": elem.name,
        "key": elem.key,
        "description": _description(elem),
        "image": f"elements/provider_{elem.key}.png",
        "active": True,
        "deleted": False,
        "typeOauth": elem.auth_types[0] == catalog.OAUTH2,
        "trialAccount": False,
        "configuration": configuration(elem),
        "resources": [],
        "transformationsEnabled": True,
        "bulkDownloadEnabled": False,
        "bulkUploadEnabled": False,
        "cloneable": False,
        "authentication": {"type": elem.auth_types[0]},
        "hooks": [],
        "parameters": [],
        "private": False,
    }


def metadata(elem: catalog.Element) -> dict[str, Any]:
    """`GET /elements/{keyOrId}/metadata`: the event methods (and the polled resources) and the auth type."""
    events: dict[str, Any] = {"supported": True, "methods": [_METADATA_METHODS[m] for m in elem.methods]}
    if catalog.POLLING in elem.methods and elem.poller:
        events["polling"] = elem.poller
    return {
        "id": elem.id,
        "key": elem.key,
        "name": elem.name,
        "description": _description(elem),
        "authenticationType": elem.auth_types[0],
        "events": events,
    }


def _element(request: Request) -> catalog.Element:
    key = request.path_params["keyOrId"]
    found = catalog.find(key)
    if found is None:
        raise validation.NotFound(f"no element with key or id '{key}'")
    return found


async def list_elements(request: Request) -> Response:
    try:
        after, size = page_query(request)
    except validation.Invalid as err:
        return responses.invalid(err)
    size = min(size, MAX_PAGE_SIZE)
    ordered = sorted(catalog.ELEMENTS.values(), key=lambda e: e.id)
    rest = [e for e in ordered if e.id > after]
    page = rest[:size]
    headers = {NEXT_PAGE_HEADER: page_token(page[-1].id)} if len(rest) > size else {}
    return JSONResponse([element(e) for e in page], headers=headers)


async def get_element(request: Request) -> Response:
    try:
        return JSONResponse(element(_element(request)))
    except validation.Invalid as err:
        return responses.invalid(err)


async def get_metadata(request: Request) -> Response:
    try:
        return JSONResponse(metadata(_element(request)))
    except validation.Invalid as err:
        return responses.invalid(err)


def _text(params: dict[str, Any], name: str, *, needed: bool = False) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if needed:
            raise validation.Invalid(f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise validation.Invalid(f"'{name}' must be a string")
    return value


async def oauth_url(request: Request) -> Response:
    """`GET /elements/{keyOrId}/oauth/url?apiKey&apiSecret&callbackUrl[&scope&state&siteAddress]` (or a POST with
    those in a JSON body, as churros elements.js sends it): `{"element", "oauthUrl"}`."""
    try:
        elem = _element(request)
        if request.method == "POST":
            params = validation.as_object(await json_body(request))
        else:
            params = dict(request.query_params)
        api_key = _text(params, "apiKey", needed=True)
        _text(params, "apiSecret", needed=True)
        callback = _text(params, "callbackUrl", needed=True)
        scope, state = _text(params, "scope"), _text(params, "state")
        _text(params, "siteAddress")
        if catalog.OAUTH2 not in elem.auth_types:
            raise validation.Invalid(
                f"element '{elem.key}' does not authenticate with OAuth 2 (its authentication type is"
                f" {', '.join(elem.auth_types)})"
            )
    except validation.Invalid as err:
        return responses.invalid(err)
    query = {"client_id": api_key, "redirect_uri": callback}
    query |= {"state": state} if state is not None else {}
    query["response_type"] = "code"
    query |= {"scope": scope} if scope is not None else {}
    root = str(request.base_url).rstrip("/")
    return JSONResponse({"element": elem.key, "oauthUrl": f"{root}{CONSENT_PATH}?{urlencode(query)}"})


def routes() -> list[Route]:
    base = defaults.API_PREFIX + "/elements"
    return [
        Route(base, list_elements, methods=["GET"]),
        Route(base + "/{keyOrId}", get_element, methods=["GET"]),
        Route(base + "/{keyOrId}/metadata", get_metadata, methods=["GET"]),
        Route(base + "/{keyOrId}/oauth/url", oauth_url, methods=["GET", "POST"]),
    ]
