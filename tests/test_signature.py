"""Signatures as the platform computes them: the published vector, tampering, malformed headers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cloudevents_cli.events.signature import HEADER, ID_HEADER, MalformedSignature, parse, sign, verify

KEY = "MySecretEventSignatureKey"
BODY = b"<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>"
EXPECTED = "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ="


def test_published_vector() -> None:
    assert sign(KEY, BODY) == EXPECTED
    assert sign(KEY.encode(), BODY) == EXPECTED
    assert verify(KEY, BODY, EXPECTED)


def test_header_names() -> None:
    assert HEADER == "Elements-Webhook-Signature"
    assert ID_HEADER == "Elements-Webhook-Id"


def test_surrounding_whitespace_is_tolerated() -> None:
    assert verify(KEY, BODY, f"  {EXPECTED}\n")


def test_tampered_body_fails() -> None:
    assert not verify(KEY, BODY + b" ", EXPECTED)
    assert not verify(KEY, BODY.replace(b"EVENT", b"EVENTS"), EXPECTED)
    assert not verify(KEY, BODY + b"\n", EXPECTED)


def test_wrong_key_fails() -> None:
    assert not verify("MySecretEventSignatureKeY", BODY, EXPECTED)
    assert not verify("", BODY, EXPECTED)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ=",  # no prefix
        "sha1=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ=",  # other algorithm
        "SHA256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ=",  # case matters
        "sha256=",  # empty digest
        "sha256=not base64!!",
        "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ",  # missing padding
        "sha256=" + base64.b64encode(b"x" * 31).decode(),  # wrong length
        "sha256=" + base64.b64encode(b"x" * 33).decode(),
        "sha256=" + base64.b64encode(b"x" * 64).decode(),
        "sha256=" + base64.urlsafe_b64encode(bytes([0xFB] * 32)).decode(),  # url-safe alphabet
    ],
)
def test_malformed_headers_raise(header: str) -> None:
    with pytest.raises(MalformedSignature):
        parse(header)
    with pytest.raises(MalformedSignature):
        verify(KEY, BODY, header)


def test_malformed_message_never_echoes_the_value() -> None:
    with pytest.raises(MalformedSignature) as info:
        parse("sha256=" + "A" * 10 + KEY)
    assert KEY not in str(info.value)


def test_parse_returns_the_digest() -> None:
    assert parse(EXPECTED) == base64.b64decode(EXPECTED[len("sha256=") :])
    assert len(parse(EXPECTED)) == 32


@given(key=st.binary(min_size=1, max_size=64), body=st.binary(max_size=2048))
def test_round_trip(key: bytes, body: bytes) -> None:
    signature = sign(key, body)
    assert signature.startswith("sha256=")
    assert len(parse(signature)) == 32
    assert verify(key, body, signature)


@given(
    key=st.text(min_size=1, max_size=40),
    body=st.binary(min_size=1, max_size=1024),
    data=st.data(),
)
def test_a_flipped_byte_never_verifies(key: str, body: bytes, data: st.DataObject) -> None:
    signature = sign(key, body)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    tampered = bytearray(body)
    tampered[index] ^= 1 << bit
    assert not verify(key, bytes(tampered), signature)


@given(key=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40), body=st.binary(max_size=512))
def test_another_key_never_verifies(key: str, other: str, body: bytes) -> None:
    # HMAC pads short keys with zero bytes: "k" and "k\0" are the same key.
    assume(key.encode().rstrip(b"\0") != other.encode().rstrip(b"\0"))
    assert not verify(other, body, sign(key, body))
