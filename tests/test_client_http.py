"""The platform client on the wire: exact requests (httpx.MockTransport), error mapping, retries, paging."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cloudevents_cli import __version__
from cloudevents_cli.config import Connection
from cloudevents_cli.errors import AuthFailed, ExitCode, NotFound, OutcomeUnknown, PlatformError, Unreachable
from cloudevents_cli.platform.client import PlatformClient
from cloudevents_cli.platform.errors import BadResponse, ServerError
from cloudevents_cli.platform.retry import RetryPolicy, retry_after

BASE = "http://platform.test/elements/api-v2"
USER = "user-secret-0123"
ORG = "org-secret-4567"
INSTANCE = {"id": 7, "name": "acme", "element": {"id": 1, "key": "hubspotcrm"}, "configuration": {}}


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response], *, attempts: int = 5, log: Any = None
) -> tuple[PlatformClient, Recorder]:
    rec = Recorder()
    policy = RetryPolicy(attempts=attempts, sleep=rec.sleep, random=lambda: 0.5)
    conn = Connection(base_url=BASE, user_secret=USER, org_secret=ORG, timeout=5.0)
    return PlatformClient(conn, transport=httpx.MockTransport(handler), policy=policy, log=log), rec


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def call(client: PlatformClient, fn: Callable[[PlatformClient], Any]) -> Any:
    async with client:
        return await fn(client)


def test_create_sends_exact_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=INSTANCE)

    client, _ = make_client(handler)
    body = {"element": {"key": "hubspotcrm"}, "configuration": {"a": 1}, "tags": ["x"], "name": "acme"}
    result = run(call(client, lambda c: c.create_instance(body)))
    assert result["id"] == 7
    (req,) = seen
    assert req.method == "POST"
    assert req.url.path == "/elements/api-v2/instances"
    assert req.headers["Authorization"] == f"User {USER}, Organization {ORG}"
    assert req.headers["User-Agent"] == f"cloudevents-cli/{__version__}"
    assert req.headers["Content-Type"] == "application/json"
    assert json.loads(req.content) == body


def test_get_patch_delete_paths() -> None:
    seen: list[tuple[str, str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, json.loads(request.content) if request.content else None))
        return httpx.Response(200, json=INSTANCE)

    client, _ = make_client(handler)

    async def go(c: PlatformClient) -> None:
        await c.get_instance(7)
        await c.patch_instance(7, {"tags": ["a"]})
        await c.delete_instance(7)

    run(call(client, go))
    assert seen == [
        ("GET", "/elements/api-v2/instances/7", None),
        ("PATCH", "/elements/api-v2/instances/7", {"tags": ["a"]}),
        ("DELETE", "/elements/api-v2/instances/7", None),
    ]


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_map_to_exit_5(status: int) -> None:
    client, rec = make_client(lambda r: httpx.Response(status, json={"requestId": "r-1", "message": "Invalid"}))
    with pytest.raises(AuthFailed) as info:
        run(call(client, lambda c: c.get_instance(1)))
    assert info.value.exit_code == ExitCode.AUTH
    assert "r-1" in info.value.message and str(status) in info.value.message
    assert rec.sleeps == []


def test_400_is_one_line_with_message_status_and_request_id() -> None:
    body = {"requestId": "5f1e-req", "message": "Missing required configuration: username"}
    client, _ = make_client(lambda r: httpx.Response(400, json=body))
    with pytest.raises(PlatformError) as info:
        run(call(client, lambda c: c.create_instance({"name": "x"})))
    err = info.value
    assert err.exit_code == ExitCode.REJECTED
    assert err.status == 400 and err.request_id == "5f1e-req"
    assert "\n" not in err.message
    assert "HTTP 400" in err.message and "Missing required configuration: username" in err.message
    assert "5f1e-req" in err.message


def test_404_is_not_found() -> None:
    client, _ = make_client(lambda r: httpx.Response(404, json={"requestId": "q", "message": "No instance"}))
    with pytest.raises(NotFound):
        run(call(client, lambda c: c.get_instance(99)))


def test_error_body_not_json_is_described_not_dumped() -> None:
    html = "<html><body>Bad gateway at the proxy " + "x" * 500 + "</body></html>"
    client, _ = make_client(lambda r: httpx.Response(418, text=html, headers={"content-type": "text/html"}))
    with pytest.raises(PlatformError) as info:
        run(call(client, lambda c: c.get_instance(1)))
    assert "non-JSON body (text/html" in info.value.message
    assert "<html>" not in info.value.message


def test_500_repeated_gives_up_with_exit_6_after_retries() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500, json={"requestId": "r5", "message": "boom"})

    client, rec = make_client(handler)
    with pytest.raises(ServerError) as info:
        run(call(client, lambda c: c.get_instance(1)))
    assert info.value.exit_code == ExitCode.UNREACHABLE
    assert len(calls) == 5
    assert len(rec.sleeps) == 4
    # exponential: 0.5, 1, 2, 4 with equal jitter at random()=0.5 -> 3/4 of each
    assert rec.sleeps == [0.375, 0.75, 1.5, 3.0]
    assert "gave up after 5 attempts" in info.value.message and "r5" in info.value.message


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_retried_then_succeed(status: int) -> None:
    answers = [httpx.Response(status, text="busy"), httpx.Response(200, json=INSTANCE)]
    client, rec = make_client(lambda r: answers.pop(0))
    assert run(call(client, lambda c: c.get_instance(7)))["id"] == 7
    assert len(rec.sleeps) == 1


def test_429_honours_retry_after() -> None:
    answers = [
        httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "3"}),
        httpx.Response(200, json=INSTANCE),
    ]
    client, rec = make_client(lambda r: answers.pop(0))
    run(call(client, lambda c: c.create_instance({"name": "x"})))
    assert rec.sleeps == [3.0]


def test_retry_after_http_date() -> None:
    resp = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after(resp) == 0.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def test_connection_refused_is_unreachable_after_retries() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("Connection refused", request=request)

    client, _ = make_client(handler)
    with pytest.raises(Unreachable) as info:
        run(call(client, lambda c: c.create_instance({"name": "x"})))
    assert not isinstance(info.value, OutcomeUnknown)
    assert info.value.exit_code == ExitCode.UNREACHABLE
    assert len(calls) == 5  # a POST that was never sent is safe to repeat
    assert "could not be reached" in info.value.message


@pytest.mark.parametrize("exc", [httpx.ReadError, httpx.RemoteProtocolError, httpx.ReadTimeout])
def test_post_dropped_after_sending_is_never_repeated(exc: type[Exception]) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise exc("connection dropped", request=request)  # type: ignore[call-arg]

    client, rec = make_client(handler)
    with pytest.raises(OutcomeUnknown) as info:
        run(call(client, lambda c: c.create_instance({"name": "x"})))
    assert calls == ["POST"]
    assert rec.sleeps == []
    assert info.value.exit_code == ExitCode.UNREACHABLE
    assert "outcome is unknown" in info.value.message


def test_post_502_is_outcome_unknown_not_repeated() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(502, text="bad gateway")

    client, _ = make_client(handler)
    with pytest.raises(OutcomeUnknown):
        run(call(client, lambda c: c.create_instance({"name": "x"})))
    assert calls == [1]


def test_get_read_error_is_retried() -> None:
    answers: list[Any] = [httpx.ReadError("reset"), httpx.Response(200, json=INSTANCE)]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client, rec = make_client(handler)
    assert run(call(client, lambda c: c.get_instance(7)))["id"] == 7
    assert len(rec.sleeps) == 1


def test_delete_404_after_a_dropped_first_attempt_counts_as_done() -> None:
    answers: list[Any] = [httpx.ReadError("reset"), httpx.Response(404, json={"message": "gone"})]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client, _ = make_client(handler)
    assert run(call(client, lambda c: c.delete_instance(7))) == 200


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b"[1, 2", b'"just a string"'])
def test_garbage_200_body_is_a_clean_error(body: bytes) -> None:
    client, _ = make_client(lambda r: httpx.Response(200, content=body))
    with pytest.raises(BadResponse) as info:
        run(call(client, lambda c: c.get_instance(7)))
    assert info.value.exit_code == ExitCode.UNREACHABLE
    assert "\n" not in info.value.message


def test_garbage_200_to_a_post_is_outcome_unknown() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, content=b"<html/>"))
    with pytest.raises(OutcomeUnknown):
        run(call(client, lambda c: c.create_instance({"name": "x"})))


def test_paging_follows_the_next_page_token() -> None:
    items = [{"id": i, "name": f"n{i}", "element": {"key": "e"}} for i in range(7)]
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append({k: request.url.params.get_list(k) for k in params})
        size = int(params["pageSize"])
        start = int(params.get("nextPage", "0"))
        page = items[start : start + size]
        headers = {"elements-next-page-token": str(start + size)} if start + size < len(items) else {}
        return httpx.Response(200, json=page, headers=headers)

    client, _ = make_client(handler)
    got = run(call(client, lambda c: c.list_instances(tags=["a", "b"], search_text="n", page_size=3)))
    assert [i["id"] for i in got] == list(range(7))
    assert len(seen) == 3
    assert seen[0] == {"tags[]": ["a", "b"], "searchText": ["n"], "pageSize": ["3"]}
    assert seen[1]["nextPage"] == ["3"] and seen[2]["nextPage"] == ["6"]


def test_list_not_a_list_is_bad_response() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, json={"oops": 1}))
    with pytest.raises(BadResponse):
        run(call(client, lambda c: c.list_instances()))


def test_find_filters_exactly_and_resolve_reports_ambiguity() -> None:
    listing = [
        {"id": 1, "name": "acme", "element": {"key": "hubspotcrm"}},
        {"id": 2, "name": "acme-2", "element": {"key": "hubspotcrm"}},
        {"id": 3, "name": "acme", "element": {"key": "sfdc"}},
    ]
    client, _ = make_client(lambda r: httpx.Response(200, json=listing))
    found = run(call(client, lambda c: c.find("acme", "hubspotcrm")))
    assert [i["id"] for i in found] == [1]
    client, _ = make_client(lambda r: httpx.Response(200, json=listing))
    with pytest.raises(PlatformError) as info:
        run(call(client, lambda c: c.resolve("acme")))
    assert "1, 3" in info.value.message


def test_verbose_log_masks_secrets_and_never_shows_authorization() -> None:
    lines: list[str] = []
    client, _ = make_client(lambda r: httpx.Response(200, json=INSTANCE), log=lines.append)
    body = {"name": "x", "configuration": {"password": "hunter2-pass", "username": "bob"}}
    run(call(client, lambda c: c.create_instance(body)))
    (line,) = lines
    assert "POST http://platform.test/elements/api-v2/instances -> 200" in line
    assert " ms" in line and "bob" in line
    assert "hunter2-pass" not in line and USER not in line and ORG not in line


def test_cli_runs_use_the_injected_seams(cli: Any) -> None:
    from cloudevents_cli.cli.app import Seams

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    answers = [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json=[INSTANCE])]
    seams = Seams(transport=httpx.MockTransport(lambda r: answers.pop(0)), sleep=sleep)
    res = cli("--base-url", BASE, "--user-secret", USER, "--org-secret", ORG, "list", "-o", "id", seams=seams)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "7\n" and waits == [3.0]


def test_ca_bundle_must_be_pem(tmp_path: Any) -> None:
    from cloudevents_cli.errors import UsageError
    from cloudevents_cli.platform.client import ssl_context

    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(UsageError):
        ssl_context(bad)
    assert ssl_context(None).verify_mode.name == "CERT_REQUIRED"
