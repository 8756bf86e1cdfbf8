"""The round-trip law (spec: "The reverse: export"): for every instance the platform can hold, export then render
gives the configuration the platform stores, key for key and string for string; diff of a fresh export finds
nothing to change (and sends nothing); validate accepts the export.

Checked in-process over generated instances (hypothesis), and end to end through the CLI over every real body in
tests/data/realworld/ plus generated ones, against the emulator (which answers every key of the element with its
default or null, like the platform) and against a plain recording server that stores and returns strings.

"Stored form": a null is a key the platform holds as not set, so it has no value to round-trip (export leaves it
out and a definition that does not mention a key leaves it alone); a masked secret cannot be compared.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudevents_cli import redact
from cloudevents_cli.cli.app import Seams
from cloudevents_cli.definitions.export import render_yaml, to_definition
from cloudevents_cli.definitions.pipeline import build
from cloudevents_cli.emulator import catalog
from cloudevents_cli.platform.planner import plan
from tests.conftest import Cli
from tests.emulator_fixtures import InProcessEmulator, make_in_process, with_own_tokens
from tests.test_emulator_realworld import fill_placeholders

REALWORLD = Path(__file__).parent / "data" / "realworld"
POLLER = "event.poller.configuration"
MASK = "********"
_PLACEHOLDER = re.compile(r"^\$\{env:([A-Z0-9_]+)\}$")


# -- the law, in-process ---------------------------------------------------------------------------------------


def as_stored(value: Any) -> Any:
    """A rendered scalar as the platform stores it; anything that is not a string, bool or int is left as is
    (and then fails the comparison: a float would have lost "1.10")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


