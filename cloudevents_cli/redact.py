"""Secrets: which keys are secret, which values are secret, and how they are masked.

Two rules, applied everywhere something is shown:
- by key name: a key that names a password, secret, token, key or code is masked;
- by origin: a value that came from `${env:}` / `${file:}`, or a user/org secret, is registered here and
  masked wherever it appears, in data and in text (error messages, logs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "********"

# Last segment of a key (split on . _ - and camelCase) that marks a secret.
_SECRET_WORDS = {"password", "passwd", "pwd", "secret", "token", "key", "apikey", "code", "credentials", "credential"}
_NOT_SECRET_KEYS = {"element.key", "elementKey", "key", "event.vendor.type", "idField", "id_field", "eventKey"}
_SPLIT = re.compile(r"[._\-\s]+|(?<=[a-z0-9])(?=[A-Z])")

_registered: set[str] = set()
_pattern: re.Pattern[str] | None = None
# Shorter values would mask ordinary words; they are still masked by key name.
MIN_SECRET_LENGTH = 4


def is_secret_key(key: str) -> bool:
    """True for keys such as `password`, `oauth.api.secret`, `event.notification.signature.key`, `apiKey`."""
    if key in _NOT_SECRET_KEYS:
        return False
    words = [w.lower() for w in _SPLIT.split(key) if w]
    if not words:
        return False
    if words[-1] in _SECRET_WORDS:
        return True
    return any(w in {"password", "passwd", "secret", "token", "apikey", "credentials"} for w in words)


def register(*values: str | None) -> None:
    """Mark values as secret for the rest of the process."""
    global _pattern
    added = False
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH and value not in _registered:
            _registered.add(value)
            added = True
    if added:
        ordered = sorted(_registered, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def registered() -> frozenset[str]:
    return frozenset(_registered)


def clear() -> None:
    """Forget registered secrets (tests)."""
    global _pattern
    _registered.clear()
    _pattern = None


def scrub(text: str) -> str:
    """Replace every registered secret value inside a text."""
    if _pattern is None or not text:
        return text
    return _pattern.sub(MASK, text)


def mask(obj: Any, extra: Iterable[str] = (), *, parent_key: str = "") -> Any:
    """A copy of a JSON-like value with secrets masked by key name and by value.

    `extra` adds secret values for this call only (e.g. a definition's own interpolated values).
    """
    extra_set = {v for v in extra if isinstance(v, str)}
    return _mask(obj, extra_set, parent_key)


def _mask(obj: Any, extra: set[str], parent_key: str) -> Any:
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            key = str(k)
            if key == "key" and parent_key == "element":
                out[k] = v
            elif is_secret_key(key) and v is not None and not isinstance(v, (dict, list, bool)):
                out[k] = MASK if v != "" else v
            else:
                out[k] = _mask(v, extra, key)
        return out
    if isinstance(obj, list):
        return [_mask(v, extra, parent_key) for v in obj]
    if isinstance(obj, str):
        if obj in extra or obj in _registered:
            return MASK
        if extra:
            for value in extra:
                if len(value) >= MIN_SECRET_LENGTH and value in obj:
                    obj = obj.replace(value, MASK)
        return scrub(obj)
    return obj
