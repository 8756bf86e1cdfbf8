"""The platform accounts of a batch: the run's own (flags, environment, profile) and the ones definitions name
(`Item.account`: a tenant row's profile or secrets), each with its connection and one client.

An account's profile is resolved through the config file as the run's is, and its secrets override the
profile's; what it leaves out comes from the profile, then from the run (the base URL, timeout and CA). A
profile an account names does not take the run's secrets: it is another account.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from cloudevents_cli.cli.app import State
from cloudevents_cli.cli.connect import connection, make_client, resolved, run
from cloudevents_cli.errors import CloudEventsError, UsageError

if TYPE_CHECKING:
    from cloudevents_cli.config import Connection
    from cloudevents_cli.platform.client import PlatformClient
    from cloudevents_cli.platform.create_apply import EarlyListing

T = TypeVar("T")


def early_listing(st: State) -> EarlyListing | None:
    """The run's account listed in the background while a large batch is built (platform/create_apply.py), when
    the run has a connection with credentials; None otherwise (anything wrong is reported later, as always)."""
    from cloudevents_cli.platform.create_apply import EARLY_LISTING_AFTER, EarlyListing

    try:
        conn = resolved(st)
        conn.require_credentials()
    except CloudEventsError:
        return None
    return EarlyListing(lambda: make_client(st, conn), EARLY_LISTING_AFTER)


def account_connection(st: State, run_conn: Connection, account: Any) -> Connection:
    """The connection of an account (`Account(profile, user_secret, org_secret)`; None: the run's)."""
    if account is None:
        return run_conn
    from cloudevents_cli import redact
    from cloudevents_cli.config import check_secret, get_profile, load_config, normalise_base_url

    base_url, user, org = run_conn.base_url, run_conn.user_secret, run_conn.org_secret
    if account.profile:
        profile = get_profile(load_config(st.options.config), account.profile)
        assert profile is not None
        base_url = normalise_base_url(profile.base_url) if profile.base_url else base_url
        user, org = profile.user_secret, profile.org_secret
    user, org = account.user_secret or user, account.org_secret or org
    check_secret("user secret", user)
    check_secret("organization secret", org)
    redact.register(user, org)
    return dataclasses.replace(
        run_conn, base_url=base_url, user_secret=user, org_secret=org, profile=account.profile or run_conn.profile
    )


def with_clients(
    st: State,
    items: Sequence[Any],
    fn: Callable[[Callable[[Any], PlatformClient], Connection], Coroutine[Any, Any, T]],
    concurrency: int = 8,
) -> T:
    """Run `fn(client_for, run_connection)` with one client per account the items use (accounts with the same
    connection share one); every such account must have credentials, the run's only when it is used."""
    run_conn = connection(st, require_credentials=False)
    accounts = list(dict.fromkeys(item.account for item in items)) or [None]
    conns = {account: account_connection(st, run_conn, account) for account in accounts}
    for account, conn in conns.items():
        try:
            conn.require_credentials()
        except UsageError as err:
            if account is None:
                raise
            whose = f"profile '{account.profile}'" if account.profile else "a definition's own account"
            raise UsageError(f"{whose}: {err.message}") from None

    async def go() -> T:
        async with contextlib.AsyncExitStack() as stack:
            clients: dict[Connection, PlatformClient] = {}
            for conn in conns.values():
                if conn not in clients:
                    clients[conn] = await stack.enter_async_context(make_client(st, conn, concurrency))
            return await fn(lambda account: clients[conns[account]], run_conn)

    return run(go())
