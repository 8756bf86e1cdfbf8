"""Event delivery to callback URLs: batches, signature, retries on the flavour's schedule, every attempt recorded.

Record statuses: PENDING (not tried yet), NOTIFIED, RETRYING, FAILED (retries ran out, policy `retry`), QUEUED
(retries ran out, or the URL's subscription is inactive, policy `queue`), CANCELLED (the instance was disabled
or deleted, or its events turned off, while retries were due: its events are dropped, not kept).
"""

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


def retry_wait(retry: int, time_scale: float, k: int = 2) -> float:
    """Real seconds before retry `retry` (1-based): 2^(k*retry) emulator seconds."""
    return float(2 ** (k * retry)) * time_scale


def schedule(flavour: str, time_scale: float = 1.0) -> list[float]:
    """The real-seconds wait before each retry of the flavour, in order."""
    retries, k = defaults.FLAVOURS[flavour]
    return [retry_wait(x, time_scale, k) for x in range(1, retries + 1)]


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
        url = instance.configuration.get(validation.CALLBACK_URL, "")
        for batch in batches:
            event_id = str(uuid.uuid4())
            webhook_id = str(uuid.uuid4())
            body = self.body(instance, event_id, batch)
            queued = not self.store.subscription_active(url)
            delivery_id = self.store.add_delivery(
                instance.id,
                webhook_id=webhook_id,
                event_id=event_id,
                method=method,
                events=batch.events,
                url=url,
                body=body,
                status="QUEUED" if queued else "PENDING",
            )
            summary = {
                "id": delivery_id,
                "eventId": event_id,
                "webhookId": webhook_id,
                "count": len(batch.events),
                "status": "queued" if queued else "pending",
                "attempts": 0,
                "statusCode": None,
                "error": None,
            }
            if queued:
                summaries.append(summary)
                continue
            if wait:
                ok, status, error = await self._attempt(instance, delivery_id, webhook_id, body, 1)
                state = self._settle(delivery_id, url, ok, 0)
                summary.update(status="delivered" if ok else state.lower(), attempts=1, statusCode=status, error=error)
                if state == "RETRYING":
                    self._spawn(self._run(instance.id, delivery_id, url, tried=1))
            else:
                self._spawn(self._run(instance.id, delivery_id, url, tried=0))
            summaries.append(summary)
        return summaries

    def release(self, url: str | None) -> list[dict[str, Any]]:
        """Send every queued delivery (of one callback URL, or all) again, each once, as a new round of retries."""
        claimed = self.store.release(url)
        for record in claimed:
            self._spawn(self._run(record["instanceId"], record["id"], record["callbackUrl"], tried=0))
        return claimed

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _settle(self, delivery_id: int, url: str, ok: bool, retry: int) -> str:
        """Record the status after try `retry` (0: the first attempt) and return it."""
        retries, _ = defaults.FLAVOURS[self.settings.flavour]
        if ok:
            status = "NOTIFIED"
        elif retry < retries:
            status = "RETRYING"
        elif self.settings.failure_policy == "queue":
            self.store.deactivate_subscription(url)
            status = "QUEUED"
        else:
            status = "FAILED"
        self.store.set_delivery_status(delivery_id, status)
        return status

    async def _run(self, instance_id: int, delivery_id: int, url: str, *, tried: int) -> None:
        """Attempts until one succeeds or the retries run out; `tried`: attempts already made in this round."""
        _, k = defaults.FLAVOURS[self.settings.flavour]
        webhook_id, body = self.store.delivery_body(delivery_id)
        number = self.store.attempt_count(delivery_id)  # attempt numbers go on across releases
        retry = tried
        while True:
            if retry > 0:
                await asyncio.sleep(retry_wait(retry, self.settings.time_scale, k))
            instance = self.store.get(instance_id)
            if instance is None or not can_deliver(instance):
                self.store.set_delivery_status(delivery_id, "CANCELLED")
                return
            number += 1
            ok, _, _ = await self._attempt(instance, delivery_id, webhook_id, body, number)
            if self._settle(delivery_id, url, ok, retry) != "RETRYING":
                return
            retry += 1

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
        if not self.settings.deliver_anywhere and not on_this_machine(url):
            self.store.add_attempt(delivery_id, attempt, status_code=None, error=NOT_SENT)
            return False, None, NOT_SENT
        try:
            async with httpx.AsyncClient(timeout=defaults.DELIVERY_TIMEOUT, trust_env=False) as client:
                response = await client.post(url, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as err:
            error = type(err).__name__
        self.store.add_attempt(delivery_id, attempt, status_code=status, error=error)
        return status is not None and 200 <= status < 300, status, error

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


NOT_SENT = "not sent: the emulator delivers to callback URLs on this machine only (emulator --deliver-anywhere)"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def on_this_machine(url: str) -> bool:
    """Whether URL's host is loopback, judged from its text alone (nothing is resolved)."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host in _LOCAL_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def stamp() -> str:
    return now_iso()
