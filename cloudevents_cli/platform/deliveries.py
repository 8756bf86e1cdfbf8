"""Queued webhook deliveries: list and release them (`GET`/`PUT /notifications/subscriptions/deliveries`).

The `where` clause names the callback URL as a quoted literal; a `'` inside it is doubled, so a URL cannot end
the literal early or add terms to the clause.
"""

from __future__ import annotations

from typing import Any

from cloudevents_cli.platform.client import PlatformClient
from cloudevents_cli.platform.errors import BadResponse, json_body

PATH = "/notifications/subscriptions/deliveries"


def quoted(value: str) -> str:
    """A where clause string literal."""
    return "'" + value.replace("'", "''") + "'"


def where_clause(callback_url: str | None) -> str:
    clause = "channel='webhook' and status='queued'"
    return clause if callback_url is None else f"{clause} and config.url={quoted(callback_url)}"


async def _call(client: PlatformClient, method: str, callback_url: str | None) -> list[dict[str, Any]]:
    what = f"{method} {PATH}"
    sent = await client.request(method, PATH, params=[("where", where_clause(callback_url))])
    data = json_body(sent.response, what)
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise BadResponse(f"{what}: HTTP {sent.response.status_code}: expected a list of deliveries", status=200)
    return data


async def queued(client: PlatformClient, callback_url: str | None = None) -> list[dict[str, Any]]:
    """The queued deliveries, of one callback URL or of all."""
    return await _call(client, "GET", callback_url)


async def release(client: PlatformClient, callback_url: str | None = None) -> list[dict[str, Any]]:
    """Release the queued deliveries (each is sent once more); returns those released."""
    return await _call(client, "PUT", callback_url)
