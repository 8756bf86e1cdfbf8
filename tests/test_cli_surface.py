"""What every command shares: -q/-v after the command, typo suggestions, help without Python types, one-line
usage errors, no escape codes off a terminal, and the emulator's exit codes on Ctrl-C and SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cloudevents_cli.cli import app
from cloudevents_cli.cli.app import Seams
from cloudevents_cli.cli.commands import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
PW = "surface-password-4711"
DEFINITION = f"""\
name: surface
element: closeio
configuration:
  username: bob
  password: {PW}
"""


@pytest.fixture
def platform(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Run the CLI in-process against the in-process emulator: platform(*args, env=...) -> click Result."""
    wired = ["--base-url", emulator.base_url, "--user-secret", emulator.user_secret]
    wired += ["--org-secret", emulator.org_secret]

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return CliRunner().invoke(app, [*wired, *args], obj=Seams(transport=emulator.transport), env=env)

    return run


@pytest.fixture
def definition(tmp_path: Path) -> Path:
    path = tmp_path / "surface.yaml"
    path.write_text(DEFINITION)
    return path


# -- -q / -v after the command ------------------------------------------------------------------------------
def test_verbose_after_the_command_logs_each_http_exchange(platform: Any, definition: Path) -> None:
    verbose = platform("apply", str(definition), "-v")
    assert verbose.exit_code == 0, verbose.output
    lines = [line for line in verbose.stderr.splitlines() if line.startswith("http: ")]
    assert any(line.startswith("http: GET ") for line in lines), verbose.stderr
    assert any(line.startswith("http: POST ") and "body=" in line for line in lines), verbose.stderr
    assert PW not in verbose.stderr  # the exchanges are logged with secrets masked

    plain = platform("apply", str(definition))
    assert plain.exit_code == 0, plain.output
    assert "http: " not in plain.stderr

    long_form = platform("list", "-o", "json", "--verbose")
    assert long_form.exit_code == 0 and "http: GET " in long_form.stderr
    assert [i["name"] for i in json.loads(long_form.stdout)["instances"]] == ["surface"]  # stdout stays data


def test_quiet_after_the_command_silences_info_lines(platform: Any, definition: Path) -> None:
    assert platform("create", str(definition)).exit_code == 0
    loud = platform("list")
    assert loud.exit_code == 0 and "1 instance" in loud.stderr
    for flag in ("-q", "--quiet"):
        quiet = platform("list", flag)
        assert quiet.exit_code == 0, quiet.output
        assert "surface" in quiet.stdout and quiet.stderr == ""


def test_verbosity_flags_work_after_a_sub_group_command(cli: Any) -> None:
    res = cli("profile", "list", "-q")
    assert res.exit_code == 0, res.output
    assert res.stderr == ""  # "no profiles in ..." is an info line
    assert "no profiles" in cli("profile", "list").stderr


# -- typos ----------------------------------------------------------------------------------------------------
def test_a_typo_gets_the_nearest_command(cli: Any) -> None:
    res = cli("aply", "x.yaml")
    assert res.exit_code == 2
    assert "Error: No such command 'aply'. Did you mean 'apply'?" in res.stderr
    far = cli("frobnicate")
    assert far.exit_code == 2 and "No such command 'frobnicate'." in far.stderr and "Did you mean" not in far.stderr
    sub = cli("profile", "ad")
    assert sub.exit_code == 2 and "Did you mean 'add'?" in sub.stderr


# -- help -----------------------------------------------------------------------------------------------------
def every_command() -> list[list[str]]:
    from typer.main import get_command

    root = get_command(app)
    ctx = root.make_context("cloudevents", ["--help"], resilient_parsing=True)
    paths: list[list[str]] = []
    for name in COMMANDS:
        paths.append([name])
        group = root.get_command(ctx, name)  # type: ignore[attr-defined]
        if hasattr(group, "list_commands"):
            paths += [[name, sub] for sub in group.list_commands(ctx)]
    return paths


PYTHON_TYPE = re.compile(r"<(str|int|float|bool|path|list|dict|tuple|datetime|uuid)\b|list\[|str\]|\bNone\b")


@pytest.mark.parametrize("path", every_command(), ids=" ".join)
def test_help_shows_metavars_not_python_types(cli: Any, path: list[str]) -> None:
    res = cli(*path, "--help")
    assert res.exit_code == 0, res.output
    assert not PYTHON_TYPE.search(res.stdout), res.stdout
    usage = res.stdout.splitlines()[0]
    assert usage.startswith(f"Usage: cloudevents {' '.join(path)} [OPTIONS]")
    assert "{" not in usage and "<" not in usage and "]]" not in usage and "......" not in usage, usage
    # The left column of Arguments and Options: names and metavars only.
    for line in res.stdout.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            left = line.strip().split("  ")[0]
            assert "<" not in left and "[" not in left, line


