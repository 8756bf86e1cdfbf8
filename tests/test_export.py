"""Export: platform instances back to definitions; export then render reproduces the body, secrets aside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from cloudevents_cli.definitions.export import env_name, render_yaml, to_definition
from cloudevents_cli.definitions.pipeline import build
from tests.seed_examples import seed_examples

DATA = Path(__file__).parent / "data"


def as_platform_returns(body: dict[str, Any], *, poller_as_text: bool = True) -> dict[str, Any]:
    """What the platform answers for a created body: values as strings, secrets masked."""
    config = {}
    for key, value in body.get("configuration", {}).items():
        if key in ("password", "event.notification.signature.key"):
            config[key] = "********"
        elif isinstance(value, bool):
            config[key] = str(value).lower()
        elif isinstance(value, dict):
            config[key] = json.dumps(value) if poller_as_text else value
        else:
            config[key] = str(value)
    return {
        "id": 7,
        "name": body["name"],
        "element": {"id": 1, "key": body["element"]["key"], "name": "X"},
        "tags": body.get("tags", []),
        "configuration": config,
        "token": "tok",
    }


def test_export_of_the_seed_polling_instance_round_trips(tmp_path: Path) -> None:
    body = build([str(DATA / "seed-polling.yaml")]).items[0].body
    assert body is not None
    definition, env_vars = to_definition(as_platform_returns(body))
    assert env_vars == ["INSTANCE_NAME_PASSWORD", "INSTANCE_NAME_SIGNATURE_KEY"]
    assert definition["events"]["refresh_interval"] == 15
    assert definition["events"]["resources"]["contacts"]["dates"]["updated_timezone"] == "GMT"
    text = render_yaml(definition, env_vars, origin="instance 7")
    assert "#   INSTANCE_NAME_PASSWORD" in text
    f = tmp_path / "exported.yaml"
    f.write_text(text)
    environ = {"INSTANCE_NAME_PASSWORD": "p" * 22, "INSTANCE_NAME_SIGNATURE_KEY": "x" * 25}
    again = build([str(f)], environ=environ)
    assert not again.errors, [p.one_line() for p in again.errors]
    rebuilt = again.items[0].body
    assert rebuilt is not None
    expected = seed_examples()[0]
    expected["configuration"]["event.poller.refresh_interval"] = 15
    expected["configuration"]["password"] = "p" * 22
    expected["configuration"]["event.notification.signature.key"] = "x" * 25
    expected["configuration"]["username"] = "xxxxxxxxxxxxxxxxxx"
    assert rebuilt == expected
    assert list(rebuilt["configuration"]) == list(expected["configuration"])


def test_export_keeps_unmodelled_poller_keys_under_configuration() -> None:
    instance = {
        "name": "n",
        "element": {"key": "box"},
        "configuration": {
            "event.notification.enabled": "true",
            "event.vendor.type": "polling",
            "event.poller.configuration": json.dumps({"files": {"url": "/files", "idField": "id", "custom": 1}}),
        },
    }
    definition, _ = to_definition(instance)
    assert definition["configuration"]["event.poller.configuration"] == {
        "files": {"url": "/files", "idField": "id", "custom": 1}
    }
    assert "enabled" not in definition["events"]  # true is the default


def test_literal_placeholders_are_escaped_so_they_are_not_interpolated(tmp_path: Path) -> None:
    instance = {"name": "n", "element": {"key": "box"}, "configuration": {"template": "${env:HOME}"}}
    definition, _ = to_definition(instance)
    f = tmp_path / "x.yaml"
    f.write_text(yaml.safe_dump(definition))
    body = build([str(f)], environ={"HOME": "/root"}).items[0].body
    assert body is not None and body["configuration"]["template"] == "${env:HOME}"


def test_env_names() -> None:
    assert env_name("acme-hubspot", "password") == "ACME_HUBSPOT_PASSWORD"
    assert env_name("acme", "oauth.api.secret") == "ACME_API_SECRET"
    assert env_name("9lives", "password") == "CE_9LIVES_PASSWORD"


def test_disabled_events_export_as_enabled_false() -> None:
    instance = {"name": "n", "element": {"key": "box"}, "configuration": {"event.notification.enabled": "false"}}
    definition, _ = to_definition(instance)
    assert definition["events"] == {"enabled": False}
