"""Secrets: which keys are secret, which values are secret, and how they are masked.

Masking works on data, before it is encoded, by whole fields:
- by key name: in platform data (instances, request bodies), a key that names a password, secret, token, key
  or code has its value masked;
- by value: a value that came from `${env:}` / `${file:}`, a secret flag, or a user/org secret is registered
  here, and a string EQUAL to a registered value is masked wherever it appears. Never a substring: a password
  `acme` leaves the instance `acme-hubspot` as it is. A text interpolated AROUND such a value
  (`https://h/cb?t=${env:TOK}`) is registered with its masked form and shown as that (`https://h/cb?t=********`).
The tool's own messages are built from names, ids and statuses, never from values, so they are not rewritten.
`scrub` is the last resort for text of foreign origin (library exception strings, tracebacks, logged URLs):
there every occurrence of a registered value is replaced.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

MASK = "********"

# Last segment of a key (split on . _ - and camelCase) that marks a secret.
_SECRET_WORDS = {"password", "passwd", "pwd", "secret", "token", "key", "apikey", "code", "credentials", "credential"}
_NOT_SECRET_KEYS = {"element.key", "elementKey", "key", "event.vendor.type", "idField", "id_field", "eventKey"}
_SPLIT = re.compile(r"[._\-\s]+|(?<=[a-z0-9])(?=[A-Z])")
# The fields of the tool's own documents that hold platform data, where the key rule applies.
DATA_FIELDS = frozenset({"instances", "body", "before", "after"})

_registered: set[str] = set()
_bearing: dict[str, str] = {}  # a text built around secret values -> the same text with those values masked
_pattern: re.Pattern[str] | None = None
# Shorter values would mask ordinary values ("15", "true"); they are still masked by key name.
MIN_SECRET_LENGTH = 4


@functools.lru_cache(maxsize=4096)
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
    """Mark values as secret for the rest of the process. `scrub`'s pattern is built when next used: a fleet
    registers thousands of values, and most runs never scrub."""
    global _pattern
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH and value not in _registered:
            _registered.add(value)
            _pattern = None


def register_bearing(masked_forms: dict[str, str]) -> None:
    """Texts that hold secret values among other text (`https://h/cb?t=${env:TOK}` interpolated), each with the
    form to show: only the secret parts masked (`https://h/cb?t=********`). Whole values still, never substrings
    of other texts."""
    _bearing.update(masked_forms)


def registered() -> frozenset[str]:
    return frozenset(_registered)


def clear() -> None:
    """Forget registered secrets (tests)."""
    global _pattern
    _registered.clear()
    _bearing.clear()
    _pattern = None


def scrub(text: str) -> str:
    """Text of foreign origin with every registered secret value inside it replaced (the last resort)."""
    global _pattern
    if not _registered or not text:
        return text
    if _pattern is None:
        ordered = sorted(_registered, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))
    return _pattern.sub(MASK, text)


def mask(obj: Any, extra: Iterable[str] = ()) -> Any:
    """A copy of platform data (an instance, a request body) with secrets masked by key name and by value.

    `extra` adds secret values for this call only (e.g. a definition's own interpolated values).
    """
    return _mask(obj, _values(extra), data=True)


def _values(extra: Iterable[str]) -> set[str]:
    return {v for v in extra if isinstance(v, str) and v != ""}


def mask_document(doc: Any, *, data: bool = False, extra: Iterable[str] = ()) -> Any:
    """A copy of one of the tool's documents, ready to encode: registered values masked everywhere, secret keys
    masked inside its platform data (`DATA_FIELDS`), or everywhere when the document is platform data itself
    (`data`: a request body)."""
    return _mask(doc, _values(extra), data=data)


def _mask(obj: Any, extra: set[str], *, data: bool) -> Any:
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            key = str(k)
            if data and is_secret_key(key) and v not in (None, "") and not isinstance(v, (dict, list, bool)):
                out[k] = MASK
            else:
                out[k] = _mask(v, extra, data=data or key in DATA_FIELDS)
        return out
    if isinstance(obj, list):
        return [_mask(v, extra, data=data) for v in obj]
    if isinstance(obj, str):
        if obj in extra or obj in _registered:
            return MASK
        if data and obj[:1] == "{":
            return _mask_json_text(obj, extra)
        return _bearing.get(obj, obj)
    return obj


def _mask_json_text(text: str, extra: set[str]) -> str:
    """A JSON object held as text in platform data (the poller configuration comes back so): its secrets are
    masked like those of any mapping. The text is re-encoded only when something in it was masked."""
    import json

    try:
        parsed = json.loads(text)
    except ValueError:
        return _bearing.get(text, text)
    masked = _mask(parsed, extra, data=True)
    return text if masked == parsed else json.dumps(masked, ensure_ascii=False)
