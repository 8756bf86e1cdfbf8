"""Misbehaviour on purpose, for testing clients: failures, dropped connections, latency, a rate limit.

Applies to platform paths only, never to the emulator's own `/_emulator/*`.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from typing import Any

import httpx

from cloudevents_cli.emulator import defaults, responses
from cloudevents_cli.emulator.auth import ASGIApp, Scope


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised in-process (no socket to close): an httpx client on the ASGI transport sees a transport error
    instead of a response, as it would from a real server that hung up."""


class RateWindow:
    """A fixed one-second window counting requests."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._window = 0
        self._count = 0

    def admit(self, now: float) -> float | None:
        """None when admitted, else the seconds until the next window."""
        window = int(now)
        if window != self._window:
            self._window, self._count = window, 0
        if self._count >= self.limit:
            return (window + 1) - now
        self._count += 1
        return None


async def _swallow(message: Any) -> None:
    return None


async def drop_connection(send: Any) -> None:
    """Close the client connection without any response (uvicorn: close the cycle's transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DroppedConnection("connection dropped on purpose (--drop-rate)")
    transport.close()
    # Tell uvicorn the client is gone so it neither answers 500 nor logs an error.
    cycle.disconnected = True  # type: ignore[union-attr]
    await asyncio.sleep(0)


class FaultsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        fail_rate: float = 0.0,
        drop_rate: float = 0.0,
        latency_ms: float = 0.0,
        rate_limit: int = 0,
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self.fail_rate = fail_rate
        self.drop_rate = drop_rate
        self.latency = latency_ms / 1000.0
        self.window = RateWindow(rate_limit) if rate_limit > 0 else None
        self.rng = rng or random.Random()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(defaults.EMULATOR_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.window is not None:
            wait = self.window.admit(time.monotonic())
            if wait is not None:
                retry_after = str(max(1, math.ceil(wait)))
                await responses.error(429, "rate limit exceeded", {"Retry-After": retry_after})(scope, receive, send)
                return
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if self.fail_rate > 0 and self.rng.random() < self.fail_rate:
            await responses.error(503, "service unavailable (emulated failure)")(scope, receive, send)
            return
        if self.drop_rate > 0 and self.rng.random() < self.drop_rate:
            await self.app(scope, receive, _swallow)
            await drop_connection(send)
            return
        await self.app(scope, receive, send)
