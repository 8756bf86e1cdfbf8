"""The polling scheduler: every refresh interval (in emulator minutes) each polling instance finds changes."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from cloudevents_cli.emulator import catalog, changes, validation
from cloudevents_cli.emulator.delivery import Deliverer, can_deliver
from cloudevents_cli.emulator.settings import Settings
from cloudevents_cli.emulator.store import Instance, Store

DEFAULT_REFRESH_MINUTES = 15.0


def is_polling(instance: Instance) -> bool:
    elem = catalog.find(instance.element_key)
    if elem is None or not can_deliver(instance):
        return False
    try:
        return validation.vendor_type(elem, instance.configuration) == catalog.POLLING
    except validation.Invalid:
        return False


def interval_seconds(instance: Instance, settings: Settings) -> float:
    try:
        minutes = validation.refresh_interval(instance.configuration)
    except validation.Invalid:
        minutes = None
    return (minutes or DEFAULT_REFRESH_MINUTES) * settings.minute


class Poller:
    def __init__(self, store: Store, settings: Settings, deliverer: Deliverer, rng: random.Random) -> None:
        self.store = store
        self.settings = settings
        self.deliverer = deliverer
        self.rng = rng
        self._due: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def poll(self, instance: Instance, *, wait: bool, count: int | None = None) -> list[dict[str, Any]]:
        batches = changes.polling_batches(instance, self.rng, count=count)
        return await self.deliverer.deliver(instance, catalog.POLLING, batches, wait=wait)

    async def tick(self) -> None:
        now = time.monotonic()
        live: set[int] = set()
        for instance in self.store.all():
            if not is_polling(instance):
                continue
            live.add(instance.id)
            due = self._due.setdefault(instance.id, now + interval_seconds(instance, self.settings))
            if now >= due:
                self._due[instance.id] = now + interval_seconds(instance, self.settings)
                await self.poll(instance, wait=False)
        for gone in set(self._due) - live:
            del self._due[gone]

    async def run(self) -> None:
        period = max(0.005, min(0.5, self.settings.minute / 4))
        while True:
            await self.tick()
            await asyncio.sleep(period)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
