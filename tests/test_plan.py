"""plan --out and apply PLAN, end to end against the emulator as a subprocess, counting what goes over the wire:
a fleet of 50 applied, re-applied (the listing alone), pruned; plans refused when the live state or the rendered
requests changed, when applied already (even from a copy), or for another platform; no secret in a plan file."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.fleet_support import ENV, PASSWORD, SIGNATURE_KEY, live, look_alike, patch, post, wire, write_fleet

OWNER = "fleet:acme"


def names(n: int) -> list[str]:
    return [f"tenant-{i:02d}" for i in range(n)]


def test_a_fleet_of_50_applied_reapplied_and_pruned(cli: Any, emulator_server: Any, tmp_path: Path) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", names(50))
    res = cli(*args, "apply", str(defs), "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"created": 50}
    posts = [json.loads(body) for method, _, body in wire_.calls if method == "POST"]
    assert len(posts) == 50 and all(p["tags"] == [OWNER] for p in posts)

    wire_.calls.clear()  # re-apply: nothing to do, and nothing sent but the one listing
    res = cli(*args, "apply", str(defs), "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0 and json.loads(res.stdout)["summary"] == {"unchanged": 50}
    assert wire_.methods() == [("GET", "/elements/api-v2/instances")]

    gone = live_named(emulator_server, "tenant-07")
    untagged = post(emulator_server, look_alike("tenant-07"))  # same name and element, no ownership tag
    foreign = post(emulator_server, look_alike("tenant-99", tags=["fleet:other"]))
    (defs / "tenant-07.yaml").unlink()
    wire_.calls.clear()
    res = cli(*args, "apply", str(defs), "--prune", "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["results"][0] == {**doc["results"][0], "action": "deleted", "id": gone["id"], "name": "tenant-07"}
    assert doc["summary"] == {"deleted": 1, "unchanged": 49}
    assert [(m, p) for m, p, _ in wire_.writes] == [("DELETE", f"/elements/api-v2/instances/{gone['id']}")]
    ids = {i["id"] for i in live(emulator_server)}
    assert gone["id"] not in ids and untagged["id"] in ids and foreign["id"] in ids and len(ids) == 51


def live_named(emulator: Any, name: str) -> dict[str, Any]:
    (found,) = [i for i in live(emulator) if i["name"] == name]
    return found


@pytest.fixture
def planned(cli: Any, emulator_server: Any, tmp_path: Path) -> dict[str, Any]:
    """Three applied; then one definition changed, one added, one removed: a plan of 1 create, 1 update,
    1 delete in plan.json."""
    args, wire_ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", ["t-a", "t-b", "t-c"])
    assert cli(*args, "apply", str(defs), "--owner", OWNER, env=ENV).exit_code == 0
    write_fleet(defs, ["t-b"], user="alice")
    write_fleet(defs, ["t-d"])
    (defs / "t-c.yaml").unlink()
    plan_file = tmp_path / "plan.json"
    wire_.calls.clear()
    res = cli(*args, "plan", str(defs), "--prune", "--owner", OWNER, "--out", str(plan_file), env=ENV)
    assert res.exit_code == 0, res.output
    assert "Plan: 1 to create, 1 to update, 1 to delete." in res.stderr
    assert wire_.writes == []  # planning reads only
    wire_.calls.clear()
    return {"args": args, "wire": wire_, "defs": defs, "file": plan_file, "emulator": emulator_server}


def test_plan_applies_exactly_what_it_shows(cli: Any, planned: dict[str, Any]) -> None:
    doc = json.loads(planned["file"].read_text())
    changes = {c["action"]: c for c in doc["changes"]}
    assert list(changes) == ["delete", "update", "create"]  # deletes first, then in the order of the files
    assert changes["update"]["changes"] == [{"path": "configuration.username", "before": "bob", "after": "alice"}]
    assert changes["create"]["body"]["tags"] == [OWNER] and changes["create"]["name"] == "t-d"
    res = cli(*planned["args"], "apply", str(planned["file"]), "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["summary"] == {"deleted": 1, "created": 1, "updated": 1, "unchanged": 1}
    writes = [(m, p.rsplit("/", 1)[-1]) for m, p, _ in planned["wire"].writes]
    assert sorted(m for m, _ in writes) == ["DELETE", "PATCH", "POST"]
    assert ("DELETE", str(changes["delete"]["id"])) in writes and ("PATCH", str(changes["update"]["id"])) in writes
    (create_body,) = [json.loads(b) for m, _, b in planned["wire"].writes if m == "POST"]
    assert create_body["configuration"]["password"] == PASSWORD  # rendered again: the real secret is sent
    assert sorted(i["name"] for i in live(planned["emulator"])) == ["t-a", "t-b", "t-d"]


def test_a_plan_is_applied_once_even_from_a_copy(cli: Any, planned: dict[str, Any]) -> None:
    copy = planned["file"].with_name("copy.json")
    shutil.copy(planned["file"], copy)
    assert cli(*planned["args"], "apply", str(planned["file"]), env=ENV).exit_code == 0
    assert json.loads(planned["file"].read_text())["applied"]["at"]
    planned["wire"].calls.clear()
    again = cli(*planned["args"], "apply", str(planned["file"]), env=ENV)
    assert again.exit_code == 1 and "was applied already" in again.stderr
    assert planned["wire"].calls == []  # refused before any request
    from_copy = cli(*planned["args"], "apply", str(copy), env=ENV)
    assert from_copy.exit_code == 1 and "the live state changed since plan" in from_copy.stderr
    assert planned["wire"].writes == []


def test_a_plan_is_refused_when_the_live_state_changed(cli: Any, planned: dict[str, Any]) -> None:
    before = planned["file"].read_text()
    patch(planned["emulator"], live_named(planned["emulator"], "t-a")["id"], {"tags": [OWNER, "touched"]})
    res = cli(*planned["args"], "apply", str(planned["file"]), env=ENV)
    assert res.exit_code == 1
    assert res.stderr.strip().endswith("nothing was sent: make a new plan")
    assert planned["wire"].writes == [] and planned["wire"].calls  # it read, and sent nothing
    assert planned["file"].read_text() == before  # not marked applied: a refused plan was not applied


def test_a_plan_is_refused_when_its_requests_render_otherwise(cli: Any, planned: dict[str, Any]) -> None:
    res = cli(*planned["args"], "apply", str(planned["file"]), env={**ENV, "FLEET_PW": "another-password-77"})
    assert res.exit_code == 1 and "no longer render to what plan" in res.stderr
    assert planned["wire"].writes == []
    assert "another-password-77" not in res.output


def test_a_plan_is_refused_for_another_platform_before_any_request(cli: Any, planned: dict[str, Any]) -> None:
    args = list(planned["args"])
    args[1] = "http://127.0.0.1:9/elements/api-v2"
    res = cli(*args, "apply", str(planned["file"]), env=ENV)
    assert res.exit_code == 1 and "this run talks to http://127.0.0.1:9/elements/api-v2" in res.stderr
    assert planned["wire"].calls == []


def test_the_plan_file_holds_no_secret(cli: Any, planned: dict[str, Any]) -> None:
    text = planned["file"].read_text()
    emulator = planned["emulator"]
    for secret in (PASSWORD, SIGNATURE_KEY, emulator.user_secret, emulator.org_secret):
        assert secret not in text
    assert stat.S_IMODE(planned["file"].stat().st_mode) == 0o600
    create = next(c for c in json.loads(text)["changes"] if c["action"] == "create")
    assert create["body"]["configuration"]["password"] == "********"
    assert not list(planned["file"].parent.glob(".plan.json.*"))  # written atomically: no temporary left


def test_apply_plan_takes_no_definition_flag(cli: Any, planned: dict[str, Any]) -> None:
    for extra in (["--owner", "x"], ["--prune"], ["--shard", "1/2"], ["--polling"], ["--partial"]):
        res = cli(*planned["args"], "apply", str(planned["file"]), *extra, env=ENV)
        assert res.exit_code == 2 and "apply PLAN takes none" in res.stderr, extra
    assert planned["wire"].calls == []


def test_plan_exits_0_whatever_it_holds_and_diff_keeps_its_exit_code(cli: Any, planned: dict[str, Any]) -> None:
    common = [*planned["args"], str(planned["defs"]), "--prune", "--owner", OWNER]
    assert cli(*planned["args"], "plan", *common[len(planned["args"]) :], env=ENV).exit_code == 0
    assert cli(*planned["args"], "diff", *common[len(planned["args"]) :], env=ENV).exit_code == 1
    res = cli(*planned["args"], "diff", str(planned["defs"]), "--prune", "--owner", OWNER, "-o", "json", env=ENV)
    assert json.loads(res.stdout)["results"][0]["action"] == "would-delete"  # deletes shown first


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--signature-key", "sig-123456789"], "--signature-key: a plan file holds no secret"),
        (["--set", "configuration.password=pw-1234567"], "--set configuration.password=...: a plan file holds no"),
        (["--prune"], "--prune needs --owner TAG"),
        (["--shard", "5/4"], "--shard '5/4': expected I/N"),
    ],
)
def test_plan_usage_errors(cli: Any, tmp_path: Path, extra: list[str], message: str) -> None:
    defs = write_fleet(tmp_path / "defs", ["t-a"])
    res = cli("--base-url", "http://127.0.0.1:9", "plan", str(defs), *extra, "--out", str(tmp_path / "p.json"))
    assert res.exit_code == 2 and message in res.stderr
    assert "sig-123456789" not in res.output and "pw-1234567" not in res.output
    assert not (tmp_path / "p.json").exists()


def test_plan_refuses_stdin(cli: Any, tmp_path: Path) -> None:
    res = cli("plan", "-", "--out", str(tmp_path / "p.json"), input="name: x\nelement: closeio\n")
    assert res.exit_code == 2 and "a plan cannot read stdin" in res.stderr


def test_plan_does_not_overwrite_a_file_that_is_not_a_plan(cli: Any, tmp_path: Path) -> None:
    defs = write_fleet(tmp_path / "defs", ["t-a"])
    target = defs / "t-a.yaml"
    res = cli("--base-url", "http://127.0.0.1:9", "plan", str(defs), "--out", str(target))
    assert res.exit_code == 2 and "exists" in res.stderr
    assert "name: t-a" in target.read_text()


def test_a_damaged_plan_is_invalid_input(cli: Any, tmp_path: Path) -> None:
    damaged = tmp_path / "plan.json"
    damaged.write_text(json.dumps({"kind": "cloudevents-plan", "plan_version": 1, "plan_id": "x"}))
    res = cli("--base-url", "http://127.0.0.1:9", "--user-secret", "u-1", "--org-secret", "o-1", "apply", str(damaged))
    assert res.exit_code == 3 and "the plan is damaged" in res.stderr
    damaged.write_text(json.dumps({"kind": "cloudevents-plan", "plan_version": 99}))
    res = cli("--base-url", "http://127.0.0.1:9", "apply", str(damaged))
    assert res.exit_code == 3 and "plan version 99" in res.stderr
