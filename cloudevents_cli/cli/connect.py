"""The connection and the one platform client of a run, for the commands that talk to the platform."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from cloudevents_cli.cli.app import State

if TYPE_CHECKING:
    from cloudevents_cli.config import Connection
    from cloudevents_cli.platform.client import PlatformClient

T = TypeVar("T")


def connection(st: State) -> Connection:
    from cloudevents_cli.config import resolve_connection

    o = st.options
    conn = resolve_connection(
        base_url=o.base_url,
        user_secret=o.user_secret,
        org_secret=o.org_secret,
        timeout=o.timeout,
        ca_bundle=o.ca_bundle,
        profile=o.profile,
        config_file=o.config,
    )
    for warning in conn.warnings:
        st.out.warn(f"warning: {warning}")
    conn.require_credentials()
    return conn


def make_client(st: State, conn: Connection, concurrency: int = 8) -> PlatformClient:
    from cloudevents_cli.platform.client import PlatformClient

    log = st.out.debug if st.options.verbose else None
    return PlatformClient(conn, log=log, max_connections=max(concurrency, 4))


def run(coro: Coroutine[Any, Any, T]) -> T:
    import asyncio

    return asyncio.run(coro)


def with_client(st: State, conn: Connection, fn: Callable[[PlatformClient], Any], concurrency: int = 8) -> Any:
    async def go() -> Any:
        async with make_client(st, conn, concurrency) as platform:
            return await fn(platform)

    return run(go())
