"""The emulator's stand-in for a provider's OAuth 2 consent page, and its controls (under /_emulator, no
Authorization needed, never faulted).

- `GET /_emulator/oauth/authorize?client_id&redirect_uri[&state&scope]&response_type=code`: consents at once and
  answers 302 to `redirect_uri?code=CODE&state=STATE`, so a test or a demo follows the `oauthUrl` with a plain
  GET; or `redirect_uri?error=ERROR&state=STATE` while an error is set (`--oauth-error`, or the PUT below), as a
  provider does when the user denies (docs/elements/salesforce/salesforce-create-instance.md in repo
  cloud-elements/devportal: "a query string parameter called error instead of the code").
- `GET|PUT /_emulator/oauth` `{"error": "access_denied"}` (`{"error": null}` consents again): answers
  `{"error", "codeTtl", "outstandingCodes"}`.
- `POST /_emulator/oauth/expire`: every code issued so far expires now; answers `{"expired": n}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cloudevents_cli.emulator import defaults, responses, validation
from cloudevents_cli.emulator.instances_api import emulator_of, json_body
from cloudevents_cli.emulator.oauth import Codes


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    joiner = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(redirect_uri + joiner + urlencode(params), status_code=302)


async def authorize(request: Request) -> Response:
    query = request.query_params
    client_id, redirect_uri = query.get("client_id"), query.get("redirect_uri")
    if not client_id or not redirect_uri:
        return responses.error(400, "'client_id' and 'redirect_uri' are required")
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return responses.error(400, "'redirect_uri' must be an absolute http(s) URL")
    if query.get("response_type", "code") != "code":
        return responses.error(400, "'response_type' must be 'code'")
    codes = emulator_of(request).codes
    state = {"state": query["state"]} if "state" in query else {}
    if codes.error is not None:
        return _redirect(redirect_uri, {"error": codes.error, **state})
    return _redirect(redirect_uri, {"code": codes.issue(client_id, redirect_uri), **state})


def _state(codes: Codes) -> dict[str, Any]:
    return {"error": codes.error, "codeTtl": codes.ttl, "outstandingCodes": codes.outstanding()}


async def control(request: Request) -> Response:
    codes = emulator_of(request).codes
    if request.method == "PUT":
        try:
            body = validation.as_object(await json_body(request))
            if "error" not in body:
                raise validation.Invalid("'error' is required: an OAuth error code, or null to consent")
            error = body["error"]
            if error is not None and (not isinstance(error, str) or not error.strip()):
                raise validation.Invalid("'error' must be a non-empty string or null")
        except validation.Invalid as err:
            return responses.invalid(err)
        codes.error = error
    return JSONResponse(_state(codes))


async def expire(request: Request) -> Response:
    return JSONResponse({"expired": emulator_of(request).codes.expire_all()})


def routes() -> list[Route]:
    base = defaults.EMULATOR_PREFIX + "/oauth"
    return [
        Route(base, control, methods=["GET", "PUT"]),
        Route(base + "/authorize", authorize, methods=["GET"]),
        Route(base + "/expire", expire, methods=["POST"]),
    ]
