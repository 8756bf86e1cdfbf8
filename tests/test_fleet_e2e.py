"""Issue 11's check end to end, through a real tenants file: a template over 50 CSV rows (40 to the run's account,
10 to a profile on a second emulator) applied, re-applied with only listings sent, one row removed and pruned
(exactly that instance deleted, the untagged look-alike kept), and a plan refused once the live state changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fleet_support import ENV, PASSWORD, SIGNATURE_KEY, live, look_alike, patch, post, wire

B_USER, B_ORG = "fleet-b-user-8812", "fleet-b-org-1190"
OWNER = "fleet:e2e"
TEMPLATE = """\
tenants: tenants.csv
name: ${tenant.name}
element: closeio
tags: ["region:${tenant.region}"]
configuration:
  username: ${tenant.user}
  password: ${env:FLEET_PW}
events:
  type: polling
  callback_url: https://hooks.example.com/${tenant.region}/${tenant.name}
  signature_key: ${env:FLEET_SIG}
"""


def rows(n: int) -> list[dict[str, str]]:
    return [
        {"name": f"t-{i:02d}", "region": "eu" if i % 2 else "us", "user": f"u{i}", "profile": "b" if i >= 40 else ""}
        for i in range(n)
    ]


def write(folder: Path, tenants: list[dict[str, str]]) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "fleet.yaml").write_text(TEMPLATE)
    lines = ["name,region,user,profile", *(",".join(r.values()) for r in tenants)]
    (folder / "tenants.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_fifty_tenants_applied_reapplied_pruned_and_a_stale_plan_refused(
    cli: Any, start_emulator: Callable[..., Any], tmp_path: Path
) -> None:
    a = start_emulator()
    b = start_emulator("--user-secret", B_USER, "--org-secret", B_ORG)
    config = tmp_path / "config.yaml"
    config.write_text(f"profiles:\n  b: {{base_url: '{b.base_url}', user_secret: {B_USER}, org_secret: {B_ORG}}}\n")
    config.chmod(0o600)
    args, wire_ = wire(cli, a)
    args = ["--config", str(config), *args]
    defs = write(tmp_path / "fleet", rows(50))

    res = cli(*args, "apply", str(defs), "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"created": 50}
    on_a, on_b = {i["name"]: i for i in live(a)}, {i["name"]: i for i in live(b)}
    assert sorted(on_a) == [f"t-{i:02d}" for i in range(40)] and sorted(on_b) == [f"t-{i:02d}" for i in range(40, 50)]
    assert on_b["t-41"]["configuration"]["event.notification.callback.url"] == "https://hooks.example.com/eu/t-41"
    assert sorted(on_a["t-02"]["tags"]) == [OWNER, "region:us"]
    b_host = b.base_url.split("/")[2]
    assert {key for _, host, key in wire_.senders if host == b_host} == {f"User {B_USER}, Organization {B_ORG}"}
    for secret in (PASSWORD, SIGNATURE_KEY, B_USER, B_ORG):
        assert secret not in res.output

    wire_.calls.clear()
    wire_.senders.clear()
    res = cli(*args, "apply", str(defs), "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0 and json.loads(res.stdout)["summary"] == {"unchanged": 50}
    assert wire_.writes == []  # reads only: one listing for the 40 on a; b's 10 may be looked up by name
    assert [h for _, h, _ in wire_.senders].count(a.base_url.split("/")[2]) == 1

    untagged = post(a, look_alike("t-45"))  # the removed row's name on the other account, not ours
    write(defs, [r for r in rows(50) if r["name"] != "t-45"])
    wire_.calls.clear()
    res = cli(*args, "apply", str(defs), "--prune", "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"deleted": 1, "unchanged": 49}
    assert [(m, p) for m, p, _ in wire_.writes] == [("DELETE", f"/elements/api-v2/instances/{on_b['t-45']['id']}")]
    assert "t-45" not in {i["name"] for i in live(b)} and untagged["id"] in {i["id"] for i in live(a)}

    write(defs, [{**r, "user": "changed"} if r["name"] == "t-03" else r for r in rows(50) if r["name"] != "t-45"])
    plan_file = tmp_path / "plan.json"
    res = cli(*args, "plan", str(defs), "--prune", "--owner", OWNER, "--out", str(plan_file), env=ENV)
    assert res.exit_code == 0 and "Plan: 0 to create, 1 to update, 0 to delete." in res.stderr, res.output
    patch(a, on_a["t-10"]["id"], {"tags": [OWNER, "region:us", "edited-by-hand"]})
    wire_.calls.clear()
    res = cli(*args, "apply", str(plan_file), env=ENV)
    assert res.exit_code == 1 and "changed" in res.stderr, res.output
    assert wire_.writes == []
