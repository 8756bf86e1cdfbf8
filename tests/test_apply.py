"""apply/diff: the planner, the runner, and the apply flow against the emulator (in-process and subprocess)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from cloudevents_cli.config import Connection
from cloudevents_cli.definitions.pipeline import Item
from cloudevents_cli.errors import CloudEventsError, batch_code
from cloudevents_cli.platform.client import PlatformClient
from cloudevents_cli.platform.create_apply import apply_all, create_all
from cloudevents_cli.platform.planner import plan, same
from cloudevents_cli.platform.runner import run_ordered

# -- the planner --------------------------------------------------------------------------------------------
POLLER = {"contacts": {"url": "/hubs/crm/contacts", "idField": "id", "pageSize": 200}}
BODY = {
    "element": {"key": "closeio"},
    "configuration": {
        "username": "bob",
        "password": "p4ssword-value",
        "event.notification.enabled": True,
        "event.vendor.type": "polling",
        "event.notification.callback.url": "https://hooks.example.com/x",
        "event.poller.refresh_interval": 15,
        "event.poller.configuration": POLLER,
    },
    "tags": ["a", "b"],
    "name": "acme",
}
LIVE = {
    "id": 9,
    "name": "acme",
    "element": {"key": "closeio"},
    "tags": ["b", "a"],
    "configuration": {
        "username": "bob",
        "password": "********",
        "event.notification.enabled": "true",
        "event.vendor.type": "polling",
        "event.notification.callback.url": "https://hooks.example.com/x",
        "event.poller.refresh_interval": "15",
        "event.poller.configuration": json.dumps(POLLER, separators=(",", ":")),
        "platform.default.key": "something the platform added",
    },
}


def test_platform_strings_masked_secrets_and_tag_order_are_unchanged() -> None:
    result = plan(BODY, LIVE)
    assert result.changes == [] and result.patch == {}


@pytest.mark.parametrize(
    ("defined", "live"),
    [
        *[(True, "true"), (False, "false"), (15, "15"), (15.0, "15"), (15.5, "15.5"), ("1.10", "1.10"), ("x", "x")],
        *[({"a": 1}, '{"a":1}'), ({"a": [1, "b"]}, '{"a": [1, "b"]}'), ('{"a": 1}', '{ "a" : 1 }'), ([], "[]")],
    ],
)
def test_same_compares_the_stored_string_exactly(defined: Any, live: Any) -> None:
    assert same(defined, live)


@pytest.mark.parametrize(
    ("defined", "live"),
    [
        *[("1.10", "1.1"), ("007", "7"), ("000123", "123"), ("TRUE", "true"), (True, "TRUE"), (15, "15.0")],
        *[(" x", "x"), (1, "true"), ("1", 1.5), ({"a": 1}, '{"a":"1"}'), ({"a": 1}, '{"a":1.0}')],
        *[({"a": 1}, '{"a":true}'), ({"a": 1}, '{"a":1,"b":2}'), ([1, 2], "[1]"), ({"a": 1}, "not json")],
        *[({"a": 1}, "[1]"), ("{x", "{y")],
    ],
)
def test_same_tells_real_changes(defined: Any, live: Any) -> None:
    assert not same(defined, live)


def test_changed_values_give_a_minimal_patch() -> None:
    body = json.loads(json.dumps(BODY))
    body["configuration"]["event.poller.refresh_interval"] = 5
    body["configuration"]["event.poller.configuration"]["contacts"]["url"] = "/hubs/crm/other"
    body["tags"] = ["a", "c"]
    result = plan(body, LIVE)
    assert result.patch == {
        "configuration": {
            "event.poller.refresh_interval": 5,
            "event.poller.configuration": body["configuration"]["event.poller.configuration"],
        },
        "tags": ["a", "c"],
    }
    paths = [c["path"] for c in result.changes]
    assert paths == [
        "configuration.event.poller.refresh_interval",
        "configuration.event.poller.configuration.contacts.url",
        "tags",
    ]
    assert result.changes[0] == {"path": "configuration.event.poller.refresh_interval", "before": "15", "after": 5}


def test_update_secrets_sends_masked_secrets_and_masks_the_change() -> None:
    result = plan(BODY, LIVE, update_secrets=True)
    assert result.patch == {"configuration": {"password": "p4ssword-value"}}
    assert result.changes == [{"path": "configuration.password", "before": "********", "after": "********"}]


def test_changed_secret_key_is_masked_in_changes() -> None:
    live = json.loads(json.dumps(LIVE))
    live["configuration"]["event.notification.signature.key"] = "old-signature-key"
    body = json.loads(json.dumps(BODY))
    body["configuration"]["event.notification.signature.key"] = "new-signature-key"
    result = plan(body, live)
    assert result.patch["configuration"] == {"event.notification.signature.key": "new-signature-key"}
    assert "new-signature-key" not in json.dumps(result.changes)
    assert "old-signature-key" not in json.dumps(result.changes)


def test_a_secret_key_the_platform_does_not_return_is_left_alone_unless_asked() -> None:
    body = {"configuration": {"oauth.api.secret": "s3cret-value", "plain": "x"}}
    live = {"configuration": {"plain": "x"}}
    assert plan(body, live).patch == {}
    result = plan(body, live, update_secrets=True)
    assert result.patch == {"configuration": {"oauth.api.secret": "s3cret-value"}}
    assert result.changes == [{"path": "configuration.oauth.api.secret", "before": None, "after": "********"}]


def test_a_value_from_a_secret_source_counts_as_a_secret() -> None:
    body = {"configuration": {"plain.setting": "from-env-value"}}
    secrets = frozenset({"from-env-value"})
    assert plan(body, {"configuration": {}}, secrets=secrets).patch == {}
    result = plan(body, {"configuration": {}}, secrets=secrets, update_secrets=True)
    assert result.changes == [{"path": "configuration.plain.setting", "before": None, "after": "********"}]
    changed = plan(body, {"configuration": {"plain.setting": "old-value"}}, secrets=secrets)
    assert changed.changes == [{"path": "configuration.plain.setting", "before": "********", "after": "********"}]


def test_a_value_the_platform_masks_stays_masked_when_updated() -> None:
    body = {"configuration": {"plain.setting": "new-value"}}
    live = {"configuration": {"plain.setting": "********"}}
    assert plan(body, live).patch == {}
    result = plan(body, live, update_secrets=True)
    assert result.changes == [{"path": "configuration.plain.setting", "before": "********", "after": "********"}]


def test_a_plain_key_missing_from_the_platform_is_added() -> None:
    for value in ("x", "null", 0):
        result = plan({"configuration": {"plain": value}}, {"configuration": {"other": "y"}})
        assert result.patch == {"configuration": {"plain": value}}
        assert result.changes == [{"path": "configuration.plain", "before": None, "after": value}]


def test_no_configuration_and_null_tags_on_either_side() -> None:
    assert plan({"name": "x"}, {"id": 1, "configuration": None}).patch == {}
    assert plan({"configuration": {"a": "1"}}, {"id": 1}).patch == {"configuration": {"a": "1"}}
    assert plan({"tags": None}, {"tags": ["a"]}).patch == {"tags": []}
    assert plan({"tags": ["a"]}, {"tags": None}).patch == {"tags": ["a"]}
    assert plan({"tags": None}, {"tags": None}).patch == {}


def test_tags_absent_from_the_definition_are_left_alone() -> None:
    body = {k: v for k, v in BODY.items() if k != "tags"}
    assert plan(body, LIVE).patch == {}


# -- removal: what the definition owns and no longer says ------------------------------------------------------
ABBYY_LIVE = json.loads(
    (Path(__file__).parent / "data" / "realworld" / "devportal--abbyy-create-response.json").read_text()
)


def test_the_abbyy_response_holds_no_drift_for_a_definition_that_leaves_events_to_the_platform() -> None:
    """Every key of the element with its default or null ("webhooks", "15", "{}", "false", nulls, "")."""
    body = {"configuration": {"username": "ABBYY_APP_NAME", "event.notification.enabled": False}, "tags": []}
    assert plan(body, ABBYY_LIVE).patch == {}


def test_owned_event_keys_the_definition_no_longer_gives_are_unset() -> None:
    live = json.loads(json.dumps(ABBYY_LIVE))
    live["configuration"] |= {
        "event.notification.enabled": "true",
        "event.notification.callback.url": "https://hooks.example.com/x",
        "event.poller.refresh_interval": "1",
        "event.notification.signature.key": "old-signature-key",
        "event.notification.basic.username": "hook-user",
    }
    result = plan({"configuration": {"event.vendor.type": "webhooks"}}, live)
    assert result.patch == {
        "configuration": {
            "event.notification.enabled": None,
            "event.notification.callback.url": None,
            "event.poller.refresh_interval": None,
            "event.notification.signature.key": None,
            "event.notification.basic.username": None,
        }
    }
    assert result.changes[0] == {"path": "configuration.event.notification.enabled", "before": "true", "after": None}
    assert result.changes[3] == {
        "path": "configuration.event.notification.signature.key",
        "before": "********",
        "after": None,
    }
    assert "old-signature-key" not in json.dumps(result.changes)


def test_keys_the_platform_or_the_element_decides_are_never_removed() -> None:
    live = {
        "configuration": {
            "event.notification.enabled": "true",
            "event.vendor.type": "polling",
            "event.poller.configuration": json.dumps(POLLER),
            "event.poller.urls": "contacts|/hubs/crm/contacts",
            "event.objects": "Contact",
            "event.metadata": "{}",
            "event.helper.key": "x",
            "event.notification.instance.finder": "x",
            "event.notification.subscription.id": "sub-1",
            "event.something.undocumented": "x",
            "event.notification.basic.password": "********",
            "password": "********",
            "base.url": "https://element.example.com",
        }
    }
    assert plan({"configuration": {"event.notification.enabled": True}}, live).patch == {}


def test_a_definition_that_does_not_speak_of_events_leaves_every_event_key_alone() -> None:
    live = {
        "configuration": {"username": "bob", "event.notification.enabled": "true", "event.poller.refresh_interval": "1"}
    }
    assert plan({"configuration": {"username": "bob"}, "name": "x"}, live).patch == {}
    assert plan({"name": "x"}, live).patch == {}


def test_a_removed_resource_and_a_removed_key_are_shown_one_by_one_and_sent_whole() -> None:
    body = json.loads(json.dumps(BODY))
    body["configuration"]["event.poller.configuration"] = {"contacts": {"url": "/hubs/crm/contacts", "idField": "id"}}
    live = json.loads(json.dumps(LIVE))
    live["configuration"]["event.poller.configuration"] = json.dumps(POLLER | {"leads": {"url": "/l", "idField": "id"}})
    result = plan(body, live)
    assert result.patch == {
        "configuration": {"event.poller.configuration": body["configuration"]["event.poller.configuration"]}
    }
    assert result.changes == [
        {"path": "configuration.event.poller.configuration.contacts.pageSize", "before": 200, "after": None},
        {
            "path": "configuration.event.poller.configuration.leads",
            "before": {"url": "/l", "idField": "id"},
            "after": None,
        },
    ]


# -- the runner ---------------------------------------------------------------------------------------------
def test_runner_keeps_input_order_and_bounds_concurrency() -> None:
    running = 0
    peak = 0

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * ((n * 7) % 5))
        running -= 1
        return n * 10

    results = asyncio.run(run_ordered(list(range(40)), work, concurrency=4, not_run=lambda n: -1))
    assert results == [n * 10 for n in range(40)]
    assert peak == 4


def test_runner_fail_fast_marks_the_rest_not_run() -> None:
    started: list[int] = []

    async def work(n: int) -> str:
        started.append(n)
        await asyncio.sleep(0)
        return "bad" if n == 2 else "ok"

    results = asyncio.run(
        run_ordered(
            list(range(20)),
            work,
            concurrency=2,
            fail_fast=True,
            failed=lambda r: r == "bad",
            not_run=lambda n: "not-run",
        )
    )
    assert results[2] == "bad"
    assert results[-1] == "not-run"
    assert len(started) <= 4
    assert results.count("not-run") == 20 - len(started)


# -- the apply flow -----------------------------------------------------------------------------------------
class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)


def item(n: int, **config: Any) -> Item:
    body = {
        "element": {"key": "closeio"},
        "configuration": {
            "username": "bob",
            "password": "pw-value-1234",
            "event.notification.enabled": True,
            "event.vendor.type": "polling",
            "event.notification.callback.url": "https://hooks.example.com/x",
            "event.poller.refresh_interval": 15,
            **config,
        },
        "tags": ["t1"],
        "name": f"inst-{n}",
    }
    return Item(source=f"defs.yaml#{n}", name=f"inst-{n}", element="closeio", body=body)


def connect(emulator: Any, transport: httpx.AsyncBaseTransport) -> PlatformClient:
    conn = Connection(base_url=emulator.base_url, user_secret=emulator.user_secret, org_secret=emulator.org_secret)
    return PlatformClient(conn, transport=transport)


async def _apply(client: PlatformClient, items: list[Item], **kw: Any) -> list[Any]:
    async with client:
        return await apply_all(client, items, **kw)


def test_apply_twice_second_run_unchanged_without_writes(emulator: Any) -> None:
    items = [item(n) for n in range(5)]
    first = asyncio.run(_apply(connect(emulator, emulator.transport), items))
    assert [r.action for r in first] == ["created"] * 5
    counting = Counting(emulator.transport)
    second = asyncio.run(_apply(connect(emulator, counting), items))
    assert [r.action for r in second] == ["unchanged"] * 5
    assert [r.id for r in second] == [r.id for r in first]
    assert counting.count("POST") == 0 and counting.count("PATCH") == 0


def test_apply_an_edit_sends_exactly_one_patch(emulator: Any) -> None:
    items = [item(n) for n in range(3)]
    asyncio.run(_apply(connect(emulator, emulator.transport), items))
    items[1] = item(1, **{"event.poller.refresh_interval": 5})
    counting = Counting(emulator.transport)
    results = asyncio.run(_apply(connect(emulator, counting), items))
    assert [r.action for r in results] == ["unchanged", "updated", "unchanged"]
    assert counting.count("PATCH") == 1 and counting.count("POST") == 0
    assert results[1].changes == [{"path": "configuration.event.poller.refresh_interval", "before": "15", "after": 5}]
    diff = asyncio.run(_apply(connect(emulator, emulator.transport), items, dry_run=True))
    assert [r.action for r in diff] == ["unchanged"] * 3


def test_apply_large_batch_lists_once(emulator: Any) -> None:
    items = [item(n) for n in range(40)]
    asyncio.run(_apply(connect(emulator, emulator.transport), items))
    counting = Counting(emulator.transport)
    results = asyncio.run(_apply(connect(emulator, counting), items))
    assert {r.action for r in results} == {"unchanged"}
    assert counting.count("GET") == 1


def test_apply_two_live_instances_with_the_name_is_a_conflict(emulator: Any) -> None:
    async def twice(client: PlatformClient) -> None:
        async with client:
            await create_all(client, [item(1), item(1)])

    asyncio.run(twice(connect(emulator, emulator.transport)))
    (result,) = asyncio.run(_apply(connect(emulator, emulator.transport), [item(1)]))
    assert result.action == "failed"
    assert isinstance(result.error, CloudEventsError)
    assert "ids 1, 2" in result.error.message
    assert batch_code([result]) == 4


class DropAfterFirstPost(httpx.AsyncBaseTransport):
    """Lets the emulator create the instance, then pretends the connection dropped."""

    def __init__(self, inner: httpx.AsyncBaseTransport, drops: int = 1) -> None:
        self.inner = inner
        self.drops = drops
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.posts += 1
            if self.drops > 0:
                self.drops -= 1
                await response.aread()
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return response


def test_apply_unknown_outcome_looks_up_instead_of_posting_again(emulator: Any) -> None:
    transport = DropAfterFirstPost(emulator.transport)
    (result,) = asyncio.run(_apply(connect(emulator, transport), [item(1)]))
    assert result.action == "created" and result.id == 1
    assert transport.posts == 1
    assert len(emulator.store.page(after=0, limit=100, tags=[], search=None)[0]) == 1


def test_create_unknown_outcome_is_reported_not_repeated(emulator: Any) -> None:
    transport = DropAfterFirstPost(emulator.transport)

    async def go() -> list[Any]:
        async with connect(emulator, transport) as client:
            return await create_all(client, [item(1)])

    (result,) = asyncio.run(go())
    assert result.action == "unknown" and batch_code([result]) == 6
    assert transport.posts == 1


def test_apply_never_posts_twice_when_the_lookup_finds_nothing(emulator: Any) -> None:
    class DropBeforeWork(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.posts = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                self.posts += 1
                if self.posts == 1:
                    raise httpx.ReadTimeout("timed out", request=request)
            return await emulator.transport.handle_async_request(request)

    transport = DropBeforeWork()
    (result,) = asyncio.run(_apply(connect(emulator, transport), [item(1)]))
    assert result.action == "unknown" and batch_code([result]) == 6 and transport.posts == 1
    assert "run apply again" in str(result.error)
    (again,) = asyncio.run(_apply(connect(emulator, transport), [item(1)]))
    assert again.action == "created" and transport.posts == 2


# -- against the real server, with faults --------------------------------------------------------------------
def write_defs(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"def-{n:04d}.yaml").write_text(
            f"name: bulk-{n:04d}\nelement: closeio\ntags: [bulk]\n"
            "configuration:\n  username: bob\n  password: pw-value-1234\n"
            "events:\n  type: polling\n  callback_url: https://hooks.example.com/x\n"
            "  signature_key: a-very-long-signature-key-1234\n"
        )
    return folder


@pytest.mark.slow
def test_apply_200_with_drops_and_failures_creates_each_exactly_once(
    start_emulator: Any, cli: Any, tmp_path: Path
) -> None:
    server = start_emulator("--drop-rate", "0.3", "--fail-rate", "0.2", "--seed", "1")
    defs = write_defs(tmp_path / "defs", 200)
    g = ["--base-url", server.base_url, "--user-secret", server.user_secret, "--org-secret", server.org_secret]
    # Half of all attempts fail here, so a request can exhaust its retries; apply is idempotent, and running it
    # again is the remedy. What must hold on every run: nothing is ever created twice.
    created = 0
    for _ in range(4):
        res = cli(*g, "apply", str(defs), "-o", "json")
        summary = json.loads(res.stdout)["summary"]
        created += summary.get("created", 0)
        if res.exit_code == 0:
            break
        assert res.exit_code == 6, res.stderr
    assert res.exit_code == 0, res.stderr
    assert created <= 200  # an instance whose creation stayed "unknown" is found "unchanged" next time
    listed = cli(*g, "list", "-o", "json")
    for _ in range(5):  # a listing is retried, but 5 faults in a row can happen: ask again
        if listed.exit_code == 0:
            break
        listed = cli(*g, "list", "-o", "json")
    names = [i["name"] for i in json.loads(listed.stdout)["instances"]]
    assert len(names) == 200
    assert len(set(names)) == 200


@pytest.mark.slow
def test_apply_under_rate_limit_completes(start_emulator: Any, cli: Any, tmp_path: Path) -> None:
    server = start_emulator("--rate-limit", "20")
    defs = write_defs(tmp_path / "defs", 100)
    g = ["--base-url", server.base_url, "--user-secret", server.user_secret, "--org-secret", server.org_secret]
    res = cli(*g, "apply", str(defs), "-o", "json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["summary"] == {"created": 100}


# -- a POST that finishes after the client's timeout ---------------------------------------------------------
POST_DELAY = 1.5


@pytest.fixture
def slow_post_server() -> Iterator[Any]:
    """The emulator on 127.0.0.1, behind a layer that holds every POST for POST_DELAY seconds before the
    emulator processes it: a client with a shorter --timeout gives up, and the instance appears later."""
    from cloudevents_cli.serving import AppServer, bind, url_of
    from tests.emulator_fixtures import make_in_process

    handle = make_in_process()
    posts: list[str] = []
    finished = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await handle.app(scope, receive, send)
            return
        posts.append(scope["path"])
        body, more = b"", True
        while more:  # read it all now: once the client has gone, uvicorn hands out no more of the body
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        await asyncio.sleep(POST_DELAY)
        replayed = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> dict[str, Any]:
            return replayed.pop() if replayed else {"type": "http.disconnect"}

        try:
            await handle.app(scope, replay, send)
        finally:
            finished.set()

    sock = bind("127.0.0.1", 0)
    server = AppServer(app, sock)
    ready = threading.Event()
    thread = threading.Thread(target=server.run, kwargs={"on_ready": ready.set}, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield SimpleNamespace(base_url=url_of(sock, "/elements/api-v2"), handle=handle, posts=posts, finished=finished)
    server.stop()
    thread.join(10)
    handle.store.close()


@pytest.mark.slow
def test_apply_with_a_post_slower_than_the_timeout_creates_one_instance(
    slow_post_server: Any, cli: Any, tmp_path: Path
) -> None:
    server = slow_post_server
    defs = write_defs(tmp_path / "defs", 1)
    g = ["--base-url", server.base_url, "--user-secret", server.handle.user_secret]
    g += ["--org-secret", server.handle.org_secret, "--timeout", "0.5"]
    res = cli(*g, "apply", str(defs), "-o", "json")
    assert res.exit_code == 6, res.output
    (result,) = json.loads(res.stdout)["results"]
    assert result["action"] == "unknown" and "run apply again" in result["error"]["message"]
    assert server.finished.wait(10)  # the platform finishes the POST after the client gave up on it
    again = cli(*g, "apply", str(defs), "-o", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["summary"] == {"unchanged": 1}
    assert server.posts == ["/elements/api-v2/instances"]
    instances, _ = server.handle.store.page(after=0, limit=100, tags=[], search=None)
    assert [i.name for i in instances] == ["bulk-0000"]


# -- Ctrl-C in the middle of a batch -------------------------------------------------------------------------
class CtrlCDuringPosts(httpx.AsyncBaseTransport):
    """The first `quick` POSTs (or `method`s) are answered, the next ones hang (in flight), and the one after
    them is where the user presses Ctrl-C. Anything else goes to `inner`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, quick: int, hanging: int, method: str = "POST") -> None:
        self.inner = inner
        self.quick = quick
        self.hanging = hanging
        self.method = method
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != self.method:
            return await self.inner.handle_async_request(request)
        self.posts += 1
        if self.posts <= self.quick:
            return await self.inner.handle_async_request(request)
        if self.posts <= self.quick + self.hanging:
            await asyncio.Event().wait()
        raise KeyboardInterrupt


