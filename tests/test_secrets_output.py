"""Every command's -o json (and yaml) under short secrets that are also parts of names, tags, URLs and file names.

Secrets are masked by field on the data before encoding: a value EQUAL to a secret, or under a secret key, is
`********`; a name, URL or file name that merely contains a secret is printed as it is, and the output parses.
Secrets with `"` and `\\` never appear, raw or escaped. The commands run against the in-process emulator.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cloudevents_cli import redact
from cloudevents_cli.cli.app import Seams
from tests.conftest import Result
from tests.emulator_fixtures import make_in_process

PW = "acme"  # the password: part of instance names, a tag, the callback URL, the folder and file names
USER = "example"  # the user secret: part of the callback URL and the profile's base URL
ORG = "team"  # the org secret: part of a tag
SIG = 'sig"key\\back-0123456789'  # the signature key: a quote and a backslash
PW2 = 'pa"ss\\word'  # the second definition's password
SECRETS = (PW, USER, ORG, SIG, PW2)
URL = "https://hooks.example.com/acme/cb"
NAMES = ("acme-closeio", "acme-zendesk")


def definition(name: str, element: str, password_var: str) -> str:
    return (
        f"name: {name}\nelement: {element}\ntags: [team-a, acme-tag]\n"
        f"configuration:\n  username: acme-user\n  password: ${{env:{password_var}}}\n"
        f"events:\n  type: polling\n  callback_url: {URL}\n"
        "  signature_key: ${env:T_SIG}\n  refresh_interval: 15\n"
    )


@pytest.fixture
def emulator() -> Iterator[Any]:
    handle = make_in_process(user_secret=USER, org_secret=ORG)
    yield handle
    handle.store.close()


@pytest.fixture
def defs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("T_PW", PW)
    monkeypatch.setenv("T_PW2", PW2)
    monkeypatch.setenv("T_SIG", SIG)
    folder = tmp_path / "acme"
    folder.mkdir()
    path = folder / "acme-defs.yaml"
    path.write_text(definition(NAMES[0], "closeio", "T_PW") + "---\n" + definition(NAMES[1], "sugarcrmv2", "T_PW2"))
    return path


@pytest.fixture
def run(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI in-process against the emulator, with the secrets given as global options."""
    from cloudevents_cli.cli import app

    wired = ["--base-url", emulator.base_url, "--user-secret", USER, "--org-secret", ORG]

    def invoke(*args: str, connect: bool = True) -> Result:
        redact.clear()
        argv = [*wired, *args] if connect else list(args)
        res = CliRunner().invoke(app, argv, obj=Seams(transport=emulator.transport), catch_exceptions=True)
        exc = res.exception if not isinstance(res.exception, SystemExit) else None
        return Result(res.exit_code, res.stdout, res.stderr, exc)

    return invoke


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def assert_safe(text: str, doc: Any) -> None:
    """No secret as a value; the quoting secrets nowhere, raw or JSON-escaped."""
    found = set(strings(doc))
    for secret in SECRETS:
        assert secret not in found, f"{secret!r} shown as a value"
    for secret in (SIG, PW2):
        assert secret not in text and json.dumps(secret)[1:-1] not in text
        assert yaml.safe_dump(secret).strip() not in text


def parsed(res: Result, fmt: str = "json") -> Any:
    assert res.exception is None, res.exception
    doc = json.loads(res.stdout) if fmt == "json" else yaml.safe_load(res.stdout)
    assert_safe(res.stdout, doc)
    assert_safe(res.stderr, {})
    return doc


