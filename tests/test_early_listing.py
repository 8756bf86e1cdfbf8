"""apply's early listing: the run's account listed while a long build goes on (platform/create_apply.py), used
when apply lists that account, discarded otherwise; and the planner's quick path for equal stored strings."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudevents_cli.cli.app import Seams
from cloudevents_cli.config import Connection
from cloudevents_cli.platform import create_apply
from cloudevents_cli.platform.client import PlatformClient
from cloudevents_cli.platform.create_apply import EarlyListing
from cloudevents_cli.platform.planner import plan, same

BASE = "http://127.0.0.1:9/elements/api-v2"
G = ["--base-url", BASE, "--user-secret", "user-secret-1", "--org-secret", "org-secret-1"]
CONFIG = {"username": "bob", "password": "pw-value-1234"}


class Platform:
    """A platform with instances named tenant-N (closeio), listed in pages of 2; records every request."""

    def __init__(self, count: int, *, fail_first_listing: bool = False) -> None:
        self.instances = [
            {"id": n + 1, "name": f"tenant-{n}", "element": {"key": "closeio"}, "tags": [], "configuration": CONFIG}
            for n in range(count)
        ]
        self.fail_first_listing = fail_first_listing
        self.requests: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append((request.method, request.url.path, request.url.query.decode()))
            if request.method != "GET" or not request.url.path.endswith("/instances"):
                return httpx.Response(500, json={"message": "this test expects no write"})
            if self.fail_first_listing:
                self.fail_first_listing = False
                return httpx.Response(503, json={"message": "busy"})
        start = int(request.url.params.get("nextPage") or 0)
        search = request.url.params.get("searchText", "")
        found = [i for i in self.instances if search == i["name"]] if search else self.instances
        page = found[start : start + 2]
        more = start + 2 < len(found)
        return httpx.Response(200, json=page, headers={"elements-next-page-token": str(start + 2)} if more else {})

    def listings(self) -> int:
        return sum(1 for method, _, query in self.requests if method == "GET" and "nextPage" not in query)


def client_of(platform: Platform) -> PlatformClient:
    conn = Connection(base_url=BASE, user_secret="u-secret", org_secret="o-secret")
    return PlatformClient(conn, transport=httpx.MockTransport(platform.handle))


def test_an_early_listing_reads_every_page_in_its_own_thread() -> None:
    platform = Platform(5)
    early = EarlyListing(lambda: client_of(platform), after=0)
    listed = early.result()
    assert [i["name"] for i in listed or []] == [f"tenant-{n}" for n in range(5)]
    assert [m for m, _, _ in platform.requests] == ["GET"] * 3


def test_an_early_listing_cancelled_before_its_time_sends_nothing() -> None:
    platform = Platform(5)
    early = EarlyListing(lambda: client_of(platform), after=0.2)
    early.cancel()
    time.sleep(0.4)
    assert early.result() is None
    assert platform.requests == []


def test_an_early_listing_that_fails_is_not_retried_and_gives_nothing() -> None:
    platform = Platform(5, fail_first_listing=True)
    early = EarlyListing(lambda: client_of(platform), after=0)
    assert early.result() is None
    assert len(platform.requests) == 1  # one attempt: apply then lists the account itself, with its retries


def write_fleet(folder: Path, count: int) -> Path:
    folder.mkdir()
    (folder / "fleet.yaml").write_text(
        "tenants: tenants.csv\nname: ${tenant.name}\nelement: closeio\n"
        "configuration:\n  username: bob\n  password: pw-value-1234\n"
    )
    (folder / "tenants.csv").write_text("name\n" + "".join(f"tenant-{n}\n" for n in range(count)))
    return folder


@pytest.fixture
def listing_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(create_apply, "EARLY_LISTING_AFTER", 0.0)


@pytest.mark.usefixtures("listing_at_once")
def test_apply_of_a_large_batch_uses_the_early_listing_and_lists_once(cli: Any, tmp_path: Path) -> None:
    platform = Platform(30)
    res = cli(
        *G,
        "apply",
        str(write_fleet(tmp_path / "f", 30)),
        "-o",
        "json",
        seams=Seams(httpx.MockTransport(platform.handle)),
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"unchanged": 30}
    assert [r["name"] for r in doc["results"]] == [f"tenant-{n}" for n in range(30)]
    assert platform.listings() == 1
    assert {m for m, _, _ in platform.requests} == {"GET"}
    assert "pw-value-1234" not in res.output


@pytest.mark.usefixtures("listing_at_once")
def test_apply_lists_again_itself_when_the_early_listing_failed(cli: Any, tmp_path: Path) -> None:
    platform = Platform(30, fail_first_listing=True)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    seams = Seams(httpx.MockTransport(platform.handle), sleep=sleep)
    res = cli(*G, "apply", str(write_fleet(tmp_path / "f", 30)), "-o", "json", seams=seams)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"unchanged": 30}
    assert platform.listings() == 2
    assert waits == []  # the early listing made one attempt, apply's own listing needed no retry


@pytest.mark.usefixtures("listing_at_once")
def test_a_small_batch_searches_by_name_whatever_was_listed_early(cli: Any, tmp_path: Path) -> None:
    platform = Platform(30)
    res = cli(
        *G, "diff", str(write_fleet(tmp_path / "f", 3)), "-o", "json", seams=Seams(httpx.MockTransport(platform.handle))
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"unchanged": 3}
    searches = [q for m, _, q in platform.requests if "searchText" in q]
    assert len(searches) == 3


def test_without_a_long_build_apply_sends_nothing_before_deciding(cli: Any, tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "f", 3)
    (fleet / "bad.yaml").write_text("name: broken\nelement: closeio\nconfiguration: 5\n")
    platform = Platform(30)
    res = cli(*G, "apply", str(fleet), "-o", "json", seams=Seams(httpx.MockTransport(platform.handle)))
    assert res.exit_code == 3, res.output
    time.sleep(create_apply.EARLY_LISTING_AFTER + 0.2)
    assert platform.requests == []


@pytest.mark.parametrize(
    ("defined", "live"),
    [("x", "x"), (15, "15"), (True, "true"), ({"a": [1, "b"]}, '{"a":[1,"b"]}'), ('{"a": 1}', '{"a": 1}')],
)
def test_the_very_stored_string_is_the_same(defined: Any, live: Any) -> None:
    assert same(defined, live)
    assert plan({"configuration": {"k": defined}}, {"configuration": {"k": live}}).changed is False


@pytest.mark.parametrize(("defined", "live"), [({"a": 1}, '{"a":1.0}'), ({"a": 1}, '{"a":"1"}'), (15, "15.0")])
def test_a_near_string_still_differs(defined: Any, live: Any) -> None:
    assert not same(defined, live)
