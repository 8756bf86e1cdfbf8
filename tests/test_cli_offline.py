"""The offline commands through the CLI: validate, render, init, schema, completion; output contract; secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.seed_examples import seed_examples

DATA = Path(__file__).parent / "data"
SECRET_PW = "pw-Very-Secret-42"
SECRET_KEY = "sig-key-Very-Secret-0123456789"

DEF = """\
name: acme
element: hubspotcrm
configuration:
  username: bob
  password: ${env:T_PASSWORD}
events:
  type: webhooks
  callback_url: https://hooks.example.com/ce
  signature_key: ${env:T_SIGNATURE_KEY}
"""


@pytest.fixture
def definition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("T_PASSWORD", SECRET_PW)
    monkeypatch.setenv("T_SIGNATURE_KEY", SECRET_KEY)
    f = tmp_path / "acme.yaml"
    f.write_text(DEF)
    return f


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A folder of broken definitions of every kind."""
    d = tmp_path / "broken"
    d.mkdir()
    (d / "01-syntax.yaml").write_text("name: a\nelement: [b\n")
    (d / "02-types.yaml").write_text("name: a2\nelement: b\ntags: nope\n")
    (d / "03-typo.yaml").write_text("name: a\nelement: b\nevnets: {}\n")
    url = "/c?d=${gmtdate:yyyy}"
    (d / "04-macro.yaml").write_text(
        "name: a\nelement: c\nevents:\n  type: polling\n  callback_url: https://x.example.com\n"
        f"  signature_key: 0123456789abcdef\n  resources:\n    c: {{url: '{url}', id_field: id}}\n"
    )
    (d / "05-date.yaml").write_text(
        "name: a\nelement: d\nevents:\n  type: polling\n  callback_url: https://x.example.com\n"
        "  signature_key: 0123456789abcdef\n  resources:\n    c:\n      url: /c\n      id_field: id\n"
        "      dates: {updated_field: u, updated_format: yyyy-MM-ddTHH, updated_timezone: Mars/Olympus}\n"
    )
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        bomb.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    (d / "06-bomb.yaml").write_text("\n".join(bomb) + "\n")
    (d / "07-binary.yaml").write_bytes(bytes(range(256)) * 4)
    (d / "08-empty.yaml").write_text("")
    (d / "09-list.yaml").write_text("- name: a\n  element: b\n")
    return d


def test_validate_broken_folder(cli: Any, broken: Path) -> None:
    res = cli("validate", str(broken))
    assert res.exit_code == 3
    assert "Traceback" not in res.output
    lines = [line for line in res.stderr.splitlines() if " error [" in line]
    expected = {
        "01-syntax.yaml:3:1": "yaml-syntax",
        "02-types.yaml:3:7": "wrong-type",
        "03-typo.yaml:3:1": "unknown-key",
        "04-macro.yaml:8:14": "unknown-macro",
        "05-date.yaml:11:49": "bad-date-format",
        "05-date.yaml:11:82": "unknown-timezone",
        "06-bomb.yaml:1:1": "alias-bomb",
        "07-binary.yaml": "binary-file",
        "08-empty.yaml": "empty-file",
        "09-list.yaml:1:1": "not-a-mapping",
    }
    for where, code in expected.items():
        assert any(line.startswith(str(broken / where) + ":") and f"[{code}]" in line for line in lines), (
            where,
            res.stderr,
        )
    assert len(lines) == len(expected)


def test_validate_json_contract(cli: Any, broken: Path) -> None:
    res = cli("-o", "json", "validate", str(broken))
    assert res.exit_code == 3
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1
    assert doc["summary"]["files"] == 9 and doc["summary"]["errors"] == 10
    first = doc["problems"][0]
    assert set(first) == {"source", "line", "column", "path", "severity", "code", "message"}


def test_validate_github_annotations(cli: Any, broken: Path) -> None:
    res = cli("validate", str(broken / "03-typo.yaml"), "-o", "github")
    assert res.exit_code == 3
    assert res.stdout.startswith(f"::error file={broken / '03-typo.yaml'},line=3,col=1,title=unknown-key::")
    assert "did you mean 'events'?" in res.stdout


