"""The pre-commit hook (.pre-commit-hooks.yaml): its file filter, and `pre-commit try-repo` of this repository in a
scratch git repo holding the samples and one invalid definition.

try-repo builds the hook's virtualenv by pip-installing this repository, which needs the package index (as CI
has). Without it the test fails and says so: a hook nobody can install is a failure, not a skip. It installs
the committed tree (plus changes to tracked files): commit a new file before trying it here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SAMPLES
from tests.test_samples import demo_env

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
INSTALL_TIMEOUT = 540  # seconds for both runs: the first creates a virtualenv and installs from the index


def hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (only,) = hooks
    assert only["id"] == "cloudevents-validate"
    return only


def selected(path: str) -> bool:
    """pre-commit's filter for this hook: `types: [yaml]` (by extension), `files`, then `exclude`."""
    h = hook()
    assert h["types"] == ["yaml"]
    return (
        path.endswith((".yaml", ".yml"))
        and re.search(str(h.get("files", "")), path) is not None
        and re.search(str(h["exclude"]), path) is None
    )


def test_hook_runs_plain_validate_serially() -> None:
    h = hook()
    assert h["language"] == "python"
    assert h["entry"] == "cloudevents validate -o table"  # a CE_OUTPUT=json in the environment does not leak in
    assert h.get("pass_filenames", True) is True
    assert h["require_serial"] is True  # one run sees all files: names used twice across files are caught


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("sample-configs/hubspot-polling.yaml", True),
        ("instances/prod/acme.yml", True),
        ("acme.yaml", True),
        (".pre-commit-config.yaml", False),
        (".github/workflows/ci.yml", False),
        ("deploy/.gitlab-ci.yml", False),
        ("instances/notes.md", False),
        ("tenants.csv", False),
    ],
)
def test_default_filter_takes_yaml_outside_dot_folders(path: str, expected: bool) -> None:
    assert selected(path) is expected


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _try_repo(repo: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    args = [str(PRE_COMMIT), "try-repo", str(ROOT), "cloudevents-validate", "--color", "never"]
    args += ["--files", *files] if files else ["--all-files"]
    done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    if "An unexpected error has occurred" in done.stdout + done.stderr or "An error has occurred" in done.stdout:
        pytest.fail(f"pre-commit could not set up the hook (no package index reachable?):\n{done.stdout}{done.stderr}")
    return done


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT + 60)
def test_try_repo_passes_valid_definitions_and_fails_an_invalid_one_located(tmp_path: Path) -> None:
    assert PRE_COMMIT.exists(), "pre-commit is in the dev extra: run make install"
    repo = tmp_path / "defs"
    shutil.copytree(SAMPLES, repo / "instances")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")  # not a definition: excluded
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CE_", "PRE_COMMIT", "GIT_"))}
    env |= demo_env() | {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "CE_OUTPUT": "json"}

    good = sorted(p.relative_to(repo).as_posix() for p in (repo / "instances").rglob("*.yaml"))
    passed = _try_repo(repo, env, *good)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"cloudevents validate\.+Passed", passed.stdout), passed.stdout

    (repo / "instances" / "broken.yaml").write_text("name: broken\nelement: box\nevnts:\n  enabled: true\n")
    _git(repo, "add", "-A")
    failed = _try_repo(repo, env)
    out = failed.stdout
    assert failed.returncode == 1, out + failed.stderr
    assert re.search(r"cloudevents validate\.+Failed", out), out
    assert "- exit code: 3" in out
    assert "instances/broken.yaml:3:1: error [unknown-key] evnts: unknown key 'evnts'" in out
    assert "did you mean 'events'?" in out
    assert "failed (1 error, 0 warnings)" in out  # the plain table, despite CE_OUTPUT=json
    assert ".github" not in out and '"schema_version"' not in out
    for value in demo_env().values():  # the samples' secrets are never echoed
        assert value not in out
