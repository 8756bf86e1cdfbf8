"""What one emulator run is configured with (the `cloudevents emulator` options)."""

from __future__ import annotations

from dataclasses import dataclass

from cloudevents_cli.emulator import defaults


@dataclass
class Settings:
    user_secret: str = defaults.DEFAULT_USER_SECRET
    org_secret: str = defaults.DEFAULT_ORG_SECRET
    db: str = ":memory:"
    minute: float = defaults.DEFAULT_MINUTE
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    latency_ms: float = 0.0
    rate_limit: int = 0  # requests a second; 0 means no limit
    seed: int | None = None
    scheduler: bool = True  # run the polling scheduler from the lifespan (a real server)
    # Answer every configuration key of the element with its default or null, as the platform does
    # (`--no-fill-defaults`: only the keys stored).
    fill_defaults: bool = True
    flavour: str = defaults.DEFAULT_FLAVOUR  # a key of defaults.FLAVOURS: the retry schedule
    # When a delivery's retries run out: "retry" marks it FAILED; "queue" deactivates the callback URL's
    # subscription and queues it and every later event for that URL until released.
    failure_policy: str = "retry"
    oauth_code_ttl: float = defaults.OAUTH_CODE_TTL  # seconds an authorization code stays usable
    oauth_error: str | None = None  # the consent page answers this OAuth `error` instead of a code
    accept_any_code: bool = False  # take codes the consent page never issued (placeholders) as valid
    # Deliver only to callback URLs on this machine (127.0.0.1, [::1], localhost); `--deliver-anywhere` lifts it.
    # A test or bench never reaches out to the example hosts of its definitions, and nothing is resolved.
    deliver_anywhere: bool = False

    @property
    def time_scale(self) -> float:
        """Real seconds per emulator second."""
        return self.minute / 60.0
