"""The raw form (`configuration: event.poller.configuration:`, a mapping or a JSON text) is checked like the
`events` section, and every published request body in tests/data/realworld/, written as a definition in the raw
form, validates and renders back to the same body."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudevents_cli.definitions.pipeline import build
from cloudevents_cli.definitions.problems import Problem

REALWORLD = Path(__file__).parent / "data" / "realworld"
PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}|%\{[^{}]*\}|<[^<>]*>")


def check(tmp_path: Path, text: str) -> list[Problem]:
    f = tmp_path / "d.yaml"
    f.write_text(textwrap.dedent(text), encoding="utf-8")
    return build([str(f)], environ={}).problems


def codes(problems: list[Problem]) -> list[tuple[str, str, str]]:
    return [(p.severity, p.code, p.path) for p in problems]


RAW = """\
name: a
element: hubspotcrm
configuration:
  event.poller.configuration:
    contacts:
      url: "/hubs/crm/contacts?where=x>'${gmtdate:yyyy-MM-dd}'"
      idField: id
      pageSize: "100"
      datesConfiguration:
        updatedDateField: updated
        updatedDateFormat: "yyyy-MM-ddTHH:mm:ss"
        updatedDateTimezone: Mars/Olympus
        createdDateFormat: milliseconds
        createdCheckTolerance: 10
        timeWindow: 5
      pollDelai: 3
    deals: {}
