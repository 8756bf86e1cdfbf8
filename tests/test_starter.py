"""`init`'s starter says which environment variables it reads, and the README's quick start sets exactly those."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")


def _starter(cli: Any, *args: str) -> tuple[list[str], str]:
    res = cli("init", *args)
    assert res.exit_code == 0, res.output
    comments = [line for line in res.stdout.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in res.stdout.splitlines() if not line.startswith("#"))
    return comments, body


@pytest.mark.parametrize("args", [(), ("--webhooks", "--element", "zendesk"), ("--element", "sugar-crm.v2")])
def test_header_names_every_variable_the_starter_reads(cli: Any, args: tuple[str, ...]) -> None:
    comments, body = _starter(cli, *args)
    used = set(ENV_REF.findall(body))
    assert used and "CE_SIGNATURE_KEY" in used
    header = "\n".join(comments)
    for name in used:
        assert re.search(rf"\b{name}\b", header), f"the starter reads {name} but its header does not say so"
    assert "CE_USER_SECRET" in header and "CE_ORG_SECRET" in header
    assert "docs/definition-format.md" in header


def test_starter_is_valid_with_its_variables_and_names_them_without(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "acme.yaml"
    assert cli("init", "--element", "hubspotcrm", "--name", "acme-hubspot", str(f)).exit_code == 0
    missing = cli("validate", str(f))
    assert missing.exit_code == 3
    for name in ("HUBSPOTCRM_USERNAME", "HUBSPOTCRM_PASSWORD", "CE_SIGNATURE_KEY"):
        assert f"the environment variable {name} is not set" in missing.stderr
    env = {"HUBSPOTCRM_USERNAME": "u", "HUBSPOTCRM_PASSWORD": "p", "CE_SIGNATURE_KEY": "k" * 16}
    ok = cli("validate", "--strict", str(f), env=env)
    assert ok.exit_code == 0, ok.output


def _quick_start() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_readme_quick_start_exports_what_the_starter_reads_before_validate(cli: Any) -> None:
    block = _quick_start()
    init = next(line for line in block.splitlines() if line.startswith("cloudevents init"))
    args = init.split("#")[0].split()[2:-1]  # the options, without the file
    _, body = _starter(cli, *args)
    before_validate = block.split("cloudevents validate", 1)[0]
    exported = set(re.findall(r"\b([A-Z][A-Z0-9_]*)=", before_validate))
    assert set(ENV_REF.findall(body)) <= exported
    assert "CE_USER_SECRET=" in block.split("cloudevents apply", 1)[0]


def test_readme_links_stay_inside_the_repo() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert targets, "no links found: the pattern is wrong"
    for target in targets:
        if target.startswith(("http://", "https://")):
            continue
        assert not target.startswith(("/", "..")), target
        assert (ROOT / target.split("#")[0]).exists(), target
    assert "shared/" not in readme


def test_init_says_which_variables_to_set_and_those_are_enough(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "z.yaml"
    res = cli("init", "--element", "zendesk", str(path))
    assert res.exit_code == 0, res.output
    said = res.stderr.split("next: export ", 1)[1].split(";", 1)[0].split()
    assert [v.removesuffix("=...") for v in said] == ["ZENDESK_USERNAME", "ZENDESK_PASSWORD", "CE_SIGNATURE_KEY"]
    env = {v.removesuffix("=..."): "a-value-of-16-chars-or-more" for v in said}
    assert cli("validate", str(path), env=env).exit_code == 0
    assert cli("validate", str(path)).exit_code == 3
