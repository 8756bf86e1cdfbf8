"""Fleet benchmark (make bench): `apply` of 10,000 tenants against the emulator, then a no-op re-apply of them.

(a) create: `cloudevents apply FLEET --concurrency 8 -o json` against an empty emulator, against a bare
    `httpx.AsyncClient` script doing the same requests (one listing, as apply makes for a large batch, then one POST
    per pre-rendered body) at the same concurrency. Target: CLI <= 1.15x the bare script.
(b) no-op re-apply: the same command again (every instance unchanged), against a bare script that lists every
    instance (all pages) and compares each body with its live instance. Target: CLI <= 1.3x.
Peak RSS (ru_maxrss) of each process beside its ratio to the bare script's; target < 300 MiB for the CLI.
Every command is a fresh process (start-up included); the CLI also reads, validates and expands the YAML.

BENCH_FLEET_COUNT (10000), BENCH_FLEET_ROUNDS (3; the medians are reported), BENCH_FLEET_FORM (tenants, the
default: one `tenants:` template over a CSV; documents: YAML files of 1,000 documents), BENCH_FLEET_PROFILE=FILE
(also run each CLI command once under cProfile and print its top functions; FILE.create/.noop keep the stats).
Exit 0 on a MISS; non-zero only when a measured command fails.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_create import CLOUDEVENTS, DEFINITION, ORG, PYTHON, ROOT, USER, global_args, start_emulator, stop

COUNT = int(os.environ.get("BENCH_FLEET_COUNT", "10000"))
ROUNDS = int(os.environ.get("BENCH_FLEET_ROUNDS", "3"))
PROFILE = os.environ.get("BENCH_FLEET_PROFILE", "")
FORM = os.environ.get("BENCH_FLEET_FORM", "tenants")  # or documents: see write_fleet
PER_FILE = 1000  # documents a file: a definition file may hold at most 1 MiB
CONCURRENCY = 8
CREATE_TARGET = 1.15
NOOP_TARGET = 1.3
MEMORY_TARGET_MIB = 300

BARE_CREATE = r"""
import asyncio, json, sys, httpx
base, user, org, path, concurrency = sys.argv[1:6]
bodies = json.load(open(path))
async def main():
    headers = {"Authorization": f"User {user}, Organization {org}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=int(concurrency), max_keepalive_connections=int(concurrency))
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        listed = await client.get("/instances", params={"pageSize": 200})
        listed.raise_for_status()
        assert listed.json() == []
        sem = asyncio.Semaphore(int(concurrency))
        async def one(body):
            async with sem:
                r = await client.post("/instances", content=json.dumps(body))
                r.raise_for_status()
                return r.json()["id"]
        ids = await asyncio.gather(*(one(b) for b in bodies))
    print(len(ids))
asyncio.run(main())
"""

BARE_NOOP = r"""
import asyncio, json, sys, httpx
base, user, org, path = sys.argv[1:5]
bodies = json.load(open(path))
def same(want, have):
    if have == "********":
        return True
    if isinstance(want, bool):
        return have == str(want).lower()
    if isinstance(want, (dict, list)):
        return json.loads(have) == want
    return have == str(want)
async def main():
    headers = {"Authorization": f"User {user}, Organization {org}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        live, token = {}, None
        while True:
            params = {"pageSize": 200, **({"nextPage": token} if token else {})}
            r = await client.get("/instances", params=params)
            r.raise_for_status()
            for inst in r.json():
                live[(inst["name"], inst["element"]["key"])] = inst
            token = r.headers.get("elements-next-page-token")
            if not token:
                break
    unchanged = 0
    for body in bodies:
        inst = live[(body["name"], body["element"]["key"])]
        cfg = inst["configuration"]
        if set(body.get("tags", [])) == set(inst.get("tags", [])) and all(
            same(v, cfg.get(k)) for k, v in body["configuration"].items()
        ):
            unchanged += 1
    print(unchanged)
asyncio.run(main())
"""


@dataclass
class Run:
    seconds: float
    mib: float
    stdout: str
    cpu: float = 0.0  # user + system seconds of the process: steadier than wall time on a shared machine


def write_fleet(folder: Path, count: int) -> list[str]:
    """The fleet as apply's arguments: multi-document YAML files of PER_FILE tenants each, or (BENCH_FLEET_FORM=
    tenants, once the `tenants:` syntax is merged) one template over a tenants CSV. Same bodies either way."""
    folder.mkdir(parents=True, exist_ok=True)
    if FORM == "tenants":
        template = DEFINITION.format(n=0).replace("bench-api-key-00000", "${tenant.api_key}")
        (folder / "fleet.yaml").write_text("tenants: tenants.csv\n" + template.replace("bench-00000", "${tenant.name}"))
        rows = (f"bench-{n:05d},bench-api-key-{n:05d}\n" for n in range(count))
        (folder / "tenants.csv").write_text("name,api_key\n" + "".join(rows))
        return [str(folder)]
    for start in range(0, count, PER_FILE):
        docs = (DEFINITION.format(n=n) for n in range(start, min(start + PER_FILE, count)))
        (folder / f"tenants-{start // PER_FILE:03d}.yaml").write_text("---\n".join(docs))
    return [str(folder)]


RENDER = r"""
import json, sys
from cloudevents_cli.definitions.pipeline import build
target, *paths = sys.argv[1:]
batch = build(paths, unique=True)
if batch.errors:
    sys.exit(f"generated definitions are invalid: {batch.errors[0].one_line()}")
json.dump([item.body for item in batch.items], open(target, "w"))
"""


def render_bodies(paths: list[str], target: Path) -> None:
    """The request bodies for the bare scripts, rendered in a child: ru_maxrss of a child counts what its parent
    held when it forked, so this process stays small."""
    done = subprocess.run(
        [PYTHON, "-c", RENDER, str(target), *paths], cwd=target.parent, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-1000:])


def measure(cmd: list[str], what: str) -> Run:
    """Runs cmd to the end: wall time, its peak RSS (MiB) and stdout; fails the bench when it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{what} failed ({os.waitstatus_to_exitcode(status)}): {err.read().decode()[-1000:]}")
        cpu = usage.ru_utime + usage.ru_stime
        return Run(seconds, usage.ru_maxrss / 1024, out.read().decode(), cpu)  # ru_maxrss: KiB on Linux


def apply_cmd(base: str, paths: list[str]) -> list[str]:
    return [CLOUDEVENTS, *global_args(base), "-q", "apply", *paths, "--concurrency", str(CONCURRENCY), "-o", "json"]


def cli_apply(base: str, paths: list[str], expected: str) -> Run:
    run = measure(apply_cmd(base, paths), f"cloudevents apply ({expected})")
    summary = json.loads(run.stdout)["summary"]
    if summary != {expected: COUNT}:
        raise SystemExit(f"cloudevents apply: expected {COUNT} {expected}, got {summary}")
    return run


def bare(script: str, base: str, bodies: Path, *extra: str) -> Run:
    run = measure([PYTHON, "-c", script, base, USER, ORG, str(bodies), *extra], "the bare httpx script")
    if run.stdout.strip() != str(COUNT):
        raise SystemExit(f"the bare httpx script handled {run.stdout.strip()} of {COUNT}")
    return run


def one_round(paths: list[str], bodies: Path) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    proc, base = start_emulator()
    try:
        runs["cli create"] = cli_apply(base, paths, "created")
        runs["cli noop"] = cli_apply(base, paths, "unchanged")
        runs["bare noop"] = bare(BARE_NOOP, base, bodies)
    finally:
        stop(proc)
    proc, base = start_emulator()
    try:
        runs["bare create"] = bare(BARE_CREATE, base, bodies, str(CONCURRENCY))
    finally:
        stop(proc)
    return runs


def profile(paths: list[str], target: str) -> None:
    """Each CLI command once under cProfile; the top functions by their own time and by cumulative time."""
    import pstats

    proc, base = start_emulator()
    try:
        for label in ("create", "noop"):
            stats = f"{target}.{label}"
            measure([PYTHON, "-m", "cProfile", "-o", stats, *apply_cmd(base, paths)], f"profiled apply ({label})")
            print(f"-- cProfile of apply ({label}), {stats}")
            for key in ("tottime", "cumulative"):
                pstats.Stats(stats, stream=sys.stdout).strip_dirs().sort_stats(key).print_stats(15)
    finally:
        stop(proc)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISS"


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    try:
        paths = write_fleet(tmp / "fleet", COUNT)
        bodies = tmp / "bodies.json"
        render_bodies(paths, bodies)
        rounds = [one_round(paths, bodies) for _ in range(ROUNDS)]  # each round: the CLI and bare side by side

        def median(name: str) -> Run:
            runs = [r[name] for r in rounds]
            return Run(
                *(statistics.median(getattr(r, k) for r in runs) for k in ("seconds", "mib")),
                "",
                statistics.median(r.cpu for r in runs),
            )

        parsing = measure([CLOUDEVENTS, "-q", "validate", *paths, "-o", "json"], "cloudevents validate")
        print(
            f"apply of {COUNT} tenants ({FORM}), concurrency {CONCURRENCY}, process start included, median of {ROUNDS}:"
        )
        for label, target in (("create", CREATE_TARGET), ("noop", NOOP_TARGET)):
            cli, base = median(f"cli {label}"), median(f"bare {label}")
            ratio = cli.seconds / base.seconds
            print("  create (empty emulator)" if label == "create" else "  no-op re-apply (all unchanged)")
            for name, run in (("cloudevents apply", cli), ("bare httpx script", base)):
                print(
                    f"    {name}   {run.seconds:7.2f} s  ({COUNT / run.seconds:6.0f}/s)  peak {run.mib:5.0f} MiB"
                    f"  cpu {run.cpu:6.2f} s"
                )
            print(
                f"    time ratio          {ratio:7.2f}x  target <= {target}x  {verdict(ratio <= target)}"
                f"  (cpu ratio {cli.cpu / base.cpu:.2f}x)"
            )
            print(
                f"    memory ratio        {cli.mib / base.mib:7.2f}x  peak {cli.mib:.0f} MiB, target < "
                f"{MEMORY_TARGET_MIB} MiB  {verdict(cli.mib < MEMORY_TARGET_MIB)}"
            )
        print(
            f"  for scale: cloudevents validate of the same files (no network): {parsing.seconds:.2f} s,"
            f" cpu {parsing.cpu:.2f} s"
        )
        if PROFILE:
            profile(paths, PROFILE)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