"""


def test_the_raw_mapping_gets_every_check_at_its_line(tmp_path: Path) -> None:
    found = {(p.severity, p.code, p.path): (p.line, p.column) for p in check(tmp_path, RAW)}
    base = "configuration.event.poller.configuration.contacts"
    assert found == {
        ("error", "unknown-macro", f"{base}.url"): (6, 12),
        ("warning", "unexpected-type", f"{base}.pageSize"): (8, 17),
        ("error", "bad-date-format", f"{base}.datesConfiguration.updatedDateFormat"): (11, 28),
        ("error", "unknown-timezone", f"{base}.datesConfiguration.updatedDateTimezone"): (12, 30),
        ("error", "format-without-field", f"{base}.datesConfiguration.createdDateFormat"): (13, 28),
        ("warning", "undocumented-key", f"{base}.datesConfiguration.timeWindow"): (15, 9),
        ("warning", "undocumented-key", f"{base}.pollDelai"): (16, 7),
    }


def test_undocumented_raw_keys_suggest_the_platform_names(tmp_path: Path) -> None:
    hints = {p.path.rsplit(".", 1)[-1]: p.hint for p in check(tmp_path, RAW) if p.code == "undocumented-key"}
    assert hints == {"pollDelai": "did you mean 'pollDelay'?", "timeWindow": "see 'cloudevents explain'"}


def test_created_check_tolerance_belongs_in_dates_configuration(tmp_path: Path) -> None:
    text = RAW.replace("      pollDelai: 3\n", "      createdCheckTolerance: 3\n")
    (p,) = [p for p in check(tmp_path, text) if p.path.endswith(".contacts.createdCheckTolerance")]
    assert (p.severity, p.code, p.hint) == (
        "warning",
        "undocumented-key",
        "did you mean 'datesConfiguration.createdCheckTolerance'?",
    )


def test_a_definition_name_in_the_raw_form_is_an_error(tmp_path: Path) -> None:
    text = "name: a\nelement: b\nconfiguration:\n  event.poller.configuration: {c: {url: /c, id_field: id}}\n"
    assert set(codes(check(tmp_path, text))) == {
        ("error", "unknown-key", "configuration.event.poller.configuration.c.id_field"),
        ("error", "missing-key", "configuration.event.poller.configuration.c"),
    }


def test_the_json_text_form_is_checked_at_the_text_with_the_path_in_the_message(tmp_path: Path) -> None:
    poller = {"contacts": {"url": "hubs/contacts", "datesConfiguration": {"updatedDateTimezone": "PST"}}}
    text = f"name: a\nelement: b\nconfiguration:\n  x: 1\n  event.poller.configuration: '{json.dumps(poller)}'\n"
    problems = check(tmp_path, text)
    assert {(p.code, p.line, p.column) for p in problems} == {
        ("bad-poller-url", 5, 31),
        ("missing-key", 5, 31),
        ("format-without-field", 5, 31),
    }
    (bad_url,) = [p for p in problems if p.code == "bad-poller-url"]
    assert bad_url.message.startswith("in the JSON text, at contacts.url: ")


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("event.notification.callback.url", "not a url", "bad-callback-url"),
        ("event.vendor.type", "webhookz", "bad-event-type"),
    ],
)
def test_raw_event_keys_get_the_events_checks(tmp_path: Path, key: str, value: str, code: str) -> None:
    text = f"name: a\nelement: b\nconfiguration:\n  {key}: '{value}'\n"
    assert codes(check(tmp_path, text)) == [("error", code, f"configuration.{key}")]


@pytest.mark.parametrize("value", ["'0'", "' 15'", "'1e2'", "1.5"])
def test_a_raw_value_of_another_type_is_sent_as_written_with_a_warning(cli: Any, tmp_path: Path, value: str) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        f"name: a\nelement: b\nconfiguration:\n  event.poller.refresh_interval: {value}\n"
        "  event.poller.configuration: {c: {url: /c, idField: id, pageSize: '0100', filterByUpdatedDate: 'true'}}\n",
        encoding="utf-8",
    )
    problems = build([str(f)], environ={}).problems
    assert {(p.severity, p.code) for p in problems} == {("warning", "unexpected-type")}
    assert len(problems) == 3
    res = cli("render", str(f))
    assert res.exit_code == 0, res.output
    configuration = json.loads(res.stdout)["configuration"]
    assert configuration["event.poller.configuration"]["c"]["pageSize"] == "0100"
    assert configuration["event.poller.refresh_interval"] == yaml.safe_load(value)


def test_a_known_macro_written_as_the_revel_guide_writes_it_is_a_warning(tmp_path: Path) -> None:
    url = "/hubs/employee/employees?where=d>'${DateTimeZone:PST:yyyy-MM-dd'T'HH:mm:ss.SSS}'"
    poller = f'{{e: {{url: "{url}", idField: id}}}}'
    text = f"name: a\nelement: revel\nconfiguration:\n  event.poller.configuration: {poller}\n"
    (p,) = check(tmp_path, text)
    assert (p.severity, p.code) == ("warning", "macro-case")
    assert "'dateTimeZone'" in p.message
    wrong = text.replace("PST:yyyy", "Moon/Base:yyyy")
    assert [q.code for q in check(tmp_path, wrong)] == ["macro-case", "unknown-timezone"]


def _fill(value: Any, key: str = "") -> Any:
    """The published body with its placeholders (`<...>`, `{{...}}`, `%{...}`) filled with values that fit."""
    if isinstance(value, dict):
        return {k: _fill(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, key) for v in value]
    if not isinstance(value, str) or not PLACEHOLDER.search(value):
        return value
    if key == "event.poller.refresh_interval":
        return "15"
    filler = "https://app.example.com" if key == "event.notification.callback.url" else "filled"
    while PLACEHOLDER.search(value):
        value = PLACEHOLDER.sub(filler, value)
    return value


def _request_bodies() -> list[Path]:
    return sorted(
        f
        for f in REALWORLD.glob("*.json")
        if "id" not in (data := json.loads(f.read_text(encoding="utf-8"))) and "element" in data
    )


def test_the_realworld_request_bodies_are_found() -> None:
    names = {f.name for f in _request_bodies()}
    assert len(names) >= 9
    assert {"devportal--revel-polling.json", "freshconsult--sfdc-salesforce_sync.json"} <= names
    assert not any("response" in n or "schema" in n for n in names)


@pytest.mark.parametrize("path", _request_bodies(), ids=lambda p: p.stem)
def test_a_realworld_body_in_the_raw_form_validates_and_renders_back(cli: Any, tmp_path: Path, path: Path) -> None:
    body = _fill(json.loads(path.read_text(encoding="utf-8")))
    definition = {"name": body["name"], "element": body["element"]["key"]}
    for ours, theirs in (
        ("tags", "tags"),
        ("provider_data", "providerData"),
        ("external_authentication", "externalAuthentication"),
        ("configuration", "configuration"),
    ):
        if theirs in body:
            definition[ours] = body[theirs]
    f = tmp_path / "d.yaml"
    f.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    res = cli("validate", "-o", "json", str(f))
    assert res.exit_code == 0, res.output
    res = cli("render", "--show-secrets", str(f))
    assert res.exit_code == 0, res.output
    rendered = json.loads(res.stdout)
    assert rendered == body
    assert list(rendered["configuration"]) == list(body["configuration"])
