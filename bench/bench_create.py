"""create/apply benchmarks (make bench): the CLI against a bare httpx loop and a curl loop, and apply's memory.

(a) `cloudevents create DIR --concurrency 8 -o json` of 1,000 generated definitions (one file each) through the
    installed CLI, against a bare `httpx.AsyncClient` posting the same bodies (pre-rendered to JSON) at the same
    concurrency from a fresh Python process, and against a sequential loop of one `curl` process per body (if curl
    exists; 100 bodies timed and extrapolated to 1,000). A fresh emulator subprocess for each. All three include
    their process start-up; the CLI also reads, validates and expands the YAML. Target: CLI <= 1.15x the bare loop
    (wall time; the CPU seconds of each are shown beside it, steadier on a shared machine).
(b) peak memory (ru_maxrss of the child) of `cloudevents apply --dry-run` over 10,000 definitions against an
    empty emulator. Target < 200 MiB.

Prints a compact report. Exit 0 on a MISS; non-zero only when a measured command fails.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
CLOUDEVENTS = str(Path(sys.executable).parent / "cloudevents")
ROOT = Path(__file__).resolve().parent.parent
USER, ORG = "emulator-user", "emulator-org"
COUNT = int(os.environ.get("BENCH_CREATE_COUNT", "1000"))
CURL_SAMPLE = 100
ROUNDS = int(os.environ.get("BENCH_CREATE_ROUNDS", "3"))
MEMORY_COUNT = int(os.environ.get("BENCH_MEMORY_COUNT", "10000"))
CONCURRENCY = 8
TIME_TARGET = 1.15
MEMORY_TARGET_MIB = 200

DEFINITION = """name: bench-{n:05d}
element: hubspotcrm
tags: [bench]
configuration:
  authentication.type: apiKey
  oauth.api.key: bench-api-key-{n:05d}
events:
  type: polling
  callback_url: https://hooks.example.com/ce
  signature_key: bench-signature-key-0123456789abcdef
  refresh_interval: 15
  resources:
    contacts:
      url: /hubs/crm/contacts?where=lastUpdated>'${{gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}}'
      id_field: id
      dates:
        updated_field: properties.lastmodifieddate
        updated_format: milliseconds