def test_offline_commands(run: Any, defs: Path) -> None:
    res = run("validate", str(defs), "-o", "json")
    assert res.exit_code == 0, res.stderr
    assert parsed(res)["summary"]["definitions"] == 2

    for fmt in ("json", "yaml"):
        res = run("render", str(defs), "-o", fmt)
        assert res.exit_code == 0, res.stderr
        bodies = parsed(res, fmt)
        assert [b["name"] for b in bodies] == list(NAMES)
        assert bodies[0]["tags"] == ["team-a", "acme-tag"]
        assert bodies[0]["configuration"]["username"] == "acme-user"
        assert bodies[0]["configuration"]["password"] == redact.MASK
        assert bodies[1]["configuration"]["password"] == redact.MASK
        assert bodies[0]["configuration"]["event.notification.callback.url"] == URL

    for fmt in ("json", "yaml"):
        res = run("create", str(defs), "--dry-run", "-o", fmt)
        assert res.exit_code == 0, res.stderr
        doc = parsed(res, fmt)
        assert doc["results"][0]["source"] == f"{defs}#1"
        assert doc["results"][1]["body"]["configuration"]["event.notification.callback.url"] == URL

    wrong = "sha256=" + "A" * 43 + "="
    res = run("verify", "--signature-key", SIG, "--signature", wrong, str(defs), "-o", "json", connect=False)
    assert res.exit_code == 1, res.stderr
    assert parsed(res)["valid"] is False


def test_show_secrets_still_reveals(run: Any, defs: Path) -> None:
    res = run("render", str(defs), "--show-secrets", "-o", "json")
    assert json.loads(res.stdout)[1]["configuration"]["password"] == PW2
    res = run("create", str(defs), "--dry-run", "--show-secrets", "-o", "json")
    assert json.loads(res.stdout)["results"][0]["body"]["configuration"]["password"] == PW


def test_platform_commands(run: Any, defs: Path, tmp_path: Path) -> None:
    res = run("create", str(defs), "-o", "json")
    assert res.exit_code == 0, res.stderr
    doc = parsed(res)
    assert [r["name"] for r in doc["results"]] == list(NAMES)
    assert doc["results"][0]["source"] == f"{defs}#1"

    assert parsed(run("list", "-o", "yaml"), "yaml")["instances"][1]["name"] == NAMES[1]
    res = run("list", "-o", "json")
    instances = parsed(res)["instances"]
    assert [i["name"] for i in instances] == list(NAMES)
    assert "acme-tag" in instances[0]["tags"] and "team-a" in instances[0]["tags"]
    assert instances[0]["configuration"]["event.notification.callback.url"] == URL

    res = run("get", NAMES[0], "-o", "json")
    assert parsed(res)["instances"][0]["configuration"]["username"] == "acme-user"

    moved = URL + "/acme-2"
    res = run("diff", str(defs), "--callback-url", moved, "-o", "json")
    assert res.exit_code == 1, res.stderr
    changes = parsed(res)["results"][0]["changes"]
    assert {"path": "configuration.event.notification.callback.url", "before": URL, "after": moved} in changes

    res = run("apply", str(defs), "--callback-url", moved, "-o", "json")
    assert res.exit_code == 0, res.stderr
    assert {r["action"] for r in parsed(res)["results"]} == {"updated"}

    res = run("export", NAMES[0], "-o", "json")
    assert parsed(res)["instances"][0]["name"] == NAMES[0]

    res = run("export", NAMES[0])  # definitions as YAML on stdout
    assert res.exit_code == 0, res.stderr
    exported = parsed(res, "yaml")
    assert exported["name"] == NAMES[0]
    assert exported["events"]["callback_url"] == moved and exported["tags"] == ["team-a", "acme-tag"]

    res = run("list")  # the table: cells are not rewritten either
    assert NAMES[0] in res.stdout and moved in res.stdout and "********" not in res.stdout

    res = run("delete", *NAMES, "--yes", "-o", "json")
    assert res.exit_code == 0, res.stderr
    assert [r["name"] for r in parsed(res)["results"]] == list(NAMES)


