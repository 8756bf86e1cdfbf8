"""Profiles, the config file, and precedence: flag > environment > profile > default."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cloudevents_cli import redact
from cloudevents_cli.config import (
    DEFAULT_BASE_URL,
    add_profile,
    default_config_path,
    load_config,
    normalise_base_url,
    remove_profile,
    resolve_connection,
)
from cloudevents_cli.errors import InvalidInput, UsageError


def resolve(**kw: Any) -> Any:
    args: dict[str, Any] = {
        "base_url": None,
        "user_secret": None,
        "org_secret": None,
        "timeout": None,
        "ca_bundle": None,
    }
    args.update(kw)
    return resolve_connection(**args)


def test_default_path_follows_xdg(isolation: Path) -> None:
    assert default_config_path() == isolation / ".config" / "cloudevents" / "config.yaml"


def test_default_path_without_xdg(isolation: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert default_config_path() == isolation / ".config" / "cloudevents" / "config.yaml"


def test_base_url_normalised() -> None:
    assert normalise_base_url("api.cloud-elements.co.uk") == "https://api.cloud-elements.co.uk/elements/api-v2"
    assert normalise_base_url("http://127.0.0.1:9/") == "http://127.0.0.1:9/elements/api-v2"
    assert normalise_base_url("https://h/elements/api-v2/") == "https://h/elements/api-v2"


def test_written_with_mode_0600_and_folder_0700() -> None:
    config = add_profile(None, "prod", base_url="api.example.test", user_secret="u-1234", org_secret="o-5678")
    path = config.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    loaded = load_config()
    assert loaded.default_profile == "prod"
    assert loaded.profiles["prod"].base_url == "https://api.example.test/elements/api-v2"
    assert loaded.warnings == []


def test_looser_mode_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profiles: {a: {user_secret: uuuu, org_secret: oooo}}\n")
    os.chmod(path, 0o644)
    config = load_config(path)
    assert any("chmod 600" in w for w in config.warnings)
    conn = resolve(config_file=path)
    assert conn.user_secret == "uuuu"  # no default_profile: the only profile is used
    assert any("0644" in w for w in conn.warnings)


def test_precedence_flag_over_profile_over_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    add_profile(path, "dev", base_url="dev.example.test", user_secret="dev-user", org_secret="dev-org")
    add_profile(path, "prod", base_url="prod.example.test", user_secret="prod-user", org_secret="prod-org")
    conn = resolve(config_file=path)
    assert conn.profile == "dev" and conn.user_secret == "dev-user"
    conn = resolve(config_file=path, profile="prod", org_secret="flag-org")
    assert conn.base_url == "https://prod.example.test/elements/api-v2"
    assert conn.user_secret == "prod-user" and conn.org_secret == "flag-org"
    conn = resolve(config_file=tmp_path / "none.yaml", user_secret="u", org_secret="o")
    assert conn.base_url == DEFAULT_BASE_URL and conn.timeout == 30.0


def test_profile_secrets_are_registered_for_masking(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    add_profile(path, "p", base_url=None, user_secret="profile-user-secret", org_secret="profile-org-secret")
    redact.clear()
    resolve(config_file=path)
    assert redact.scrub("x profile-user-secret y") == "x ******** y"


def test_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with pytest.raises(UsageError):
        resolve(config_file=path, profile="nope")
    add_profile(path, "a", base_url=None, user_secret="uuuu", org_secret="oooo")
    with pytest.raises(UsageError) as info:
        resolve(config_file=path, profile="nope")
    assert "known: a" in info.value.message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("profiles: [1, 2\n", 2),
        ("profiles:\n  a:\n    user_secret: x\n    colour: red\n", 4),
        ("bogus: 1\n", 1),
        ("profiles:\n  a: 3\n", 2),
        ("profiles:\n  a: {}\n  a: {}\n", 3),
    ],
)
def test_broken_config_is_invalid_input_with_line(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as info:
        load_config(path)
    assert info.value.exit_code == 3
    assert f"{path}:{line}" in info.value.message


def test_remove_profile_moves_the_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    add_profile(path, "a", base_url=None, user_secret="uuuu", org_secret="oooo")
    add_profile(path, "b", base_url=None, user_secret="uuuu", org_secret="oooo")
    config = remove_profile(path, "a")
    assert config.default_profile == "b"
    with pytest.raises(UsageError):
        remove_profile(path, "a")


def test_missing_credentials_is_a_usage_error() -> None:
    conn = resolve(user_secret="u")
    with pytest.raises(UsageError) as info:
        conn.require_credentials()
    assert "organization secret" in info.value.message


# -- the profile commands ----------------------------------------------------------------------------------
def test_profile_commands(cli: Any) -> None:
    res = cli(
        "profile", "add", "prod", "--base-url", "h.example.test", "--user-secret", "pu-1234", "--org-secret", "po-5678"
    )
    assert res.exit_code == 0, res.stderr
    res = cli("profile", "add", "dev", "--user-secret", "du-1234", "--org-secret", "do-5678", "--default")
    assert res.exit_code == 0
    res = cli("profile", "list", "-o", "json")
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1 and doc["default_profile"] == "dev"
    assert [p["name"] for p in doc["profiles"]] == ["prod", "dev"]
    res = cli("profile", "show", "prod")
    assert res.exit_code == 0 and "pu-1234" not in res.output and "********" in res.stdout
    res = cli("profile", "show", "prod", "-o", "json")
    assert json.loads(res.stdout)["profile"]["user_secret"] == "********"
    assert cli("profile", "remove", "dev").exit_code == 0
    assert cli("profile", "show", "dev").exit_code == 2
    assert cli("--profile", "nope", "list").exit_code == 2


def test_profile_add_without_secrets_and_no_terminal_is_usage(cli: Any) -> None:
    assert cli("profile", "add", "x").exit_code == 2


def test_broken_config_file_exits_3(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("profiles: [\n")
    res = cli("--config", str(path), "list")
    assert res.exit_code == 3
    assert str(path) in res.stderr


# -- secrets that cannot go into a header ---------------------------------------------------------------------
BAD_SECRETS = {
    "trailing CR LF": "leaky-secret-value\r\n",
    "a line feed inside": "leaky-secret\nvalue",
    "NUL": "leaky-secret-value\x00",
    "a tab": "leaky-secret\tvalue",
    "DEL": "leaky-secret-value\x7f",
    "non-ASCII": "leaky-secret-välue",
    "a non-breaking space": "leaky-secret\u00a0value",
}


def _never_sent() -> Any:
    import httpx

    from cloudevents_cli.cli.app import Seams

    return Seams(transport=httpx.MockTransport(lambda request: pytest.fail("a request was sent")))


def _leaked(text: str) -> bool:
    return "leaky-secret" in text or "secret-value" in text or "välue" in text


@pytest.mark.parametrize("secret", BAD_SECRETS.values(), ids=BAD_SECRETS.keys())
def test_a_user_secret_flag_with_control_or_non_ascii_characters_is_refused(cli: Any, secret: str) -> None:
    g = ["--base-url", "http://127.0.0.1:9", "--user-secret", secret, "--org-secret", "org-5678"]
    res = cli(*g, "list", seams=_never_sent())
    assert res.exit_code == 2, res.output
    assert "the user secret contains a control character" in res.stderr
    assert not _leaked(res.stdout + res.stderr)


@pytest.mark.parametrize("secret", ["leaky-secret-value\r\n", "leaky-secret-välue"], ids=["CR LF", "non-ASCII"])
def test_an_org_secret_from_the_environment_is_refused(cli: Any, secret: str) -> None:
    env = {"CE_BASE_URL": "http://127.0.0.1:9", "CE_USER_SECRET": "user-1234", "CE_ORG_SECRET": secret}
    res = cli("get", "7", env=env, seams=_never_sent())
    assert res.exit_code == 2, res.output
    assert "the organization secret contains a control character" in res.stderr
    assert not _leaked(res.stdout + res.stderr)


@pytest.mark.parametrize("secret", ["leaky-secret-value\r", "leaky-secret-välue", "leaky-secret\x00"])
def test_a_profile_secret_with_control_or_non_ascii_characters_is_refused(
    cli: Any, tmp_path: Path, secret: str
) -> None:
    config = tmp_path / "config.yaml"
    escaped = json.dumps(secret)  # a YAML double-quoted string
    config.write_text(f"profiles:\n  p:\n    user_secret: {escaped}\n    org_secret: org-5678\n")
    config.chmod(0o600)
    res = cli("--config", str(config), "--base-url", "http://127.0.0.1:9", "list", seams=_never_sent())
    assert res.exit_code == 2, res.output
    assert "the user secret contains" in res.stderr
    assert not _leaked(res.stdout + res.stderr)


def test_profile_add_refuses_such_a_secret_and_writes_nothing(cli: Any) -> None:
    res = cli("profile", "add", "p", "--user-secret", "leaky-secret-value\n", "--org-secret", "org-5678")
    assert res.exit_code == 2
    assert "the user secret contains" in res.stderr and not _leaked(res.output)
    assert not default_config_path().exists()


def test_printable_ascii_secrets_are_fine() -> None:
    conn = resolve(base_url="http://x.test", user_secret="a-Z_0.9~!@#$%^&*()+= ", org_secret="o")
    assert conn.user_secret == "a-Z_0.9~!@#$%^&*()+= "
