"""Bounded input through the CLI: the per-file node budget, `${file:}` reads, --no-file-outside, numbers JSON can
carry, nesting depth. Each case is a located error with exit 3, nothing on stdout, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from cloudevents_cli.definitions.loader import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, parse_documents

BASE = "name: acme\nelement: box\nconfiguration:\n  username: bob\n"


def write(folder: Path, text: str, name: str = "d.yaml") -> Path:
    f = folder / name
    f.write_text(text, encoding="utf-8")
    return f


def error_lines(res: Any, code: str) -> list[str]:
    return [line for line in res.stderr.splitlines() if f"error [{code}]" in line]


def assert_refused(res: Any, where: str, code: str) -> None:
    """Exit 3, one located error with `code` at `where` (file:line:col), nothing on stdout, no traceback."""
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output and res.exception is None
    assert [line.split(": error", 1)[0] for line in error_lines(res, code)] == [where], res.stderr


# -- the node budget is per file ----------------------------------------------------------------------------
def _bomb_document() -> str:
    """One document of about 90,000 nodes once its aliases are expanded: under the budget on its own."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, cur in (("a", "b"), ("b", "c"), ("c", "d")):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("e: [" + ", ".join(["*d"] * 7) + "]")
    return "\n".join(lines) + "\n"


def test_one_document_under_the_budget_is_built(cli: Any, tmp_path: Path) -> None:
    f = write(tmp_path, _bomb_document())
    res = cli("validate", str(f))
    assert error_lines(res, "alias-bomb") == []
    assert "unknown-key" in res.stderr  # built and validated: a..e are not definition keys


def test_the_node_budget_is_exact(tmp_path: Path) -> None:
    """A mapping, a list and its items: MAX_NODES nodes are built, one more is refused."""
    fits = "a: [" + ", ".join(["x"] * (MAX_NODES - 2)) + "]\n"
    docs, problems = parse_documents(fits, "f", tmp_path)
    assert problems == [] and len(docs[0].data["a"]) == MAX_NODES - 2
    docs, problems = parse_documents(fits.replace("[", "[x, ", 1), "f", tmp_path)
    assert docs == [] and [(p.code, p.line, p.column) for p in problems] == [("alias-bomb", 1, 1)]


