"""The image for other CI systems (.ci/Dockerfile): slim Python 3.11, installs this repository, runs as a user
that is not root with `cloudevents` as its entry point. Built and run only where a docker daemon answers."""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess

import pytest

from cloudevents_cli import __version__
from tests.conftest import ROOT

DOCKERFILE = ROOT / ".ci" / "Dockerfile"
IGNORE = ROOT / ".ci" / "Dockerfile.dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(w[0].upper(), w[1].strip()) for w in (line.split(None, 1) for line in lines if line and line[0] != "#")]


def test_slim_python_311_installs_this_repository() -> None:
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    copies = [args.split() for op, args in steps if op == "COPY"]
    assert copies == [["pyproject.toml", "README.md", "/src/"], ["cloudevents_cli", "/src/cloudevents_cli"]]
    (install,) = [args for op, args in steps if op == "RUN" and "pip install" in args]
    assert install.startswith("pip install /src &&")
    for source in ("pyproject.toml", "README.md", "cloudevents_cli"):  # what the image copies is in the repository
        assert (ROOT / source).exists()


def test_runs_cloudevents_as_a_user_that_is_not_root() -> None:
    steps = instructions()
    ops = [op for op, _ in steps]
    (user,) = [args for op, args in steps if op == "USER"]
    assert user.split(":")[0] not in ("root", "0") and user.split(":")[0].isdigit()
    assert ops.index("USER") > max(i for i, (op, _) in enumerate(steps) if op == "RUN")  # nothing runs as root after
    assert "--uid 10001" in next(args for op, args in steps if op == "RUN" and "useradd" in args)
    assert json.loads(dict(steps)["ENTRYPOINT"]) == ["cloudevents"]


def test_build_context_holds_only_the_package() -> None:
    """.ci/Dockerfile.dockerignore: the last matching pattern wins; `!` lets a path back in."""
    patterns = [p for p in IGNORE.read_text().splitlines() if p and not p.startswith("#")]

    def sent(path: str) -> bool:
        keep = True
        for p in patterns:
            negated = p.startswith("!")
            pattern = p.lstrip("!").replace("**/", "*")
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.split("/")[0], pattern):
                keep = negated
        return keep

    for path in ("pyproject.toml", "README.md", "cloudevents_cli/__init__.py", "cloudevents_cli/cli/app.py"):
        assert sent(path), path
    for path in (".venv/bin/python", "tests/conftest.py", ".git/HEAD", "cloudevents_cli/__pycache__/x.pyc"):
        assert not sent(path), path


def _docker_answers() -> str | None:
    """Why the image cannot be built here, or None when a docker daemon answers."""
    if shutil.which("docker") is None:
        return "no docker command on PATH"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    return None if info.returncode == 0 else "docker info fails: no daemon reachable"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_image_builds_and_prints_the_version() -> None:
    reason = _docker_answers()
    if reason:
        pytest.skip(f"image not built: {reason}")
    tag = "cloudevents-cli:test"
    subprocess.run(["docker", "build", "-q", "-f", str(DOCKERFILE), "-t", tag, str(ROOT)], check=True, timeout=840)
    try:
        version = subprocess.run(["docker", "run", "--rm", tag, "--version"], capture_output=True, text=True)
        assert version.returncode == 0 and __version__ in version.stdout
        uid = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True)
        assert uid.stdout.strip() == "10001"
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
