"""apply/diff: what differs between a definition's body and the live instance, and the PATCH that fixes it.

Comparison rules:
- configuration values are compared as the strings the platform stores, exactly: the definition's value is
  turned into the platform's string form (`true` -> "true", 15 -> "15") and must equal the live string, so
  "1.10" differs from "1.1", "007" from "7", "TRUE" from "true"; a value that is a mapping or list on either
  side (the poller configuration) is compared parsed, a JSON string against an object, leaf values exactly,
  and shown key by key where they differ (`...configuration.leads` for a resource added or removed) but sent
  whole;
- a live value the platform masks ("********") counts as unchanged, unless `update_secrets`; a secret key
  the platform does not return at all likewise;
- tags are compared as sets: order and duplicates do not matter; when they differ the PATCH sends the
  definition's tags, which replace all tags (platform-notes.md), `[]` included; a definition without `tags`
  leaves the live tags alone; apply's ownership tag (`owner`, --owner) is added to the definition's tags, or,
  for a definition without `tags`, to the live ones when they lack it;
- `name` and `element` are how the instance was found, so they match; `providerData` cannot be read
  back and is not compared.

Removal: what a definition owns and no longer says is unset (PATCH `{"configuration": {key: null}}`; the
platform reads null as "not set"). The platform answers every configuration key of the element, with defaults
and nulls, so only keys whose "not set" is known for every element can be told from defaults. A definition owns:
- `tags`, when it gives them (above);
- the poller configuration, when it gives one (`events.resources` or the raw key): compared whole, so a resource
  or a key inside one that is gone is a change (`resources: {}` drops them all);
- when it speaks of events at all (an `events` section or any `event.*` key), the event keys in `OWNED_EVENT_KEYS`:
  one of them that the definition does not give is removed when the live instance has it set, that is not null,
  not "", not masked (a masked secret is never counted as removed) and not the platform's "not set" value there.
Everything else is left alone, never reported as drift: the element's own configuration keys (given or not,
a key the definition does not write may be an element default), `event.vendor.type` and the poller
configuration when the definition does not give them (absent means "the platform decides": it answers the
element's type, e.g. "webhooks", and the element's default poller configuration or "{}"), event keys the platform
or the element sets itself (`event.notification.subscription.id`, `event.notification.instance.finder`,
`event.metadata`, `event.helper.key`), event keys whose default belongs to the element (`event.objects`,
`event.poller.urls`) and `event.*` keys nobody documented.
Changes are `{"path", "before", "after"}` with secret values masked; `after` is None for a removal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cloudevents_cli import redact
from cloudevents_cli.definitions import keys

MASKED = redact.MASK

# The event keys a definition that speaks of events owns even where it leaves them out, each with the value the
# platform answers when it is not set (besides null and ""): "false" and the elements' refresh interval of 15.
OWNED_EVENT_KEYS: dict[str, str | None] = {
    keys.ENABLED: "false",
    keys.CALLBACK_URL: None,
    keys.REFRESH_INTERVAL: "15",
    keys.SIGNATURE_KEY: None,
    "event.notification.callback.headers": None,
    "event.notification.basic.username": None,
    "event.notification.basic.password": None,
}


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


def _as_stored(value: Any) -> str:
    """The string the platform stores for a value: a mapping or list as compact JSON, as the client sends it."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return stored(value)


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
    if isinstance(live, str) and live == _as_stored(defined):
        return True  # the usual case, and the quick one: the very string the platform stores
    wanted, current = _structure(defined), _structure(live)
    if (
        isinstance(defined, (dict, list))
        or isinstance(live, (dict, list))
        or (wanted is not None and current is not None)
    ):
        return wanted is not None and current is not None and _exactly(wanted, current)
    return stored(defined) == stored(live)


def _shown(value: Any, secret: bool, secrets: frozenset[str]) -> Any:
    if value is None:
        return None
    if secret:
        return MASKED
    return redact.mask(value, secrets)


def _differences(path: str, before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """Where two structures differ, key by key: (path, before, after), None on the side that lacks the key."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return [] if _exactly(before, after) else [(path, before, after)]
    out: list[tuple[str, Any, Any]] = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key not in before or key not in after:
            out.append((f"{path}.{key}", before.get(key), after.get(key)))
        else:
            out.extend(_differences(f"{path}.{key}", before[key], after[key]))
    return out


def removed_event_keys(wanted: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """The owned event keys the live instance has set and the definition no longer gives (see the module doc)."""
    if not any(key.startswith("event.") for key in wanted):
        return []
    return [
        key
        for key, unset in OWNED_EVENT_KEYS.items()
        if key not in wanted and live.get(key) not in (None, "", MASKED, unset)
    ]


def plan(
    body: dict[str, Any],
    live: dict[str, Any],
    *,
    update_secrets: bool = False,
    secrets: frozenset[str] = frozenset(),
    owner: str | None = None,
) -> Plan:
    """Compare the POST body of a definition with the live instance."""
    result = Plan()
    wanted_config = body.get("configuration") or {}
    live_config = live.get("configuration") or {}  # a dict: the client checks the shape of instances
    patch_config: dict[str, Any] = {}

    def change(path: str, before: Any, after: Any, secret: bool) -> None:
        result.changes.append(
            {"path": path, "before": _shown(before, secret, secrets), "after": _shown(after, secret, secrets)}
        )

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
        before, after = _structure(current), _structure(value)
        if isinstance(before, dict) and isinstance(after, dict):
            for path, old, new in _differences(f"configuration.{key}", before, after):
                change(path, old, new, secret)
        else:
            change(f"configuration.{key}", current, value, secret)
    for key in removed_event_keys(wanted_config, live_config):
        patch_config[key] = None
        change(f"configuration.{key}", live_config[key], None, redact.is_secret_key(key))
    if patch_config:
        result.patch["configuration"] = patch_config
    live_tags = [str(t) for t in live.get("tags") or []]
    tags = list(body["tags"] or []) if "tags" in body else None
    if owner is not None:
        tags = [*(live_tags if tags is None else tags)]
        tags += [] if owner in tags else [owner]
    if tags is not None:
        wanted_tags = [str(t) for t in tags]
        if set(wanted_tags) != set(live_tags):
            result.patch["tags"] = tags
            result.changes.append({"path": "tags", "before": live_tags, "after": wanted_tags})
    return result
