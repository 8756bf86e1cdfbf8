"""Each definition goes to its account (`Item.account`: a tenant row's own profile or secrets): two emulators with
different secrets, items given accounts directly (wrapping pipeline.build), every request checked for where it
went and with which credentials; one listing per account; a plan over several accounts holds none of their
secrets; an account without credentials is a usage error that names it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudevents_cli.definitions import pipeline
from cloudevents_cli.definitions.pipeline import Account
from tests.fleet_support import ENV, live, wire, write_fleet

B_USER, B_ORG = "tenant-b-user-5521", "tenant-b-org-7734"


@pytest.fixture
def two(start_emulator: Callable[..., Any], tmp_path: Path) -> dict[str, Any]:
    a = start_emulator()
    b = start_emulator("--user-secret", B_USER, "--org-secret", B_ORG)
    config = tmp_path / "config.yaml"
    config.write_text(
        "profiles:\n"
        f"  tenant-b: {{base_url: '{b.base_url}', user_secret: {B_USER}, org_secret: {B_ORG}}}\n"
        f"  tenant-b-bare: {{base_url: '{b.base_url}'}}\n"
    )
    config.chmod(0o600)
    return {"a": a, "b": b, "config": str(config)}


def accounts_by_name(monkeypatch: pytest.MonkeyPatch, accounts: dict[str, Account]) -> None:
    """Items named PREFIX-... get accounts[PREFIX] (the run's when absent), as tenant rows will."""
    real = pipeline.build

    def build(*args: Any, **kwargs: Any) -> Any:
        batch = real(*args, **kwargs)
        for item in batch.items:
            item.account = accounts.get(str(item.name).split("-")[0])
        return batch

    monkeypatch.setattr(pipeline, "build", build)


def auth(user: str, org: str) -> str:
    return f"User {user}, Organization {org}"


def test_each_item_goes_to_its_account(
    cli: Any, two: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two["a"], two["b"]
    accounts_by_name(
        monkeypatch,
        {"b": Account(profile="tenant-b"), "c": Account(profile="tenant-b-bare", user_secret=B_USER, org_secret=B_ORG)},
    )
    args, wire_ = wire(cli, a)
    names = [f"a-{n}" for n in range(26)] + [f"b-{n}" for n in range(26)] + ["c-1", "c-2"]
    defs = write_fleet(tmp_path / "defs", names)
    res = cli("--config", two["config"], *args, "apply", str(defs), "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    assert sorted(i["name"] for i in live(a)) == sorted(n for n in names if n.startswith("a-"))
    assert sorted(i["name"] for i in live(b)) == sorted(n for n in names if not n.startswith("a-"))
    a_host, b_host = a.base_url.split("/")[2], b.base_url.split("/")[2]
    assert {(host, key) for _, host, key in wire_.senders} == {
        (a_host, auth(a.user_secret, a.org_secret)),
        (b_host, auth(B_USER, B_ORG)),
    }
    assert B_USER not in res.output and B_ORG not in res.output

    wire_.calls.clear()
    wire_.senders.clear()
    res = cli("--config", two["config"], *args, "apply", str(defs), "-o", "json", env=ENV)
    assert res.exit_code == 0 and json.loads(res.stdout)["summary"] == {"unchanged": 54}
    assert wire_.writes == []
    listings = [host for method, host, _ in wire_.senders if method == "GET"]
    searches = [path for method, path, _ in wire_.calls if method == "GET"]
    assert len(searches) == 4  # one listing for a's 26, one for b's 26, a search for each of c's 2
    assert sorted(listings) == sorted([a_host, b_host, b_host, b_host])


def test_a_plan_over_accounts_holds_none_of_their_secrets(
    cli: Any, two: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two["a"], two["b"]
    accounts_by_name(monkeypatch, {"c": Account(profile="tenant-b-bare", user_secret=B_USER, org_secret=B_ORG)})
    args, _ = wire(cli, a)
    defs = write_fleet(tmp_path / "defs", ["a-1", "c-1"])
    plan_file = tmp_path / "plan.json"
    res = cli("--config", two["config"], *args, "plan", str(defs), "--out", str(plan_file), env=ENV)
    assert res.exit_code == 0, res.output
    text = plan_file.read_text()
    assert B_USER not in text and B_ORG not in text and a.user_secret not in text
    res = cli("--config", two["config"], *args, "apply", str(plan_file), env=ENV)
    assert res.exit_code == 0, res.output
    assert [i["name"] for i in live(a)] == ["a-1"] and [i["name"] for i in live(b)] == ["c-1"]


def test_an_account_without_credentials_is_a_usage_error(
    cli: Any, two: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts_by_name(monkeypatch, {"c": Account(profile="tenant-b-bare")})
    args, wire_ = wire(cli, two["a"])
    defs = write_fleet(tmp_path / "defs", ["a-1", "c-1"])
    res = cli("--config", two["config"], *args, "apply", str(defs), env=ENV)
    assert res.exit_code == 2 and "profile 'tenant-b-bare': no user secret and no organization secret" in res.stderr
    assert wire_.calls == []
    accounts_by_name(monkeypatch, {"c": Account(profile="nobody")})
    res = cli("--config", two["config"], *args, "apply", str(defs), env=ENV)
    assert res.exit_code == 2 and "unknown profile 'nobody'" in res.stderr
