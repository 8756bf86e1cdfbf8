"""Tenants: a definition with `tenants:` is a template, one instance per row (inline, CSV or YAML file).

Through the CLI where a user would see it: bodies rendered per row, problems located at the template line and
naming the row (or at the row itself), secrets from rows never printed, the account each row chooses, folders
that hold tenants files, and apply against the emulator (what is sent)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudevents_cli.definitions import tenants
from cloudevents_cli.definitions.pipeline import Account, Tenant, build

INVALID = 3
MASK = "********"
SIG = "sig-key-0123456789abcdef"
TEMPLATE = """\
tenants: {tenants}
name: ${{tenant.name}}-crm
element: hubspotcrm
tags: [fleet, "${{tenant.name}}"]
configuration:
  hapikey: ${{tenant.api_key}}
  authentication.type: apikey
events:
  type: webhooks
  callback_url: https://hooks.example.com/${{tenant.name}}
  signature_key: ${{env:T_SIG}}
"""
CSV = "name,api_key\nacme,acme-key-1111\nglobex,globex-key-2222\n"


def fleet(folder: Path, rows: str = CSV, *, template: str = TEMPLATE, name: str = "tenants.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(rows, encoding="utf-8")
    path = folder / "fleet.yaml"
    path.write_text(template.format(tenants=name), encoding="utf-8")
    return path


def bodies(res: Any) -> list[dict[str, Any]]:
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    return doc if isinstance(doc, list) else [doc]


def lines_with(res: Any, code: str) -> list[str]:
    return [line for line in res.output.splitlines() if f"[{code}]" in line]


# -- rows, each way of writing them -------------------------------------------------------------------------


def test_csv_rows_render_one_body_per_row(cli: Any, tmp_path: Path) -> None:
    res = cli("render", "--show-secrets", str(fleet(tmp_path)), env={"T_SIG": SIG})
    got = bodies(res)
    assert [b["name"] for b in got] == ["acme-crm", "globex-crm"]
    assert [b["tags"] for b in got] == [["fleet", "acme"], ["fleet", "globex"]]
    assert [b["configuration"]["hapikey"] for b in got] == ["acme-key-1111", "globex-key-2222"]
    assert got[1]["configuration"]["event.notification.callback.url"] == "https://hooks.example.com/globex"
    assert "tenants" not in got[0] and all(b["element"] == {"key": "hubspotcrm"} for b in got)


def test_inline_rows_and_a_yaml_file_give_what_the_csv_gives(cli: Any, tmp_path: Path) -> None:
    want = bodies(cli("render", "--show-secrets", str(fleet(tmp_path / "csv")), env={"T_SIG": SIG}))
    rows_yaml = "- name: acme\n  api_key: acme-key-1111\n- {name: globex, api_key: globex-key-2222}\n"
    from_yaml = fleet(tmp_path / "yaml", rows_yaml, name="tenants.yaml")
    inline = tmp_path / "inline.yaml"
    inline.write_text(
        TEMPLATE.format(tenants="").replace(
            "tenants: \n", "tenants:\n" + "".join("  " + line + "\n" for line in rows_yaml.splitlines())
        ),
        encoding="utf-8",
    )
    for path in (from_yaml, inline):
        assert bodies(cli("render", "--show-secrets", str(path), env={"T_SIG": SIG})) == want, path


def test_yaml_values_are_the_text_written_and_bom_crlf_csv_reads(cli: Any, tmp_path: Path) -> None:
    template = TEMPLATE.replace(
        "hapikey: ${{tenant.api_key}}", "hapikey: ${{tenant.api_key}}\n  ref: '${{tenant.ref}}'"
    )
    rows = "- {name: a, api_key: k-0001, ref: 0123}\n- {name: b, api_key: k-0002, ref: no}\n"
    got = bodies(cli("render", str(fleet(tmp_path / "y", rows, template=template, name="t.yml")), env={"T_SIG": SIG}))
    assert [b["configuration"]["ref"] for b in got] == ["0123", "no"]
    csv_text = '\ufeffname,api_key\r\nacme,k-1\r\n\r\n"glo,bex","k-2"\r\n'
    got = bodies(cli("render", "--show-secrets", str(fleet(tmp_path / "c", csv_text)), env={"T_SIG": SIG}))
    assert [b["name"] for b in got] == ["acme-crm", "glo,bex-crm"]


def test_fifty_rows_render_fifty_bodies(cli: Any, tmp_path: Path) -> None:
    rows = "name,api_key\n" + "".join(f"t{i:02},key-{i:04}\n" for i in range(50))
    got = bodies(cli("render", str(fleet(tmp_path, rows)), env={"T_SIG": SIG}))
    assert [b["name"] for b in got] == [f"t{i:02}-crm" for i in range(50)]
    res = cli("validate", "-o", "json", str(tmp_path / "fleet.yaml"), env={"T_SIG": SIG})
    assert res.exit_code == 0 and json.loads(res.stdout)["summary"]["definitions"] == 50


def test_escape_keeps_the_reference_as_text(cli: Any, tmp_path: Path) -> None:
    template = TEMPLATE.replace("tags: [fleet,", 'tags: ["$${{tenant.name}}",')
    got = bodies(cli("render", str(fleet(tmp_path, template=template)), env={"T_SIG": SIG}))
    assert got[0]["tags"] == ["${tenant.name}", "acme"]


def test_row_values_are_interpolated_once_and_never_read_again(cli: Any, tmp_path: Path) -> None:
    rows = "name,api_key,note\nacme,${env:ACME_KEY},$${env:T_SIG} ${gmtDate:yyyy}\n"
    template = TEMPLATE.replace(
        "hapikey: ${{tenant.api_key}}", "hapikey: ${{tenant.api_key}}\n  note: ${{tenant.note}}"
    )
    env = {"T_SIG": SIG, "ACME_KEY": "acme-from-env-9999"}
    [body] = bodies(cli("render", "--show-secrets", str(fleet(tmp_path, rows, template=template)), env=env))
    assert body["configuration"]["hapikey"] == "acme-from-env-9999"
    assert body["configuration"]["note"] == "${env:T_SIG} ${gmtDate:yyyy}"  # the escape, then nothing more


# -- where problems are reported ---------------------------------------------------------------------------


def test_unknown_tenant_key_names_the_row_and_the_template_line(cli: Any, tmp_path: Path) -> None:
    template = TEMPLATE.replace("${{tenant.api_key}}", "${{tenant.api_kee}}")
    path = fleet(tmp_path, template=template)
    res = cli("validate", str(path), env={"T_SIG": SIG})
    assert res.exit_code == INVALID
    [line] = lines_with(res, "unknown-tenant-key")
    assert line.startswith(f"{path}:6:")  # the template's line
    assert "all 2 tenants" in line and "did you mean 'api_key'?" in line
    res = cli(
        "validate",
        str(fleet(tmp_path, template=TEMPLATE.replace("{{tenant.name}}-crm", "{{tenant.nme}}"))),
        env={"T_SIG": SIG},
    )
    assert [line.split(" error ")[1][:20] for line in res.output.splitlines() if " error " in line] == [
        "[unknown-tenant-key]"
    ]  # the name left as written is not also a duplicate in every row


def test_a_problem_of_one_row_is_at_the_template_line_and_names_the_row(cli: Any, tmp_path: Path) -> None:
    rows = "name,api_key\nacme,k-1\nglo bex,k-2\nini,k-3\n"  # a space: not a valid callback URL
    path = fleet(tmp_path, rows)
    res = cli("validate", "-o", "json", str(path), env={"T_SIG": SIG})
    assert res.exit_code == INVALID
    [problem] = [p for p in json.loads(res.stdout)["problems"] if p["code"] == "bad-callback-url"]
    assert (problem["source"], problem["line"], problem["path"]) == (str(path), 10, "events.callback_url")
    assert problem["message"].startswith(f"tenant 2 ({tmp_path / 'tenants.csv'}:3): ")
    res = cli("validate", "-o", "github", str(path), env={"T_SIG": SIG})
    assert f"::error file={path},line=10," in res.stdout and "tenant 2 (" in res.stdout


def test_a_template_problem_is_reported_once_for_all_rows(cli: Any, tmp_path: Path) -> None:
    template = TEMPLATE.replace("  type: webhooks", "  type: webhooks\n  callbak: x")
    rows = "name,api_key\n" + "".join(f"t{i},k-{i}\n" for i in range(20))
    res = cli("validate", "-o", "json", str(fleet(tmp_path, rows, template=template)), env={"T_SIG": SIG})
    doc = json.loads(res.stdout)
    assert [p["code"] for p in doc["problems"]] == ["unknown-key"]
    assert doc["problems"][0]["message"].startswith("all 20 tenants: unknown key 'callbak'")
    assert doc["summary"] == {"files": 1, "definitions": 20, "errors": 1, "warnings": 0}
    batch = build([str(tmp_path / "fleet.yaml")], environ={"T_SIG": SIG})
    assert all(
        not item.valid and item.problems[0].message.startswith(f"tenant {n} (")
        for n, item in enumerate(batch.items, start=1)
    )


def test_a_row_problem_is_located_at_the_row(cli: Any, tmp_path: Path) -> None:
    rows = "name,api_key\nacme,${env:ACME_KEY}\n"
    res = cli("validate", str(fleet(tmp_path, rows)), env={"T_SIG": SIG})
    assert res.exit_code == INVALID
    [line] = lines_with(res, "unset-variable")
    assert line.startswith(f"{tmp_path / 'tenants.csv'}:2:6: error [unset-variable] api_key: tenant 1: ")


@pytest.mark.parametrize(
    ("rows", "code", "line", "words"),
    [
        ("name,api_key\nacme,k,extra\n", "bad-csv", 2, "tenant 1 has 3 values"),
        ("name,name\nacme,k\n", "bad-csv", 1, "named twice"),
        ("acme,https://x.example\nglobex,k\n", "bad-csv", 1, "not a column name"),
        ("", "bad-csv", None, "empty"),
        ("name,api_key\n", "no-tenants", None, "no tenant"),
        ('name,api_key\n"acme,k\n', "bad-csv", 2, "not valid CSV"),
        ("name,api_key\nacme,${tenant.name}\n", "bad-tenant-reference", 2, "cannot use another"),
    ],
)
def test_bad_csv_is_a_located_error(
    cli: Any, tmp_path: Path, rows: str, code: str, line: int | None, words: str
) -> None:
    res = cli("validate", "-o", "json", str(fleet(tmp_path, rows)), env={"T_SIG": SIG})
    assert res.exit_code == INVALID and "Traceback" not in res.output
    problems = [p for p in json.loads(res.stdout)["problems"] if p["code"] == code]
    assert problems and words in problems[0]["message"], res.stdout
    if code != "no-tenants":
        assert problems[0]["source"] == str(tmp_path / "tenants.csv") and problems[0]["line"] == line


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("tenants.txt", "bad-tenants"),
        ("missing.csv", "file-not-found"),
        ("[]", "no-tenants"),
        ("[acme]", "bad-tenants"),
        ("[{name: [a]}]", "bad-tenants"),
        ("[{'bad key': a}]", "bad-tenants"),
        ("5", "bad-tenants"),
    ],
)
def test_a_bad_tenants_value_is_located_in_the_definition(cli: Any, tmp_path: Path, spec: str, code: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(TEMPLATE.format(tenants=spec), encoding="utf-8")
    res = cli("validate", str(path), env={"T_SIG": SIG})
    assert res.exit_code == INVALID and "Traceback" not in res.output
    assert any(line.startswith(f"{path}:1:") for line in lines_with(res, code)), res.output


def test_tenant_references_need_tenants_and_the_dot(cli: Any, tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: ${tenant.name}\nelement: box\n", encoding="utf-8")
    res = cli("validate", str(plain))
    assert res.exit_code == INVALID and lines_with(res, "bad-tenant-reference")[0].startswith(f"{plain}:1:7:")
    res = cli(
        "validate",
        str(fleet(tmp_path, template=TEMPLATE.replace("${{tenant.name}}-crm", "${{tenant:name}}"))),
        env={"T_SIG": SIG},
    )
    assert "write ${tenant.name}" in lines_with(res, "bad-tenant-reference")[0]


def test_a_tenants_file_obeys_the_file_limits(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = "name,api_key\n" + "a,b\n" * 300_000  # over 1 MiB
    res = cli("validate", str(fleet(tmp_path / "big", big)), env={"T_SIG": SIG})
    assert lines_with(res, "file-too-large")
    outside = fleet(tmp_path / "in", template=TEMPLATE.replace("tenants: {tenants}", "tenants: ../out/{tenants}"))
    fleet(tmp_path / "out")
    res = cli("validate", "--no-file-outside", str(outside), env={"T_SIG": SIG})
    assert lines_with(res, "file-outside")[0].startswith(f"{outside}:1:")
    monkeypatch.setattr(tenants, "MAX_TENANTS", 3)
    rows = "name,api_key\n" + "".join(f"t{i},k\n" for i in range(4))
    res = cli("validate", str(fleet(tmp_path / "many", rows)), env={"T_SIG": SIG})
    assert lines_with(res, "too-many-tenants")[0].startswith(f"{tmp_path / 'many' / 'tenants.csv'}:5:")


# -- names, accounts, secrets --------------------------------------------------------------------------------


def test_the_same_name_twice_is_a_duplicate_at_the_row_unless_the_accounts_differ(cli: Any, tmp_path: Path) -> None:
    rows = "name,api_key\nacme,k-1\nglobex,k-2\nacme,k-3\n"
    res = cli("validate", str(fleet(tmp_path, rows)), env={"T_SIG": SIG})
    [line] = lines_with(res, "duplicate-definition")
    assert line.startswith(f"{tmp_path / 'tenants.csv'}:4: error") and "tenant 3:" in line
    assert "(first in " + f"{tmp_path / 'fleet.yaml'}#1 (tenant 1))" in line
    rows = "name,api_key,user_secret\nacme,k-1,user-one-1234\nacme,k-3,user-two-5678\n"
    res = cli("validate", str(fleet(tmp_path, rows)), env={"T_SIG": SIG})
    assert res.exit_code == 0, res.output


def test_each_row_chooses_its_account(tmp_path: Path) -> None:
    rows = (
        "name,api_key,profile,user_secret,org_secret\n"
        "acme,k-1,acme-prod,,\n"
        "globex,k-2,,${env:GLOBEX_USER},globex-org-7777\n"
        "initech,k-3,,,\n"
    )
    batch = build([str(fleet(tmp_path, rows))], environ={"T_SIG": SIG, "GLOBEX_USER": "globex-user-6666"})
    assert not batch.errors
    assert [item.account for item in batch.items] == [
        Account(profile="acme-prod"),
        Account(user_secret="globex-user-6666", org_secret="globex-org-7777"),
        None,
    ]
    assert [item.tenant for item in batch.items] == [Tenant(n, str(tmp_path / "tenants.csv"), n + 1) for n in (1, 2, 3)]
    assert [item.source for item in batch.items] == [f"{tmp_path / 'fleet.yaml'}#1 (tenant {n})" for n in (1, 2, 3)]
    assert {item.source.rpartition("#")[0] for item in batch.items} == {str(tmp_path / "fleet.yaml")}
    assert {"globex-user-6666", "globex-org-7777"} <= batch.items[1].secrets


def test_a_bad_row_secret_is_refused_without_showing_it(cli: Any, tmp_path: Path) -> None:
    rows = 'name,api_key,user_secret\nacme,k-1,"bad-sécret-1234"\n'
    res = cli("validate", str(fleet(tmp_path, rows)), env={"T_SIG": SIG})
    assert res.exit_code == INVALID and lines_with(res, "bad-tenant-secret")
    assert "sécret" not in res.output


def test_secrets_from_rows_are_never_printed(cli: Any, tmp_path: Path) -> None:
    secrets = [
        "acme-key-1111",
        "globex-key-2222",
        "acme-user-3333",
        "acme-org-4444",
        "from-env-5555",
        "globex-user-8888",
    ]
    rows = (
        "name,api_key,user_secret,org_secret,zone\n"
        "acme,acme-key-1111,acme-user-3333,acme-org-4444,${env:ZONE}\n"
        "globex,globex-key-2222,globex-user-8888,,UTC\n"
    )
    template = TEMPLATE.replace(
        "  type: webhooks\n",
        "  type: polling\n  resources:\n    contacts:\n"
        "      url: /contacts\n      id_field: id\n      dates:\n"
        "        updated_field: u\n        updated_timezone: ${{tenant.zone}}\n"
        "        created_field: ${{tenant.user_secret}}\n",
    )
    path = fleet(tmp_path, rows, template=template)
    env = {"T_SIG": SIG, "ZONE": "from-env-5555"}  # not a time zone: an error that would quote it
    runs = [
        cli("render", str(path), env={**env, "ZONE": "UTC"}),
        cli("render", "-o", "yaml", str(path), env={**env, "ZONE": "UTC"}),
        cli("validate", str(path), env=env),
        cli("validate", "-o", "json", str(path), env=env),
        cli("validate", "-o", "github", str(path), env=env),
        cli("render", str(path), env=env),
    ]
    assert runs[2].exit_code == INVALID and lines_with(runs[2], "unknown-timezone")
    for res in runs:
        for secret in secrets:
            assert secret not in res.output, (secret, res.output)
    assert MASK in runs[0].stdout
    shown = cli("render", "--show-secrets", str(path), env={**env, "ZONE": "UTC"})
    assert "acme-key-1111" in shown.stdout and "acme-user-3333" in shown.stdout


# -- folders, the documentation's examples, apply -----------------------------------------------------------


def test_a_folder_holding_tenants_files_reads_them_as_data(cli: Any, tmp_path: Path) -> None:
    fleet(tmp_path / "a")
    fleet(tmp_path / "b", "- {name: initech, api_key: k-3}\n", name="tenants.yaml")
    (tmp_path / "c.yaml").write_text("name: solo\nelement: box\n", encoding="utf-8")
    res = cli("validate", "-o", "json", str(tmp_path), env={"T_SIG": SIG})
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"files": 3, "definitions": 4, "errors": 0, "warnings": 0}
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "tenants.yaml").write_text("- {name: x}\n", encoding="utf-8")  # named by no definition of the run
    res = cli("validate", str(stray))
    assert "a tenants file" in lines_with(res, "not-a-mapping")[0]
    itself = tmp_path / "itself" / "fleet.yaml"  # names a definition file as its tenants: an error, not a skip
    itself.parent.mkdir()
    itself.write_text(TEMPLATE.format(tenants="fleet.yaml"), encoding="utf-8")
    res = cli("validate", str(itself.parent), env={"T_SIG": SIG})
    assert res.exit_code == INVALID and lines_with(res, "bad-tenants")[0].startswith(f"{itself}:1:1:")


def test_the_documented_examples_render(cli: Any, tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "docs" / "definition-format.md").read_text(encoding="utf-8")
    section = text.split("## Tenants: one template, many instances", 1)[1].split("\n## ", 1)[0]
    template, inline = re.findall(r"```yaml\n(.*?)```", section, re.S)
    [rows] = re.findall(r"```csv\n(.*?)```", section, re.S)
    (tmp_path / "hubspot.yaml").write_text(template, encoding="utf-8")
    (tmp_path / "tenants.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "inline.yaml").write_text(template.replace("tenants: tenants.csv", inline.strip()), encoding="utf-8")
    env = {name: f"value-of-{name.lower()}-0123456789" for name in re.findall(r"\$\{env:([A-Z_]+)\}", section)}
    for name in ("hubspot.yaml", "inline.yaml"):
        got = bodies(cli("render", str(tmp_path / name), env=env))
        assert [b["name"] for b in got] == ["acme-hubspot", "globex-hubspot"]
        assert cli("validate", "--strict", str(tmp_path / name), env=env).exit_code == 0
    batch = build([str(tmp_path / "hubspot.yaml")], environ=env)
    assert [item.account for item in batch.items] == [Account(user_secret=env["ACME_USER_SECRET"]), None]


def test_apply_sends_one_instance_per_row(cli: Any, tmp_path: Path, emulator: Any) -> None:
    cli.seams.transport = emulator.transport
    wired = [
        "--base-url",
        emulator.base_url,
        "--user-secret",
        emulator.user_secret,
        "--org-secret",
        emulator.org_secret,
    ]
    path = fleet(tmp_path)
    res = cli(*wired, "-o", "json", "apply", str(path), env={"T_SIG": SIG})
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)["results"]
    assert [(r["source"], r["action"]) for r in results] == [
        (f"{path}#1 (tenant 1)", "created"),
        (f"{path}#1 (tenant 2)", "created"),
    ]
    live = emulator.store.page(after=0, limit=10, tags=[], search=None)[0]
    assert {i.name: i.configuration["hapikey"] for i in live} == {
        "acme-crm": "acme-key-1111",
        "globex-crm": "globex-key-2222",
    }
    res = cli(*wired, "diff", str(path), env={"T_SIG": SIG})
    assert res.exit_code == 0, res.output
    assert "acme-key-1111" not in res.output


# -- a property: any text of a row arrives as written ---------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00\r"), max_size=30).filter(lambda v: "${" not in v))
def test_a_row_value_reaches_the_body_as_written(cli: Any, tmp_path: Path, value: str) -> None:
    folder = tmp_path / "prop"
    folder.mkdir(exist_ok=True)
    with (folder / "tenants.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["name", "api_key", "note"], ["acme", "k-1", value]])
    template = TEMPLATE.replace("hapikey: ${{tenant.api_key}}", 'hapikey: k\n  note: "<${{tenant.note}}>"')
    (folder / "fleet.yaml").write_text(template.format(tenants="tenants.csv"), encoding="utf-8")
    [body] = bodies(cli("render", "--show-secrets", str(folder / "fleet.yaml"), env={"T_SIG": SIG}))
    assert body["configuration"]["note"] == f"<{value}>"
