"""`cloudevents explain`: the event keys reference, from the platform's parameter tables and element guides."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

import cloudevents_cli.cli.explain_cmd  # noqa: F401  (registers the command until cli/__init__ imports it)
from cloudevents_cli.definitions import keys
from tests.seed_examples import seed_examples

# Every parameter of the two tables of "Authenticate an Element Instance with Events (API)" (as code).
DOC_TABLE_KEYS = {
    "event.notification.enabled",
    "event.vendor.type",
    "event.notification.callback.url",
    "event.poller.refresh_interval",
    "event.notification.signature.key",
    "event.poller.configuration",
    "url",
    "idField",
    "datesConfiguration",
    "updatedDateField",
    "updatedDateFormat",
    "createdDateField",
    "createdDateFormat",
}


def _keys(cli: Any, *args: str) -> list[dict[str, Any]]:
    res = cli("explain", *args, "-o", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1
    return list(doc["keys"])


def _body_keys(obj: Any, resources: bool = False) -> set[str]:
    """The event keys of a documented body: `event.*` in configuration, then every key inside a polled resource."""
    found: set[str] = set()
    for key, value in obj.items():
        if resources:  # key is a resource name (contacts): its keys and nested keys are platform keys
            found |= _nested(value)
        elif key.startswith("event."):
            found.add(key)
            if key == "event.poller.configuration":
                found |= _body_keys(value, resources=True)
    return found


def _nested(obj: Any) -> set[str]:
    if not isinstance(obj, dict):
        return set()
    return set(obj) | {k for v in obj.values() for k in _nested(v)}


def test_every_key_of_the_documented_bodies_is_explained() -> None:
    in_bodies = set().union(*(_body_keys(body["configuration"]) for body in seed_examples()))
    assert in_bodies >= DOC_TABLE_KEYS | {"updatedDateTimezone", "createdDateTimezone"}
    assert in_bodies <= {k.dotted_key for k in keys.EVENT_KEYS}


def test_each_key_names_where_the_platform_documents_it(cli: Any) -> None:
    rows = {r["dotted_key"]: r for r in _keys(cli)}
    page = "Cloud Elements docs: Authenticate an Element Instance with Events (API)"
    assert rows["event.vendor.type"]["documented_in"] == f"{page}, Polling Parameters and Webhook Parameters"
    assert rows["idField"]["documented_in"] == f"{page}, Polling Parameters"
    assert rows["updatedDateTimezone"]["documented_in"] == f"{page}, the polling example body"
    assert rows["pageSize"]["documented_in"].startswith("Cloud Elements docs: Element Guides")
    for key in DOC_TABLE_KEYS:
        assert rows[key]["documented_in"].startswith(page), key
    for row in rows.values():
        assert "seed" not in json.dumps(row).lower(), row


def test_table_shows_the_source_and_points_to_the_format_doc(cli: Any) -> None:
    res = cli("explain", "idField")
    assert res.exit_code == 0, res.output
    assert "Documented in: Cloud Elements docs" in res.stdout
    assert "Polling Parameters" in res.stdout
    assert "docs/definition-format.md" in res.stderr
    assert "docs/definition-format.md" not in res.stdout  # stdout is the table only


def test_help_points_to_the_format_doc(cli: Any) -> None:
    res = cli("explain", "--help")
    assert res.exit_code == 0
    assert "docs/definition-format.md" in " ".join(res.stdout.split()).replace(
        "definition- format", "definition-format"
    )


def test_json_lists_every_documented_key(cli: Any) -> None:
    rows = _keys(cli)
    dotted = {r["dotted_key"] for r in rows}
    assert dotted >= DOC_TABLE_KEYS
    assert "<resourceName>" in dotted
    assert len(dotted) == len(rows), "duplicate rows: the two tables must be merged"
    for row in rows:
        assert set(row) == {
            "ui_label", "dotted_key", "definition_key", "type", "default", "description", "scope", "documented_in",
        }  # fmt: skip
        assert row["description"]


def test_json_carries_the_notes_keys(cli: Any) -> None:
    dotted = {r["dotted_key"] for r in _keys(cli)}
    for key in (
        "event.objects",
        "event.metadata",
        "event.poller.urls",
        "event.helper.key",
        "event.notification.instance.finder",
        "event.notification.subscription.id",
        "event.notification.callback.headers",
        "event.notification.basic.username",
        "event.notification.basic.password",
        "updatedDateTimezone",
        "createdDateTimezone",
        "filterByUpdatedDate",
        "filterByCurrentDate",
        "createdCheckTolerance",
        "pageSize",
        "pollDelay",
    ):
        assert key in dotted


def test_documented_words_and_defaults() -> None:
    by_key = {k.dotted_key: k for k in keys.EVENT_KEYS}
    assert by_key["event.notification.enabled"].default == "false"
    assert by_key["event.notification.enabled"].type == "boolean"
    assert "The URL where you want Cloud Elements to send the events." in (
        by_key["event.notification.callback.url"].description
    )
    assert "either polling or webhook" in by_key["event.vendor.type"].description
    assert "webhooks" in by_key["event.vendor.type"].description
    assert by_key["filterByUpdatedDate"].default == "true"
    assert by_key["event.objects"].ui_label == "—"
    assert by_key["updatedDateFormat"].definition_key == "events.resources.<name>.dates.updated_format"
    assert by_key["updatedDateFormat"].scope == "dates"
    assert by_key["event.objects"].definition_key is None
    assert "sent with the spelling written" in by_key["event.vendor.type"].description
    assert by_key["createdCheckTolerance"].scope == "dates"
    assert by_key["createdCheckTolerance"].definition_key == "events.resources.<name>.dates.created_check_tolerance"


def test_known_event_keys() -> None:
    assert "event.poller.refresh_interval" in keys.KNOWN_EVENT_KEYS
    assert "event.notification.basic.password" in keys.KNOWN_EVENT_KEYS
    assert all(k.startswith("event.") for k in keys.KNOWN_EVENT_KEYS)
    assert "idField" not in keys.KNOWN_EVENT_KEYS


def test_one_key_by_dotted_name(cli: Any) -> None:
    rows = _keys(cli, "event.poller.refresh_interval")
    assert len(rows) == 1
    assert rows[0]["type"] == "number"
    assert rows[0]["definition_key"] == "events.refresh_interval"


def test_one_key_table(cli: Any) -> None:
    res = cli("explain", "event.poller.refresh_interval")
    assert res.exit_code == 0, res.output
    assert "event.poller.refresh_interval" in res.stdout
    assert "number" in res.stdout
    assert "event.notification.callback.url" not in res.stdout
    for column in ("UI label", "dotted key", "definition key", "type", "default", "description"):
        assert column in res.stdout


@pytest.mark.parametrize(
    ("query", "dotted"),
    [
        ("callback_url", "event.notification.callback.url"),
        ("events.callback_url", "event.notification.callback.url"),
        ("EVENT.NOTIFICATION.CALLBACK.URL", "event.notification.callback.url"),
        ("Event Type", "event.vendor.type"),
        ("idField", "idField"),
        ("id_field", "idField"),
        ("url", "url"),
        ("events.resources.contacts.dates.updated_format", "updatedDateFormat"),
        ("page_size", "pageSize"),
    ],
)
def test_lookup_exact(cli: Any, query: str, dotted: str) -> None:
    rows = _keys(cli, query)
    assert [r["dotted_key"] for r in rows] == [dotted]


def test_lookup_substring() -> None:
    found = {k.dotted_key for k in keys.lookup("timezone")}
    assert found == {"updatedDateTimezone", "createdDateTimezone"}
    assert {k.dotted_key for k in keys.lookup("basic")} == {
        "event.notification.basic.username",
        "event.notification.basic.password",
    }
    assert keys.lookup("") == []


def test_unknown_key_exits_2_with_a_suggestion(cli: Any) -> None:
    res = cli("explain", "event.poller.refresh_intervall")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "no event key matches 'event.poller.refresh_intervall'" in res.stderr
    assert "did you mean 'event.poller.refresh_interval'?" in res.stderr


def test_unknown_key_without_anything_close(cli: Any) -> None:
    res = cli("explain", "qqqqqqqqqq")
    assert res.exit_code == 2
    assert "cloudevents explain" in res.stderr


def test_yaml_output(cli: Any) -> None:
    res = cli("explain", "signature", "-o", "yaml")
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(res.stdout)
    assert [k["dotted_key"] for k in doc["keys"]] == ["event.notification.signature.key"]


def test_id_output_is_refused(cli: Any) -> None:
    res = cli("explain", "-o", "id")
    assert res.exit_code == 2


def test_full_table(cli: Any) -> None:
    res = cli("explain")
    assert res.exit_code == 0, res.output
    for key in DOC_TABLE_KEYS:
        assert key in res.stdout
