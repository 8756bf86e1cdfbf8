"""Event callback signatures, as the platform computes them.

`Elements-Webhook-Signature: sha256=` + base64(HMAC-SHA256(key=signature key, message=raw body bytes)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "sha256="
HEADER = "Elements-Webhook-Signature"
ID_HEADER = "Elements-Webhook-Id"


class MalformedSignature(ValueError):
    """The header value is not `sha256=<base64 of 32 bytes>`."""


def digest(key: str | bytes, body: bytes) -> bytes:
    """HMAC-SHA256 of the raw body bytes under the key."""
    return hmac.digest(key.encode() if isinstance(key, str) else key, body, "sha256")


def sign(key: str | bytes, body: bytes) -> str:
    return PREFIX + base64.b64encode(digest(key, body)).decode("ascii")


def parse(signature: str) -> bytes:
    """The 32-byte digest inside a header value; MalformedSignature when it is not one."""
    value = signature.strip()
    if not value.startswith(PREFIX):
        raise MalformedSignature("the signature does not start with 'sha256='")
    try:
        digest = base64.b64decode(value[len(PREFIX) :], validate=True)
    except ValueError:
        raise MalformedSignature("the signature is not valid base64 after 'sha256='") from None
    if len(digest) != hashlib.sha256().digest_size:
        raise MalformedSignature(f"the signature decodes to {len(digest)} bytes, not 32")
    return digest


def verify(key: str | bytes, body: bytes, signature: str) -> bool:
    """True when `signature` is the platform's signature of `body` under `key` (constant-time compare).

    Raises MalformedSignature for a header value that could never match.
    """
    return hmac.compare_digest(digest(key, body), parse(signature))