def interrupted_actions(coro: Any) -> list[str]:
    from cloudevents_cli.errors import Interrupted
    from cloudevents_cli.platform.runner import run_to_end

    with pytest.raises(Interrupted) as info:
        run_to_end(coro)
    assert info.value.exit_code == 130
    actions = [r.action for r in info.value.results]
    finished = sum(a not in ("unknown", "not-run") for a in actions)
    message = f"interrupted: {finished} of {len(actions)} finished"
    if "unknown" in actions:
        message += f", {actions.count('unknown')} with a write in flight (outcome unknown: run again to settle)"
    assert info.value.message == message
    return actions


def test_ctrl_c_reports_in_flight_posts_unknown_and_the_rest_not_run(emulator: Any) -> None:
    transport = CtrlCDuringPosts(emulator.transport, quick=4, hanging=7)

    async def go() -> list[Any]:
        async with connect(emulator, transport) as client:
            return await create_all(client, [item(n) for n in range(16)], concurrency=8)

    actions = interrupted_actions(go())
    assert sorted(actions[:12]) == ["created"] * 4 + ["unknown"] * 8
    assert actions[12:] == ["not-run"] * 4


def test_a_real_ctrl_c_cancels_the_batch_and_keeps_its_results(emulator: Any) -> None:
    import signal

    class PressCtrlC(CtrlCDuringPosts):
        """Two POSTs answered, then every POST hangs; the user presses Ctrl-C (SIGINT) at the fifth."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method != "POST":
                return await self.inner.handle_async_request(request)
            self.posts += 1
            if self.posts <= self.quick:
                return await self.inner.handle_async_request(request)
            if self.posts == 5:
                try:
                    signal.raise_signal(signal.SIGINT)
                except KeyboardInterrupt:  # what Python's own handler would do, in the middle of a request
                    self.raised_here = True
                    raise
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    transport = PressCtrlC(emulator.transport, quick=2, hanging=0)
    transport.raised_here = False

    async def go() -> list[Any]:
        async with connect(emulator, transport) as client:
            return await create_all(client, [item(n) for n in range(10)], concurrency=6)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        actions = interrupted_actions(go())
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not transport.raised_here  # run_to_end's handler cancelled the batch instead
    assert actions.count("created") == 2
    assert actions.count("unknown") == transport.posts - 2 >= 3
    assert actions[transport.posts :] == ["not-run"] * (10 - transport.posts)


def test_ctrl_c_during_apply_separates_writes_from_look_ups(emulator: Any) -> None:
    items = [item(n) for n in range(6)]
    asyncio.run(_apply(connect(emulator, emulator.transport), items[:2]))  # 0 and 1 exist: only looked up
    transport = CtrlCDuringPosts(emulator.transport, quick=1, hanging=2)

    async def go() -> list[Any]:
        async with connect(emulator, transport) as client:
            return await apply_all(client, items, concurrency=4)

    actions = interrupted_actions(go())
    assert actions[:2] == ["unchanged", "unchanged"]
    assert sorted(actions[2:]) == ["created", "unknown", "unknown", "unknown"]
    assert transport.posts == 4


def test_ctrl_c_during_delete_reports_in_flight_deletes_unknown(emulator: Any) -> None:
    from cloudevents_cli.platform.instance_refs import delete_refs, resolve_refs

    asyncio.run(_apply(connect(emulator, emulator.transport), [item(n) for n in range(5)]))
    transport = CtrlCDuringPosts(emulator.transport, quick=1, hanging=1, method="DELETE")

    async def go() -> list[Any]:
        async with connect(emulator, transport) as client:
            found = await resolve_refs(client, ["1", "2", "3", "4", "5"])
            return await delete_refs(client, found)

    actions = interrupted_actions(go())  # the five DELETEs start at once (concurrency 8); the third is the Ctrl-C
    # how many of the last two were sent before the Ctrl-C is the event loop's ordering: every DELETE sent is
    # `unknown` (or `deleted`), never `not-run`; at least the quick, the hanging and the interrupted one were sent
    assert actions.count("deleted") == 1 and transport.posts >= 3
    assert actions.count("deleted") + actions.count("unknown") >= transport.posts
    assert set(actions) <= {"deleted", "unknown", "not-run"}
    assert len(emulator.store.page(after=0, limit=100, tags=[], search=None)[0]) == 4


def test_ctrl_c_during_diff_is_not_run_for_what_did_not_finish(emulator: Any) -> None:
    class CtrlCOnSecondLookUp(httpx.AsyncBaseTransport):
        gets = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            self.gets += 1
            if self.gets == 2:
                raise KeyboardInterrupt
            return await emulator.transport.handle_async_request(request)

    async def go() -> list[Any]:
        async with connect(emulator, CtrlCOnSecondLookUp()) as client:
            return await apply_all(client, [item(n) for n in range(3)], concurrency=1, dry_run=True)

    assert interrupted_actions(go()) == ["would-create", "not-run", "not-run"]


# -- diff and apply compare the strings the platform stores --------------------------------------------------
class Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.bodies: list[tuple[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        content = await request.aread()
        self.bodies.append((request.method, json.loads(content) if content else None))
        return await self.inner.handle_async_request(request)


def exact_definition(version: str, code: str, flag: str) -> str:
    return (
        "name: exact\nelement: closeio\ntags: [t1]\nconfiguration:\n  username: bob\n  password: pw-value-1234\n"
        f'  app.version: "{version}"\n  app.build: "{code}"\n  app.flag: "{flag}"\n'
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [(("1.1", "7", "true"), ("1.10", "007", "TRUE")), (("1.10", "000123", "TRUE"), ("1.1", "123", "true"))],
)
def test_diff_and_apply_see_changes_that_normalising_would_hide(
    cli: Any, emulator: Any, tmp_path: Path, before: tuple[str, str, str], after: tuple[str, str, str]
) -> None:
    recording = Recording(emulator.transport)
    cli.seams.transport = recording
    g = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret, "--org-secret", emulator.org_secret]
    path = tmp_path / "exact.yaml"
    path.write_text(exact_definition(*before))
    assert cli(*g, "apply", str(path)).exit_code == 0
    path.write_text(exact_definition(*after))
    res = cli(*g, "diff", str(path), "-o", "json")
    assert res.exit_code == 1, res.output
    (result,) = json.loads(res.stdout)["results"]
    assert result["action"] == "would-update"
    assert [(c["path"], c["before"], c["after"]) for c in result["changes"]] == [
        ("configuration.app.version", before[0], after[0]),
        ("configuration.app.build", before[1], after[1]),
        ("configuration.app.flag", before[2], after[2]),
    ]
    res = cli(*g, "apply", str(path), "-o", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)["summary"] == {"updated": 1}
    patches = [body for method, body in recording.bodies if method == "PATCH"]
    assert patches == [{"configuration": {"app.version": after[0], "app.build": after[1], "app.flag": after[2]}}]
    assert cli(*g, "diff", str(path)).exit_code == 0


def test_diff_takes_update_secrets(cli: Any, emulator: Any, tmp_path: Path) -> None:
    cli.seams.transport = emulator.transport
    g = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret, "--org-secret", emulator.org_secret]
    path = tmp_path / "exact.yaml"
    path.write_text(exact_definition("1", "2", "true"))
    assert cli(*g, "apply", str(path)).exit_code == 0
    assert cli(*g, "diff", str(path)).exit_code == 0  # the platform masks the password: not a change
    res = cli(*g, "diff", "--update-secrets", str(path), "-o", "json")
    assert res.exit_code == 1, res.output
    (change,) = json.loads(res.stdout)["results"][0]["changes"]
    assert change == {"path": "configuration.password", "before": "********", "after": "********"}
    assert "pw-value-1234" not in res.output


def test_empty_resources_drop_every_resource() -> None:
    body = {"configuration": {"event.notification.enabled": True, "event.poller.configuration": {}}}
    live = {"configuration": {"event.notification.enabled": "true", "event.poller.configuration": json.dumps(POLLER)}}
    result = plan(body, live)
    assert result.patch == {"configuration": {"event.poller.configuration": {}}}
    assert result.changes == [
        {"path": "configuration.event.poller.configuration.contacts", "before": POLLER["contacts"], "after": None}
    ]
    assert (
        plan(body, {"configuration": {"event.notification.enabled": "true", "event.poller.configuration": "{}"}}).patch
        == {}
    )


# -- the ownership tag (apply --owner) ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("defined", "live", "sent"),
    [
        (["a", "b"], ["a", "b"], ["a", "b", "own"]),  # the definition's tags plus the owner's
        (["a", "b"], ["b", "a", "own"], None),  # a set: nothing to do
        (None, ["x"], ["x", "own"]),  # no tags in the definition: the live ones are kept, the owner's added
        (None, ["own", "x"], None),
        ([], ["x", "own"], ["own"]),  # `tags: []` still means no other tag
    ],
)
def test_the_owner_tag_joins_the_tags_apply_sends(defined: Any, live: Any, sent: Any) -> None:
    body = {k: v for k, v in BODY.items() if k != "tags"} | ({"tags": defined} if defined is not None else {})
    result = plan(body, {**LIVE, "tags": live}, owner="own")
    assert result.patch.get("tags") == sent
