"""apply/diff: what differs between a definition's body and the live instance, and the PATCH that fixes it.

Comparison rules:
- configuration values are compared as the strings the platform stores, exactly: the definition's value is
  turned into the platform's string form (`true` -> "true", 15 -> "15") and must equal the live string, so
  "1.10" differs from "1.1", "007" from "7", "TRUE" from "true"; a value that is a mapping or list on either
  side (the poller configuration) is compared parsed, a JSON string against an object, leaf values exactly;
- a live value the platform masks ("********") counts as unchanged, unless `update_secrets`; a secret key
  the platform does not return at all likewise;
- configuration keys the live instance has and the definition does not (platform defaults) are left alone;
- tags are compared as sets: order and duplicates do not matter; when they differ the PATCH sends the
  definition's tags, which replace all tags (platform-notes.md);
- `name` and `element` are how the instance was found, so they match; `providerData` cannot be read
  back and is not compared.
Changes are `{"path", "before", "after"}` with secret values masked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli import redact

MASKED = redact.MASK


@dataclass
class Plan:
    changes: list[dict[str, Any]] = field(default_factory=list)
    patch: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.patch)


def stored(value: Any) -> str:
    """A scalar as the platform stores it: booleans "true"/"false", numbers as written, strings unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def _structure(value: Any) -> Any:
    """A mapping or list, or the one a JSON string holds; None for anything else."""
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, (dict, list)) else None
    return None


def _exactly(a: Any, b: Any) -> bool:
    """Equal structures with equal leaves of the same JSON type (1 is not "1", nor 1.0, nor true)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_exactly(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_exactly(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def same(defined: Any, live: Any) -> bool:
    """Whether the live value is what the definition would store."""
    wanted, current = _structure(defined), _structure(live)
    if (
        isinstance(defined, (dict, list))
        or isinstance(live, (dict, list))
        or (wanted is not None and current is not None)
    ):
        return wanted is not None and current is not None and _exactly(wanted, current)
    return stored(defined) == stored(live)


def _shown(key: str, value: Any, secret: bool, secrets: frozenset[str]) -> Any:
    if value is None:
        return None
    if secret:
        return MASKED
    return redact.mask(value, secrets)


def plan(
    body: dict[str, Any],
    live: dict[str, Any],
    *,
    update_secrets: bool = False,
    secrets: frozenset[str] = frozenset(),
) -> Plan:
    """Compare the POST body of a definition with the live instance."""
    result = Plan()
    wanted_config = body.get("configuration") or {}
    live_config = live.get("configuration") or {}  # a dict: the client checks the shape of instances
    patch_config: dict[str, Any] = {}
    for key, value in wanted_config.items():
        present = key in live_config
        current = live_config.get(key)
        secret = redact.is_secret_key(key) or current == MASKED or (isinstance(value, str) and value in secrets)
        if current == MASKED or (secret and not present):
            if not update_secrets:
                continue
        elif present and same(value, current):
            continue
        patch_config[key] = value
        result.changes.append(
            {
                "path": f"configuration.{key}",
                "before": _shown(key, current, secret, secrets),
                "after": _shown(key, value, secret, secrets),
            }
        )
    if patch_config:
        result.patch["configuration"] = patch_config
    if "tags" in body:
        wanted_tags = [str(t) for t in body.get("tags") or []]
        live_tags = [str(t) for t in live.get("tags") or []]
        if set(wanted_tags) != set(live_tags):
            result.patch["tags"] = list(body.get("tags") or [])
            result.changes.append({"path": "tags", "before": live_tags, "after": wanted_tags})
    return result
