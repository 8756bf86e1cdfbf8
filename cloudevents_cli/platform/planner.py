"""apply/diff: what differs between a definition's body and the live instance, and the PATCH that fixes it.

Comparison rules:
- configuration values are compared after normalising, because the platform returns them as strings:
  `true` == "true", 15 == "15" == 15.0; a value that is a mapping or list on either side (the poller
  configuration) is compared parsed, a JSON string against an object;
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


def canonical(value: Any) -> Any:
    """A comparable form: scalars as the strings the platform would return, containers recursively."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return canonical(json.loads(text))
            except ValueError:
                return value
        if text.lower() in ("true", "false"):
            return text.lower()
        try:
            number = float(text)
        except ValueError:
            return value
        if number.is_integer() and "e" not in text.lower():
            return str(int(number))
        return repr(number)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def same(defined: Any, live: Any) -> bool:
    return bool(canonical(defined) == canonical(live))


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
    live_config = live.get("configuration") or {}
    if not isinstance(live_config, dict):
        live_config = {}
    patch_config: dict[str, Any] = {}
    for key, value in wanted_config.items():
        present = key in live_config
        current = live_config.get(key)
        secret = (
            redact.is_secret_key(key) or current == MASKED or (isinstance(value, str) and value in secrets)
        )
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
