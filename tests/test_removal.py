"""Removal is a change: what a definition no longer says, for what it owns, is shown by `diff` and unset by `apply`.

End to end through the CLI against the in-process emulator, with every request recorded, in two shapes of
answer: the emulator's own, and the platform's (every configuration key of the element with its default or null,
as the published abbyy create response shows), built here by filling each answered instance with those keys.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import ROOT

PW = "definition-password-9876"
SIG = "signature-key-abcdefghijkl"
BASIC_PW = "basic-auth-password-5432"
ABBYY = ROOT / "tests" / "data" / "realworld" / "devportal--abbyy-create-response.json"

# The keys the platform answers for an instance it was never told about, with their defaults or nulls: the
# abbyy response's configuration without the two credentials the create body gave. Note "event.vendor.type":
# "webhooks" (the element's default) and "event.poller.configuration": "{}".
PLATFORM_DEFAULTS: dict[str, str | None] = {
    k: v for k, v in json.loads(ABBYY.read_text())["configuration"].items() if k not in ("username", "password")
}

DEFINITION: dict[str, Any] = {
    "name": "acme",
    "element": "closeio",
    "tags": ["team-a", "crm"],
    "configuration": {"username": "bob", "password": "${env:TEST_PW}"},
    "events": {
        "type": "polling",
        "callback_url": "https://hooks.example.com/x",
        "signature_key": "${env:TEST_SIG}",
        "refresh_interval": 5,
        "resources": {
            "contacts": {"url": "/hubs/crm/contacts", "id_field": "id", "page_size": 200},
            "leads": {"url": "/hubs/crm/leads", "id_field": "lead_id"},
        },
    },
}


class Wire(httpx.AsyncBaseTransport):
    """The in-process emulator with every request recorded; `defaults` are added to each instance it answers
    under the keys it does not hold (the platform's shape: an unset key comes back with its default or null)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, defaults: dict[str, str | None]) -> None:
        self.inner = inner
        self.defaults = defaults
        self.sent: list[tuple[str, str, Any]] = []

    @property
    def patches(self) -> list[Any]:
        return [body for method, _, body in self.sent if method == "PATCH"]

    @property
    def writes(self) -> list[tuple[str, str, Any]]:
        return [s for s in self.sent if s[0] not in ("GET", "HEAD")]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        self.sent.append((request.method, request.url.path, json.loads(content) if content else None))
        response = await self.inner.handle_async_request(request)
        if not self.defaults:
            return response
        doc = json.loads(await response.aread() or b"null")
        for inst in doc if isinstance(doc, list) else [doc]:
            if isinstance(inst, dict) and isinstance(inst.get("configuration"), dict):
                inst["configuration"] = {**self.defaults, **inst["configuration"]}
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")]
        return httpx.Response(response.status_code, headers=headers, json=doc)


@pytest.fixture(params=["emulator", "platform-shaped"])
def wire(request: pytest.FixtureRequest, cli: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Wire:
    monkeypatch.setenv("TEST_PW", PW)
    monkeypatch.setenv("TEST_SIG", SIG)
    monkeypatch.setenv("TEST_BASIC_PW", BASIC_PW)
    wire = Wire(emulator.transport, PLATFORM_DEFAULTS if request.param == "platform-shaped" else {})
    cli.seams.transport = wire
    return wire


@pytest.fixture
def run(cli: Any, emulator: Any, wire: Wire) -> Any:
    connection = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret]
    connection += ["--org-secret", emulator.org_secret]

    def invoke(*args: str) -> Any:
        return cli(*connection, *args)

    return invoke


def write(path: Path, doc: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def applied(run: Any, path: Path, doc: dict[str, Any]) -> str:
    """The definition written and applied; `diff` of it then exits 0."""
    name = write(path, doc)
    res = run("apply", name, "-o", "json")
    assert res.exit_code == 0, res.output
    res = run("diff", name, "-o", "json")
    assert res.exit_code == 0, res.stdout
    assert json.loads(res.stdout)["results"][0]["action"] == "unchanged"
    return name


def removed(run: Any, wire: Wire, path: Path, doc: dict[str, Any]) -> tuple[list[dict[str, Any]], Any, str]:
    """The edited definition: `diff` exits 1, `apply` sends one PATCH, then `diff` exits 0.
    Returns the changes `diff` showed, the PATCH body sent, and everything the commands printed."""
    name = write(path, doc)
    shown = run("diff", name, "-o", "json")
    assert shown.exit_code == 1, shown.output
    result = json.loads(shown.stdout)["results"][0]
    assert result["action"] == "would-update"
    table = run("diff", name)
    assert table.exit_code == 1
    before = len(wire.writes)
    done = run("apply", name, "-o", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["results"][0]["action"] == "updated"
    assert [method for method, _, _ in wire.writes[before:]] == ["PATCH"]
    again = run("diff", name, "-o", "json")
    assert again.exit_code == 0, again.stdout
    return result["changes"], wire.patches[-1], shown.output + table.output + done.output


def definition(**events: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DEFINITION)
    doc["events"].update(events)
    return doc


# -- what the definition no longer says -----------------------------------------------------------------------
def test_a_deleted_resource_is_named_and_the_poller_configuration_is_sent_whole(
    run: Any, wire: Wire, tmp_path: Path
) -> None:
    path = tmp_path / "acme.yaml"
    applied(run, path, DEFINITION)
    doc = definition()
    del doc["events"]["resources"]["leads"]
    changes, patch, output = removed(run, wire, path, doc)
    assert changes == [
        {
            "path": "configuration.event.poller.configuration.leads",
            "before": {"url": "/hubs/crm/leads", "idField": "lead_id"},
            "after": None,
        }
    ]
    assert patch == {
        "configuration": {
            "event.poller.configuration": {"contacts": {"url": "/hubs/crm/contacts", "idField": "id", "pageSize": 200}}
        }
    }
    assert "event.poller.configuration.leads" in output and "(removed)" in output


def test_a_key_deleted_inside_a_resource(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    applied(run, path, DEFINITION)
    doc = definition()
    del doc["events"]["resources"]["contacts"]["page_size"]
    changes, patch, _ = removed(run, wire, path, doc)
    assert changes == [
        {"path": "configuration.event.poller.configuration.contacts.pageSize", "before": 200, "after": None}
    ]
    assert patch["configuration"]["event.poller.configuration"]["contacts"] == {
        "url": "/hubs/crm/contacts",
        "idField": "id",
    }
    assert set(patch) == {"configuration"} and set(patch["configuration"]) == {"event.poller.configuration"}


def test_a_deleted_tag_and_the_last_tag(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    applied(run, path, DEFINITION)
    doc = definition()
    doc["tags"] = ["crm"]
    changes, patch, _ = removed(run, wire, path, doc)
    assert changes == [{"path": "tags", "before": ["team-a", "crm"], "after": ["crm"]}]
    assert patch == {"tags": ["crm"]}
    doc["tags"] = []
    changes, patch, _ = removed(run, wire, path, doc)
    assert changes == [{"path": "tags", "before": ["crm"], "after": []}]
    assert patch == {"tags": []}


def test_a_deleted_signature_key_is_unset_and_stays_masked(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    applied(run, path, DEFINITION)
    doc = definition()
    del doc["events"]["signature_key"]
    changes, patch, output = removed(run, wire, path, doc)
    assert changes == [{"path": "configuration.event.notification.signature.key", "before": "********", "after": None}]
    assert patch == {"configuration": {"event.notification.signature.key": None}}
    assert SIG not in output


def test_a_deleted_refresh_interval_is_unset(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    applied(run, path, DEFINITION)
    doc = definition()
    del doc["events"]["refresh_interval"]
    changes, patch, _ = removed(run, wire, path, doc)
    assert changes == [{"path": "configuration.event.poller.refresh_interval", "before": "5", "after": None}]
    assert patch == {"configuration": {"event.poller.refresh_interval": None}}


def test_a_deleted_callback_url_and_a_raw_event_key(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    doc = definition()
    doc["configuration"]["event.notification.basic.username"] = "hook-user"
    applied(run, path, doc)
    del doc["events"]["callback_url"]
    del doc["configuration"]["event.notification.basic.username"]
    changes, patch, _ = removed(run, wire, path, doc)
    assert patch == {
        "configuration": {"event.notification.callback.url": None, "event.notification.basic.username": None}
    }
    assert [c["after"] for c in changes] == [None, None]


# -- what the definition never said -----------------------------------------------------------------------------
def quiet(run: Any, wire: Wire, name: str) -> None:
    """`diff` exits 0 and `apply` sends nothing."""
    res = run("diff", name, "-o", "json")
    assert res.exit_code == 0, res.stdout
    before = len(wire.writes)
    res = run("apply", name, "-o", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["results"][0]["action"] == "unchanged"
    assert wire.writes[before:] == []


def test_element_defaults_nulls_and_unmentioned_keys_are_left_alone(
    run: Any, wire: Wire, emulator: Any, tmp_path: Path
) -> None:
    """Keys set on the platform by someone else: the element's own settings, platform-managed event state, a
    vendor type and a poller configuration the definition leaves to the platform, nulls and empty strings."""
    with emulator.sync_client() as client:
        answer = client.post(
            "/instances",
            json={
                "element": {"key": "closeio"},
                "configuration": {
                    "username": "bob",
                    "password": PW,
                    "pagination.max": "100",
                    "event.vendor.type": "polling",
                    "event.notification.enabled": "true",
                    "event.notification.callback.url": "https://hooks.example.com/x",
                    "event.notification.subscription.id": "sub-123",
                    "event.notification.instance.finder": "instanceId",
                    "event.metadata": '{"a":1}',
                    "event.helper.key": "closeio",
                    "event.objects": "Contact,Lead",
                    "event.poller.configuration": json.dumps({"contacts": {"url": "/c", "idField": "id"}}),
                    "event.poller.refresh_interval": "15",
                    "event.notification.signature.key": "",
                },
                "tags": ["someone-else"],
                "name": "acme",
            },
        )
        assert answer.status_code == 200, answer.text
    doc = {
        "name": "acme",
        "element": "closeio",
        "configuration": {"username": "bob", "password": "${env:TEST_PW}"},
        "events": {"callback_url": "https://hooks.example.com/x"},
    }
    quiet(run, wire, write(tmp_path / "acme.yaml", doc))


def test_a_definition_without_events_or_tags_leaves_them_alone(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    applied(run, path, DEFINITION)
    doc = {k: v for k, v in copy.deepcopy(DEFINITION).items() if k not in ("tags", "events")}
    quiet(run, wire, write(path, doc))


def test_masked_secrets_never_count_as_removed(run: Any, wire: Wire, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    doc = definition()
    doc["configuration"]["event.notification.basic.password"] = "${env:TEST_BASIC_PW}"
    doc["configuration"]["api.password"] = "${env:TEST_BASIC_PW}"
    applied(run, path, doc)
    del doc["configuration"]["event.notification.basic.password"]
    del doc["configuration"]["api.password"]
    del doc["configuration"]["password"]
    quiet(run, wire, write(path, doc))


def test_a_definition_just_applied_has_no_drift_in_either_shape(run: Any, wire: Wire, tmp_path: Path) -> None:
    """Events without type, refresh interval or resources: the platform's choices (its "webhooks", "15", "{}")
    are not drift."""
    minimal = {"name": "acme", "element": "closeio", "configuration": {"username": "bob", "password": "x"}}
    minimal["events"] = {"callback_url": "https://hooks.example.com/x"}
    applied(run, tmp_path / "a.yaml", minimal)
    applied(run, tmp_path / "b.yaml", DEFINITION | {"name": "beta"})


def test_the_emulator_answering_every_key_of_the_element_shows_no_drift(cli: Any, tmp_path: Path) -> None:
    """The emulator's own `fill_defaults` (the element's default poller configuration included): the samples and
    a definition that leaves the resources to the element apply, then `diff` exits 0 and a second apply sends
    nothing."""
    from tests.emulator_fixtures import make_in_process
    from tests.test_samples import SAMPLES, demo_env

    emulator = make_in_process(fill_defaults=True, accept_any_code=True)  # the samples' codes are placeholders
    wire = Wire(emulator.transport, {})
    cli.seams.transport = wire
    connection = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret]
    connection += ["--org-secret", emulator.org_secret]
    doc = {"name": "acme", "element": "hubspotcrm", "tags": ["crm"]}
    doc["configuration"] = {"authentication.type": "apiKey", "api.key": "k"}
    doc["events"] = {"type": "polling", "callback_url": "https://hooks.example.com/x"}
    try:
        for target in (str(SAMPLES), write(tmp_path / "acme.yaml", doc)):
            assert cli(*connection, "apply", target, env=demo_env()).exit_code == 0
            live = emulator.store.all()[-1]
            with emulator.sync_client() as client:
                answered = client.get(f"/instances/{live.id}").json()["configuration"]
            assert "event.notification.subscription.id" in answered  # the filled shape
            res = cli(*connection, "diff", target, "-o", "json", env=demo_env())
            assert res.exit_code == 0, res.stdout
            before = len(wire.writes)
            assert cli(*connection, "apply", target, env=demo_env()).exit_code == 0
            assert wire.writes[before:] == []
        assert json.loads(answered["event.poller.configuration"])  # hubspotcrm's default resources
    finally:
        emulator.store.close()
