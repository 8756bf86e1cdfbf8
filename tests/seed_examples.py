"""The seed document's two JSON examples, read from the seed itself so the golden tests cannot drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"


def seed_examples() -> list[dict[str, Any]]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt")))
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    at = text.find('{\n  "element"')
    while at != -1:
        obj, end = decoder.raw_decode(text, at)
        found.append(obj)
        at = text.find('{\n  "element"', end)
    return found
