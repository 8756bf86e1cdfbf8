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


def hook(name: str = "cloudevents-validate") -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["cloudevents-validate", "cloudevents-validate-folders"]
    return next(h for h in hooks if h["id"] == name)


def selected(path: str) -> bool:
    """pre-commit's filter for this hook: `types: [yaml]` (by extension), `files`, then `exclude`."""
    h = hook()
    assert h["types"] == ["yaml"]
    return (
        path.endswith((".yaml", ".yml"))
        and re.search(str(h.get("files", "")), path) is not None
        and re.search(str(h["exclude"]), path) is None
    )


def test_hooks_run_plain_validate_serially() -> None:
    for name, pass_filenames in (("cloudevents-validate", True), ("cloudevents-validate-folders", False)):
        h = hook(name)
        assert h["language"] == "python"
        assert h["entry"] == "cloudevents validate -o table --allow-unset"  # -o table: not CE_OUTPUT
        assert h.get("pass_filenames", True) is pass_filenames
        assert h["require_serial"] is True  # one run sees all files: names used twice across files are caught
    assert hook("cloudevents-validate-folders")["types_or"] == ["yaml", "csv"]  # a tenants CSV changing counts


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


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for the module: a clean checkout installs the hooks' environment once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path: Path, pre_commit_home: Path) -> tuple[Path, dict[str, str]]:
    """A scratch git repository holding the samples under instances/ and a workflow; its environment."""
    assert PRE_COMMIT.exists(), "pre-commit is in the dev extra: run make install"
    repo = tmp_path / "defs"
    shutil.copytree(SAMPLES, repo / "instances")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")  # not a definition: excluded
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CE_", "PRE_COMMIT", "GIT_"))}
    return repo, env | demo_env() | {"PRE_COMMIT_HOME": str(pre_commit_home), "CE_OUTPUT": "json"}


def _failed_setup(done: subprocess.CompletedProcess[str]) -> None:
    if "An unexpected error has occurred" in done.stdout + done.stderr or "An error has occurred" in done.stdout:
        pytest.fail(f"pre-commit could not set up the hook (no package index reachable?):\n{done.stdout}{done.stderr}")


def _try_repo(repo: Path, env: dict[str, str], *files: str) -> subprocess.CompletedProcess[str]:
    args = [str(PRE_COMMIT), "try-repo", str(ROOT), "cloudevents-validate", "--color", "never"]
    args += ["--files", *files] if files else ["--all-files"]
    done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    _failed_setup(done)
    return done


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT + 60)
def test_try_repo_passes_valid_definitions_and_fails_an_invalid_one_located(repo: tuple[Path, dict[str, str]]) -> None:
    repo, env = repo
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


@pytest.mark.slow
@pytest.mark.timeout(INSTALL_TIMEOUT + 60)
def test_folders_hook_checks_the_whole_folder_when_any_yaml_or_csv_changes(repo: tuple[Path, dict[str, str]]) -> None:
    """As a project uses it: a .pre-commit-config.yaml naming this repository at its commit, args the folder."""
    repo, env = repo
    config = {
        "repos": [
            {
                "repo": str(ROOT),
                "rev": _git(ROOT, "rev-parse", "HEAD").strip(),
                "hooks": [{"id": "cloudevents-validate-folders", "args": ["instances/"]}],
            }
        ]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (repo / "instances" / "tenants.csv").write_text("name\nacme\n")
    (repo / "instances" / "copy.yaml").write_text("name: acme-zendesk-webhooks\nelement: zendesk\n")  # used twice
    _git(repo, "add", "-A")

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        args = [str(PRE_COMMIT), "run", "--color", "never", "--files", *files]
        done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
        _failed_setup(done)
        return done

    csv_only = run("instances/tenants.csv")  # the per-file hook would not even run for it
    assert csv_only.returncode == 1, csv_only.stdout + csv_only.stderr
    assert re.search(r"cloudevents validate \(folders\)\.+Failed", csv_only.stdout), csv_only.stdout
    located = "instances/zendesk-webhooks.yaml:9:7: error [duplicate-definition] name: 'acme-zendesk-webhooks'"
    assert located in csv_only.stdout  # the second use, in path order, naming the first: copy.yaml
    assert "(first in instances/copy.yaml#1)" in csv_only.stdout

    (repo / "instances" / "copy.yaml").unlink()
    _git(repo, "add", "-A")
    clean = run("instances/tenants.csv")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"cloudevents validate \(folders\)\.+Passed", clean.stdout), clean.stdout
    skipped = run("instances/README.md")
    assert re.search(r"cloudevents validate \(folders\)\.+\(no files to check\)Skipped", skipped.stdout)
