"""The table of event keys is the one source: model, JSON Schema, expansion and the way back derive from it."""

from __future__ import annotations

from typing import Any

import pytest

from cloudevents_cli.definitions import keys
from cloudevents_cli.definitions.expand import event_keys, resource_body
from cloudevents_cli.definitions.model import Dates, Events, Resource
from cloudevents_cli.definitions.schema import json_schema


@pytest.mark.parametrize(("scope", "model"), [("instance", Events), ("resource", Resource), ("dates", Dates)])
def test_every_row_is_a_field_of_the_model_and_the_schema(scope: keys.Scope, model: Any) -> None:
    rows = keys.section_keys(scope)
    assert [k.short_key for k in rows] == list(model.model_fields)
    schema = json_schema()["$defs"][model.__name__]["properties"]
    for key in rows:
        assert schema[key.short_key]["description"].startswith(f"{key.dotted_key}: ")


def test_the_schema_follows_the_table_types_and_minimums() -> None:
    props = json_schema()["$defs"]
    assert props["Events"]["properties"]["type"]["anyOf"][0]["enum"] == ["polling", "webhooks", "webhook"]
    assert props["Events"]["properties"]["refresh_interval"]["anyOf"][0] == {"minimum": 1, "type": "integer"}
    assert props["Dates"]["properties"]["created_check_tolerance"]["anyOf"][0] == {"minimum": 0, "type": "integer"}
    assert props["Resource"]["additionalProperties"] is True  # undocumented keys pass through
    assert "required" not in props["Resource"] and "required" not in props["Events"]
    assert "if" not in props["Events"]  # type and callback_url are optional


def test_expansion_uses_the_platform_names_of_the_table() -> None:
    resource = {k.short_key: 1 for k in keys.section_keys("resource") if k.dotted_key != keys.DATES}
    resource["dates"] = {k.short_key: 1 for k in keys.section_keys("dates")}
    body = resource_body(resource)
    assert set(body) == {k.dotted_key for k in keys.section_keys("resource")}
    assert set(body[keys.DATES]) == {k.dotted_key for k in keys.section_keys("dates")}
    given = {k.short_key: "x" for k in keys.section_keys("instance") if k.dotted_key != keys.POLLER_CONFIGURATION}
    assert list(event_keys(given)) == [
        k.dotted_key for k in keys.section_keys("instance") if k.dotted_key != keys.POLLER_CONFIGURATION
    ]


def test_created_check_tolerance_lives_in_dates_configuration() -> None:
    assert keys.by_platform_key("dates")["createdCheckTolerance"].definition_key == (
        "events.resources.<name>.dates.created_check_tolerance"
    )
    assert "createdCheckTolerance" not in keys.by_platform_key("resource")


def test_lookup_tables_for_both_directions() -> None:
    assert keys.by_platform_key("instance")[keys.VENDOR_TYPE].short_key == "type"
    assert keys.by_field("resource")["id_field"].dotted_key == "idField"
    assert keys.by_field("dates")["updated_timezone"].dotted_key == "updatedDateTimezone"


@pytest.mark.parametrize(
    ("dotted", "scope", "stored", "expected"),
    [
        (keys.ENABLED, "instance", "true", True),
        (keys.ENABLED, "instance", "TRUE", "TRUE"),
        (keys.REFRESH_INTERVAL, "instance", "15", 15),
        (keys.REFRESH_INTERVAL, "instance", "015", "015"),
        (keys.REFRESH_INTERVAL, "instance", " 15", " 15"),
        (keys.REFRESH_INTERVAL, "instance", "1.0", "1.0"),
        ("pageSize", "resource", 100, 100),
        ("filterByUpdatedDate", "resource", "false", False),
        ("createdCheckTolerance", "dates", "10", 10),
        (keys.CALLBACK_URL, "instance", "15", "15"),
    ],
)
def test_from_stored_converts_only_what_reads_back_exactly(
    dotted: str, scope: keys.Scope, stored: Any, expected: Any
) -> None:
    assert keys.from_stored(keys.by_platform_key(scope)[dotted], stored) == expected
    assert type(keys.from_stored(keys.by_platform_key(scope)[dotted], stored)) is type(expected)


@pytest.mark.parametrize(
    ("name", "scope", "platform", "expected"),
    [
        ("pageSise", "resource", True, "pageSize"),
        ("page_sise", "resource", False, "page_size"),
        ("createdCheckTolerance", "resource", True, "datesConfiguration.createdCheckTolerance"),
        ("created_check_tolerance", "resource", False, "dates.created_check_tolerance"),
        ("pageSize", "dates", True, "pageSize (a key of the resource itself)"),
        ("timeWindow", "dates", True, None),
    ],
)
def test_closest_names_the_key_in_the_form_in_use(
    name: str, scope: keys.Scope, platform: bool, expected: str | None
) -> None:
    assert keys.closest(name, scope, platform=platform) == expected
