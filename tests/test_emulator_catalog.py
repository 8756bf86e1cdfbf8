"""The element catalogue: the event methods each element really supports, with the guide it comes from."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudevents_cli.emulator import catalog
from tests.emulator_fixtures import InProcessEmulator, with_own_tokens

ROOT = Path(__file__).resolve().parents[1]
CALLBACK = "https://hooks.example.com/ce"


def events_body(element: str, vendor_type: str, **extra: Any) -> dict[str, Any]:
    conf = {
        "event.notification.enabled": True,
        "event.vendor.type": vendor_type,
        "event.notification.callback.url": CALLBACK,
        **extra,
    }
    return with_own_tokens({"element": {"key": element}, "name": element, "configuration": conf})


def test_the_catalogue_is_large_and_every_entry_names_its_source() -> None:
    assert len(catalog.ELEMENTS) >= 30
    lines = (ROOT / "cloudevents_cli" / "emulator" / "catalog.py").read_text(encoding="utf-8").splitlines()
    entries = [i for i, line in enumerate(lines) if line.strip().startswith("Element(")]
    assert len(entries) == len(catalog.ELEMENTS)
    for i in entries:
        assert re.search(r"#.*(docs/|_includes/|freshconsult|existing)", lines[i - 1]), lines[i]


def test_elements_found_by_key_or_id() -> None:
    assert catalog.find("googledrive") is catalog.find("21")
    assert catalog.find("nosuch") is None and catalog.find("123456789") is None


def test_element_keys_used_by_sample_configs_and_realworld_bodies_are_known() -> None:
    used = set()
    for path in (ROOT / "sample-configs").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and isinstance(doc.get("element"), str):
                used.add(doc["element"])
    for path in (Path(__file__).parent / "data" / "realworld").glob("*.json"):
        key = json.loads(path.read_text(encoding="utf-8")).get("element", {}).get("key", "")
        if key and "{" not in key:
            used.add(key)
    assert {"hubspotcrm", "sfdc", "box", "shopify", "zendesk", "pipedrive", "dynamicscrm"} <= used
    assert sorted(k for k in used if catalog.find(k) is None) == []


@pytest.mark.parametrize(
    ("element", "vendor_type", "accepted"),
    [
        # docs/elements/googledrive/events.md: "no longer supports webhooks with Google Drive"
        ("googledrive", "polling", True),
        ("googledrive", "webhooks", False),
        ("googledrive", "webhook", False),
        # docs/elements/quickbooksonline/events.md: polling and webhooks
        ("quickbooks", "polling", True),
        ("quickbooks", "webhooks", True),
        ("quickbooks", "webhook", True),
        # docs/elements/shopify/events.md: webhooks only
        ("shopify", "webhooks", True),
        ("shopify", "polling", False),
        # docs/elements/salesforce/salesforce-events.md: both
        ("sfdc", "polling", True),
        ("sfdc", "webhooks", True),
    ],
)
def test_event_methods_follow_the_guides(
    emulator: InProcessEmulator, element: str, vendor_type: str, accepted: bool
) -> None:
    with emulator.sync_client() as c:
        response = c.post("/instances", json=events_body(element, vendor_type))
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400
        assert f"does not support {catalog.WEBHOOKS if 'webhook' in vendor_type else 'polling'}" in response.text


def test_salesforce_polls_the_objects_of_event_objects(emulator: InProcessEmulator, callback_receiver: Any) -> None:
    receiver = callback_receiver()
    doc = events_body("sfdc", "polling", **{"event.objects": "Contact,Account"})
    doc["configuration"]["event.notification.callback.url"] = receiver.url
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=doc).json()
        polled = c.post(emulator.root_url + f"/_emulator/instances/{inst['id']}/poll", json={"count": 1})
    assert polled.status_code == 200, polled.text
    assert receiver.wait_for(1)
    types = {e["objectType"] for r in receiver.received for e in json.loads(r.body)["message"]["events"]}
    assert types == {"Contact", "Account"}


def test_an_element_s_default_poller_is_polled_when_none_is_given(
    emulator: InProcessEmulator, callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    doc = events_body("zendesk", "polling")  # docs/elements/zendesk/events.md polls "users"
    doc["configuration"]["event.notification.callback.url"] = receiver.url
    with emulator.sync_client() as c:
        inst = c.post("/instances", json=doc).json()
        assert c.post(emulator.root_url + f"/_emulator/instances/{inst['id']}/poll", json={"count": 1}).is_success
    assert receiver.wait_for(1)
    assert {e["objectType"] for e in json.loads(receiver.received[0].body)["message"]["events"]} == {"users"}


@pytest.mark.parametrize(("element", "missing"), [("pipedrive", "pipedrive.password"), ("sagecrm", "subdomain")])
def test_required_configuration_from_the_guides(emulator: InProcessEmulator, element: str, missing: str) -> None:
    doc = {
        "element": {"key": element},
        "name": "r",
        "configuration": dict.fromkeys(catalog.ELEMENTS[element].required, "x"),
    }
    del doc["configuration"][missing]
    with emulator.sync_client() as c:
        response = c.post("/instances", json=doc)
        assert response.status_code == 400 and missing in response.json()["message"]
        doc["configuration"][missing] = "x"
        assert c.post("/instances", json=doc).status_code == 200
