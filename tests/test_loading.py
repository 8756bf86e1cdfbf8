"""Loading: files, folders, stdin, multi-document files, limits; interpolation; bad input of every kind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudevents_cli import redact
from cloudevents_cli.definitions import loader
from cloudevents_cli.definitions.pipeline import build

OK = "name: {n}\nelement: box\n"


def codes(batch: object) -> list[str]:
    return sorted(p.code for p in batch.problems)


def test_folders_are_read_recursively_and_sorted(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text(OK.format(n="z"))
    (tmp_path / "a.yaml").write_text(OK.format(n="a"))
    (tmp_path / "notes.txt").write_text("not yaml")
    batch = build([str(tmp_path)])
    assert [i.name for i in batch.items] == ["a", "z"]
    assert batch.files == 2


def test_multi_document_files_skip_empty_documents(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("---\n" + OK.format(n="one") + "---\n---\n# just a comment\n---\n" + OK.format(n="two"))
    batch = build([str(f)])
    assert [(i.name, i.source.rsplit("#", 1)[1]) for i in batch.items] == [("one", "1"), ("two", "4")]


def test_stdin() -> None:
    batch = build(["-"], stdin=io.BytesIO(OK.format(n="piped").encode()))
    assert batch.items[0].name == "piped" and batch.items[0].source == "-#1"


def test_missing_file(tmp_path: Path) -> None:
    assert codes(build([str(tmp_path / "nope.yaml")])) == ["file-not-found"]


def test_too_large_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("name: x\nelement: y\n" + "# pad\n" * 200_000)

    def parse(*args: object) -> None:
        raise AssertionError("parsed a file over the limit")

    monkeypatch.setattr(loader, "parse_documents", parse)
    assert codes(build([str(f)])) == ["file-too-large"]


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert codes(build([str(f)])) == ["binary-file"]


def test_non_utf8_names_the_position(tmp_path: Path) -> None:
    f = tmp_path / "latin.yaml"
    f.write_bytes(b"name: caf" + b"\xe9\nelement: x\n")
    p = build([str(f)]).problems[0]
    assert (p.code, p.line, p.column) == ("not-utf8", 1, 10)


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.yaml"
    f.write_text("\n# nothing\n")
    assert codes(build([str(f)])) == ["empty-file"]


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    f = tmp_path / "bomb.yaml"
    f.write_text("\n".join(lines) + "\n")
    assert codes(build([str(f)])) == ["alias-bomb"]


def test_small_aliases_and_merge_keys_work(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(
        "name: a\nelement: box\nprovider_data: &pd {username: u, password: p}\n"
        "configuration:\n  <<: *pd\n  password: override\n"
    )
    batch = build([str(f)])
    item = next(i for i in batch.items if i.name == "a")
    assert item.body is not None
    assert item.body["configuration"] == {"username": "u", "password": "override"}


def test_env_interpolation_and_defaults(tmp_path: Path) -> None:
    f = tmp_path / "e.yaml"
    f.write_text(
        "name: ${env:NAME}\nelement: box\nconfiguration:\n  password: ${env:PW}\n"
        "  region: ${env:REGION:-eu}\n  literal: $${env:NOT_ME}\n"
    )
    batch = build([str(f)], environ={"NAME": "from-env", "PW": "s3cr3t-value"})
    body = batch.items[0].body
    assert body is not None
    assert body["name"] == "from-env"
    assert body["configuration"] == {"password": "s3cr3t-value", "region": "eu", "literal": "${env:NOT_ME}"}
    assert {"from-env", "s3cr3t-value"} <= batch.items[0].secrets
    assert "s3cr3t-value" in redact.registered()


def test_unset_variable_is_located_and_nothing_is_built(tmp_path: Path) -> None:
    f = tmp_path / "e.yaml"
    f.write_text("name: a\nelement: box\nconfiguration:\n  password: ${env:MISSING_PW}\n")
    batch = build([str(f)], environ={})
    p = batch.problems[0]
    assert (p.code, p.line, p.column) == ("unset-variable", 4, 13)
    assert "MISSING_PW" in p.message
    assert batch.items[0].body is None


def test_file_interpolation_is_relative_to_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "key").write_text("file-secret-123\n")
    f = tmp_path / "f.yaml"
    f.write_text("name: a\nelement: box\nconfiguration:\n  password: ${file:secrets/key}\n  other: ${file:nope}\n")
    batch = build([str(f)], environ={})
    assert codes(batch) == ["file-not-found"]
    f.write_text("name: a\nelement: box\nconfiguration:\n  password: ${file:secrets/key}\n")
    item = build([str(f)], environ={}).items[0]
    assert item.body is not None and item.body["configuration"]["password"] == "file-secret-123"
    assert "file-secret-123" in item.secrets


def test_platform_macros_are_left_alone(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    url = "/x?since=${epoch:ms}&d=${date}&z=${dateTimeZone:GMT:yyyy}"
    f.write_text(
        f"name: a\nelement: box\nevents:\n  type: polling\n  callback_url: https://a.example.com\n"
        f"  signature_key: 0123456789abcdef\n  resources:\n    r: {{url: '{url}', id_field: id}}\n"
    )
    item = build([str(f)]).items[0]
    assert item.body is not None, [p.one_line() for p in item.problems]
    assert item.body["configuration"]["event.poller.configuration"]["r"]["url"] == url


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text_never_crashes_the_loader(text: str) -> None:
    batch = build(["-"], stdin=io.BytesIO(text.encode("utf-8", "surrogatepass")), environ={})
    for p in batch.problems:
        assert p.code and p.message and p.severity in ("error", "warning")


GOOD = (
    "name: acme\nelement: hubspotcrm\ntags: [a]\nconfiguration: {username: bob}\nevents:\n  type: polling\n"
    "  callback_url: https://h.example.com/x\n  refresh_interval: 15\n  resources:\n    contacts:\n"
    "      url: /hubs/crm/contacts\n      id_field: id\n      dates: {updated_field: u, updated_format: yyyy}\n"
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_definitions_give_only_clean_problems(data: st.DataObject) -> None:
    text = GOOD
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text) - 1))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        char = data.draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@` \n\tab1${}")))
        if action == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif action == "insert":
            text = text[:pos] + char + text[pos:]
        else:
            text = text[:pos] + char + text[pos + 1 :]
    batch = build(["-"], stdin=io.BytesIO(text.encode()), environ={})
    for item in batch.items:
        assert (item.body is None) == any(p.severity == "error" for p in item.problems)
    for p in batch.problems:
        assert p.line is None or p.line >= 1
        assert p.column is None or p.column >= 1


def test_document_marks() -> None:
    docs, problems = loader.parse_documents("a:\n  b: [1, 2]\n", "x", Path("."))
    assert problems == []
    assert docs[0].marks[("a", "b", 1)] == (2, 10)
    assert docs[0].key_marks[("a", "b")] == (2, 3)


@pytest.mark.parametrize("text", ["a: !!python/object:os.system x\n", "a: !!binary aGVsbG8=\n"])
def test_unsafe_tags_are_not_executed(text: str) -> None:
    docs, _ = loader.parse_documents(text, "x", Path("."))
    assert all(isinstance(v, str) for d in docs for v in d.data.values())
