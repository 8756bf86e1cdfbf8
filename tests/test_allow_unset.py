"""validate --allow-unset (what the pre-commit hooks run, where the CI's secrets are not set): an unset ${env:}
variable is a warning, the checks of the text standing in for its value are dropped, every other problem stays;
--strict fails on it again; apply has no such option."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEFINITION = """\
name: acme
element: closeio
configuration:
  username: bob
  password: ${env:UNSET_PASSWORD}
events:
  type: polling
  callback_url: ${env:UNSET_CALLBACK}
  signature_key: ${env:UNSET_KEY}
"""


def problems(res: Any) -> list[tuple[str, str, str]]:
    return [(p["path"], p["severity"], p["code"]) for p in json.loads(res.stdout)["problems"]]


def test_unset_variables_are_warnings_and_their_texts_are_not_judged(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(DEFINITION)
    res = cli("validate", str(path), "-o", "json")
    assert res.exit_code == 3 and ("events.callback_url", "error", "unset-variable") in problems(res)

    res = cli("validate", "--allow-unset", str(path), "-o", "json")
    assert res.exit_code == 0, res.output
    assert sorted(problems(res)) == [
        ("configuration.password", "warning", "unset-variable"),
        ("events.callback_url", "warning", "unset-variable"),  # no bad-url error for the text ${env:...}
        ("events.signature_key", "warning", "unset-variable"),
    ]
    assert cli("validate", "--allow-unset", "--strict", str(path)).exit_code == 3


def test_other_problems_still_fail(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(DEFINITION.replace("type: polling", "type: pollling"))
    res = cli("validate", "--allow-unset", str(path), "-o", "json")
    assert res.exit_code == 3
    assert [p[0] for p in problems(res) if p[1] == "error"] == ["events.type"]


def test_a_tenant_cell_from_an_unset_variable_is_a_warning(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "tenants.csv").write_text("name,pw\nacme,${env:UNSET_ACME_PW}\n")
    (tmp_path / "fleet.yaml").write_text(
        "tenants: tenants.csv\nname: ${tenant.name}\nelement: closeio\n"
        "configuration: {username: bob, password: '${tenant.pw}'}\n"
    )
    assert cli("validate", str(tmp_path / "fleet.yaml")).exit_code == 3
    res = cli("validate", "--allow-unset", str(tmp_path / "fleet.yaml"), "-o", "json")
    assert res.exit_code == 0, res.output
    assert [(p["severity"], p["code"]) for p in json.loads(res.stdout)["problems"]] == [("warning", "unset-variable")]


def test_apply_has_no_such_option(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(DEFINITION)
    res = cli("--base-url", "http://127.0.0.1:9", "apply", "--allow-unset", str(path))
    assert res.exit_code == 2
