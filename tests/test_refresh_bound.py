"""The refresh interval bound, at its edges: a day between polls is fine, a minute more is a warning, and
less than a minute is invalid (found by a mutation pass over the bound)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DEFINITION = (
    "name: x\nelement: closeio\nconfiguration:\n  username: bob\nevents:\n  type: polling\n"
    "  callback_url: https://hooks.example.com/x\n  signature_key: 0123456789abcdef0123\n  refresh_interval: {}\n"
)


@pytest.mark.parametrize(
    ("interval", "codes", "exit_code"), [(1, [], 0), (1440, [], 0), (1441, ["long-refresh-interval"], 0)]
)
def test_the_refresh_interval_bound(cli: Any, tmp_path: Path, interval: int, codes: list[str], exit_code: int) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DEFINITION.format(interval))
    res = cli("validate", str(path), "-o", "json")
    assert res.exit_code == exit_code, res.output
    assert [p["code"] for p in json.loads(res.stdout)["problems"]] == codes


def test_a_refresh_interval_below_one_minute_is_invalid(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DEFINITION.format(0))
    res = cli("validate", str(path), "-o", "json")
    assert res.exit_code == 3
    assert [p["path"] for p in json.loads(res.stdout)["problems"]] == ["events.refresh_interval"]


def test_webhooks_take_no_refresh_interval(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DEFINITION.format(15).replace("type: polling", "type: webhooks"))
    res = cli("validate", str(path), "-o", "json")
    assert res.exit_code == 3
    assert [p["code"] for p in json.loads(res.stdout)["problems"]] == ["polling-only"]
    path.write_text(
        DEFINITION.format(15).replace("type: polling", "type: webhooks").replace("  refresh_interval: 15\n", "")
    )
    assert cli("validate", str(path)).exit_code == 0