def test_profiles(run: Any) -> None:
    res = run(
        "profile", "add", "acme-prod", "--base-url", "https://acme.example.com",
        "--user-secret", USER, "--org-secret", ORG, "--default", connect=False,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    doc = parsed(run("profile", "list", "-o", "json", connect=False))
    assert doc["profiles"][0]["name"] == "acme-prod"
    assert doc["profiles"][0]["base_url"] == "https://acme.example.com/elements/api-v2"
    shown = parsed(run("profile", "show", "-o", "json", connect=False))["profile"]
    assert shown["user_secret"] == redact.MASK and shown["base_url"].startswith("https://acme.example.com")


def test_explain_is_not_rewritten_by_a_secret_inside_it(run: Any) -> None:
    plain = run("explain", "-o", "json", connect=False)
    with_secret = run("--user-secret", "notification", "explain", "-o", "json", connect=False)
    assert with_secret.stdout == plain.stdout and "event.notification.enabled" in plain.stdout


def test_a_short_signature_key_leaves_the_warning_whole(run: Any, defs: Path) -> None:
    res = run("render", str(defs), "--signature-key", "short", "-o", "json", connect=False)
    assert res.exit_code == 0, res.stderr
    assert "the signature key is shorter than 16 characters" in res.stderr
    body = json.loads(res.stdout)[0]
    assert body["configuration"]["event.notification.signature.key"] == redact.MASK
    assert "short" not in set(strings(json.loads(res.stdout)))


def test_mask_document_by_field_and_whole_value() -> None:
    redact.register(PW, SIG)
    doc = {
        "code": "not-found",  # the tool's own fields keep their names' values
        "dotted_key": "event.notification.signature.key",
        "names": [PW, "acme-x", f"{SIG}!"],
        "results": [{"error": {"code": "auth", "message": "m"}, "body": {"providerData": {"code": "c0de"}}}],
        "instances": [{"token": "t0k3n", "configuration": {"password": "p", "username": PW}}],
    }
    masked = redact.mask_document(doc)
    assert masked["code"] == "not-found" and masked["dotted_key"] == doc["dotted_key"]
    assert masked["names"] == [redact.MASK, "acme-x", f"{SIG}!"]
    assert masked["results"][0]["error"]["code"] == "auth"
    assert masked["results"][0]["body"]["providerData"]["code"] == redact.MASK
    assert masked["instances"][0] == {
        "token": redact.MASK,
        "configuration": {"password": redact.MASK, "username": redact.MASK},
    }
    assert redact.mask_document({"password": "p"}, data=True) == {"password": redact.MASK}  # a request body


def test_only_messages_that_quote_foreign_text_are_scrubbed() -> None:
    from cloudevents_cli.errors import PlatformError, Unreachable, UsageError

    redact.register(PW)
    assert PlatformError("HTTP 400: bad password acme").message == "HTTP 400: bad password ********"
    assert Unreachable("ConnectError: acme").message == "ConnectError: ********"
    assert UsageError("no profile acme-prod").message == "no profile acme-prod"


def test_a_secret_inside_a_longer_value_is_masked_in_place(cli: Any, tmp_path: Path) -> None:
    """`https://h/cb?token=${env:TOK}`: the value holds a secret among other text. It is shown with only the
    secret part masked, in every format; --show-secrets shows it whole."""
    path = tmp_path / "composite.yaml"
    path.write_text(
        "name: ${env:STAGE}-hubspot\nelement: hubspotcrm\nconfiguration:\n  username: ${env:NOBODY:-bob-default}\n"
        "events:\n  type: polling\n  callback_url: https://hooks.example.com/cb?token=${env:TOK}\n",
        encoding="utf-8",
    )
    env = {"TOK": "tok-secret-2", "STAGE": "prod-stage"}
    for args in (("render",), ("render", "-o", "yaml"), ("create", "--dry-run", "-o", "json")):
        res = cli(*args, str(path), env=env)
        assert res.exit_code == 0, res.output
        assert "tok-secret-2" not in res.output and "prod-stage" not in res.output, args
        assert "https://hooks.example.com/cb?token=********" in res.stdout, args
        assert "********-hubspot" in res.stdout, args
        assert "bob-default" in res.stdout, args  # a default written in the file is not a secret
    shown = cli("render", "--show-secrets", str(path), env=env)
    assert "https://hooks.example.com/cb?token=tok-secret-2" in shown.stdout
    assert json.loads(shown.stdout)["name"] == "prod-stage-hubspot"


def test_a_secret_inside_the_poller_configuration_text_is_masked(run: Any, tmp_path: Path) -> None:
    """The platform returns the poller configuration as JSON text: a secret key inside it (an undocumented
    resource key such as apiKey) is masked there too, in list/get -o json and yaml."""
    path = tmp_path / "poller.yaml"
    path.write_text(
        "name: poller-secret\nelement: hubspotcrm\nconfiguration:\n  authentication.type: apiKey\n"
        "  event.notification.enabled: true\n"
        "  event.vendor.type: polling\n  event.notification.callback.url: https://hooks.example.com/cb\n"
        "  event.poller.configuration:\n    leads:\n      url: /hubs/crm/leads\n      idField: id\n"
        "      apiKey: poller-api-key-in-clear\n",
        encoding="utf-8",
    )
    assert run("create", str(path)).exit_code == 0
    for args in (("get", "poller-secret", "-o", "json"), ("list", "-o", "json"), ("list", "-o", "yaml")):
        res = run(*args)
        assert res.exit_code == 0, res.stderr
        assert "poller-api-key-in-clear" not in res.stdout, args
        assert "/hubs/crm/leads" in res.stdout, args
    poller = parsed(run("get", "poller-secret", "-o", "json"))["instances"][0]["configuration"]
    assert json.loads(poller["event.poller.configuration"])["leads"]["apiKey"] == "********"


def test_verbose_http_log_masks_the_secret_and_keeps_the_name(run: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SHORT_PW", "acme")
    path = tmp_path / "acme.yaml"
    path.write_text(
        "name: acme-hubspot\nelement: hubspotcrm\nconfiguration:\n  authentication.type: apiKey\n"
        "  username: bob\n  password: ${env:SHORT_PW}\n",
        encoding="utf-8",
    )
    res = run("-v", "create", str(path))
    assert res.exit_code == 0, res.stderr
    (post,) = [line for line in res.stderr.splitlines() if line.startswith("http: POST")]
    assert '"name": "acme-hubspot"' in post and '"password": "********"' in post
    assert '"acme"' not in post


def test_problems_never_quote_a_value_from_the_environment(cli: Any, tmp_path: Path) -> None:
    """Validation messages quote what was written ('America/Denverr' is not a time zone); a value that came
    from ${env:} is shown masked there, on stderr and in -o json."""
    path = tmp_path / "quoted.yaml"
    path.write_text(
        "name: a\nelement: hubspotcrm\nconfiguration:\n  event.vendor.type: ${env:VT}\nevents:\n  type: polling\n"
        "  callback_url: https://h.example.com/x\n  resources:\n    c:\n      url: /x\n      id_field: id\n"
        "      dates:\n        updated_field: u\n        updated_timezone: ${env:TZ1}\n"
        "        updated_format: ${env:FMT}\n",
        encoding="utf-8",
    )
    env = {"VT": "vendor-from-env", "TZ1": "zone-from-env", "FMT": "yyyy-qq-from-env"}
    for args in (("validate",), ("validate", "-o", "json"), ("render",)):
        res = cli(*args, str(path), env=env)
        assert res.exit_code == 3, res.output
        assert not any(value in res.output for value in env.values()), (args, res.output)
    problems = json.loads(cli("validate", "-o", "json", str(path), env=env).stdout)["problems"]
    assert {"unknown-timezone", "bad-date-format"} <= {p["code"] for p in problems}
    assert any("'********'" in p["message"] for p in problems if p["code"] == "unknown-timezone")
