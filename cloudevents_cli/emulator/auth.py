"""The platform's `Authorization: User <user>, Organization <org>[, Element <token>]` check."""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cloudevents_cli.emulator import defaults, responses

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

_HEADER = re.compile(
    r"^\s*User\s+(?P<user>[^,\s]+)\s*,\s*Organization\s+(?P<org>[^,\s]+)\s*(?:,\s*Element\s+(?P<element>[^,\s]+)\s*)?$"
)


def parse(value: str) -> tuple[str, str, str | None] | None:
    """(user, org, element token or None), or None when the header does not have the platform's shape."""
    match = _HEADER.match(value)
    if match is None:
        return None
    return match["user"], match["org"], match["element"]


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class AuthMiddleware:
    """401 with the platform's error body for platform paths without the right secrets."""

    def __init__(self, app: ASGIApp, user_secret: str, org_secret: str) -> None:
        self.app = app
        self.user_secret = user_secret
        self.org_secret = org_secret

    def _failure(self, scope: Scope) -> str | None:
        """Why the request is refused, or None; the Element token, if any, goes to `request.state.element_token`."""
        header = None
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                header = value.decode("latin-1")
                break
        if header is None:
            return "missing Authorization header"
        parsed = parse(header)
        if parsed is None:
            return "malformed Authorization header: expected 'User <user secret>, Organization <org secret>'"
        user, org, element = parsed
        if not (_same(user, self.user_secret) and _same(org, self.org_secret)):
            return "invalid user or organization secret"
        scope.setdefault("state", {})["element_token"] = element
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(defaults.API_PREFIX):
            failure = self._failure(scope)
            if failure is not None:
                await responses.error(401, failure)(scope, receive, send)
                return
        await self.app(scope, receive, send)