def test_the_node_budget_is_shared_by_the_documents_of_a_file(tmp_path: Path) -> None:
    docs = 30  # each under the budget, together 27 times over it
    f = write(tmp_path, "".join("---\n" + _bomb_document() for _ in range(docs)), "bombs.yaml")
    probe = (
        "import atexit, resource, runpy, sys\n"
        "peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "atexit.register(lambda: print('maxrss', peak(), file=sys.stderr))\n"
        "sys.argv = ['cloudevents', 'validate', sys.argv[1]]\n"
        "runpy.run_module('cloudevents_cli', run_name='__main__')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(f)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    bombs = [line for line in run.stderr.splitlines() if "[alias-bomb]" in line]
    assert len(bombs) == 1 and bombs[0].startswith(f"{f}:8:1:"), run.stderr  # the second document, at its start
    assert f"over {MAX_NODES:,} nodes" in bombs[0]
    maxrss = int(run.stderr.rsplit("maxrss ", 1)[1].split()[0])
    kib = maxrss // 1024 if sys.platform == "darwin" else maxrss  # macOS counts bytes, Linux KiB
    assert kib < 250 * 1024, f"validate used {kib // 1024} MiB"  # loose: building every document took over 600


# -- ${file:} reads regular files only, bounded -------------------------------------------------------------
def _file_ref(tmp_path: Path, ref: str) -> Path:
    return write(tmp_path, BASE + f'  password: "${{file:{ref}}}"\n')


def test_file_reference_to_dev_zero_is_refused(cli: Any, tmp_path: Path) -> None:
    f = _file_ref(tmp_path, "/dev/zero")
    assert_refused(cli("validate", str(f)), f"{f}:5:13", "not-a-file")
    res = cli("render", str(f))
    assert_refused(res, f"{f}:5:13", "not-a-file")
    assert res.stdout == ""


def test_file_reference_to_a_fifo_does_not_block(cli: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    f = _file_ref(tmp_path, "pipe")

    def unblock() -> None:  # should the read ever block, a writer ends it and the test fails instead of hanging
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader: nothing is blocked

    timer = threading.Timer(5, unblock)
    timer.start()
    try:
        res = cli("render", str(f))
    finally:
        timer.cancel()
    assert_refused(res, f"{f}:5:13", "not-a-file")
    assert res.stdout == ""


def test_file_reference_to_a_too_big_file_is_refused(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (tmp_path / "fits").write_bytes(b"x" * MAX_FILE_BYTES)
    f = _file_ref(tmp_path, "big")
    assert_refused(cli("validate", str(f)), f"{f}:5:13", "file-too-large")
    assert cli("validate", str(_file_ref(tmp_path, "fits"))).exit_code == 0


@pytest.mark.parametrize(
    "ref,code",
    [(".", "not-a-file"), ("missing", "file-not-found"), ("x\\0y", "bad-file-path")],
    ids=["folder", "missing", "nul"],
)
def test_file_reference_problems_are_located(cli: Any, tmp_path: Path, ref: str, code: str) -> None:
    f = _file_ref(tmp_path, ref)
    res = cli("render", str(f))
    assert_refused(res, f"{f}:5:13", code)
    assert res.stdout == ""


def test_a_symlink_loop_is_unreadable(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    f = _file_ref(tmp_path, "loop")
    assert_refused(cli("validate", str(f)), f"{f}:5:13", "unreadable")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_reference(cli: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t")
    secret.chmod(0)
    f = _file_ref(tmp_path, "secret")
    assert_refused(cli("validate", str(f)), f"{f}:5:13", "unreadable")


# -- --no-file-outside ---------------------------------------------------------------------------------------
@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """defs/ holds the definition and a secret inside; outside/ a file beside it; defs/link points outside."""
    (tmp_path / "defs").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "defs" / "inside").write_text("inside-secret\n")
    (tmp_path / "outside" / "x").write_text("outside-secret\n")
    (tmp_path / "defs" / "link").symlink_to(tmp_path / "outside" / "x")
    (tmp_path / "defs-sibling").mkdir()  # its name starts like the folder's: still outside
    (tmp_path / "defs-sibling" / "x").write_text("outside-secret\n")
    return {"defs": tmp_path / "defs", "outside": tmp_path / "outside" / "x"}


@pytest.mark.parametrize("command", ["validate", "render", "create", "apply", "diff"])
@pytest.mark.parametrize("ref", ["../outside/x", "ABSOLUTE", "link", "./../defs/../outside/x", "../defs-sibling/x"])
def test_no_file_outside_refuses_paths_outside_the_folder(
    cli: Any, layout: dict[str, Path], command: str, ref: str
) -> None:
    ref = str(layout["outside"]) if ref == "ABSOLUTE" else ref
    f = _file_ref(layout["defs"], ref)
    assert cli("validate", str(f)).exit_code == 0  # allowed by default
    args = [command, str(f), "--no-file-outside"] + (["--dry-run"] if command == "create" else [])
    res = cli(*args)
    assert_refused(res, f"{f}:5:13", "file-outside")
    assert "outside-secret" not in res.output


@pytest.mark.parametrize("command", ["validate", "render"])
def test_no_file_outside_from_the_environment(cli: Any, layout: dict[str, Path], command: str) -> None:
    f = _file_ref(layout["defs"], "../outside/x")
    assert_refused(cli(command, str(f), env={"CE_NO_FILE_OUTSIDE": "1"}), f"{f}:5:13", "file-outside")
    assert cli(command, str(f), env={"CE_NO_FILE_OUTSIDE": "0"}).exit_code == 0


def test_no_file_outside_accepts_a_file_inside(cli: Any, layout: dict[str, Path]) -> None:
    f = _file_ref(layout["defs"], "inside")
    res = cli("render", str(f), "--no-file-outside", "--show-secrets")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["configuration"]["password"] == "inside-secret"


# -- numbers ------------------------------------------------------------------------------------------------
NUMBERS = [".nan", ".NaN", ".inf", "-.inf", "1.0e+400", "-1.5e+999", "1" + "0" * 5000, str(2**63), str(-(2**63) - 1)]


def _no_infinity(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("number", NUMBERS, ids=lambda n: n[:12])
@pytest.mark.parametrize(
    "where,line",
    [
        ("  x: {n}\n", 5),
        ("events:\n  type: polling\n  callback_url: https://h.example.com\n  refresh_interval: {n}\n", 8),
        (
            "events:\n  type: polling\n  callback_url: https://h.example.com\n  resources:\n"
            "    r: {{url: /r, id_field: id, page_size: {n}}}\n",
            9,
        ),
    ],
    ids=["configuration", "refresh_interval", "page_size"],
)
def test_numbers_json_cannot_carry_are_refused(cli: Any, tmp_path: Path, number: str, where: str, line: int) -> None:
    f = write(tmp_path, BASE + where.format(n=number))
    for command in ("validate", "render"):
        res = cli(command, str(f))
        assert res.exit_code == 3, res.output
        assert "Traceback" not in res.output and res.exception is None
        found = error_lines(res, "bad-number")
        assert len(found) == 1 and found[0].startswith(f"{f}:{line}:"), res.stderr
        assert "quote" in found[0]  # says what to write instead
        assert len(found[0]) < 300  # a 5000-digit number is not echoed
    assert cli("render", str(f)).stdout == ""


@pytest.mark.parametrize("number", [str(2**63 - 1), str(-(2**63)), "1e400", "1.5e300", "'.nan'"])
def test_representable_numbers_render_as_valid_json(cli: Any, tmp_path: Path, number: str) -> None:
    f = write(tmp_path, BASE + f"  x: {number}\n")
    res = cli("render", str(f))
    assert res.exit_code == 0, res.output
    value = _no_infinity(res.stdout)["configuration"]["x"]
    assert str(value) == number.strip("'")  # 1e400 is a text in YAML 1.1, and stays one


def test_numbers_given_by_set_are_checked_too(cli: Any) -> None:
    res = cli("render", "--element", "box", "--name", "n", "--set", "configuration.x=.inf")
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and "Traceback" not in res.output
    assert "--set configuration.x" in res.stderr and "infinite" in res.stderr


# -- nesting ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda n: "x: " + "[" * n + "]" * n + "\n",
        lambda n: "x: " + "{a: " * n + "1" + "}" * n + "\n",
        lambda n: "x:\n" + "".join("  " * (i + 1) + "a:\n" for i in range(n)),
    ],
    ids=["lists", "mappings", "block"],
)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 700, 10_000])
@pytest.mark.parametrize("args", [["validate"], ["render"], ["render", "-o", "yaml"]], ids=" ".join)
def test_deep_nesting_is_refused(cli: Any, tmp_path: Path, make: Any, depth: int, args: list[str]) -> None:
    text = BASE + make(depth)
    if len(text) > MAX_FILE_BYTES:
        pytest.skip("over the file size limit: refused before parsing")
    f = write(tmp_path, text)
    res = cli(*args, str(f))
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output and res.exception is None
    assert error_lines(res, "too-deep") or error_lines(res, "yaml-syntax"), res.stderr
    assert res.stdout == "" or args == ["validate"]


def test_nesting_up_to_the_bound_is_accepted_and_located_past_it(cli: Any, tmp_path: Path) -> None:
    ok = write(tmp_path, BASE + "  x: '1'\nprovider_data:\n  a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2))
    res = cli("render", "-o", "yaml", str(ok))
    assert res.exit_code == 0, res.output
    deep = write(tmp_path, BASE + "provider_data:\n  a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), "deep.yaml")
    assert_refused(cli("validate", str(deep)), f"{deep}:6:{6 + MAX_DEPTH - 2}", "too-deep")
