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
MAX_ATTEMPTS = 9  # delivery attempts in all, the first one included
POLLING_BATCH = 10
WEBHOOK_BATCH = 20
DELIVERY_TIMEOUT = 10.0  # seconds per delivery attempt
