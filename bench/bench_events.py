"""`cloudevents events INSTANCE` over 10,000 recorded events: time and peak memory against a bare httpx loop.

The emulator runs as a subprocess on a SQLite file seeded directly with N delivery records (one transaction;
seeding through the API would deliver N callbacks first). Both clients page through all N events with the same
requests (`GET /instances/{id}/events?pageSize=200[&nextPage=..]`): the CLI with `-o json` (one line per event,
printed as each page arrives), and a bare loop with httpx.AsyncClient (as the CLI uses) that parses each page
and counts. Reported: wall time of each (median of 3 runs, taking turns), the ratio, and each one's peak RSS
(wait4's ru_maxrss); memory is flat when the CLI's peak at N events is about its peak at N/10. The default
table (streamed too, a line per event) is measured once. Run: `.venv/bin/python bench/bench_events.py [N]`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START_TIMEOUT = 30.0
RUN_TIMEOUT = 300.0
RUNS = 3

BASELINE = """
import asyncio, sys, httpx
base, user, org, inst = sys.argv[1:5]
headers = {"Authorization": f"User {user}, Organization {org}", "Accept": "application/json"}

async def main():
    count, params = 0, {"pageSize": "200"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        (await client.get(f"/instances/{inst}")).raise_for_status()
        while True:
            answer = await client.get(f"/instances/{inst}/events", params=params)
            answer.raise_for_status()
            page = answer.json()
            count += len(page)
            token = answer.headers.get("elements-next-page-token")
            if not token or not page:
                return count
            params["nextPage"] = token

print(asyncio.run(main()))
"""


def seed(path: Path, n: int) -> int:
    """An emulator database with one webhook instance and n NOTIFIED events (one attempt each); its id."""
    from cloudevents_cli.emulator.store import Store, now_iso

    store = Store(str(path))
    conf = {
        "event.notification.enabled": "true",
        "event.vendor.type": "webhooks",
        "event.notification.callback.url": "http://127.0.0.1:9/hook",
    }
    instance = store.create("bench-shop", "shopify", ["bench"], conf)
    store.close()
    stamp = now_iso()
    deliveries, attempts = [], []
    for i in range(1, n + 1):
        event_id = str(uuid.uuid4())
        events = [{"objectId": str(i), "objectType": "orders", "eventType": "UPDATED", "elementKey": "shopify"}]
        raw = {"objectType": "orders", "objects": [{"id": str(i), "changeType": "updated"}]}
        body = {"message": {"eventId": event_id, "instanceId": instance.id, "elementKey": "shopify"}}
        body["message"].update(events=events, raw=raw)
        deliveries.append(
            (instance.id, str(uuid.uuid4()), event_id, "webhooks", json.dumps(events), "NOTIFIED", stamp,
             conf["event.notification.callback.url"], json.dumps(body, separators=(",", ":")))
        )  # fmt: skip
        attempts.append((i, 1, 200, None, stamp))
    db = sqlite3.connect(path)
    with db:  # one transaction: seconds, not one fsync per row
        db.executemany(
            "INSERT INTO deliveries (instance_id, webhook_id, event_id, method, events, status, created, url, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            deliveries,
        )
        db.executemany(
            "INSERT INTO attempts (delivery_id, attempt, status_code, error, at) VALUES (?, ?, ?, ?, ?)", attempts
        )
    db.close()
    return instance.id


def start_emulator(db: Path, ready: Path) -> tuple[subprocess.Popen[bytes], str]:
    cmd = [sys.executable, "-m", "cloudevents_cli", "emulator", "--port", "0", "--db", str(db)]
    proc = subprocess.Popen([*cmd, "--ready-file", str(ready)], cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT
    while not (ready.exists() and ready.read_text().endswith("\n")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the emulator did not start")
        time.sleep(0.02)
    return proc, ready.read_text().strip()


def measure(cmd: list[str]) -> tuple[float, int, int, float]:
    """(wall seconds, lines on stdout, peak RSS in MiB, CPU seconds) of one run of cmd."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CE_")}
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    lines = sum(1 for _ in proc.stdout)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:6])}... exited with {proc.returncode}")
    return elapsed, lines, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime  # ru_maxrss: KiB on Linux


