"""The core of `cloudevents verify`: does a body match a signature header value under a key?"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from cloudevents_cli.errors import InvalidInput
from cloudevents_cli.events.signature import HEADER, MalformedSignature, parse, sign


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    body_bytes: int  # the bytes that were signed (after --strip-newline)
    expected: str  # the signature the body should carry; shown only when asked
    stripped_newline: bool
    ends_with_newline: bool  # of the bytes checked: the usual reason for a mismatch


def strip_one_newline(body: bytes) -> tuple[bytes, bool]:
    """Remove exactly one trailing "\\n" or "\\r\\n" (what an editor or `echo` adds)."""
    if body.endswith(b"\r\n"):
        return body[:-2], True
    if body.endswith(b"\n"):
        return body[:-1], True
    return body, False


def header_value(signature: str) -> str:
    """Accept `sha256=...` or the whole header line `Elements-Webhook-Signature: sha256=...`."""
    value = signature.strip()
    name, sep, rest = value.partition(":")
    if sep and name.strip().lower() == HEADER.lower():
        return rest.strip()
    return value


def check(key: str | None, body: bytes, signature: str | None, *, strip_newline: bool = False) -> VerifyResult:
    """Compare in constant time. InvalidInput for a missing key or signature, or a malformed signature."""
    if not key:
        raise InvalidInput("no signature key: give --signature-key or set CE_SIGNATURE_KEY", code="missing-key")
    if signature is None or not signature.strip():
        raise InvalidInput("no signature: give --signature 'sha256=...'", code="missing-signature")
    try:
        given = parse(header_value(signature))
    except MalformedSignature as err:
        raise InvalidInput(f"malformed signature: {err}", code="malformed-signature") from None
    stripped = False
    if strip_newline:
        body, stripped = strip_one_newline(body)
    expected = sign(key, body)
    valid = hmac.compare_digest(parse(expected), given)
    return VerifyResult(
        valid=valid,
        body_bytes=len(body),
        expected=expected,
        stripped_newline=stripped,
        ends_with_newline=body.endswith(b"\n"),
    )
