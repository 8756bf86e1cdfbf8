"""The GitHub Action (.ci/action/): action.yml hands every input to run.py as a variable, and run.py, run as the
action runs it (GitHub's variables, the emulator as a subprocess, sample-configs/), validates with annotations,
diffs a pull request into the job summary without a secret, applies a push to the default branch and nothing
else, and fails the step when validation fails, sending nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import ROOT, SAMPLES
from tests.emulator_fixtures import EmulatorProcess
from tests.test_samples import demo_env

ACTION = ROOT / ".ci" / "action"
INVALID = 3

pytestmark = pytest.mark.slow


def action() -> dict[str, Any]:
    return yaml.safe_load((ACTION / "action.yml").read_text(encoding="utf-8"))


def test_action_is_composite_and_installs_its_own_checkout() -> None:
    steps = action()["runs"]["steps"]
    assert action()["runs"]["using"] == "composite"
    runs = "\n".join(step.get("run", "") for step in steps)
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH/../.."' in runs
    assert (ACTION / "../../pyproject.toml").resolve() == ROOT / "pyproject.toml"  # ../.. is this repository
    assert '"$GITHUB_ACTION_PATH/run.py"' in steps[-1]["run"]


def test_every_input_reaches_the_script_as_a_variable_never_pasted_into_it() -> None:
    doc = action()
    step = doc["runs"]["steps"][-1]
    script = (ACTION / "run.py").read_text(encoding="utf-8")
    for name in doc["inputs"]:
        if name == "python-version":  # used by setup-python, not by the script
            continue
        variable = "INPUT_" + name.upper().replace("-", "_")
        assert step["env"][variable] == f"${{{{ inputs.{name} }}}}"
        assert f'"{variable}"' in script
    for s in doc["runs"]["steps"]:
        assert "${{" not in s.get("run", ""), "an expression pasted into a shell script can inject commands"


@pytest.fixture
def github(tmp_path: Path, emulator_server: EmulatorProcess) -> dict[str, str]:
    """The environment GitHub gives the step, with the connection secrets and what the samples read."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "trunk"}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CE_", "GITHUB_", "INPUT_"))}
    return (
        env
        | demo_env()
        | {
            "CE_USER_SECRET": emulator_server.user_secret,
            "CE_ORG_SECRET": emulator_server.org_secret,
            "INPUT_BASE_URL": emulator_server.base_url,
            "INPUT_PATHS": "sample-configs/",
            "INPUT_COMMAND": "auto",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "CE_OUTPUT": "yaml",  # the script names each format itself
        }
    )


def run_action(env: dict[str, str], **inputs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ACTION / "run.py")],
        cwd=ROOT,
        env=env | inputs,
        capture_output=True,
        text=True,
        timeout=90,
    )


def live(server: EmulatorProcess) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10) as client:
        return {i["name"]: i for i in client.get("/instances", params={"pageSize": 200}).json()}


def summary(env: dict[str, str]) -> str:
    path = Path(env["GITHUB_STEP_SUMMARY"])
    return path.read_text(encoding="utf-8") if path.exists() else ""


def assert_no_secret(env: dict[str, str], *texts: str) -> None:
    secrets = [env["CE_USER_SECRET"], env["CE_ORG_SECRET"], *demo_env().values()]
    for text in texts:
        for value in secrets:
            if value != "acme-demo-store-dev":  # DEMO_SHOPIFY_STORE is a store name, not a secret
                assert value not in text


def test_push_to_the_default_branch_applies_and_other_pushes_only_validate(
    github: dict[str, str], emulator_server: EmulatorProcess
) -> None:
    other = run_action(github, GITHUB_EVENT_NAME="push", GITHUB_REF="refs/heads/main")  # the default is trunk
    assert other.returncode == 0, other.stdout + other.stderr
    assert "validate only (push on refs/heads/main)" in other.stdout
    assert live(emulator_server) == {} and summary(github) == ""

    done = run_action(github, GITHUB_EVENT_NAME="push", GITHUB_REF="refs/heads/trunk")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(live(emulator_server)) == 13  # the samples: 10 definitions and a template of 3 tenants
    assert "### cloudevents apply: 13 created" in summary(github)
    assert "| acme-hubspot-polling | hubspotcrm | created |" in summary(github)
    assert_no_secret(github, done.stdout, done.stderr, summary(github))

    again = run_action(github, GITHUB_EVENT_NAME="push", GITHUB_REF="refs/heads/trunk")
    assert again.returncode == 0
    assert "### cloudevents apply: 13 unchanged\n" in summary(github)  # appended; unchanged rows are not listed