def alternating(commands: dict[str, tuple[list[str], int]]) -> dict[str, tuple[float, int, float]]:
    """Each command RUNS times, taking turns (a shared machine's noise falls on all alike): per name, the median
    wall seconds, the highest peak RSS (MiB) and the median CPU seconds of the client process. Each run must
    print the expected number of lines."""
    seen: dict[str, list[tuple[float, int, float]]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, (cmd, expect_lines) in commands.items():
            elapsed, lines, peak, cpu = measure(cmd)
            if lines != expect_lines:
                raise SystemExit(f"{name}: expected {expect_lines} lines, got {lines}")
            seen[name].append((elapsed, peak, cpu))
    return {
        name: (
            statistics.median(r[0] for r in runs),
            max(r[1] for r in runs),
            statistics.median(r[2] for r in runs),
        )
        for name, runs in seen.items()
    }


def bench(n: int, tmp: Path) -> dict[str, float]:
    inst = seed(tmp / f"events-{n}.db", n)
    emulator, base = start_emulator(tmp / f"events-{n}.db", tmp / f"ready-{n}")
    try:
        from cloudevents_cli.emulator.defaults import DEFAULT_ORG_SECRET, DEFAULT_USER_SECRET

        conn = ["--base-url", base, "--user-secret", DEFAULT_USER_SECRET, "--org-secret", DEFAULT_ORG_SECRET]
        cli = [sys.executable, "-m", "cloudevents_cli", *conn, "events", str(inst)]
        bare = [sys.executable, "-c", BASELINE, base, DEFAULT_USER_SECRET, DEFAULT_ORG_SECRET, str(inst)]
        got = alternating({"json": ([*cli, "-o", "json"], n), "bare": (bare, 1)})
        (json_s, json_mib, json_cpu), (bare_s, bare_mib, bare_cpu) = got["json"], got["bare"]
        table_s, _, table_mib, _ = measure([*cli, "-o", "table"])
    finally:
        emulator.terminate()
        emulator.wait(10)
    return {"json_s": json_s, "json_mib": json_mib, "json_cpu": json_cpu, "bare_s": bare_s, "bare_mib": bare_mib,
            "bare_cpu": bare_cpu, "table_s": table_s, "table_mib": table_mib}  # fmt: skip


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        small = bench(n // 10, Path(folder))
        big = bench(n, Path(folder))
    print(f"events over {n:,} recorded events ({-(-n // 200)} pages of 200), median of {RUNS} runs:")
    print(
        f"  cloudevents events -o json   {big['json_s']:6.2f} s   peak RSS {big['json_mib']:4d} MiB   "
        f"client CPU {big['json_cpu']:5.2f} s"
    )
    print(
        f"  bare httpx paging loop       {big['bare_s']:6.2f} s   peak RSS {big['bare_mib']:4d} MiB   "
        f"client CPU {big['bare_cpu']:5.2f} s"
    )
    print(
        f"  ratio (cli / bare)           {big['json_s'] / big['bare_s']:6.2f} (wall)   "
        f"{big['json_cpu'] / big['bare_cpu']:.2f} (client CPU)"
    )
    print(f"  cloudevents events (table)   {big['table_s']:6.2f} s   peak RSS {big['table_mib']:4d} MiB (one run)")
    print(
        f"memory: -o json peaks at {small['json_mib']} MiB over {n // 10:,} events and {big['json_mib']} MiB over "
        f"{n:,} (bare loop: {small['bare_mib']} / {big['bare_mib']} MiB; table: {small['table_mib']} / "
        f"{big['table_mib']} MiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
