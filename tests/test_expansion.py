"""Golden expansion: the seed's two examples, key for key and in the seed's order; flags; stability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_cli.definitions.expand import expand
from cloudevents_cli.definitions.overrides import Overrides, split_path
from cloudevents_cli.definitions.pipeline import build
from cloudevents_cli.errors import UsageError
from tests.seed_examples import seed_examples

DATA = Path(__file__).parent / "data"


def test_seed_examples_are_found() -> None:
    examples = seed_examples()
    assert len(examples) == 2
    assert examples[0]["configuration"]["event.vendor.type"] == "polling"
    assert examples[1]["configuration"]["event.vendor.type"] == "webhooks"


def _order(obj: Any) -> Any:
    """Key order, recursively, so that == also compares the order of keys."""
    if isinstance(obj, dict):
        return [(k, _order(v)) for k, v in obj.items()]
    if isinstance(obj, list):
        return [_order(v) for v in obj]
    return obj


def test_polling_definition_expands_to_the_seed_body() -> None:
    expected = seed_examples()[0]
    # The seed writes the placeholder "<minutes>"; its table gives the type as number: the definition says 15.
    assert expected["configuration"]["event.poller.refresh_interval"] == "<minutes>"
    expected["configuration"]["event.poller.refresh_interval"] = 15
    batch = build([str(DATA / "seed-polling.yaml")])
    assert not batch.errors
    assert batch.items[0].body == expected
    assert _order(batch.items[0].body) == _order(expected)


def test_webhook_definition_expands_to_the_seed_body() -> None:
    expected = seed_examples()[1]
    batch = build([str(DATA / "seed-webhooks.yaml")])
    assert not batch.errors
    assert _order(batch.items[0].body) == _order(expected)


def test_absent_keys_are_absent() -> None:
    body = expand({"name": "n", "element": "box"})
    assert body == {"element": {"key": "box"}, "name": "n"}


@pytest.mark.parametrize("spelling", ["webhook", "webhooks", "polling"])
def test_the_event_type_is_sent_as_written(cli: Any, tmp_path: Path, spelling: str) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(f"name: n\nelement: box\nevents:\n  type: {spelling}\n  callback_url: https://a.example\n")
    res = cli("render", str(f))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["configuration"]["event.vendor.type"] == spelling


def test_only_a_callback_url_validates_and_renders_without_a_vendor_type(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text("name: n\nelement: zendesk\nevents: {callback_url: https://app.example/cb}\n", encoding="utf-8")
    assert cli("validate", str(f)).exit_code == 0
    res = cli("render", str(f))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["configuration"] == {
        "event.notification.enabled": True,
        "event.notification.callback.url": "https://app.example/cb",
    }


def test_external_authentication_is_a_top_level_key_after_provider_data(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        "name: n\nelement: sfdc\nexternal_authentication: initial\nprovider_data: {code: c}\n"
        "configuration: {oauth.user.refresh_token: r}\n",
        encoding="utf-8",
    )
    res = cli("render", "--show-secrets", str(f))
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert list(body) == ["element", "providerData", "externalAuthentication", "configuration", "name"]
    assert body["externalAuthentication"] == "initial"


def test_an_empty_resource_renders_as_empty(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        "name: n\nelement: revel\nevents:\n  type: polling\n  callback_url: https://a.example\n"
        "  signature_key: 0123456789abcdef\n  resources:\n    timesheets: {}\n",
        encoding="utf-8",
    )
    assert cli("validate", "--strict", str(f)).exit_code == 0
    res = cli("render", str(f))
    assert json.loads(res.stdout)["configuration"]["event.poller.configuration"] == {"timesheets": {}}


def test_undocumented_resource_keys_pass_through_unchanged(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        "name: n\nelement: hubspotcrm\nevents:\n  callback_url: https://a.example\n  resources:\n"
        "    contacts:\n      url: /hubs/crm/contacts\n      id_field: id\n      pageSise: 5\n"
        "      dates: {updated_field: u, timeWindow: {a: 1}}\n",
        encoding="utf-8",
    )
    res = cli("render", str(f))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["configuration"]["event.poller.configuration"] == {
        "contacts": {
            "url": "/hubs/crm/contacts",
            "idField": "id",
            "pageSise": 5,
            "datesConfiguration": {"updatedDateField": "u", "timeWindow": {"a": 1}},
        }
    }
    assert "undocumented-key" in res.stderr and "did you mean 'page_size'?" in res.stderr
    assert cli("validate", "--strict", str(f)).exit_code == 3


def test_disabled_events_carry_false_and_what_was_given() -> None:
    body = expand({"name": "n", "element": "box", "events": {"enabled": False, "type": "polling"}})
    assert body["configuration"] == {"event.notification.enabled": False, "event.vendor.type": "polling"}


def test_provider_data_follows_element_and_advanced_settings_use_platform_names() -> None:
    data = {
        "name": "n",
        "element": "sfdc",
        "provider_data": {"code": "abc"},
        "events": {
            "type": "polling",
            "callback_url": "https://a.b",
            "resources": {
                "contacts": {
                    "url": "/hubs/crm/contacts",
                    "id_field": "id",
                    "page_size": 200,
                    "poll_delay": 0,
                    "filter_by_updated_date": True,
                    "filter_by_current_date": False,
                    "dates": {"created_field": "created", "created_check_tolerance": 5},
                }
            },
        },
    }
    body = expand(data)
    assert list(body) == ["element", "providerData", "configuration", "name"]
    resource = body["configuration"]["event.poller.configuration"]["contacts"]
    assert resource == {
        "url": "/hubs/crm/contacts",
        "idField": "id",
        "pageSize": 200,
        "pollDelay": 0,
        "filterByUpdatedDate": True,
        "filterByCurrentDate": False,
        "datesConfiguration": {"createdDateField": "created", "createdCheckTolerance": 5},
    }


def test_dotted_event_keys_in_configuration_stay_where_written() -> None:
    body = expand(
        {
            "name": "n",
            "element": "sfdc",
            "configuration": {"event.objects": "Contact,Account", "username": "u"},
            "events": {"type": "webhooks", "callback_url": "https://a.b"},
        }
    )
    assert list(body["configuration"])[:2] == ["event.objects", "username"]


def test_set_paths_keep_dotted_configuration_keys_whole() -> None:
    assert split_path("configuration.event.objects") == ("configuration", "event.objects")
    assert split_path("events.resources.contacts.dates.updated_field") == (
        "events",
        "resources",
        "contacts",
        "dates",
        "updated_field",
    )


def test_flags_override_definitions_and_add_events(tmp_path: Path) -> None:
    f = tmp_path / "plain.yaml"
    f.write_text("name: plain\nelement: box\ntags: [a]\nconfiguration: {username: u}\n")
    flags = Overrides(
        event_type="polling",
        callback_url="https://hooks.example.com/x",
        signature_key="0123456789abcdef0123",
        refresh_interval="5",
        tags=["a", "b"],
        sets=[
            "events.resources.files.url=/files",
            "events.resources.files.id_field=id",
            "configuration.event.objects=File",
        ],
    )
    batch = build([str(f)], flags)
    assert not batch.errors, [p.one_line() for p in batch.errors]
    body = batch.items[0].body
    assert body is not None
    cfg = body["configuration"]
    assert cfg["event.notification.enabled"] is True
    assert cfg["event.vendor.type"] == "polling"
    assert cfg["event.poller.refresh_interval"] == 5
    assert cfg["event.objects"] == "File"
    assert cfg["event.poller.configuration"] == {"files": {"url": "/files", "idField": "id"}}
    assert body["tags"] == ["a", "b"]
    assert "0123456789abcdef0123" in batch.items[0].secrets


def test_no_events_flag_disables_events(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(
        "name: x\nelement: box\n"
        "events: {type: webhooks, callback_url: 'https://a.b', signature_key: 0123456789abcdef}\n"
    )
    body = build([str(f)], Overrides(no_events=True)).items[0].body
    assert body is not None
    assert body["configuration"]["event.notification.enabled"] is False


def test_a_bad_flag_value_is_a_usage_error_naming_the_flag(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("name: x\nelement: box\n")
    with pytest.raises(UsageError, match=r"^--callback-url: the callback URL must be an absolute http\(s\) URL"):
        build([str(f)], Overrides(event_type="webhooks", callback_url="ftp://nope"))
    with pytest.raises(UsageError, match=r"^--refresh-interval: expected a whole number, got a text"):
        build([str(f)], Overrides(event_type="polling", callback_url="https://a.example.com", refresh_interval="abc"))


BAD_FLAGS = [
    (["--refresh-interval", "\u00b2"], "--refresh-interval takes a whole number of minutes in ASCII digits"),
    (["--refresh-interval", "1" + "0" * 5000], "--refresh-interval: the whole number is too large"),
    (["--refresh-interval", "0"], "--refresh-interval: must be a whole number >= 1"),
    (["--set", "events.refresh_interval=2001-01-01"], "--set events.refresh_interval: expected a whole number"),
    (["--set", "events.refresh_interval=0"], "--set events.refresh_interval: must be a whole number >= 1"),
    (["--set", "events.bogus=1"], "--set events.bogus: unknown key 'bogus' in events"),
    (["--set", "configuration.x=.nan"], "--set configuration.x: NaN (not a number) cannot be sent"),
    (["--set", "configuration.x=" + "[" * 100 + "]" * 100], "--set configuration.x: nested deeper than 64"),
    (["--set", "nonsense"], "--set: 'nonsense...' is not PATH=VALUE"),
    (["--set", "name.x=1"], "--set: cannot set name.x: a part of the path is not a mapping"),
]


@pytest.mark.parametrize("flags,message", BAD_FLAGS, ids=[" ".join(f)[:40] for f, _ in BAD_FLAGS])
@pytest.mark.parametrize("with_file", [True, False], ids=["file", "no-file"])
def test_bad_flag_values_are_usage_errors(
    cli: Any, tmp_path: Path, flags: list[str], message: str, with_file: bool
) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("name: x\nelement: box\nevents: {type: polling, callback_url: 'https://a.example.com'}\n")
    where = [str(f)] if with_file else ["--element", "box", "--name", "x", "--polling", "--callback-url", "https://a.b"]
    res = cli("render", *where, *flags)
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and "Traceback" not in res.output and res.exception is None
    assert message in res.stderr
    assert str(f) not in res.stderr  # the flag is named, not the file


@pytest.mark.parametrize("value", ["2001-01-01", "2001-01-01 10:00:00", "2001-12-14t21:59:43.10-05:00"])
def test_dates_stay_the_text_written(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("T_DATE", value)
    f = tmp_path / "x.yaml"
    f.write_text(f"name: x\nelement: box\nconfiguration:\n  in_file: {value}\n  from_env: ${{env:T_DATE}}\n")
    res = cli("render", str(f), "--set", f"configuration.from_set={value}", "--show-secrets")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["configuration"] == {"in_file": value, "from_env": value, "from_set": value}
    res = cli("render", str(f), "--set", f"configuration.from_set={value}", "-o", "yaml", "--show-secrets")
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(res.stdout)["configuration"]["from_set"] == value  # quoted: read back as the text


def test_definition_from_flags_alone() -> None:
    flags = Overrides(
        element="zendesk",
        name="z1",
        event_type="webhooks",
        callback_url="https://a.example.com/cb",
        signature_key="0123456789abcdef",
    )
    batch = build([], flags)
    assert not batch.errors
    assert batch.items[0].source == "<flags>#1"
    assert batch.items[0].body == {
        "element": {"key": "zendesk"},
        "configuration": {
            "event.notification.enabled": True,
            "event.vendor.type": "webhooks",
            "event.notification.callback.url": "https://a.example.com/cb",
            "event.notification.signature.key": "0123456789abcdef",
        },
        "name": "z1",
    }


names = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="${}"), min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    name=names,
    element=names,
    tags=st.lists(names, max_size=4),
    interval=st.integers(min_value=1, max_value=1440),
    kind=st.sampled_from(["polling", "webhooks", "webhook"]),
)
def test_expansion_is_stable_and_json_round_trips(
    name: str, element: str, tags: list[str], interval: int, kind: str
) -> None:
    events: dict[str, Any] = {"type": kind, "callback_url": "https://hooks.example.com/x"}
    if kind == "polling":
        events["refresh_interval"] = interval
    data = {"name": name, "element": element, "tags": tags, "events": events}
    first = expand(data)
    assert expand(json.loads(json.dumps(data))) == first
    assert json.loads(json.dumps(first)) == first
    assert first["name"] == name and first["element"] == {"key": element}


@pytest.mark.parametrize("value", ["true", "yes"])
def test_set_values_are_read_as_yaml(tmp_path: Path, value: str) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("name: x\nelement: box\n")
    batch = build([str(f)], Overrides(sets=[f"events.enabled={value}", "events.type=polling"]))
    enabled = [p for p in batch.problems if p.path == "events.enabled"]
    assert not enabled  # both are YAML booleans
