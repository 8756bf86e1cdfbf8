"""Replaying a recorded event: the exact body the platform notified (from `GET /instances/events/{eventId}`),
signed as the platform signs, POSTed once more to the instance's callback URL or to another URL.

The platform's event record (its swagger's `Event`) holds, per notified instance, `eventElementInstances[]` with
`elementInstanceId` and `notifiedData`: the body sent to that instance's callback, as a string. Those bytes are
sent again unchanged, so the signature (`sha256=` + base64 HMAC-SHA256 over the raw body, no timestamp) is the
platform's own; a fresh `Elements-Webhook-Id` marks the new delivery, while the message's `eventId` stays the
same (a receiver that de-duplicates by eventId handles it once).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from cloudevents_cli import __version__, redact
from cloudevents_cli.errors import UsageError
from cloudevents_cli.events.signature import HEADER, ID_HEADER, sign
from cloudevents_cli.platform.client import PlatformClient, ssl_context
from cloudevents_cli.platform.errors import BadResponse
from cloudevents_cli.platform.event_history import get_event

SIGNATURE_KEY = "event.notification.signature.key"
CALLBACK_URL = "event.notification.callback.url"


@dataclass
class Resent:
    """One resend: where it went, whether it was signed, and what the destination answered."""

    event_id: str
    instance_id: Any
    url: str
    webhook_id: str
    signed: bool
    http_status: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "delivered": self.delivered}


def notified_body(record: dict[str, Any], event_id: str) -> tuple[Any, bytes]:
    """(the notified instance's id, the exact body it was sent) from the platform's event record."""
    for entry in record.get("eventElementInstances") or []:
        if isinstance(entry, dict) and isinstance(entry.get("notifiedData"), str) and entry["notifiedData"]:
            return entry.get("elementInstanceId"), entry["notifiedData"].encode()
    raise BadResponse(
        f"GET /instances/events/{event_id}: the record holds no notified body "
        "(eventElementInstances[].notifiedData) to send again",
        status=200,
    )


def check_url(url: str, what: str) -> str:
    """An http(s) URL with a host, or a usage error naming `what`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what} '{url}' is not an http:// or https:// URL")
    return url


def _configuration(instance: dict[str, Any]) -> dict[str, Any]:
    conf = instance.get("configuration")
    return conf if isinstance(conf, dict) else {}


def platform_key(instance: dict[str, Any]) -> str | None:
    """The instance's signature key as the platform answers it: None when it has none (the platform then sends
    unsigned), a usage error when it comes back masked (the client cannot sign with it)."""
    value = _configuration(instance).get(SIGNATURE_KEY)
    if value is None or value == "":
        return None
    text = str(value)
    if set(text) == {"*"}:
        raise UsageError(
            f"the platform answers instance {instance.get('id')}'s signature key masked: "
            "give it with --signature-key, CE_SIGNATURE_KEY or -f DEFINITION"
        )
    redact.register(text)
    return text


def definition_key(keys: Sequence[tuple[str | None, str | None]], instance: dict[str, Any] | None) -> str | None:
    """The signature key of the definition named like the instance (of several given with -f)."""
    name = instance.get("name") if instance is not None else None
    matching = [key for defined, key in keys if defined is not None and defined == name]
    if len(matching) != 1:
        raise UsageError(f"-f: {len(matching)} of its {len(keys)} definitions are named '{name}': give the one")
    return matching[0]


def callback_url(instance: dict[str, Any]) -> str:
    url = instance.get("eventsNotificationCallbackUrl") or _configuration(instance).get(CALLBACK_URL)
    if not url:
        raise UsageError(f"instance {instance.get('id')} has no callback URL: give --to URL")
    return check_url(str(url), f"instance {instance.get('id')}'s callback URL")


async def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, ca_bundle: Any) -> int:
    """POST the body once (no retry, no redirect followed); the HTTP status. The answer's body is not read."""
    import httpx

    verify: Any = ssl_context(ca_bundle) if url.startswith("https:") else True
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(timeout), verify=verify, trust_env=False) as http,
        http.stream("POST", url, content=body, headers=headers) as answer,
    ):
        return answer.status_code


async def resend(
    client: PlatformClient,
    event_id: str,
    *,
    to: str | None = None,
    key: str | None = None,
    definitions: Sequence[tuple[str | None, str | None]] = (),
    fallback_key: str | None = None,
) -> Resent:
    """Send a recorded event again, to `to` or the instance's callback URL. The key: `key` (the flag), else the
    definitions' (`definitions`: (name, key) pairs from -f), else `fallback_key` (CE_SIGNATURE_KEY), else the
    instance's as the platform answers it (none: sent unsigned, as the platform does)."""
    import httpx

    record = await get_event(client, event_id)
    instance_id, body = notified_body(record, event_id)
    if key is None and len(definitions) == 1:
        key = definitions[0][1]
    instance = None
    if to is None or (key is None and (len(definitions) > 1 or fallback_key is None)):
        if instance_id is None:
            raise BadResponse(f"GET /instances/events/{event_id}: the record names no instance", status=200)
        instance = await client.get_instance(quote(str(instance_id), safe=""))
    if key is None and len(definitions) > 1:
        key = definition_key(definitions, instance)
    if key is None:
        key = fallback_key if fallback_key is not None else platform_key(instance or {})
    url = to if to is not None else callback_url(instance or {})
    result = Resent(str(event_id), instance_id, url, str(uuid.uuid4()), signed=bool(key))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"cloudevents-cli/{__version__}",
        ID_HEADER: result.webhook_id,
    }
    if key:
        headers[HEADER] = sign(key, body)
    conn = client.connection
    try:  # the timeout covers the whole exchange
        sending = post(url, body, headers, timeout=conn.timeout, ca_bundle=conn.ca_bundle)
        result.http_status = await asyncio.wait_for(sending, conn.timeout)
    except asyncio.TimeoutError:
        result.error = f"no answer within {conn.timeout:g} s"
    except httpx.HTTPError as err:
        result.error = redact.scrub(f"{type(err).__name__}: {err}" if str(err) else type(err).__name__)
    return result
