"""`cloudevents verify`: exit 0/1/3, stdin and files, JSON output, and the key never shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudevents_cli.events.signature import sign

KEY = "MySecretEventSignatureKey"
BODY = b"<INSERT_EVENT_NOTIFICATION_RESPONSE_BODY>"
GOOD = "sha256=jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ="
WRONG = sign("another key", BODY)


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_bytes(BODY)
    return path


def _no_key(result: Any) -> None:
    assert KEY not in result.stdout
    assert KEY not in result.stderr


def test_valid_file(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, str(body_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid")
    assert "41 bytes" in result.stdout
    _no_key(result)


def test_wrong_signature_exits_1(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", WRONG, str(body_file))
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("invalid")
    assert GOOD not in result.output  # the expected signature is not shown unless asked
    _no_key(result)


def test_wrong_key_exits_1(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature-key", KEY + "x", "--signature", GOOD, str(body_file))
    assert result.exit_code == 1
    _no_key(result)
    assert KEY + "x" not in result.output


def test_stdin(cli: Any) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, input=BODY)
    assert result.exit_code == 0, result.output
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, "-", input=BODY)
    assert result.exit_code == 0, result.output


def test_trailing_newline_changes_the_signature(cli: Any) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, "-", input=BODY + b"\n")
    assert result.exit_code == 1
    assert "--strip-newline" in result.stderr
    for ending in (b"\n", b"\r\n"):
        result = cli("verify", "--signature-key", KEY, "--signature", GOOD, "--strip-newline", "-", input=BODY + ending)
        assert result.exit_code == 0, result.output
    # only one newline is stripped
    twice = BODY + b"\n\n"
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, "--strip-newline", input=twice)
    assert result.exit_code == 1


def test_key_from_environment(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature", GOOD, str(body_file), env={"CE_SIGNATURE_KEY": KEY})
    assert result.exit_code == 0, result.output
    _no_key(result)


def test_whole_header_line_accepted(cli: Any, body_file: Path) -> None:
    header = f"Elements-Webhook-Signature: {GOOD}"
    result = cli("verify", "--signature-key", KEY, "--signature", header, str(body_file))
    assert result.exit_code == 0, result.output


def test_json_output(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, "-o", "json", str(body_file))
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc == {"schema_version": 1, "valid": True, "body_bytes": 41, "stripped_newline": False}
    _no_key(result)

    result = cli("-o", "json", "verify", "--signature-key", KEY, "--signature", WRONG, str(body_file))
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert "expected" not in doc


def test_show_expected(cli: Any, body_file: Path) -> None:
    args = ("verify", "--signature-key", KEY, "--signature", WRONG, "--show-expected", str(body_file))
    result = cli(*args, "-o", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["expected"] == GOOD
    result = cli(*args)
    assert f"expected: {GOOD}" in result.stdout
    _no_key(result)


def test_unknown_output_format_is_a_usage_error(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, "-o", "yaml", str(body_file))
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "signature",
    ["jHdbRx5EZAsOfTwAPJOGkNUzQMVVdu5VJlxcsk+G6jQ=", "sha256=###", "sha256=AAAA", "sha256=", " "],
)
def test_malformed_signature_exits_3(cli: Any, body_file: Path, signature: str) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", signature, str(body_file))
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert "signature" in result.stderr
    _no_key(result)


def test_missing_key_exits_3(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature", GOOD, str(body_file))
    assert result.exit_code == 3
    assert "CE_SIGNATURE_KEY" in result.stderr
    result = cli("verify", "--signature-key", "", "--signature", GOOD, str(body_file))
    assert result.exit_code == 3


def test_missing_signature_is_a_usage_error(cli: Any, body_file: Path) -> None:
    result = cli("verify", "--signature-key", KEY, str(body_file))
    assert result.exit_code == 2
    _no_key(result)


def test_unreadable_file_exits_3(cli: Any, tmp_path: Path) -> None:
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, str(tmp_path / "missing.json"))
    assert result.exit_code == 3
    assert "missing.json" in result.stderr
    result = cli("verify", "--signature-key", KEY, "--signature", GOOD, str(tmp_path))
    assert result.exit_code == 3
    _no_key(result)


def test_empty_body(cli: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    result = cli("verify", "--signature-key", KEY, "--signature", sign(KEY, b""), str(empty))
    assert result.exit_code == 0, result.output
