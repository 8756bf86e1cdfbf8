"""--shard I/N: shards 1/N..N/N cover every definition exactly once, by a hash that is the same in every process;
bad values are usage errors; and --stream's JSON lines, written as each result finishes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudevents_cli.platform.plans import parse_shard, shard_of
from tests.fleet_support import ENV, wire, write_fleet

OFFLINE = ["--base-url", "http://127.0.0.1:9", "--user-secret", "u-secret-1", "--org-secret", "o-secret-1"]
KEYS = st.tuples(st.text(min_size=1, max_size=20), st.sampled_from(["closeio", "hubspot", "zendesk"]))


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(KEYS, unique=True, max_size=60), n=st.integers(min_value=1, max_value=9))
def test_shards_cover_every_definition_exactly_once(keys: list[tuple[str, str]], n: int) -> None:
    shards = [[k for k in keys if shard_of(k[0], k[1], "", n) == i] for i in range(1, n + 1)]
    assert sorted(k for shard in shards for k in shard) == sorted(keys)


def test_the_split_is_the_same_in_every_process() -> None:
    code = "from cloudevents_cli.platform.plans import shard_of as s\n"
    code += "print([s(f't{i}', 'closeio', '', 7) for i in range(40)])"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True
        ).stdout
        for seed in ("1", "2", "random")
    }
    assert len(runs) == 1 and runs.pop() == repr([shard_of(f"t{i}", "closeio", "", 7) for i in range(40)]) + "\n"


def test_shards_through_the_cli_cover_the_fleet_once(cli: Any, tmp_path: Path) -> None:
    names = [f"tenant-{n}" for n in range(40)]
    defs = write_fleet(tmp_path / "defs", names)
    seen: list[str] = []
    for i in range(1, 5):
        res = cli(*OFFLINE, "create", str(defs), "--dry-run", "--shard", f"{i}/4", "-o", "json", env=ENV)
        assert res.exit_code == 0, res.output
        seen += [r["name"] for r in json.loads(res.stdout)["results"]]
    assert sorted(seen) == sorted(names)
    assert 0 < len(set(seen[:10])) < 40  # each shard holds a part, not all


@pytest.mark.parametrize("value", ["0/4", "5/4", "1/0", "a/b", "1/4/2", "", "-1/4", "1 / 4x", "²/4"])
@pytest.mark.parametrize("command", ["apply", "create", "diff", "plan"])
def test_bad_shards_are_usage_errors(cli: Any, tmp_path: Path, command: str, value: str) -> None:
    defs = write_fleet(tmp_path / "defs", ["t-a"])
    res = cli(*OFFLINE, command, str(defs), "--shard", value)
    assert res.exit_code == 2 and "--shard" in res.stderr and "Traceback" not in res.output


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1/1 ") == (1, 1)


# -- --stream -----------------------------------------------------------------------------------------------
def test_stream_needs_json(cli: Any, tmp_path: Path) -> None:
    defs = write_fleet(tmp_path / "defs", ["t-a"])
    res = cli(*OFFLINE, "apply", str(defs), "--stream")
    assert res.exit_code == 2 and "--stream goes with -o json" in res.stderr


def test_stream_lines_are_results_then_a_summary(cli: Any, emulator_server: Any, tmp_path: Path) -> None:
    args, _ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", [f"t-{n}" for n in range(5)])
    res = cli(*args, "-o", "json", "apply", str(defs), "--stream", env=ENV)
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert all(line["schema_version"] == 1 for line in lines)
    assert sorted(line["name"] for line in lines[:-1]) == [f"t-{n}" for n in range(5)]
    assert {line["action"] for line in lines[:-1]} == {"created"} and all(line["id"] for line in lines[:-1])
    assert lines[-1] == {"schema_version": 1, "summary": {"created": 5}}
    assert "fleet-password" not in res.stdout


class Gate:
    """A loopback proxy to the emulator that holds the second POST until the test has read a line of output
    (or 20 seconds: then the line did not come before the second result, and `timed_out` says so)."""

    def __init__(self, upstream: str) -> None:
        self.opened = threading.Event()
        self.posts = 0
        self.timed_out = False
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "POST":
                    gate.posts += 1
                    if gate.posts == 2:
                        gate.timed_out = not gate.opened.wait(20)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(self.command, upstream + self.path, content=body, headers=headers)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PATCH = _forward

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gate(emulator_server: Any) -> Iterator[Gate]:
    handle = Gate(emulator_server.root_url)
    yield handle
    handle.opened.set()
    handle.server.shutdown()
    handle.server.server_close()


def test_stream_writes_each_line_as_its_result_finishes(gate: Gate, emulator_server: Any, tmp_path: Path) -> None:
    defs = write_fleet(tmp_path / "defs", ["t-1", "t-2"])
    command = [sys.executable, "-m", "cloudevents_cli", "--base-url", gate.url, "--user-secret"]
    command += [emulator_server.user_secret, "--org-secret", emulator_server.org_secret, "-o", "json"]
    command += ["create", str(defs), "--stream", "--concurrency", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")} | ENV
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # arrives while the second POST is held (not after 20 s)
        gate.opened.set()
        rest = [json.loads(line) for line in proc.stdout]
        assert proc.wait(30) == 0, proc.stderr.read() if proc.stderr else ""
    assert not gate.timed_out and gate.posts == 2
    assert first["action"] == "created" and first["name"] == "t-1"
    assert [line.get("action") for line in rest] == ["created", None] and "summary" in rest[-1]