def test_validate_ok_and_strict(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_text("name: a\nelement: b\nevents: {type: webhooks, callback_url: 'http://public.example.com'}\n")
    ok = cli("validate", str(f))
    assert ok.exit_code == 0 and "warning [insecure-callback]" in ok.stderr
    assert cli("validate", "--strict", str(f)).exit_code == 3


def test_render_default_is_the_body_as_json(cli: Any) -> None:
    res = cli("render", "--show-secrets", str(DATA / "seed-webhooks.yaml"))
    assert res.exit_code == 0
    assert json.loads(res.stdout) == seed_examples()[1]


def test_render_masks_secrets_by_name_and_by_origin(cli: Any, definition: Path) -> None:
    res = cli("-v", "render", str(definition), "-o", "yaml")
    assert res.exit_code == 0
    body = yaml.safe_load(res.stdout)
    assert body["configuration"]["password"] == "********"
    assert body["configuration"]["event.notification.signature.key"] == "********"
    assert SECRET_PW not in res.output and SECRET_KEY not in res.output
    shown = cli("render", str(definition), "--show-secrets")
    assert json.loads(shown.stdout)["configuration"]["password"] == SECRET_PW


def test_secret_from_env_is_masked_even_under_a_plain_key(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("T_TENANT", "tenant-xyz-123")
    f = tmp_path / "t.yaml"
    f.write_text("name: a\nelement: b\nconfiguration: {subdomain: '${env:T_TENANT}'}\n")
    res = cli("render", str(f))
    assert json.loads(res.stdout)["configuration"]["subdomain"] == "********"
    assert "tenant-xyz-123" not in res.output


def test_invalid_definitions_render_nothing(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("name: a\nelement: b\nconfiguration: {password: '${env:T_UNSET_PW}'}\n")
    res = cli("render", str(f))
    assert res.exit_code == 3 and res.stdout == ""
    assert "T_UNSET_PW is not set" in res.stderr


def test_render_with_flags_alone(cli: Any) -> None:
    res = cli(
        "render",
        "--element",
        "zendesk",
        "--name",
        "z",
        "--webhooks",
        "--callback-url",
        "https://h.example.com/c",
        "--signature-key",
        SECRET_KEY,
        "--tag",
        "t1",
        "--set",
        "configuration.subdomain=acme",
    )
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["configuration"]["event.vendor.type"] == "webhooks"
    assert body["configuration"]["event.notification.signature.key"] == "********"
    assert body["tags"] == ["t1"] and body["configuration"]["subdomain"] == "acme"
    assert SECRET_KEY not in res.output


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--polling", "--webhooks", "--element", "a", "--name", "b"],
        ["render", "--element", "a"],
        ["render", "x.yaml", "--name", "b"],
        ["render", "--element", "a", "--name", "b", "-o", "table"],
        ["-o", "xml", "validate", "x.yaml"],
        ["--color", "sometimes", "validate", "x.yaml"],
        ["completion", "powershell"],
    ],
)
def test_usage_errors_exit_2(cli: Any, args: list[str]) -> None:
    res = cli(*args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_flag_problems_name_the_flag(cli: Any) -> None:
    res = cli("render", "--element", "a", "--name", "b", "--webhooks", "--callback-url", "nope")
    assert res.exit_code == 2  # a usage error: the command line is wrong
    assert res.stderr.startswith("error: --callback-url: the callback URL must be an absolute http(s) URL")


def test_init_writes_a_definition_that_validates(cli: Any, tmp_path: Path, monkeypatch: Any) -> None:
    for name in ("HUBSPOTCRM_USERNAME", "HUBSPOTCRM_PASSWORD"):
        monkeypatch.setenv(name, "x" * 8)
    monkeypatch.setenv("CE_SIGNATURE_KEY", "k" * 20)
    f = tmp_path / "new.yaml"
    assert cli("init", str(f)).exit_code == 0
    assert f.read_text().startswith("# yaml-language-server: $schema=")
    assert cli("validate", "--strict", str(f)).exit_code == 0
    again = cli("init", str(f))
    assert again.exit_code == 2 and "--force" in again.stderr
    assert cli("init", "--webhooks", "--force", "--element", "zendesk", str(f)).exit_code == 0
    assert cli("validate", "--strict", str(f)).exit_code == 3  # ZENDESK_* variables are unset
    assert "ZENDESK_USERNAME" in cli("validate", str(f)).stderr


def test_schema_is_valid_and_accepts_the_seed_definitions(cli: Any) -> None:
    res = cli("schema")
    schema = json.loads(res.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for f in ("seed-polling.yaml", "seed-webhooks.yaml"):
        assert list(validator.iter_errors(yaml.safe_load((DATA / f).read_text()))) == []
    bad = {"name": "a", "element": "b", "events": {"type": "polling", "callbak_url": "x"}}
    assert list(validator.iter_errors(bad))


def test_schema_file_in_docs_is_current(cli: Any) -> None:
    committed = Path(__file__).resolve().parent.parent / "docs" / "cloudevents.schema.json"
    assert json.loads(committed.read_text()) == json.loads(cli("schema").stdout), "run: cloudevents schema > docs/..."


def test_completion_scripts(cli: Any) -> None:
    for shell in ("bash", "zsh", "fish"):
        res = cli("completion", shell)
        assert res.exit_code == 0 and "_CLOUDEVENTS_COMPLETE" in res.stdout


def test_json_is_never_wrapped_or_coloured(cli: Any, definition: Path) -> None:
    res = cli("--color", "always", "-o", "json", "validate", str(definition), env={"COLUMNS": "20"})
    assert "\x1b[" not in res.stdout
    json.loads(res.stdout)


def test_rich_markup_in_values_prints_as_written(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("name: '[bold]x[/bold]'\nelement: b\n")
    res = cli("validate", str(f))
    assert "[bold]x[/bold]" in res.stdout


def bin_path() -> Path:
    return Path(sys.executable).parent / "cloudevents"


@pytest.mark.slow
def test_installed_script_validate_and_render(definition: Path) -> None:
    env = {**os.environ, "T_PASSWORD": SECRET_PW, "T_SIGNATURE_KEY": SECRET_KEY}
    proc = subprocess.run(
        [str(bin_path()), "-o", "json", "render", str(definition)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["configuration"]["password"] == "********"
    version = subprocess.run([sys.executable, "-m", "cloudevents_cli", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("cloudevents ")


@pytest.mark.slow
def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; sys.argv=['cloudevents','--help']\n"
        "from cloudevents_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx','pydantic','starlette','uvicorn','yaml','rich') if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY=" in proc.stderr
    assert proc.stderr.rsplit("HEAVY=", 1)[1].strip() == ""


def test_long_validate_runs_list_only_definitions_with_problems(cli: Any, tmp_path: Path) -> None:
    for i in range(60):
        extra = "tags: [a, a]\n" if i == 7 else ""
        (tmp_path / f"d{i:02}.yaml").write_text(f"name: n{i}\nelement: box\n{extra}")
    res = cli("validate", str(tmp_path))
    assert res.exit_code == 0
    assert "d07.yaml#1" in res.stdout and "d08.yaml#1" not in res.stdout
    assert "59 more definitions without any problem not listed" in res.stderr


def test_colour_follows_no_color_force_color_and_the_flag(cli: Any, tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_text("name: a\nelement: b\n")
    forced = cli("validate", str(f), env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    assert "\x1b[" not in cli("validate", str(f), env={"NO_COLOR": "1", "FORCE_COLOR": ""}).stdout
    assert "\x1b[" not in cli("--color", "never", "validate", str(f), env={"NO_COLOR": "", "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" in cli("--color", "always", "validate", str(f), env={"NO_COLOR": "1"}).stdout


def test_validate_table_lists_files_that_did_not_load(cli: Any, broken: Path) -> None:
    missing = broken / "10-missing.yaml"
    res = cli("validate", str(broken), str(missing))
    assert res.exit_code == 3
    rows = {line.split()[1]: line for line in res.stdout.splitlines() if line.startswith("│")}
    for name in ("01-syntax.yaml", "06-bomb.yaml", "07-binary.yaml", "08-empty.yaml", "10-missing.yaml"):
        assert str(broken / name) in rows, (name, res.stdout)
        assert "invalid (1 error)" in rows[str(broken / name)]
    assert "invalid (1 error)" in rows[f"{broken / '03-typo.yaml'}#1"]


@pytest.mark.parametrize("columns", ["0", "", "abc", "²", "-5"])
def test_columns_that_are_not_a_width_count_as_unset(cli: Any, definition: Path, columns: str) -> None:
    res = cli("validate", str(definition), env={"COLUMNS": columns})
    assert res.exit_code == 0, res.output
    assert f"{definition}#1" in res.stdout and "hubspotcrm" in res.stdout


def test_an_environment_format_a_command_lacks_falls_back_to_its_default(cli: Any, definition: Path) -> None:
    res = cli("render", str(definition), env={"CE_OUTPUT": "table"})
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["name"] == "acme"
    res = cli("validate", str(definition), env={"CE_OUTPUT": "id"})
    assert res.exit_code == 0, res.stderr
    assert f"{definition}#1" in res.stdout
    res = cli("validate", str(definition), env={"CE_OUTPUT": "json"})  # one it has is used
    assert json.loads(res.stdout)["summary"]["definitions"] == 1


@pytest.mark.parametrize(
    "args",
    [["-o", "table", "render"], ["render", "-o", "table"], ["-o", "id", "validate"], ["validate", "-o", "id"]],
)
def test_an_explicit_format_a_command_lacks_is_a_usage_error(cli: Any, definition: Path, args: list[str]) -> None:
    res = cli(*args, str(definition), env={"CE_OUTPUT": "json"})
    assert res.exit_code == 2 and "is not one of" in res.stderr and res.stdout == ""