"""

BARE_LOOP = r"""
import asyncio, json, sys, httpx
base, user, org, path, concurrency = sys.argv[1:6]
bodies = json.load(open(path))
async def main():
    headers = {"Authorization": f"User {user}, Organization {org}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=int(concurrency), max_keepalive_connections=int(concurrency))
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
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


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    ready = Path(tempfile.mkdtemp()) / "ready"
    cmd = [PYTHON, "-m", "cloudevents_cli", "emulator", "--port", "0", "--ready-file", str(ready)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not ready.exists() or not ready.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the emulator did not start")
        time.sleep(0.02)
    return proc, ready.read_text().strip()


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def write_definitions(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"def-{n:05d}.yaml").write_text(DEFINITION.format(n=n))
    return folder


RENDER = r"""
import json, sys
from cloudevents_cli.definitions.pipeline import build
target, *paths = sys.argv[1:]
batch = build(paths)
if batch.errors:
    sys.exit(f"generated definitions are invalid: {batch.errors[0].one_line()}")
json.dump([item.body for item in batch.items if item.body is not None], open(target, "w"))
"""


def render_bodies(folder: Path, target: Path) -> list[dict[str, object]]:
    """The request bodies, rendered in a child: ru_maxrss of a child counts what its parent held when it forked,
    so this process stays small (it only reads the JSON back)."""
    done = subprocess.run([PYTHON, "-c", RENDER, str(target), str(folder)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-1000:])
    bodies: list[dict[str, object]] = json.loads(target.read_text())
    return bodies


def timed(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """(wall seconds, CPU seconds of the child: user + system, steadier on a shared machine, the run)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu, done


def global_args(base: str) -> list[str]:
    return ["--base-url", base, "--user-secret", USER, "--org-secret", ORG]


def bench_cli(folder: Path) -> tuple[float, float]:
    proc, base = start_emulator()
    try:
        seconds, cpu, done = timed(
            [
                CLOUDEVENTS,
                *global_args(base),
                "-q",
                "create",
                str(folder),
                "--concurrency",
                str(CONCURRENCY),
                "-o",
                "json",
            ]
        )
    finally:
        stop(proc)
    if done.returncode != 0:
        raise SystemExit(f"cloudevents create failed ({done.returncode}): {done.stderr.decode()[-1000:]}")
    summary = json.loads(done.stdout)["summary"]
    if summary != {"created": COUNT}:
        raise SystemExit(f"cloudevents create: unexpected summary {summary}")
    return seconds, cpu


def bench_bare(bodies_file: Path) -> tuple[float, float]:
    proc, base = start_emulator()
    try:
        seconds, cpu, done = timed([PYTHON, "-c", BARE_LOOP, base, USER, ORG, str(bodies_file), str(CONCURRENCY)])
    finally:
        stop(proc)
    if done.returncode != 0 or done.stdout.strip() != str(COUNT).encode():
        raise SystemExit(f"bare httpx loop failed: {done.stderr.decode()[-1000:]}")
    return seconds, cpu


def bench_curl(bodies: list[dict[str, object]], tmp: Path) -> float | None:
    curl = shutil.which("curl")
    if curl is None:
        return None
    sample = bodies[:CURL_SAMPLE]
    files = []
    for n, body in enumerate(sample):
        f = tmp / f"body-{n}.json"
        f.write_text(json.dumps(body))
        files.append(f)
    proc, base = start_emulator()
    try:
        started = time.perf_counter()
        for f in files:
            done = subprocess.run(
                [
                    curl,
                    "-sS",
                    "-f",
                    "-o",
                    os.devnull,
                    "-X",
                    "POST",
                    f"{base}/instances",
                    "-H",
                    f"Authorization: User {USER}, Organization {ORG}",
                    "-H",
                    "Content-Type: application/json",
                    "--data-binary",
                    f"@{f}",
                ],
                capture_output=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"curl failed: {done.stderr.decode()[-500:]}")
        seconds = time.perf_counter() - started
    finally:
        stop(proc)
    return seconds * COUNT / len(sample)


def bench_memory(folder: Path) -> tuple[float, float]:
    """(seconds, peak MiB) of apply --dry-run over every definition in folder, against an empty emulator."""
    proc, base = start_emulator()
    try:
        started = time.perf_counter()
        child = subprocess.Popen(
            [CLOUDEVENTS, *global_args(base), "-q", "apply", "--dry-run", str(folder), "-o", "json"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert child.stderr is not None
        err = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
    finally:
        stop(proc)
    if child.returncode != 0:
        raise SystemExit(f"cloudevents apply --dry-run failed ({child.returncode}): {err.decode()[-1000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux: KiB


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISS"


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-create-"))
    try:
        folder = write_definitions(tmp / "defs", COUNT)
        bodies = render_bodies(folder, tmp / "bodies.json")
        clis: list[tuple[float, float]] = []
        bares: list[tuple[float, float]] = []
        for _ in range(ROUNDS):  # interleaved, so that the machine's drift hits both alike
            clis.append(bench_cli(folder))
            bares.append(bench_bare(tmp / "bodies.json"))
        cli, bare = statistics.median(c[0] for c in clis), statistics.median(b[0] for b in bares)
        cli_cpu, bare_cpu = statistics.median(c[1] for c in clis), statistics.median(b[1] for b in bares)
        curl = bench_curl(bodies, tmp)
        ratio = cli / bare
        print(
            f"create {COUNT} definitions, concurrency {CONCURRENCY}, fresh emulator each (process start included),"
            f" median of {ROUNDS} interleaved rounds:"
        )
        spread = " ".join(f"{c[0]:.2f}" for c in clis), " ".join(f"{b[0]:.2f}" for b in bares)
        print(f"  cloudevents create    {cli:7.2f} s  ({COUNT / cli:6.0f}/s)  cpu {cli_cpu:5.2f} s  [{spread[0]}]")
        print(f"  bare httpx loop       {bare:7.2f} s  ({COUNT / bare:6.0f}/s)  cpu {bare_cpu:5.2f} s  [{spread[1]}]")
        if curl is not None:
            print(f"  curl, sequential      {curl:7.2f} s  (timed {CURL_SAMPLE}, extrapolated to {COUNT})")
        else:
            print("  curl, sequential      skipped: no curl on PATH")
        print(
            f"  ratio CLI / bare      {ratio:7.2f}x  target <= {TIME_TARGET}x  {verdict(ratio <= TIME_TARGET)}"
            f"  (cpu ratio {cli_cpu / bare_cpu:.2f}x)"
        )
        if curl is not None:
            print(f"  ratio CLI / curl      {cli / curl:7.2f}x")
        mem_folder = write_definitions(tmp / "mem", MEMORY_COUNT)
        seconds, mib = bench_memory(mem_folder)
        print(
            f"apply --dry-run of {MEMORY_COUNT} definitions: {seconds:.2f} s, peak RSS {mib:.0f} MiB"
            f"  target < {MEMORY_TARGET_MIB} MiB  {verdict(mib < MEMORY_TARGET_MIB)}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
