"""The connection and the one platform client of a run, for the commands that talk to the platform.

The client takes the run's test seams (`State.seams`: a transport, a sleep for retry waits) when given."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from cloudevents_cli.cli.app import State

if TYPE_CHECKING:
    from cloudevents_cli.config import Connection
    from cloudevents_cli.platform.client import PlatformClient

T = TypeVar("T")


def resolved(st: State) -> Connection:
    """The run's connection as flags, environment and profile give it: warnings not shown, credentials not checked."""
    from cloudevents_cli.config import resolve_connection

    o = st.options
    return resolve_connection(
        base_url=o.base_url,
        user_secret=o.user_secret,
        org_secret=o.org_secret,
        timeout=o.timeout,
        ca_bundle=o.ca_bundle,
        profile=o.profile,
        config_file=o.config,
    )


def connection(st: State, *, require_credentials: bool = True) -> Connection:
    """The run's connection, its warnings shown. Without `require_credentials` the secrets may be missing (every
    definition of a batch may name its own account: cli/accounts.py)."""
    conn = resolved(st)
    for warning in conn.warnings:
        st.out.warn(f"warning: {warning}")
    if require_credentials:
        conn.require_credentials()
    return conn


def make_client(st: State, conn: Connection, concurrency: int = 8) -> PlatformClient:
    from cloudevents_cli.platform.client import PlatformClient
    from cloudevents_cli.platform.retry import RetryPolicy

    log = st.out.debug if st.options.verbose else None
    policy = RetryPolicy(sleep=st.seams.sleep) if st.seams.sleep is not None else RetryPolicy()
    return PlatformClient(
        conn, transport=st.seams.transport, policy=policy, log=log, max_connections=max(concurrency, 4)
    )


def run(coro: Coroutine[Any, Any, T]) -> T:
    from cloudevents_cli.platform.runner import run_to_end

    return run_to_end(coro)


def with_client(st: State, conn: Connection, fn: Callable[[PlatformClient], Any], concurrency: int = 8) -> Any:
    async def go() -> Any:
        async with make_client(st, conn, concurrency) as platform:
            return await fn(platform)

    return run(go())