def exactly(a: Any, b: Any) -> bool:
    """Equal JSON structures with leaves of the same type ("15" is not 15)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(exactly(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def stored_configuration(instance: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (instance.get("configuration") or {}).items() if v is not None}


def environ_for(definition: dict[str, Any], instance: dict[str, Any]) -> dict[str, str]:
    """The variables an export's placeholders need: a secret returned in clear gets its own value back (what
    the user would set), a masked one any value."""
    stored = stored_configuration(instance)
    given = {**definition.get("configuration", {})}
    if "signature_key" in definition.get("events", {}):
        given["event.notification.signature.key"] = definition["events"]["signature_key"]
    environ = {}
    for key, value in given.items():
        found = _PLACEHOLDER.match(value) if isinstance(value, str) else None
        if found:
            live = stored[key]
            environ[found.group(1)] = f"masked-secret-{len(environ)}-value" if live == MASK else live
    return environ


def assert_same_as_stored(rendered: dict[str, Any], instance: dict[str, Any], *, masked_ok: bool = False) -> None:
    """The rendered configuration is the stored one: same keys, values equal as the platform stores them."""
    stored = stored_configuration(instance)
    assert set(rendered) == set(stored)
    for key, live in stored.items():
        mine = rendered[key]
        if live == MASK or (masked_ok and mine == MASK):
            continue
        if key == POLLER:
            assert exactly(json.loads(live) if isinstance(live, str) else live, mine), key
        else:
            assert as_stored(mine) == live, (key, mine, live)


def export_then_render(instance: dict[str, Any], folder: Path) -> tuple[dict[str, Any], dict[str, str], str]:
    """Export one instance to a file, load it back: the rendered body, the environment used, the YAML."""
    definition, env_vars = to_definition(instance)
    text = render_yaml(definition, env_vars)
    environ = environ_for(yaml.safe_load(text), instance)
    assert sorted(environ) == sorted(env_vars)
    path = folder / "exported.yaml"
    path.write_text(text, encoding="utf-8")
    batch = build([str(path)], environ=environ)
    assert not batch.errors, [p.one_line() for p in batch.errors]
    body = batch.items[0].body
    assert body is not None
    return body, environ, text


def assert_law(instance: dict[str, Any], folder: Path) -> None:
    body, environ, _ = export_then_render(instance, folder)
    assert body["name"] == instance["name"]
    assert body.get("tags", []) == instance.get("tags", [])
    assert_same_as_stored(body.get("configuration", {}), instance)
    secrets = frozenset(v for v in environ.values() if v)
    assert not plan(body, instance, secrets=secrets).changed


# -- generated instances, as the platform returns them -----------------------------------------------------------

TRICKY = ["1.10", "007", "TRUE", "", " x", "x ", "true", "15", "null", "~", "yes", "0x1F", "1e3", "-0"]
TRICKY += ["${env:HOME}", "$${x}", "a${b}c", "ünïcødé ✓", "line\nbreak", "'quoted'", '"dq"', "#hash", "- dash"]
TRICKY += ["a\x85b", "\u2028", "\r\n"]  # line breaks YAML folds unless escaped
CALLBACKS = ["https://hooks.example.com/ce?x=${y}", "http://127.0.0.1:9/cb", "https://h.example/ü"]
FORMATS = ["yyyy-MM-dd'T'HH:mm:ss'Z'", "milliseconds", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"]


def _maybe(draw: Any, options: list[Any]) -> Any:
    """A value from OPTIONS, or the marker for "key absent"."""
    return draw(st.sampled_from([_ABSENT, *options]))


_ABSENT = object()
values = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8))


@st.composite
def resources(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(["contacts", "tickets", "a b", "${x}"]), unique=True, max_size=2)):
        if draw(st.booleans()):
            out[name] = {}  # an empty resource (docs/elements/revel/events.md)
            continue
        resource: dict[str, Any] = {"url": "/hubs/crm/contacts?since=${gmtDate:yyyy-MM-dd}", "idField": "id"}
        if draw(st.booleans()):
            resource["datesConfiguration"] = {
                "updatedDateField": "updated",
                "updatedDateFormat": draw(st.sampled_from(FORMATS)),
                "updatedDateTimezone": "GMT",
            }
            if draw(st.booleans()):
                resource["datesConfiguration"]["createdCheckTolerance"] = draw(st.sampled_from([10, "10"]))
        for key, options in (("pageSize", [100, "100", 0]), ("filterByUpdatedDate", [True, "true"])):
            if (chosen := _maybe(draw, options)) is not _ABSENT:
                resource[key] = chosen
        if draw(st.booleans()):
            resource["custom"] = draw(st.sampled_from([1, "x", None]))  # a key the format does not model
        out[name] = resource
    return out


@st.composite
def platform_bodies(draw: Any) -> dict[str, Any]:
    """A POST body the platform accepts, with every value a string (or null) as the platform stores them."""
    configuration: dict[str, Any] = {}
    for key in draw(
        st.lists(st.sampled_from(["base.url", "pagination.max", "x.custom", "event.objects"]), unique=True)
    ):
        configuration[key] = draw(st.one_of(values, st.none()))
    if draw(st.booleans()):
        configuration["password"] = draw(st.sampled_from(["hunter2-password", "x"]))
    if draw(st.booleans()):
        configuration["oauth.api.secret"] = "clear-secret-" + draw(st.text("abcdef0123", min_size=8, max_size=8))
    event_options = {
        "event.notification.enabled": ["true", "false", "TRUE"],
        "event.vendor.type": [None, "polling", "webhooks", "webhook"],
        "event.notification.callback.url": [None, *CALLBACKS],
        "event.poller.refresh_interval": ["15", "1", "007", "1.5", "1440"],
        "event.notification.signature.key": [None, "a-long-signature-key-0123456789"],
    }
    for key, options in event_options.items():
        if (chosen := _maybe(draw, options)) is not _ABSENT:
            configuration[key] = chosen
    if (poller := _maybe(draw, ["{}", "resources"])) is not _ABSENT:
        configuration[POLLER] = poller if poller == "{}" else json.dumps(draw(resources()))
    name = draw(st.text(min_size=1, max_size=12).filter(lambda s: s.strip()))
    tags = draw(st.lists(st.sampled_from(["t", "a b", "${x}", "ü", "x,y", "#1", "t"]), max_size=3))
    element = draw(st.sampled_from(["quickbooks", "hubspotcrm"]))
    configuration["authentication.type"] = {"quickbooks": "oauth1", "hubspotcrm": "apiKey"}[element]  # not OAuth 2
    return {"element": {"key": element}, "name": name, "tags": tags, "configuration": configuration}


def as_returned(body: dict[str, Any], instance_id: int = 7) -> dict[str, Any]:
    """What a platform that stores strings answers for BODY: passwords masked, nulls kept as null."""
    configuration = {k: (MASK if v and k.endswith("password") else v) for k, v in body["configuration"].items()}
    return {
        "id": instance_id,
        "name": body["name"],
        "element": {"id": 1, "key": body["element"]["key"], "name": body["element"]["key"]},
        "tags": list(body.get("tags") or []),
        "configuration": configuration,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=platform_bodies())
def test_export_then_render_gives_what_the_platform_stores(body: dict[str, Any], tmp_path: Path) -> None:
    redact.clear()
    assert_law(as_returned(body), tmp_path)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({"event.notification.enabled": "true", "event.poller.refresh_interval": "1.10"}, "'1.10'"),
        ({"event.notification.enabled": "true", "event.poller.refresh_interval": "007"}, "'007'"),
        ({"event.notification.enabled": "TRUE"}, "event.notification.enabled: 'TRUE'"),
        ({"pagination.max": "100"}, "pagination.max: '100'"),
        ({"base.url": "a\x85b"}, 'base.url: "a\\Nb"'),  # NEL written plain would come back as a space
    ],
)
def test_a_value_that_would_not_survive_a_conversion_stays_a_string(
    stored: dict[str, str], expected: str, tmp_path: Path
) -> None:
    instance = {"id": 1, "name": "n", "element": {"key": "quickbooks"}, "configuration": stored}
    _, _, text = export_then_render(instance, tmp_path)
    assert expected in text
    assert_law(instance, tmp_path)


def test_nulls_and_defaults_the_platform_returns_are_not_changes(tmp_path: Path) -> None:
    """The abbyy create response: nulls left out, "{}" and "15" of a webhooks instance kept raw, "false" kept."""
    instance = json.loads((REALWORLD / "devportal--abbyy-create-response.json").read_text(encoding="utf-8"))
    definition, _ = to_definition(instance)
    assert definition["events"] == {"type": "webhooks", "enabled": False}
    assert definition["configuration"]["event.poller.configuration"] == {}
    assert definition["configuration"]["event.poller.refresh_interval"] == "15"
    assert "event.notification.callback.url" not in definition["configuration"]
    assert_law(instance, tmp_path)


def test_without_a_stored_enabled_key_there_is_no_events_section(tmp_path: Path) -> None:
    """The events section always sends event.notification.enabled: an absent key must stay absent."""
    stored = {"event.vendor.type": "polling", "event.poller.refresh_interval": "5"}
    instance = {"id": 1, "name": "n", "element": {"key": "quickbooks"}, "configuration": stored}
    definition, _ = to_definition(instance)
    assert "events" not in definition
    assert_law(instance, tmp_path)


def test_poller_values_keep_their_json_types(tmp_path: Path) -> None:
    resource = {"url": "/x", "idField": "id", "pageSize": "100"}  # a string in the JSON text, not a number
    stored = {"event.notification.enabled": "false", POLLER: json.dumps({"contacts": resource})}
    instance = {"id": 1, "name": "n", "element": {"key": "quickbooks"}, "configuration": stored}
    definition, _ = to_definition(instance)
    assert definition["configuration"][POLLER] == {"contacts": resource}
    assert_law(instance, tmp_path)


# -- end to end through the CLI: the emulator and a plain recording server ------------------------------------------


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on to INNER and records their methods and paths."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.calls = inner, []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] not in ("GET", "HEAD")]


class StringServer:
    """A plain platform: stores instances as given (values as strings, passwords masked in answers)."""

    def __init__(self) -> None:
        self.instances: dict[int, dict[str, Any]] = {}

    def load(self, instance: dict[str, Any]) -> dict[str, Any]:
        instance = json.loads(json.dumps(instance))
        instance["id"] = len(self.instances) + 1
        instance.setdefault("tags", [])
        self.instances[instance["id"]] = instance
        return instance

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        def text(value: Any) -> Any:
            if isinstance(value, bool):
                return str(value).lower()
            return json.dumps(value) if isinstance(value, dict) else value if value is None else str(value)

        return self.load(as_returned({**body, "configuration": {k: text(v) for k, v in body["configuration"].items()}}))

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.split("/elements/api-v2", 1)[1]
        if request.method == "GET" and path == "/instances":
            return httpx.Response(200, json=list(self.instances.values()))
        found = re.fullmatch(r"/instances/(\d+)", path)
        if request.method == "GET" and found and int(found.group(1)) in self.instances:
            return httpx.Response(200, json=self.instances[int(found.group(1))])
        return httpx.Response(404, json={"requestId": "r", "message": "not found"})


@dataclass
class Platform:
    create: Callable[[dict[str, Any]], dict[str, Any]]  # a POST body -> the instance answered
    load: Callable[[dict[str, Any]], dict[str, Any]]  # a published answer -> the live instance it stands for
    get: Callable[[int], dict[str, Any]]
    transport: Recording
    base_url: str


@pytest.fixture(params=["emulator", "string-server"])
def platform(request: pytest.FixtureRequest) -> Iterator[Platform]:
    if request.param == "emulator":
        emu: InProcessEmulator = make_in_process(fill_defaults=True)
        client = emu.sync_client()

        def create(body: dict[str, Any]) -> dict[str, Any]:
            if catalog.ELEMENTS[body["element"]["key"]].uses_oauth2(body["configuration"]):
                body = with_own_tokens(body)  # an OAuth 2 instance without a code brings its own tokens
            response = client.post("/instances", json=body)
            assert response.status_code == 200, response.text
            return dict(response.json())

        def load(answer: dict[str, Any]) -> dict[str, Any]:
            """Created from the answer's fields; a masked value is sent as some value, which comes back masked."""
            configuration = {
                k: ("masked-in-the-sample" if v == MASK else v) for k, v in answer["configuration"].items()
            }
            body = {"element": {"key": answer["element"]["key"]}, "name": answer["name"], "tags": answer.get("tags")}
            return create({**body, "configuration": configuration})

        def get(instance_id: int) -> dict[str, Any]:
            return dict(client.get(f"/instances/{instance_id}").json())

        yield Platform(create, load, get, Recording(emu.transport), emu.base_url)
        emu.store.close()
    else:
        server = StringServer()
        transport = Recording(httpx.MockTransport(server.handle))
        get = server.instances.__getitem__
        yield Platform(server.create, server.load, get, transport, "http://platform.test/elements/api-v2")


