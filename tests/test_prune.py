"""apply --prune --owner TAG: the ownership tag on what apply writes (as sent), deletes of owned instances no
definition describes (never an untagged one), prune within a shard, and the usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fleet_support import ENV, live, look_alike, post, wire, write_fleet

OWNER = "owner:team-a"


@pytest.mark.parametrize("command", ["apply", "diff", "plan"])
def test_prune_without_owner_is_a_usage_error(cli: Any, tmp_path: Path, command: str) -> None:
    defs = write_fleet(tmp_path / "defs", ["t-a"])
    res = cli("--base-url", "http://127.0.0.1:9", command, str(defs), "--prune")
    assert res.exit_code == 2 and "--prune needs --owner TAG" in res.stderr


def test_owner_tag_is_added_to_what_apply_writes(cli: Any, emulator_server: Any, tmp_path: Path) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", ["no-tags"])
    (defs / "with-tags.yaml").write_text(
        "name: with-tags\nelement: closeio\ntags: [x, y]\nconfiguration:\n  username: bob\n  password: pw-123456\n"
    )
    post(emulator_server, look_alike("no-tags", tags=["kept"]))  # exists, tagged by someone else
    res = cli(*args, "apply", str(defs), "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 0, res.output
    sent = {m: json.loads(b) for m, _, b in wire_.writes}
    assert sent["PATCH"]["tags"] == ["kept", OWNER]  # a definition without tags: the live tags, plus the owner's
    assert sent["POST"]["tags"] == ["x", "y", OWNER]
    wire_.calls.clear()
    assert cli(*args, "apply", str(defs), "--owner", OWNER, env=ENV).exit_code == 0
    assert wire_.writes == []  # the tag as a set: nothing more to do


def test_prune_deletes_only_owned_instances_no_definition_describes(
    cli: Any, emulator_server: Any, tmp_path: Path
) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", ["keep", "drop"])
    assert cli(*args, "apply", str(defs), "--owner", OWNER, env=ENV).exit_code == 0
    other = post(emulator_server, look_alike("stray", tags=["owner:team-b"]))
    bare = post(emulator_server, look_alike("stray-bare"))
    prefixed = post(emulator_server, look_alike("stray-prefix", tags=[OWNER + "-x", OWNER.upper()]))
    (defs / "drop.yaml").unlink()
    wire_.calls.clear()
    res = cli(*args, "diff", str(defs), "--prune", "--owner", OWNER, "-o", "json", env=ENV)
    assert res.exit_code == 1
    assert [(r["action"], r["name"]) for r in json.loads(res.stdout)["results"]] == [
        ("would-delete", "drop"),
        ("unchanged", "keep"),
    ]
    assert wire_.writes == []
    res = cli(*args, "apply", str(defs), "--prune", "--owner", OWNER, env=ENV)
    assert res.exit_code == 0
    assert [m for m, _, _ in wire_.writes] == ["DELETE"]
    left = {i["name"] for i in live(emulator_server)}
    assert left == {"keep", "stray", "stray-bare", "stray-prefix"}
    assert {other["id"], bare["id"], prefixed["id"]} <= {i["id"] for i in live(emulator_server)}


def test_prune_in_shards_deletes_each_orphan_once(cli: Any, emulator_server: Any, tmp_path: Path) -> None:
    from cloudevents_cli.platform.plans import shard_of

    args, _ = wire(cli, emulator_server)
    everyone = [f"t-{n}" for n in range(12)]
    defs = write_fleet(tmp_path / "defs", everyone)
    assert cli(*args, "apply", str(defs), "--owner", OWNER, env=ENV).exit_code == 0
    orphans = everyone[:6]
    for name in orphans:
        (defs / f"{name}.yaml").unlink()
    deleted: list[str] = []
    for i in range(1, 4):
        res = cli(*args, "apply", str(defs), "--prune", "--owner", OWNER, "--shard", f"{i}/3", "-o", "json", env=ENV)
        assert res.exit_code == 0, res.output
        mine = [r["name"] for r in json.loads(res.stdout)["results"] if r["action"] == "deleted"]
        assert all(shard_of(n, "closeio", "", 3) == i for n in mine)  # prune stays within its shard
        deleted += mine
    assert sorted(deleted) == sorted(orphans)
    assert sorted(i["name"] for i in live(emulator_server)) == sorted(everyone[6:])


def test_prune_with_partial_and_an_invalid_definition_deletes_nothing(
    cli: Any, emulator_server: Any, tmp_path: Path
) -> None:
    args, wire_ = wire(cli, emulator_server)
    defs = write_fleet(tmp_path / "defs", ["keep", "broken"])
    assert cli(*args, "apply", str(defs), "--owner", OWNER, env=ENV).exit_code == 0
    (defs / "broken.yaml").write_text("name: broken\nelement: closeio\nconfiguration: [not, a, mapping]\n")
    wire_.calls.clear()
    res = cli(*args, "apply", str(defs), "--prune", "--partial", "--owner", OWNER, env=ENV)
    assert res.exit_code == 3
    assert "--prune deletes nothing in this run" in res.stderr
    assert wire_.writes == [] and {i["name"] for i in live(emulator_server)} == {"keep", "broken"}
