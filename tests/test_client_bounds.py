"""Bounded work: every wait capped and counted in one budget per run, a deadline for each whole exchange,
a cap on pages, instances and answer size, and --timeout checked. Waits are injected (instant, recorded)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from cloudevents_cli.cli.app import Seams
from cloudevents_cli.config import Connection
from cloudevents_cli.errors import ExitCode
from cloudevents_cli.platform import client as client_mod
from cloudevents_cli.platform.client import PlatformClient
from cloudevents_cli.platform.errors import BadResponse, ServerError
from cloudevents_cli.platform.retry import RetryPolicy

BASE = "http://platform.test/elements/api-v2"
G = ["--base-url", BASE, "--user-secret", "user-1234", "--org-secret", "org-5678"]
INSTANCE = {"id": 7, "name": "acme", "element": {"key": "closeio"}}


class Clock:
    """A fake clock that only moves when the code under test sleeps: waits are instant and recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def client_for(handler: Callable[[httpx.Request], httpx.Response], clock: Clock, **policy: Any) -> PlatformClient:
    retry = RetryPolicy(sleep=clock.sleep, clock=lambda: clock.now, random=lambda: 0.5, **policy)
    conn = Connection(base_url=BASE, user_secret="u", org_secret="o", timeout=5.0)
    return PlatformClient(conn, transport=httpx.MockTransport(handler), policy=retry)


def run(client: PlatformClient, fn: Callable[[PlatformClient], Any]) -> Any:
    async def go() -> Any:
        async with client:
            return await fn(client)

    return asyncio.run(go())


def seams(handler: Callable[[httpx.Request], httpx.Response], waits: list[float]) -> Seams:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return Seams(transport=httpx.MockTransport(handler), sleep=sleep)


# -- waits --------------------------------------------------------------------------------------------------
def test_a_huge_retry_after_is_not_waited_for(cli: Any) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "100000"}, json={"message": "slow down"})

    waits: list[float] = []
    res = cli(*G, "list", seams=seams(handler, waits))
    assert res.exit_code == ExitCode.UNREACHABLE
    assert waits == [] and len(calls) == 1
    assert "asks to wait 100000 s, more than the 30 s this tool waits" in res.stderr


def test_retry_after_up_to_the_cap_is_honoured() -> None:
    clock = Clock()
    answers = [httpx.Response(429, headers={"Retry-After": "30"}), httpx.Response(200, json=INSTANCE)]
    assert run(client_for(lambda r: answers.pop(0), clock), lambda c: c.get_instance(7))["id"] == 7
    assert clock.waits == [30.0]


def test_the_wait_budget_is_shared_by_the_whole_run() -> None:
    clock = Clock()

    seen: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:  # each request is rate-limited once, for 25 s
        if request.url.path not in seen:
            seen.add(request.url.path)
            return httpx.Response(429, headers={"Retry-After": "25"})
        return httpx.Response(200, json=INSTANCE)

    async def many(client: PlatformClient) -> list[Any]:
        out: list[Any] = []
        for n in range(6):
            try:
                out.append((await client.get_instance(n))["id"])
            except ServerError as err:
                out.append(err.message)
        return out

    results = run(client_for(handler, clock), many)
    assert clock.waits == [25.0] * 4  # 100 s waited; a fifth wait would pass the run's 120 s
    assert results[:4] == [7] * 4
    assert all("the run's 120 s of retry waits are spent" in r for r in results[4:])
    assert sum(clock.waits) <= 120


def test_a_429_without_retry_after_is_tried_three_times() -> None:
    clock = Clock()
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, json={"message": "busy"})

    with pytest.raises(ServerError) as info:
        run(client_for(handler, clock), lambda c: c.get_instance(7))
    assert len(calls) == 3 and len(clock.waits) == 2
    assert "gave up after 3 attempts" in info.value.message


def test_a_429_with_retry_after_gets_more_tries_than_one_without() -> None:
    clock = Clock()
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 6:
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, json=INSTANCE)

    assert run(client_for(handler, clock), lambda c: c.get_instance(7))["id"] == 7
    assert clock.waits == [1.0] * 5