def test_pull_request_diff_goes_to_the_job_summary_without_secrets(
    github: dict[str, str], emulator_server: EmulatorProcess, tmp_path: Path
) -> None:
    assert run_action(github, INPUT_COMMAND="apply").returncode == 0
    Path(github["GITHUB_STEP_SUMMARY"]).unlink()
    changed = tmp_path / "defs"
    shutil.copytree(SAMPLES, changed)
    hubspot = changed / "hubspot-polling.yaml"
    hubspot.write_text(hubspot.read_text().replace("tags: [", "tags: [pr-7, ", 1))
    new_key = "rotated-hubspot-api-key-7d2e"  # a secret that differs from the live one: shown masked
    before = live(emulator_server)

    done = run_action(
        github | {"DEMO_HUBSPOT_API_KEY": new_key},
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_REF="refs/pull/7/merge",
        INPUT_PATHS=str(changed),
    )
    assert done.returncode == 0, done.stdout + done.stderr  # changes found is not a failure
    text = summary(github)
    assert text.startswith("### cloudevents diff: 10 unchanged, 3 would-update\n")  # 3 files read the key
    (row,) = [line for line in text.splitlines() if line.startswith("| acme-hubspot-polling ")]
    assert "| would-update |" in row
    assert '`tags`: `["acme", "crm", "polling"]` → `["pr-7", "acme", "crm", "polling"]`' in row
    assert '`configuration.hubspot.authorization.apikey`: `"********"` → `"********"`' in row
    assert_no_secret(github, done.stdout, done.stderr, text)
    assert new_key not in done.stdout + done.stderr + text
    assert live(emulator_server) == before  # a diff sends nothing


def test_invalid_definition_fails_the_step_with_annotations_and_sends_nothing(
    github: dict[str, str], emulator_server: EmulatorProcess, tmp_path: Path
) -> None:
    defs = tmp_path / "defs"
    shutil.copytree(SAMPLES, defs)
    (defs / "broken.yaml").write_text("name: broken\nelement: box\nevnts:\n  enabled: true\n")
    done = run_action(github, GITHUB_EVENT_NAME="push", GITHUB_REF="refs/heads/trunk", INPUT_PATHS=str(defs))
    assert done.returncode == INVALID
    assert f"::error file={defs / 'broken.yaml'},line=3,col=1,title=unknown-key::evnts: unknown key" in done.stdout
    assert "nothing was sent" in done.stdout
    assert live(emulator_server) == {} and summary(github) == ""


def test_strict_and_a_bad_command_or_no_paths(github: dict[str, str], tmp_path: Path) -> None:
    warned = tmp_path / "warned.yaml"
    warned.write_text("name: w\nelement: box\nevents:\n  signature_key: short\n")
    lenient = run_action(github, INPUT_COMMAND="validate", INPUT_PATHS=str(warned))
    assert lenient.returncode == 0 and "::warning file=" in lenient.stdout
    strict = run_action(github, INPUT_COMMAND="validate", INPUT_PATHS=str(warned), INPUT_STRICT="true")
    assert strict.returncode == INVALID
    bad = run_action(github, INPUT_COMMAND="deploy")
    assert bad.returncode == 2 and "::error title=cloudevents::command must be one of" in bad.stdout
    empty = run_action(github, INPUT_PATHS=" \n ")
    assert empty.returncode == 2 and "the action needs `paths`" in empty.stdout
    unquoted = run_action(github, INPUT_PATHS="'sample-configs")
    assert unquoted.returncode == 2 and "::error title=cloudevents::paths: No closing quotation" in unquoted.stdout


def test_summary_cells_cannot_inject_markup() -> None:
    sys.path.insert(0, str(ACTION))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ACTION))
    doc = {
        "results": [
            {
                "name": "a|b <script>x</script> [l](http://e)",
                "element": "box",
                "action": "would-update",
                "changes": [{"path": "tags", "before": ["a|b`<i>"], "after": None}],
            }
        ],
        "summary": {"would-update": 1},
    }
    row = run.markdown("diff", doc).splitlines()[-1]
    assert row.count(" | ") == 3  # four cells: the | in the name is escaped
    assert "a\\|b &lt;script&gt;x&lt;/script&gt; \\[l\\]\\(http://e\\)" in row
    assert '`tags`: ``["a\\|b`<i>"]`` → (removed)' in row  # a code span longer than any ` inside


def test_file_references_stay_inside_the_definitions_folder_unless_the_workflow_says(
    github: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "outside.txt").write_text("outside-value-1234\n")
    defs = tmp_path / "defs"
    defs.mkdir()
    (defs / "a.yaml").write_text("name: fo\nelement: box\nconfiguration:\n  x: ${file:../outside.txt}\n")
    refused = run_action(github, INPUT_COMMAND="validate", INPUT_PATHS=str(defs))
    assert refused.returncode == INVALID
    assert ",line=4,col=6,title=file-outside::" in refused.stdout
    allowed = run_action(github | {"CE_NO_FILE_OUTSIDE": "0"}, INPUT_COMMAND="validate", INPUT_PATHS=str(defs))
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "outside-value-1234" not in refused.stdout + allowed.stdout + allowed.stderr


def test_pull_request_target_only_validates(github: dict[str, str], emulator_server: EmulatorProcess) -> None:
    done = run_action(github, GITHUB_EVENT_NAME="pull_request_target", GITHUB_REF="refs/heads/trunk")
    assert done.returncode == 0 and "validate only (pull_request_target" in done.stdout
    assert summary(github) == ""