def cli_round_trip(platform: Platform, instance_id: int, tmp_path: Path) -> None:
    """export, then diff (exit 0, nothing sent), validate (exit 0) and render (the stored configuration)."""
    transport, base_url = platform.transport, platform.base_url
    live = platform.get(instance_id)
    cli, seams = Cli(), Seams(transport=transport)
    wired = ["--base-url", base_url, "--user-secret", "emulator-user", "--org-secret", "emulator-org"]
    exported = cli(*wired, "export", str(instance_id), seams=seams)
    assert exported.exit_code == 0, exported.output
    path = tmp_path / "exported.yaml"
    path.write_text(exported.stdout, encoding="utf-8")
    env = environ_for(yaml.safe_load(exported.stdout), live)
    transport.calls.clear()
    diffed = cli(*wired, "diff", str(path), env=env, seams=seams)
    assert diffed.exit_code == 0, diffed.output
    assert transport.writes() == []
    validated = cli("validate", str(path), env=env)
    assert validated.exit_code == 0, validated.output
    rendered = cli("render", str(path), "-o", "json", env=env)
    assert rendered.exit_code == 0, rendered.output
    assert_same_as_stored(json.loads(rendered.stdout).get("configuration", {}), live, masked_ok=True)


_UNIQUE = itertools.count()
REQUESTS = sorted(p.name for p in REALWORLD.glob("*.json") if "response" not in p.name and "schema" not in p.name)
RESPONSES = sorted(p.name for p in REALWORLD.glob("*-response.json"))


