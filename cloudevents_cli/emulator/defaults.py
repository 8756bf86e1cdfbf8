"""The emulator's documented defaults: its own demo secrets (not user secrets) and where it listens."""

from __future__ import annotations

DEFAULT_USER_SECRET = "emulator-user"
DEFAULT_ORG_SECRET = "emulator-org"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
API_PREFIX = "/elements/api-v2"
EMULATOR_PREFIX = "/_emulator"
DEFAULT_MINUTE = 60.0  # seconds in one emulator minute
DEFAULT_PAGE_SIZE = 200
# Retries after a failed delivery, per platform flavour: (retries, k), retry x waiting 2^(k*x) emulator seconds.
# Cloud Elements: 9 at 2^(2x) (the last about 73 h after the one before); SAP Open Connectors: 5 at 2^(3x).
FLAVOURS = {"cloud-elements": (9, 2), "open-connectors": (5, 3)}
DEFAULT_FLAVOUR = "cloud-elements"
FAILURE_POLICIES = ("retry", "queue")  # the account's notification.webhook.failure.policy
POLLING_BATCH = 10
WEBHOOK_BATCH = 20
DELIVERY_TIMEOUT = 10.0  # seconds per delivery attempt
REFRESH_FAILURES_TO_DISABLE = 5  # consecutive failed token refreshes after which the platform disables an instance
OAUTH_CODE_TTL = 600.0  # seconds an authorization code from the emulator's consent page stays usable
