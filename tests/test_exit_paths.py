"""The ends of a run outside the happy path: Ctrl-C (130), a bug (70), a closed stdout (0), and the one
function that turns a batch's results into an exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudevents_cli.errors import ExitCode, Interrupted, NotFound, Unreachable, batch_code
from cloudevents_cli.platform.results import Result

OFFLINE = ["--base-url", "http://127.0.0.1:9", "--user-secret", "user-secret-1", "--org-secret", "org-secret-1"]
DEFINITION = (
    "name: {name}\nelement: closeio\nconfiguration:\n  username: bob\n  password: pw-123456\n"
    "events:\n  type: polling\n  callback_url: https://hooks.example.com/x\n"
    "  signature_key: 0123456789abcdefgh\n"
)


@pytest.fixture
def defs(tmp_path: Path) -> Path:
    path = tmp_path / "defs.yaml"
    path.write_text("---\n".join(DEFINITION.format(name=n) for n in ("one", "two", "three")))
    return path


def interrupted_core(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """create_all stands in for a batch Ctrl-C'd with one POST done, one in flight and one not started."""
    results = [
        Result(f"{path}#1", "one", "closeio", "created", id=7, http_status=200),
        Result(f"{path}#2", "two", "closeio", "unknown", error=Unreachable("POST /instances: interrupted")),
        Result(f"{path}#3", "three", "closeio", "not-run"),
    ]

    async def create_all(*args: Any, on_done: Any = None, **kwargs: Any) -> Any:
        if on_done is not None:
            on_done(results[0])
        raise Interrupted(results=results)

    monkeypatch.setattr("cloudevents_cli.platform.create_apply.create_all", create_all)


def test_interrupted_batch_renders_its_results_and_exits_130(
    cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path
) -> None:
    interrupted_core(monkeypatch, defs)
    res = cli(*OFFLINE, "create", str(defs), "-o", "json")
    assert res.exit_code == 130
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1
    assert [r["action"] for r in doc["results"]] == ["created", "unknown", "not-run"]
    assert doc["summary"] == {"created": 1, "unknown": 1, "not-run": 1}
    assert res.stderr.splitlines()[-1] == "interrupted: 1 of 3 finished, 1 unknown"


def test_interrupted_stream_stays_json_lines(cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path) -> None:
    interrupted_core(monkeypatch, defs)
    res = cli(*OFFLINE, "create", str(defs), "-o", "json", "--stream")
    assert res.exit_code == 130
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [line.get("action") for line in lines] == ["created", "unknown", "not-run", None]
    assert lines[-1] == {"schema_version": 1, "summary": {"created": 1, "unknown": 1, "not-run": 1}}
    assert res.stderr.splitlines()[-1] == "interrupted: 1 of 3 finished, 1 unknown"


def test_interrupted_batch_as_a_table(cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path) -> None:
    interrupted_core(monkeypatch, defs)
    res = cli(*OFFLINE, "create", str(defs))
    assert res.exit_code == 130
    assert "unknown" in res.stdout and "not-run" in res.stdout and "three" in res.stdout
    assert "interrupted: 1 of 3 finished, 1 unknown" in res.stderr


def test_ctrl_c_outside_a_batch_is_one_line_and_130(cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path) -> None:
    def build(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("cloudevents_cli.definitions.pipeline.build", build)
    res = cli("validate", str(defs))
    assert res.exit_code == 130 and res.stderr == "interrupted\n" and res.stdout == ""


def test_internal_error_is_one_scrubbed_line_without_traceback(
    cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path
) -> None:
    def build(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom near user-secret-1\nsecond line")

    monkeypatch.setattr("cloudevents_cli.definitions.pipeline.build", build)
    res = cli(*OFFLINE, "validate", str(defs))
    assert res.exit_code == 70
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith("internal error: RuntimeError: boom near ******** second line")
    assert "user-secret-1" not in res.stderr and "run again with -v" in res.stderr

    res = cli(*OFFLINE, "-v", "validate", str(defs))
    assert res.exit_code == 70
    assert "Traceback" in res.stderr and "RuntimeError" in res.stderr and "user-secret-1" not in res.stderr


def test_closed_stdout_in_process_exits_0_quietly(cli: Any, monkeypatch: pytest.MonkeyPatch, defs: Path) -> None:
    def emit(*args: Any, **kwargs: Any) -> None:
        raise BrokenPipeError

    monkeypatch.setattr("cloudevents_cli.output.Output.emit", emit)
    res = cli("validate", str(defs), "-o", "json")
    assert res.exit_code == 0 and res.stderr == ""


def test_closed_stdout_pipe_exits_0_quietly(defs: Path) -> None:
    """`cloudevents ... | head -c 0`: the reader is gone before the first byte is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cloudevents_cli", "explain", "-o", "json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            env={k: v for k, v in os.environ.items() if not k.startswith("CE_")},
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0 and proc.stderr == b""


@pytest.mark.parametrize(
    ("actions", "kwargs", "code"),
    [
        (["created", "unchanged", "deleted"], {}, ExitCode.OK),
        (["created", "invalid"], {}, ExitCode.INVALID),
        (["created"], {"invalid_input": True}, ExitCode.INVALID),
        (["created", "unknown", "invalid"], {}, ExitCode.UNREACHABLE),
        (["would-update", "unchanged"], {"diff": True}, ExitCode.NO),
        (["would-update"], {}, ExitCode.OK),
        (["would-create", "invalid"], {"diff": True}, ExitCode.INVALID),
        ([], {}, ExitCode.OK),
    ],
)
def test_batch_code(actions: list[str], kwargs: dict[str, Any], code: ExitCode) -> None:
    results = [Result("f#1", "n", "e", action) for action in actions]
    assert batch_code(results, **kwargs) == code


def test_batch_code_of_failures_is_the_worst_error() -> None:
    failed = Result("f#1", "n", "e", "failed", error=NotFound("GET /instances/1: HTTP 404"))
    assert batch_code([failed]) == ExitCode.REJECTED
    assert batch_code([failed, Result("f#2", "n", "e", "unknown")]) == ExitCode.UNREACHABLE
    assert batch_code([Result("f#1", "n", "e", "failed")]) == ExitCode.INTERNAL
