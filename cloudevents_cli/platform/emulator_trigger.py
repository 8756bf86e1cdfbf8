"""The emulator's own endpoints (`/_emulator/*`, beside the platform paths), as the `trigger` command uses them.

It goes through the one platform client, so auth, retries, logging and error mapping are the platform's.
"""

from __future__ import annotations

from typing import Any

from cloudevents_cli.config import API_PATH
from cloudevents_cli.errors import PlatformError, UsageError
from cloudevents_cli.platform.client import PlatformClient
from cloudevents_cli.platform.errors import BadResponse, ServerError, json_body


def emulator_root(base_url: str) -> str:
    """`http://host:port/elements/api-v2` -> `http://host:port`."""
    url = base_url.rstrip("/")
    return url[: -len(API_PATH)] if url.endswith(API_PATH) else url


async def check_emulator(client: PlatformClient) -> dict[str, Any]:
    """The emulator's info, or UsageError when the base URL is not a cloudevents emulator."""
    root = emulator_root(client.connection.base_url)
    not_emulator = UsageError(f"{root} is not a cloudevents emulator; trigger only works against the emulator")
    try:
        sent = await client.request("GET", f"{root}/_emulator/info")
        info = json_body(sent.response, "GET /_emulator/info")
    except (PlatformError, BadResponse, ServerError):  # answered, but not as the emulator does
        raise not_emulator from None
    if not isinstance(info, dict) or info.get("emulator") != "cloudevents":
        raise not_emulator
    return info


async def trigger_events(
    client: PlatformClient, ref: str, *, object_type: str | None, event_type: str, count: int
) -> dict[str, Any]:
    """Check that the base URL is an emulator, resolve the instance, ask for the events: the emulator's answer."""
    await check_emulator(client)
    instance = await client.resolve(ref)
    body: dict[str, Any] = {"eventType": event_type, "count": count}
    if object_type:
        body["objectType"] = object_type
    root = emulator_root(client.connection.base_url)
    what = f"POST /_emulator/instances/{instance['id']}/events"
    sent = await client.request("POST", f"{root}/_emulator/instances/{instance['id']}/events", body=body)
    result = json_body(sent.response, what)
    if not isinstance(result, dict):
        raise PlatformError(f"{what}: the emulator's answer is not a JSON object", status=sent.response.status_code)
    return result


UNFINISHED = ("PENDING", "RETRYING", "UNKNOWN")  # UNKNOWN: not in the history yet
WAIT_INTERVAL = 0.2  # seconds between two reads of the history


async def wait_for_deliveries(client: PlatformClient, result: dict[str, Any], timeout: float) -> dict[str, str]:
    """Each triggered event's delivery status, read from the history until none is unfinished or time is up.
    Waits go through the client's retry policy (the run's injected sleep in tests)."""
    import time

    from cloudevents_cli.platform.event_history import event_history

    wanted = [str(b["eventId"]) for b in result.get("batches", []) if b.get("eventId") is not None]
    deadline = time.monotonic() + timeout
    while True:
        history = await event_history(client, result.get("instanceId"))
        found = {str(r.get("eventId")): str(r.get("status")) for r in history}
        statuses = {event_id: found.get(event_id, "UNKNOWN") for event_id in wanted}
        left = deadline - time.monotonic()
        if left <= 0 or not any(s in UNFINISHED for s in statuses.values()):
            return statuses
        await client.policy.sleep(min(WAIT_INTERVAL, left))
