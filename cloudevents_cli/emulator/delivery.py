"""Event delivery to callback URLs: batches, signature, retries (2^(2x) schedule), every attempt recorded."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudevents_cli.emulator import defaults, validation
from cloudevents_cli.emulator.store import Instance, Store, now_iso
from cloudevents_cli.events.signature import HEADER, ID_HEADER, sign

if TYPE_CHECKING:
    from cloudevents_cli.emulator.settings import Settings


@dataclass
class Batch:
    """One notification: the events and the vendor payload they came from."""

    events: list[dict[str, Any]]
    raw: dict[str, Any]


def chunk(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def retry_wait(attempt: int, time_scale: float) -> float:
    """Real seconds to wait after failed attempt `attempt` (1-based): 2^(2x) emulator seconds."""
    return float(2 ** (2 * attempt)) * time_scale


def can_deliver(instance: Instance | None) -> bool:
    if instance is None or instance.disabled or not instance.configuration.get(validation.CALLBACK_URL):
        return False  # events may be on without a callback URL (the platform stores that): nowhere to deliver
    try:
        return validation.events_enabled(instance.configuration)
    except validation.Invalid:
        return False


class Deliverer:
    """Posts batches for instances; retries run as background tasks of the running event loop."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._tasks: set[asyncio.Task[None]] = set()

    def body(self, instance: Instance, event_id: str, batch: Batch) -> bytes:
        message = {
            "eventId": event_id,
            "instanceId": instance.id,
            "elementKey": instance.element_key,
            "events": batch.events,
            "raw": batch.raw,
        }
        return json.dumps({"message": message}, separators=(",", ":")).encode()

    async def deliver(
        self, instance: Instance, method: str, batches: list[Batch], *, wait: bool
    ) -> list[dict[str, Any]]:
        """Record and send every batch. With `wait`, the first attempts are made before returning."""
        summaries: list[dict[str, Any]] = []
        for batch in batches:
            event_id = str(uuid.uuid4())
            webhook_id = str(uuid.uuid4())
            delivery_id = self.store.add_delivery(
                instance.id, webhook_id=webhook_id, event_id=event_id, method=method, events=batch.events
            )
            body = self.body(instance, event_id, batch)
            summary = {
                "id": delivery_id,
                "eventId": event_id,
                "webhookId": webhook_id,
                "count": len(batch.events),
            }
            if wait:
                ok, status, error = await self._attempt(instance, delivery_id, webhook_id, body, 1)
                state = "delivered" if ok else "retrying"
                summary.update(status=state, attempts=1, statusCode=status, error=error)
                if not ok:
                    self._spawn(self._retry(instance.id, delivery_id, webhook_id, body, 2))
            else:
                summary.update(status="pending", attempts=0, statusCode=None, error=None)
                self._spawn(self._retry(instance.id, delivery_id, webhook_id, body, 1))
            summaries.append(summary)
        return summaries

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retry(self, instance_id: int, delivery_id: int, webhook_id: str, body: bytes, first: int) -> None:
        attempt = first
        while attempt <= defaults.MAX_ATTEMPTS:
            if attempt > 1:
                await asyncio.sleep(retry_wait(attempt - 1, self.settings.time_scale))
            instance = self.store.get(instance_id)
            if instance is None or not can_deliver(instance):
                self.store.set_delivery_status(delivery_id, "cancelled")
                return
            ok, _, _ = await self._attempt(instance, delivery_id, webhook_id, body, attempt)
            if ok:
                return
            attempt += 1

    async def _attempt(
        self, instance: Instance, delivery_id: int, webhook_id: str, body: bytes, attempt: int
    ) -> tuple[bool, int | None, str | None]:
        import httpx

        config = instance.configuration
        url = config.get(validation.CALLBACK_URL, "")
        headers = {"Content-Type": "application/json", ID_HEADER: webhook_id}
        key = config.get(validation.SIGNATURE_KEY)
        if key:
            headers[HEADER] = sign(key, body)
        user = config.get("event.notification.basic.username")
        if user:
            pair = f"{user}:{config.get('event.notification.basic.password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        status: int | None = None
        error: str | None = None
        try:
            async with httpx.AsyncClient(timeout=defaults.DELIVERY_TIMEOUT, trust_env=False) as client:
                response = await client.post(url, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as err:
            error = type(err).__name__
        ok = status is not None and 200 <= status < 300
        self.store.add_attempt(delivery_id, attempt, status_code=status, error=error)
        if ok:
            self.store.set_delivery_status(delivery_id, "delivered")
        elif attempt >= defaults.MAX_ATTEMPTS:
            self.store.set_delivery_status(delivery_id, "failed")
        else:
            self.store.set_delivery_status(delivery_id, "retrying")
        return ok, status, error

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def stamp() -> str:
    return now_iso()
