"""The emulator's ASGI application: routes, the platform's error shape, auth, faults, and the lifespan."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from cloudevents_cli.emulator import (
    control_api,
    elements_api,
    instances_api,
    notifications_api,
    oauth_api,
    responses,
)
from cloudevents_cli.emulator.auth import AuthMiddleware, Scope
from cloudevents_cli.emulator.context import Emulator
from cloudevents_cli.emulator.faults import FaultsMiddleware
from cloudevents_cli.emulator.settings import Settings

_MESSAGES = {404: "no such resource", 405: "method not allowed"}


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
    message = _MESSAGES.get(status, "internal error")
    return responses.error(status, f"{message}: {request.method} {request.url.path}", headers)


class EmulatorApp(Starlette):
    """Starlette with the faults outside everything else, so a dropped connection really drops.

    (Starlette's own error middleware would otherwise answer 500 and hide uvicorn's transport.)
    """

    faults: FaultsMiddleware

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.faults(scope, receive, send)

    async def _inner(self, scope: Scope, receive: Any, send: Any) -> None:
        await Starlette.__call__(self, scope, receive, send)


async def _server_error(request: Request, exc: Exception) -> Response:
    return responses.error(500, "internal error in the emulator")


def create_app(settings: Settings | None = None) -> EmulatorApp:
    """The emulator app. Its state is at `app.state.emulator` (an Emulator: store, deliverer, poller)."""
    settings = settings or Settings()
    emu = Emulator.build(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.scheduler:
            emu.poller.start()
        try:
            yield
        finally:
            await emu.close()

    app = EmulatorApp(
        routes=[
            *instances_api.routes(),
            *elements_api.routes(),
            *notifications_api.routes(),
            *control_api.routes(),
            *oauth_api.routes(),
        ],
        middleware=[Middleware(AuthMiddleware, user_secret=settings.user_secret, org_secret=settings.org_secret)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.faults = FaultsMiddleware(
        app._inner,
        fail_rate=settings.fail_rate,
        drop_rate=settings.drop_rate,
        latency_ms=settings.latency_ms,
        rate_limit=settings.rate_limit,
        rng=random.Random(None if settings.seed is None else settings.seed + 1),
    )
    app.state.emulator = emu
    return app
