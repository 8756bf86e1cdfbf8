"""Platform answers to errors.py exceptions: one line each, with the HTTP status and the request id.

Platform error bodies are `{"requestId", "message"}` (sometimes `providerMessage`). Anything else (HTML from a
proxy, an empty body, garbage) gets a clear message instead of a traceback.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from cloudevents_cli.errors import (
    AuthFailed,
    CloudEventsError,
    Conflict,
    NotFound,
    PlatformError,
    Unreachable,
)

MAX_MESSAGE = 300
AUTHORIZE_HINT = (
    " - an OAuth2 instance needs a fresh code: run cloudevents authorize PATH (or bring your own tokens:"
    " external_authentication: initial with oauth.user.refresh_token)"
)


class ServerError(Unreachable):
    """The platform kept answering 5xx/429 (after retries, where retrying is safe)."""

    code = "server-error"

    def __init__(self, message: str, *, status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id


class BadResponse(Unreachable):
    """The platform answered 2xx with something that is not what it documents (not JSON, wrong shape)."""

    code = "bad-response"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def describe_body(response: httpx.Response) -> str:
    """What the body is, for a message: never the body of a non-JSON answer itself."""
    ctype = response.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    size = len(response.content)
    return "an empty body" if size == 0 else f"a non-JSON body ({ctype}, {size} bytes)"


def parse_error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    """(message, request id) from a platform error body; (None, None) when it is not one."""
    try:
        data: Any = json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    message = data.get("message")
    provider = data.get("providerMessage")
    request_id = data.get("requestId")
    text = str(message) if message not in (None, "") else None
    if provider not in (None, ""):
        text = f"{text} (provider: {provider})" if text else f"provider: {provider}"
    return (_short(text) if text else None), (str(request_id) if request_id not in (None, "") else None)


def error_from_response(response: httpx.Response, what: str, *, hint: str = "") -> CloudEventsError:
    """The exception for an error answer. `what` names the call, e.g. "POST /instances"; `hint` is added."""
    status = response.status_code
    message, request_id = parse_error_body(response)
    detail = message if message is not None else f"the platform answered with {describe_body(response)}"
    text = f"{what}: HTTP {status}: {detail}"
    if request_id:
        text += f" (request id {request_id})"
    text += hint
    if status == 400 and _wants_authorization(what, message):
        text += AUTHORIZE_HINT
    if status in (401, 403):
        hint = " - check the user and organization secrets" if status == 401 else ""
        return AuthFailed(text + hint, status=status, request_id=request_id)
    if status == 404:
        return NotFound(text, status=status, request_id=request_id)
    if status == 409:
        return Conflict(text, status=status, request_id=request_id)
    if status == 429 or status >= 500:
        return ServerError(text, status=status, request_id=request_id)
    return PlatformError(text, status=status, request_id=request_id)


def _wants_authorization(what: str, message: str | None) -> bool:
    """A 400 to a write of an instance that is about its OAuth2 authorization: the code is missing or refused."""
    text = (message or "").lower()
    return what.startswith(("POST /instances", "PUT /instances", "PATCH /instances")) and (
        "providerdata.code" in text or "invalid_grant" in text
    )


def json_body(response: httpx.Response, what: str) -> Any:
    """The JSON of a 2xx answer, or BadResponse with a clear message."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise BadResponse(
            f"{what}: HTTP {response.status_code}: the platform answered with {describe_body(response)}, expected JSON",
            status=response.status_code,
        ) from None


def status_of(err: BaseException) -> int | None:
    status = getattr(err, "status", None)
    return status if isinstance(status, int) else None


__all__ = [
    "BadResponse",
    "PlatformError",
    "ServerError",
    "describe_body",
    "error_from_response",
    "json_body",
    "parse_error_body",
    "status_of",
]