def published_body(name: str) -> dict[str, Any]:
    """A published request body with its placeholders filled the way a user would."""
    doc = fill_placeholders(name, json.loads((REALWORLD / name).read_text(encoding="utf-8")))
    doc.pop("providerData", None)  # cannot be read back (planner.py)
    return doc


def test_every_realworld_file_is_tried() -> None:
    tried = {*REQUESTS, *RESPONSES, "churros--element.instance.schema.json"}
    assert tried == {p.name for p in REALWORLD.glob("*.json")}
    assert len(REQUESTS) >= 9 and len(RESPONSES) >= 4


@pytest.mark.parametrize("name", REQUESTS)
def test_published_bodies_round_trip_through_the_cli(name: str, platform: Platform, tmp_path: Path) -> None:
    cli_round_trip(platform, int(platform.create(published_body(name))["id"]), tmp_path)


@pytest.mark.parametrize("name", RESPONSES)
def test_published_responses_round_trip_through_the_cli(name: str, platform: Platform, tmp_path: Path) -> None:
    """A published answer of the platform, loaded as the live instance (the emulator: created from it)."""
    response = json.loads((REALWORLD / name).read_text(encoding="utf-8"))
    cli_round_trip(platform, int(platform.load(response)["id"]), tmp_path)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=platform_bodies())
def test_generated_instances_round_trip_through_the_cli(
    body: dict[str, Any], platform: Platform, tmp_path: Path
) -> None:
    body["name"] += f"-{next(_UNIQUE)}"  # diff finds the instance by name
    cli_round_trip(platform, int(platform.create(body)["id"]), tmp_path)


@pytest.mark.parametrize(
    "stored",
    [
        {"event.notification.enabled": "true", "event.vendor.type": "Polling"},
        {"event.notification.enabled": "true", "event.vendor.type": ""},
        {"event.notification.enabled": "false", "event.notification.callback.url": ""},
    ],
)
def test_odd_values_the_platform_stores_round_trip(stored: dict[str, str], tmp_path: Path) -> None:
    emu = make_in_process()
    with emu.sync_client() as c:
        conf = {"authentication.type": "oauth1", **stored}  # not OAuth 2: no code needed
        created = c.post("/instances", json={"element": {"key": "quickbooks"}, "name": "n", "configuration": conf})
    assert created.status_code == 200, created.text
    assert_law(created.json(), tmp_path)
