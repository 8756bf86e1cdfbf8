"""Everything one emulator holds: settings, store, randomness, delivery, polling and OAuth codes."""

from __future__ import annotations

import random
from dataclasses import dataclass

from cloudevents_cli.emulator.delivery import Deliverer
from cloudevents_cli.emulator.oauth import Codes
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
    codes: Codes

    @classmethod
    def build(cls, settings: Settings) -> Emulator:
        store = Store(settings.db)
        rng = random.Random(settings.seed)
        deliverer = Deliverer(store, settings)
        poller = Poller(store, settings, deliverer, rng)
        codes = Codes(settings.oauth_code_ttl, settings.oauth_error, accept_any_code=settings.accept_any_code)
        return cls(settings, store, rng, deliverer, poller, codes)

    async def close(self) -> None:
        await self.poller.stop()
        await self.deliverer.close()
