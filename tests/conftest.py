"""Tests never touch the developer's machine: config dir, environment and colour are isolated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cloudevents_cli import redact

pytest_plugins = ["tests.emulator_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample-configs"


@pytest.fixture(autouse=True)
def isolation(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("CE_") or name in {"NO_COLOR", "FORCE_COLOR", "CI"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    redact.clear()
    yield home
    redact.clear()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Cli:
    """Runs the app in-process: cli("validate", "x.yaml", input=..., env=...) -> Result.

    Every run injects `self.seams` (cli/app.py's Seams): set `cli.seams.transport` / `cli.seams.sleep` for a
    test, or pass `seams=Seams(...)` to one run."""

    def __init__(self) -> None:
        from cloudevents_cli.cli.app import Seams

        self.seams = Seams()
        self.runner = CliRunner()

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None, seams: Any = None
    ) -> Result:
        from cloudevents_cli.cli import app

        redact.clear()  # each run is a fresh process: it knows only the secrets it registers itself
        obj = seams if seams is not None else self.seams
        res = self.runner.invoke(app, list(args), input=input, env=env, catch_exceptions=True, obj=obj)
        exc = res.exception if not isinstance(res.exception, SystemExit) else None
        return Result(res.exit_code, res.stdout, res.stderr, exc)


@pytest.fixture
def cli() -> Cli:
    return Cli()