# -- deadlines ----------------------------------------------------------------------------------------------
class Trickle(httpx.AsyncByteStream):
    """A body that never ends: one byte at a time, each well within any per-read timeout."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.01)
            self.sent += 1
            yield b" "


def test_a_trickling_answer_hits_the_deadline_of_the_whole_exchange() -> None:
    clock = Clock()
    stream = Trickle()
    conn = Connection(base_url=BASE, user_secret="u", org_secret="o", timeout=0.2)
    policy = RetryPolicy(attempts=1, sleep=clock.sleep)
    client = PlatformClient(
        conn, transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=stream)), policy=policy
    )
    with pytest.raises(Exception) as info:
        run(client, lambda c: c.get_instance(7))
    assert "no complete answer within 0.2 s" in str(info.value)
    assert 0 < stream.sent < 1000


@pytest.fixture
def trickling_server() -> Iterator[str]:
    """A loopback HTTP server that sends its headers, then one byte of the body every 50 ms, forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    def trickle(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[")
                while not stop.wait(0.05):
                    conn.sendall(b" ")
            except OSError:
                return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/elements/api-v2"
    stop.set()
    thread.join(5)
    server.close()


def test_a_trickling_server_cannot_hold_the_run(cli: Any, trickling_server: str) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    g = ["--base-url", trickling_server, "--user-secret", "user-1234", "--org-secret", "org-5678"]
    res = cli(*g, "--timeout", "0.3", "list", seams=Seams(sleep=sleep))
    assert res.exit_code == ExitCode.UNREACHABLE, res.output
    assert "no complete answer within 0.3 s" in res.stderr and "gave up after 5 attempts" in res.stderr
    assert len(waits) == 4


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1"])
def test_timeout_must_be_positive_and_finite(cli: Any, value: str) -> None:
    res = cli(*G, "--timeout", value, "list", seams=Seams(transport=httpx.MockTransport(lambda r: pytest.fail())))
    assert res.exit_code == ExitCode.USAGE
    assert "--timeout must be a positive, finite number of seconds" in res.stderr


# -- pages, instances, answer size --------------------------------------------------------------------------
def test_endless_page_tokens_stop_at_the_page_cap(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_mod, "MAX_PAGES", 20)
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        n = len(calls)
        page = [{"id": n, "name": f"i{n}"}]
        return httpx.Response(200, json=page, headers={"elements-next-page-token": f"token-{n}"})

    res = cli(*G, "list", seams=seams(handler, []))
    assert res.exit_code == ExitCode.UNREACHABLE
    assert len(calls) == 20
    assert "more than 20 pages of 200, the most this tool follows" in res.stderr


def test_listing_stops_at_the_instance_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_mod, "MAX_INSTANCES", 50)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        page = [{"id": len(calls) * 100 + i, "name": "x"} for i in range(20)]
        return httpx.Response(200, json=page, headers={"elements-next-page-token": f"t{len(calls)}"})

    with pytest.raises(BadResponse) as info:
        run(client_for(handler, Clock()), lambda c: c.list_instances())
    assert "more than 50 instances" in info.value.message and len(calls) == 3


def test_an_answer_larger_than_the_cap_is_refused_without_reading_it_all(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_mod, "MAX_ANSWER_BYTES", 64 * 1024)
    pulled: list[int] = []

    class Huge(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(10_000):  # 10 MB if read to the end
                pulled.append(1)
                yield b"x" * 1024

    res = cli(*G, "list", seams=seams(lambda r: httpx.Response(200, stream=Huge()), []))
    assert res.exit_code == ExitCode.UNREACHABLE
    assert "the answer is larger than 65536 bytes, the most this tool reads" in res.stderr
    assert len(pulled) <= 65


def test_the_answer_cap_is_named_in_mib() -> None:
    clock = Clock()

    class Huge(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            chunk = b"x" * (1024 * 1024)
            for _ in range(100):
                yield chunk

    client = client_for(lambda r: httpx.Response(200, stream=Huge()), clock)
    with pytest.raises(BadResponse) as info:
        run(client, lambda c: c.get_instance(7))
    assert "larger than 64 MiB" in info.value.message


# -- the bounds of the retry policy, one by one --------------------------------------------------------------
def test_backoff_doubles_from_half_a_second_up_to_ten_seconds() -> None:
    policy = RetryPolicy(random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert RetryPolicy(random=lambda: 0.0).backoff(6) == 5.0  # half fixed, half random


def test_a_429_with_retry_after_is_tried_twelve_times() -> None:
    clock = Clock()
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": "1"})

    with pytest.raises(ServerError) as info:
        run(client_for(handler, clock), lambda c: c.get_instance(7))
    assert len(calls) == 12 and clock.waits == [1.0] * 11
    assert "gave up after 12 attempts" in info.value.message


def test_the_run_may_wait_exactly_its_budget() -> None:
    clock = Clock()
    seen: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path not in seen:
            seen.add(request.url.path)
            return httpx.Response(429, headers={"Retry-After": "30" if len(seen) < 5 else "1"})
        return httpx.Response(200, json=INSTANCE)

    async def many(client: PlatformClient) -> list[Any]:
        out: list[Any] = []
        for n in range(5):
            try:
                out.append((await client.get_instance(n))["id"])
            except ServerError:
                out.append("gave up")
        return out

    assert run(client_for(handler, clock), many) == [7, 7, 7, 7, "gave up"]
    assert clock.waits == [30.0] * 4


def test_every_request_waits_out_the_shared_retry_after_gate() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # time stands still: the gate is still closed for the next request
        waits.append(seconds)

    answers = [httpx.Response(429, headers={"Retry-After": "0.5"}), httpx.Response(200, json=INSTANCE)]
    answers.append(httpx.Response(200, json=INSTANCE))
    policy = RetryPolicy(sleep=sleep, clock=lambda: 100.0)
    conn = Connection(base_url=BASE, user_secret="u", org_secret="o")
    client = PlatformClient(conn, transport=httpx.MockTransport(lambda r: answers.pop(0)), policy=policy)

    async def two(c: PlatformClient) -> None:
        await c.get_instance(1)
        await c.get_instance(2)

    run(client, two)
    assert waits == [0.5, 0.5]


def test_a_backoff_closes_no_gate_for_other_requests() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    answers = [httpx.Response(503), httpx.Response(200, json=INSTANCE), httpx.Response(200, json=INSTANCE)]
    policy = RetryPolicy(sleep=sleep, clock=lambda: 100.0, random=lambda: 0.0)
    conn = Connection(base_url=BASE, user_secret="u", org_secret="o")
    client = PlatformClient(conn, transport=httpx.MockTransport(lambda r: answers.pop(0)), policy=policy)

    async def two(c: PlatformClient) -> None:
        await c.get_instance(1)
        await c.get_instance(2)

    run(client, two)
    assert waits == [0.25]


def test_429s_after_another_failure_get_the_ordinary_attempts() -> None:
    clock = Clock()
    answers = [httpx.Response(500)] + [httpx.Response(429, headers={"Retry-After": "1"})] * 20
    with pytest.raises(ServerError) as info:
        run(client_for(lambda r: answers.pop(0), clock), lambda c: c.get_instance(7))
    assert len(answers) == 16 and info.value.message.endswith("gave up after 5 attempts")


def test_a_post_answered_500_is_not_repeated() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500, json={"message": "boom"})

    with pytest.raises(ServerError) as info:
        run(client_for(handler, Clock()), lambda c: c.create_instance({"name": "x"}))
    assert calls == [1] and "HTTP 500: boom" in info.value.message


def test_a_delete_refused_with_503_then_404_is_not_found() -> None:
    from cloudevents_cli.errors import NotFound

    answers = [httpx.Response(503), httpx.Response(404, json={"message": "no such instance"})]
    with pytest.raises(NotFound):
        run(client_for(lambda r: answers.pop(0), Clock()), lambda c: c.delete_instance(7))


def test_retries_are_logged_and_giving_up_says_how_many_attempts() -> None:
    lines: list[str] = []
    answers = [httpx.Response(503), httpx.Response(200, json=INSTANCE)]
    retry = RetryPolicy(sleep=Clock().sleep, random=lambda: 0.5)
    conn = Connection(base_url=BASE, user_secret="u", org_secret="o")
    client = PlatformClient(
        conn, transport=httpx.MockTransport(lambda r: answers.pop(0)), policy=retry, log=lines.append
    )
    run(client, lambda c: c.get_instance(7))
    assert "GET /instances/7: HTTP 503; retry 1/4 in 0.4 s" in lines
    with pytest.raises(ServerError) as info:
        run(client_for(lambda r: httpx.Response(503), Clock(), attempts=1), lambda c: c.get_instance(7))
    assert info.value.message.endswith("; gave up after 1 attempt")
    with pytest.raises(ServerError) as info:
        run(client_for(lambda r: httpx.Response(503), Clock(), attempts=2), lambda c: c.get_instance(7))
    assert info.value.message.endswith("; gave up after 2 attempts")


def test_a_closed_gate_beyond_the_budget_fails_at_once() -> None:
    calls: list[int] = []
    policy = RetryPolicy(sleep=Clock().sleep, clock=lambda: 0.0, waited=118.0)
    policy._not_before = 5.0
    conn = Connection(base_url=BASE, user_secret="u", org_secret="o")
    handler = httpx.MockTransport(lambda r: calls.append(1) or httpx.Response(200, json=INSTANCE))
    client = PlatformClient(conn, transport=handler, policy=policy)
    with pytest.raises(Exception) as info:
        run(client, lambda c: c.get_instance(7))
    assert "retry budget is spent" in str(info.value) and calls == []


def test_a_fresh_policy_has_no_gate_whatever_the_clock_says() -> None:
    clock = Clock()
    clock.now = -1000.0  # a monotonic clock may start anywhere
    client = client_for(lambda r: httpx.Response(200, json=INSTANCE), clock)
    run(client, lambda c: c.get_instance(7))
    assert clock.waits == []


def test_a_name_lookup_failure_is_found_through_cause_or_context() -> None:
    from cloudevents_cli.platform.retry import _unresolved

    caused = httpx.ConnectError("connect failed")
    caused.__cause__ = socket.gaierror(-2, "Name or service not known")
    inner = httpx.ConnectError("inner")
    inner.__context__ = socket.gaierror(-3, "Temporary failure in name resolution")
    contexted = httpx.ConnectError("outer")
    contexted.__context__ = inner
    refused = httpx.ConnectError("refused")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert _unresolved(caused) and _unresolved(contexted)
    assert not _unresolved(refused) and not _unresolved(httpx.ConnectError("plain"))


def test_a_404_to_a_first_delete_is_not_found_but_after_a_retry_it_is_done() -> None:
    from cloudevents_cli.errors import NotFound

    clock = Clock()
    with pytest.raises(NotFound):
        run(client_for(lambda r: httpx.Response(404, json={"message": "no"}), clock), lambda c: c.delete_instance(7))
    answers = [httpx.Response(500), httpx.Response(404, json={"message": "gone"})]
    assert run(client_for(lambda r: answers.pop(0), clock), lambda c: c.delete_instance(7)) == 200