def test_help_of_arguments_reads_as_metavars(cli: Any) -> None:
    apply = cli("apply", "--help").stdout
    assert "Usage: cloudevents apply [OPTIONS] [PATHS]..." in apply
    assert re.search(r"^  PATHS\.\.\.  Definition files", apply, re.M), apply
    delete = cli("delete", "--help").stdout
    assert "Usage: cloudevents delete [OPTIONS] ID|NAME..." in delete
    assert "Usage: cloudevents export [OPTIONS] [ID|NAME]..." in cli("export", "--help").stdout
    assert "Error: Missing argument 'ID|NAME'." in cli("delete").stderr


def test_every_command_lists_the_verbosity_flags(cli: Any) -> None:
    for path in every_command():
        text = cli(*path, "--help").stdout
        if "COMMAND [ARGS]" in text.splitlines()[0]:
            continue  # a group (profile): its commands carry them
        assert "-q, --quiet" in text and "-v, --verbose" in text, path


# -- usage errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["apply", "--bogus"], "Error: No such option: --bogus"),
        (["get"], "Error: Missing argument 'ID|NAME'."),
        (["validate"], "Error: Missing argument 'PATHS'."),
        (["--color", "sometimes", "list"], "Error: Invalid value for '--color': 'sometimes' is not one of auto"),
        (["list", "-o", "xml"], "Error: Invalid value for '-o' / '--output': 'xml' is not one of"),
        (["emulator", "--port", "many"], "Error: Invalid value for '--port'"),
        (["explain", "a", "b"], "Error: Got unexpected extra argument"),
        (["list", "-v", "--quiet", "--what"], "Error: No such option: --what"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(cli: Any, args: list[str], message: str) -> None:
    res = cli(*args)
    assert res.exit_code == 2, res.output
    assert res.exception is None and "Traceback" not in res.output
    assert res.stdout == ""
    errors = [line for line in res.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(message), res.stderr
    assert res.stderr.rstrip("\n").splitlines()[-1] == errors[0]


# -- no escape codes off a terminal --------------------------------------------------------------------------
def test_piped_output_has_no_escape_codes_even_when_rich_is_told_tty(
    platform: Any, definition: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CliRunner's streams are not terminals; TTY_COMPATIBLE=1 used to make rich write bold and dim anyway."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    env = {"TTY_COMPATIBLE": "1", "TERM": "xterm-256color"}
    runs = [
        platform("apply", str(definition), "-v", env=env),
        platform("list", "-v", env=env),
        platform("diff", str(definition), env=env),
        platform("validate", str(definition), env=env),
        platform("explain", "refresh", env=env),
        platform("get", "no-such-instance", env=env),
    ]
    for res in runs:
        assert not isinstance(res.exception, Exception), res.output  # an exit code, not a crash
        assert "\x1b" not in res.stdout and "\x1b" not in res.stderr, repr(res.output)
    assert "\x1b[" in platform("--color", "always", "list", env=env).stdout  # asked for, it is there


@pytest.mark.slow
def test_emulator_access_log_has_no_escape_codes_when_only_stdout_is_a_terminal(tmp_path: Path) -> None:
    """uvicorn decides its log colours from stdout; the logs go to stderr, which here is a file."""
    ready, log = tmp_path / "ready", tmp_path / "stderr.log"
    primary, secondary = os.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    args = [sys.executable, "-m", "cloudevents_cli", "emulator", "--port", "0", "--ready-file", str(ready)]
    try:
        with log.open("wb") as err:
            proc = subprocess.Popen([*args, "--access-log"], stdout=secondary, stderr=err, env=env)
        try:
            wait_for_file(ready, proc)
            url = ready.read_text().strip()
            assert httpx.get(url + "/instances", timeout=10).status_code == 401
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
    finally:
        os.close(primary)
        os.close(secondary)
    text = log.read_text()
    assert "/instances" in text and "401" in text, text
    assert "\x1b" not in text, repr(text)


@pytest.mark.slow
def test_make_demo_off_a_terminal_writes_no_escape_codes(tmp_path: Path) -> None:
    """The whole demo, output piped: it passes, and nothing in it is an escape code."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR") and not k.startswith("CE_")}
    env["CE"] = str(Path(sys.executable).parent / "cloudevents")
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run(
        ["bash", str(ROOT / "docs" / "demo.sh")], capture_output=True, env=env, timeout=120, check=False
    )
    output = (proc.stdout + proc.stderr).decode(errors="replace")
    assert proc.returncode == 0, output[-3000:]
    assert "== Validate every definition offline" in output and "events received" in output
    assert "\x1b" not in output, [line for line in output.splitlines() if "\x1b" in line][:5]


# -- the emulator's exit codes -------------------------------------------------------------------------------
def wait_for_file(path: Path, proc: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"exited with {proc.returncode}"
        assert time.monotonic() < deadline, "not ready in time"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_emulator_exit_code_on_ctrl_c_and_sigterm(start_emulator: Any, sig: int, code: int) -> None:
    handle = start_emulator()
    handle.process.send_signal(sig)
    assert handle.process.wait(timeout=20) == code
    stderr = handle.stderr()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.rstrip("\n").splitlines()[-1] == "emulator stopped", stderr
