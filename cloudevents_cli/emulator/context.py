"""Everything one emulator holds: settings, store, randomness, delivery and polling."""

from __future__ import annotations

import random
from dataclasses import dataclass

from cloudevents_cli.emulator.delivery import Deliverer
from cloudevents_cli.emulator.polling import Poller
from cloudevents_cli.emulator.settings import Settings
from cloudevents_cli.emulator.store import Store


@dataclass
class Emulator:
    settings: Settings
    store: Store
    rng: random.Random
    deliverer: Deliverer
    poller: Poller

    @classmethod
    def build(cls, settings: Settings) -> Emulator:
        store = Store(settings.db)
        rng = random.Random(settings.seed)
        deliverer = Deliverer(store, settings)
        return cls(settings, store, rng, deliverer, Poller(store, settings, deliverer, rng))

    async def close(self) -> None:
        await self.poller.stop()
        await self.deliverer.close()
