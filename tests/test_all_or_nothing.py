"""All or nothing: an invalid definition among ten, and apply, create and plan send nothing (exit 3, every
problem reported, counted on the wire); --partial sends the nine valid ones. diff compares what it can."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fleet_support import ENV, live, wire, write_fleet

BROKEN = "name: broken-{n}\nelement: closeio\nconfiguration:\n  username: [not, a, string]\n  password: pw-1234567\n"


def fleet_with_broken(folder: Path, broken: int = 1) -> Path:
    defs = write_fleet(folder, [f"t-{n}" for n in range(10 - broken)])
    for n in range(broken):
        (defs / f"zz-broken-{n}.yaml").write_text(BROKEN.format(n=n))
    return defs


@pytest.mark.parametrize("command", ["apply", "create", "plan"])
def test_an_invalid_definition_among_ten_sends_nothing(
    cli: Any, emulator_server: Any, tmp_path: Path, command: str
) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = fleet_with_broken(tmp_path / "defs", broken=2)
    plan_file = tmp_path / "plan.json"
    extra = ["--out", str(plan_file)] if command == "plan" else []
    res = cli(*args, command, str(defs), "-o", "json", *extra, env=ENV)
    assert res.exit_code == 3
    assert wire_.calls == []  # not even a listing
    assert live(emulator_server) == [] and not plan_file.exists()
    assert "zz-broken-0.yaml:4:" in res.stderr and "zz-broken-1.yaml:4:" in res.stderr  # every problem, located
    assert "nothing was sent (--partial sends the valid ones)" in res.stderr
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"not-run": 8, "invalid": 2}


@pytest.mark.parametrize("command", ["apply", "create"])
def test_partial_sends_the_valid_nine(cli: Any, emulator_server: Any, tmp_path: Path, command: str) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = fleet_with_broken(tmp_path / "defs")
    res = cli(*args, command, str(defs), "--partial", "-o", "json", env=ENV)
    assert res.exit_code == 3
    assert [m for m, _, _ in wire_.writes] == ["POST"] * 9
    assert json.loads(res.stdout)["summary"] == {"created": 9, "invalid": 1}
    assert len(live(emulator_server)) == 9


def test_diff_still_compares_the_valid_ones(cli: Any, emulator_server: Any, tmp_path: Path) -> None:
    args, _ = wire(cli, emulator_server)
    defs = fleet_with_broken(tmp_path / "defs")
    res = cli(*args, "diff", str(defs), "-o", "json", env=ENV)
    assert res.exit_code == 3
    assert json.loads(res.stdout)["summary"] == {"would-create": 9, "invalid": 1}


def test_a_file_that_does_not_load_stops_the_run_too(cli: Any, emulator_server: Any, tmp_path: Path) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", ["t-1", "t-2"])
    (defs / "bad.yaml").write_text("name: [unclosed\n")
    res = cli(*args, "apply", str(defs), env=ENV)
    assert res.exit_code == 3 and wire_.calls == []
