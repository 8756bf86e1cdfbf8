"""One test per validation rule, each with the line and column editors show."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cloudevents_cli.definitions.pipeline import build
from cloudevents_cli.definitions.problems import Problem

GOOD = """\
name: acme
element: hubspotcrm
tags: [acme, crm]
configuration:
  username: bob
events:
  type: polling
  callback_url: https://hooks.example.com/ce
  signature_key: 0123456789abcdef0123
  refresh_interval: 15
  resources:
    contacts:
      url: "/hubs/crm/contacts?where=lastUpdated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'"
      id_field: id
      dates:
        updated_field: updated
        updated_format: "yyyy-MM-dd'T'HH:mm:ss'Z'"
        updated_timezone: GMT
"""


def check(tmp_path: Path, text: str, env: dict[str, str] | None = None, name: str = "d.yaml") -> list[Problem]:
    f = tmp_path / name
    f.write_text(textwrap.dedent(text), encoding="utf-8")
    return build([str(f)], environ=env or {}).problems


def one(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [p.one_line() for p in problems]
    return found[0]


def test_the_good_definition_has_no_problem(tmp_path: Path) -> None:
    assert check(tmp_path, GOOD) == []


def test_yaml_syntax_error_has_parser_position(tmp_path: Path) -> None:
    p = one(check(tmp_path, "name: a\nelement: [b\n"), "yaml-syntax")
    assert (p.line, p.column) == (3, 1)


def test_not_a_mapping(tmp_path: Path) -> None:
    p = one(check(tmp_path, "- name: a\n"), "not-a-mapping")
    assert (p.line, p.column) == (1, 1)


def test_duplicate_key(tmp_path: Path) -> None:
    p = one(check(tmp_path, "name: a\nelement: b\nname: c\n"), "duplicate-key")
    assert (p.line, p.column, p.path) == (3, 1, "name")
    assert "line 1" in p.message


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    text = GOOD.replace("  callback_url:", "  callbak_url:")
    problems = check(tmp_path, text)
    p = one(problems, "unknown-key")
    assert (p.line, p.column, p.path) == (8, 3, "events.callbak_url")
    assert p.hint == "did you mean 'callback_url'?"


def test_platform_spelling_suggests_ours(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("id_field: id", "idField: id")), "unknown-key")
    assert p.hint == "did you mean 'id_field'?"
    assert (p.line, p.column) == (14, 7)


def test_missing_required_keys(tmp_path: Path) -> None:
    problems = check(tmp_path, "tags: [a]\n")
    missing = sorted(p.message for p in problems if p.code == "missing-key")
    assert missing == ["'element' is required", "'name' is required"]
    assert all((p.line, p.column) == (1, 1) for p in problems if p.code == "missing-key")


def test_missing_resource_fields(tmp_path: Path) -> None:
    text = GOOD.replace("      id_field: id\n", "")
    p = one(check(tmp_path, text), "missing-key")
    assert p.path == "events.resources.contacts" and "id_field" in p.message
    assert (p.line, p.column) == (13, 7)


def test_wrong_type(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("tags: [acme, crm]", "tags: acme")), "wrong-type")
    assert (p.line, p.column, p.path) == (3, 7, "tags")
    assert "expected a list" in p.message


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "Off", "YES"])
def test_yaml11_boolean_gets_a_quote_hint(tmp_path: Path, word: str) -> None:
    p = one(check(tmp_path, GOOD.replace("name: acme", f"name: {word}")), "wrong-type")
    assert (p.line, p.column, p.path) == (1, 7, "name")
    assert p.message == f"expected a text, got the boolean {str(word.lower() in ('yes', 'on')).lower()}"
    assert p.hint == f'YAML reads an unquoted {word} as a boolean; write "{word}" to mean the text'


def test_yaml11_hint_reaches_the_user(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(GOOD.replace("tags: [acme, crm]", "tags: [acme, off]"))
    res = cli("validate", str(f))
    assert res.exit_code == 3
    assert (
        f"{f}:3:14: error [wrong-type] tags.1: expected a text, got the boolean false "
        '(YAML reads an unquoted off as a boolean; write "off" to mean the text)'
    ) in res.stderr


def test_number_where_text_expected_gets_a_quote_hint(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("name: acme", "name: 2024")), "wrong-type")
    assert p.hint == 'write "2024" in quotes to make it a text'


def test_bad_event_type(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("type: polling", "type: pooling")), "bad-event-type")
    assert (p.line, p.column) == (7, 9)


@pytest.mark.parametrize("url", ["hooks.example.com/x", "ftp://hooks.example.com", "https://", "/relative"])
def test_bad_callback_url(tmp_path: Path, url: str) -> None:
    p = one(check(tmp_path, GOOD.replace("https://hooks.example.com/ce", url)), "bad-callback-url")
    assert (p.line, p.column) == (8, 17)


def test_enabled_events_without_callback_url_are_a_warning(tmp_path: Path) -> None:
    text = GOOD.replace("  callback_url: https://hooks.example.com/ce\n", "")
    p = one(check(tmp_path, text), "no-callback-url")
    assert (p.severity, p.path, p.line, p.column) == ("warning", "events", 7, 3)
    disabled = text.replace("  type: polling\n", "  type: polling\n  enabled: false\n")
    assert check(tmp_path, disabled) == []


def test_enabled_events_without_callback_url_fail_only_with_strict(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(GOOD.replace("  callback_url: https://hooks.example.com/ce\n", ""), encoding="utf-8")
    assert cli("validate", str(f)).exit_code == 0
    res = cli("validate", "--strict", str(f))
    assert res.exit_code == 3 and "no-callback-url" in res.output


def test_the_raw_enabled_key_without_callback_url_is_a_warning(tmp_path: Path) -> None:
    text = "name: a\nelement: dynamicscrm\nconfiguration:\n  event.notification.enabled: 'true'\n"
    p = one(check(tmp_path, text), "no-callback-url")
    assert (p.severity, p.path, p.line) == ("warning", "configuration.event.notification.enabled", 4)


def test_type_is_optional(tmp_path: Path) -> None:
    assert check(tmp_path, GOOD.replace("  type: polling\n", "")) == []


@pytest.mark.parametrize("value", ["0", "-5", "1.5", '"15"', "fifteen"])
def test_bad_refresh_interval(tmp_path: Path, value: str) -> None:
    p = one(check(tmp_path, GOOD.replace("refresh_interval: 15", f"refresh_interval: {value}")), "bad-refresh-interval")
    assert (p.line, p.column) == (10, 21)


@pytest.mark.parametrize(
    "minutes,expected",
    [
        (0, [("error", "bad-refresh-interval", "must be a whole number >= 1")]),
        (1, []),
        (2, []),
        (1439, []),
        (1440, []),
        (1441, [("warning", "long-refresh-interval", "1441 minutes is more than a day between polls")]),
    ],
)
def test_refresh_interval_bounds(tmp_path: Path, minutes: int, expected: list[tuple[str, str, str]]) -> None:
    """At least one whole minute; more than a day (1440) only warns. Kills mutants of >= 1, > 1440."""
    problems = check(tmp_path, GOOD.replace("refresh_interval: 15", f"refresh_interval: {minutes}"))
    assert [(p.severity, p.code, p.message) for p in problems] == expected
    assert all((p.line, p.column, p.path) == (10, 21, "events.refresh_interval") for p in problems)


@pytest.mark.parametrize("minutes,code", [("0", 2), ("1", 0), ("1440", 0), ("1441", 0)])
def test_refresh_interval_flag_bounds(cli: Any, tmp_path: Path, minutes: str, code: int) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(GOOD)
    res = cli("render", str(f), "--refresh-interval", minutes)
    assert res.exit_code == code, res.output
    if code == 0:
        assert json.loads(res.stdout)["configuration"]["event.poller.refresh_interval"] == int(minutes)
    assert ("more than a day" in res.stderr) == (minutes == "1441")


def test_refresh_interval_and_resources_are_polling_only(tmp_path: Path) -> None:
    problems = check(tmp_path, GOOD.replace("type: polling", "type: webhooks"))
    paths = sorted(p.path for p in problems if p.code == "polling-only")
    assert paths == ["events.refresh_interval", "events.resources"]


def test_bad_poller_url(tmp_path: Path) -> None:
    text = GOOD.replace('url: "/hubs/crm', 'url: "hubs/crm')
    p = one(check(tmp_path, text), "bad-poller-url")
    assert (p.line, p.column) == (13, 12)


def test_unknown_macro_in_poller_url(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("${gmtDate:", "${gmtdate:")), "unknown-macro")
    assert p.path == "events.resources.contacts.url"
    assert "gmtDate" in p.message


def test_unbalanced_macro(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("ss'Z'}'\"", "ss'Z''\"")), "unbalanced-macro")
    assert (p.line, p.column) == (13, 12)


def test_bad_pattern_inside_a_date_macro(tmp_path: Path) -> None:
    problems = check(tmp_path, GOOD.replace("${gmtDate:yyyy-MM-dd'T'", "${gmtDate:yyyy-MM-ddT"))
    assert one(problems, "bad-date-format").path == "events.resources.contacts.url"


@pytest.mark.parametrize("fmt", ["yyyy-MM-ddTHH:mm", "yyyy-MM-dd'T", "bbbb"])
def test_bad_date_format(tmp_path: Path, fmt: str) -> None:
    text = GOOD.replace("updated_format: \"yyyy-MM-dd'T'HH:mm:ss'Z'\"", f'updated_format: "{fmt}"')
    p = one(check(tmp_path, text), "bad-date-format")
    assert (p.line, p.column, p.path) == (17, 25, "events.resources.contacts.dates.updated_format")


def test_milliseconds_is_a_date_format(tmp_path: Path) -> None:
    text = GOOD.replace("updated_format: \"yyyy-MM-dd'T'HH:mm:ss'Z'\"", "updated_format: milliseconds")
    assert check(tmp_path, text) == []


@pytest.mark.parametrize("zone", ["America/Denver", "PST", "GMT-08:00", "-8:00", "UTC"])
def test_good_time_zones(tmp_path: Path, zone: str) -> None:
    assert check(tmp_path, GOOD.replace("updated_timezone: GMT", f'updated_timezone: "{zone}"')) == []


def test_unknown_time_zone(tmp_path: Path) -> None:
    p = one(
        check(tmp_path, GOOD.replace("updated_timezone: GMT", "updated_timezone: America/Denvr")), "unknown-timezone"
    )
    assert (p.line, p.column) == (18, 27)
    assert "America/Denver" in p.message


def test_format_without_field(tmp_path: Path) -> None:
    problems = check(tmp_path, GOOD.replace("        updated_field: updated\n", ""))
    found = sorted((p.path.rsplit(".", 1)[-1], p.line) for p in problems if p.code == "format-without-field")
    assert found == [("updated_format", 16), ("updated_timezone", 17)]


@pytest.mark.parametrize("value,kind", [("null", "null"), ("[a, b]", "a list"), ("{a: 1}", "a mapping")])
def test_configuration_values_must_be_scalars(tmp_path: Path, value: str, kind: str) -> None:
    p = one(check(tmp_path, GOOD.replace("username: bob", f"username: {value}")), "bad-config-value")
    assert (p.line, p.column, p.path) == (5, 13, "configuration.username")
    assert kind in p.message


def test_poller_configuration_may_be_a_mapping(tmp_path: Path) -> None:
    text = "name: a\nelement: b\nconfiguration:\n  event.poller.configuration: {contacts: {url: /c, idField: id}}\n"
    assert [p for p in check(tmp_path, text) if p.severity == "error"] == []


def test_conflicting_dotted_key(tmp_path: Path) -> None:
    text = GOOD.replace("  username: bob\n", "  username: bob\n  event.vendor.type: webhooks\n")
    p = one(check(tmp_path, text), "conflicting-key")
    assert (p.line, p.column) == (6, 3)


def test_same_value_twice_is_not_a_conflict(tmp_path: Path) -> None:
    text = GOOD.replace("  username: bob\n", "  username: bob\n  event.poller.refresh_interval: '15'\n")
    assert check(tmp_path, text) == []


def test_unknown_event_key_is_a_warning(tmp_path: Path) -> None:
    text = GOOD.replace("  username: bob\n", "  username: bob\n  event.object: Contact\n")
    p = one(check(tmp_path, text), "unknown-event-key")
    assert p.severity == "warning" and p.hint == "did you mean 'event.objects'?"


def test_warnings(tmp_path: Path) -> None:
    text = (
        GOOD.replace("https://hooks.example.com/ce", "http://hooks.example.com/ce")
        .replace("0123456789abcdef0123", "short")
        .replace("refresh_interval: 15", "refresh_interval: 2000")
        .replace("tags: [acme, crm]", "tags: [acme, acme]")
    )
    problems = check(tmp_path, text)
    assert all(p.severity == "warning" for p in problems)
    assert {p.code for p in problems} == {
        "insecure-callback",
        "weak-signature-key",
        "long-refresh-interval",
        "duplicate-tag",
    }
    assert one(problems, "duplicate-tag").column == 14


def test_missing_signature_key_warns(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("  signature_key: 0123456789abcdef0123\n", "")), "weak-signature-key")
    assert p.severity == "warning"


def test_plain_http_to_localhost_is_fine(tmp_path: Path) -> None:
    assert check(tmp_path, GOOD.replace("https://hooks.example.com/ce", "http://127.0.0.1:8080/cb")) == []


def test_all_problems_of_all_files_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nelement: b\nbogus: 1\n---\nname: no\nelement: c\n")
    (tmp_path / "b.yaml").write_text("element: [\n")
    batch = build([str(tmp_path)])
    codes = sorted((p.source.rsplit("/", 1)[-1], p.code) for p in batch.errors)
    assert codes == [("a.yaml", "unknown-key"), ("a.yaml", "wrong-type"), ("b.yaml", "yaml-syntax")]
    assert batch.files == 2 and len(batch.items) == 2


def test_duplicate_definitions_for_apply(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nelement: b\n---\nname: a\nelement: b\n---\nname: a\nelement: c\n")
    strict = build([str(tmp_path)], unique=True)
    p = one(strict.problems, "duplicate-definition")
    assert (p.severity, p.line, p.column) == ("error", 4, 7)
    assert [i.valid for i in strict.items] == [True, False, True]
    assert build([str(tmp_path)]).errors == []


def test_bad_callback_port_is_named(tmp_path: Path) -> None:
    p = one(check(tmp_path, GOOD.replace("hooks.example.com/ce", "hooks.example.com:99999/ce")), "bad-callback-url")
    assert "'99999'" in p.message and "65535" in p.message


def test_upper_case_milliseconds_gets_a_hint(tmp_path: Path) -> None:
    text = GOOD.replace("updated_format: \"yyyy-MM-dd'T'HH:mm:ss'Z'\"", "updated_format: MILLISECONDS")
    p = one(check(tmp_path, text), "bad-date-format")
    assert "'milliseconds' in lower case" in p.message


def test_interpolated_number_gets_a_hint_about_env_values(tmp_path: Path) -> None:
    p = one(
        check(tmp_path, GOOD.replace("refresh_interval: 15", "refresh_interval: ${env:RI:-15}")), "bad-refresh-interval"
    )
    assert p.hint is not None and "always a text" in p.hint


def test_raw_vendor_types_the_platform_stores_are_warnings_and_typos_errors(cli: Any, tmp_path: Path) -> None:
    """A case variant or an empty vendor type can be live (an export must validate); a typo is still an error."""
    for value, code, exit_code in (
        ("Polling", "unexpected-event-type", 0),
        ("", "unexpected-event-type", 0),
        ("pollling", "bad-event-type", 3),
    ):
        path = tmp_path / "raw.yaml"
        path.write_text(
            "name: n\nelement: quickbooks\nconfiguration:\n"
            f"  event.notification.enabled: false\n  event.vendor.type: '{value}'\n",
            encoding="utf-8",
        )
        res = cli("validate", "-o", "json", str(path))
        assert res.exit_code == exit_code, res.output
        (problem,) = [p for p in json.loads(res.stdout)["problems"] if p["path"] == "configuration.event.vendor.type"]
        assert (problem["code"], problem["line"]) == (code, 5)


def test_an_empty_callback_url_is_a_warning_not_an_error(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("name: n\nelement: quickbooks\nevents:\n  enabled: false\n  callback_url: ''\n", encoding="utf-8")
    res = cli("validate", "-o", "json", str(path))
    assert res.exit_code == 0, res.output
    codes = {(p["code"], p["severity"]) for p in json.loads(res.stdout)["problems"]}
    assert ("no-callback-url", "warning") in codes and not any(s == "error" for _, s in codes)
