"""The platform's two documented request bodies (polling and webhooks), kept in tests/data (see SOURCES.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ("platform-docs-polling.json", "platform-docs-webhooks.json")


def seed_examples() -> list[dict[str, Any]]:
    """The polling body, then the webhooks body, as the documentation page prints them (a fresh copy each call)."""
    return [json.loads((DATA / name).read_text(encoding="utf-8")) for name in EXAMPLES]
