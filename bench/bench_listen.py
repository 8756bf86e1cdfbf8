"""`cloudevents listen` under load: 5,000 signed callbacks from 16 concurrent senders on loopback.

Checks that none is lost and none mis-verified (every JSON line has signature "ok", every object id once), and
compares listen's server CPU per event with a bare Starlette app's (reads the body, answers 200, no verification
or printing) sent the same requests. The baseline is served exactly as `listen` is: the same AppServer, the same
uvicorn settings (Limits: the same h11 protocol class, connection cap, keep-alive, head deadline), access log
off, the same event loop. CPU is measured the same way for both: from "ready" to the last answer (/proc),
start-up and shutdown excluded; both are then stopped with SIGTERM. Both servers run at once and the senders
alternate between them, so the machine's other load weighs on both alike; the median ratio over the rounds is
the verdict. Target: `listen` CPU per event <= 1.2x the baseline's. Exit 0 on a MISS; non-zero when events are
lost or mis-verified. Run: `.venv/bin/python bench/bench_listen.py [N] [SENDERS] [ROUNDS]`.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "bench-signature-key-not-a-secret"
START_TIMEOUT = 30.0
RUN_TIMEOUT = 180.0
CPU_TARGET = 1.2  # listen's server CPU per event / the baseline's


def body_for(i: int) -> bytes:
    message = {
        "eventId": f"ev-{i}",
        "instanceId": 1000 + i % 7,
        "elementKey": "sfdc",
        "events": [
            {
                "objectId": f"obj-{i}",
                "objectType": "Contact",
                "eventType": "UPDATED",
                "elementKey": "sfdc",
                "date": "2026-11-28T13:00:00Z",
            }
        ],
        "raw": {"Id": f"obj-{i}", "Name": "Ada Lovelace", "Email": "ada@example.com", "padding": "x" * 400},
    }
    return json.dumps({"message": message}).encode()


def serve_baseline(ready_file: str) -> None:
    """The baseline server, in its own process, started up as `listen`'s is (the CLI's modules loaded, a line
    printed through rich on stderr) before it binds. An A/A check served this bare app from `listen`'s process:
    0.86-0.89x a lean baseline process, 1.00-1.02x this one (the cause was glibc's mmap threshold, which start-up
    allocations happened to raise or not; serving.py now settles it for every server)."""
    import httpx  # noqa: F401 - loaded, as in the CLI's process
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from cloudevents_cli.cli import app, events_cmds  # noqa: F401 - loaded as `cloudevents listen` loads them
    from cloudevents_cli.output import Output
    from cloudevents_cli.serving import AppServer, Limits, bind, url_of

    Output().info("baseline: a bare Starlette app")

    async def hook(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"received": True})

    sock = bind("127.0.0.1", 0)
    url = url_of(sock, "/")
    listener = AppServer(Starlette(routes=[Route("/", hook, methods=["POST"])]), sock, limits=Limits())  # as listen

    def ready() -> None:
        Path(ready_file).write_text(url + "\n")

    listener.run(on_ready=ready)


def start(cmd: list[str], ready: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + START_TIMEOUT
    while not (ready.exists() and ready.read_text().endswith("\n")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _, err = proc.communicate()
            raise SystemExit(f"server did not start: {err.strip()}")
        time.sleep(0.02)
    return proc, ready.read_text().strip()


async def send_all(jobs: list[tuple[str, bytes, dict[str, str]]], senders: int) -> tuple[float, dict[str, list[int]]]:
    """Posts every (url, body, headers) in order, `senders` at a time; each sender has its own AsyncClient with
    one keep-alive connection per server (cheaper than one shared pool). The statuses, by url."""
    import httpx

    statuses: dict[str, list[int]] = {url: [] for url, _, _ in jobs}
    queue: asyncio.Queue[tuple[str, bytes, dict[str, str]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def sender() -> None:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=len(statuses))) as client:
            while True:
                try:
                    url, body, headers = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    answer = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError as err:  # counted, and named at the end: which server, what error
                    statuses[url].append(0)
                    print(f"error: {url}: {type(err).__name__}: {err}", file=sys.stderr)
                else:
                    statuses[url].append(answer.status_code)

    began = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(sender() for _ in range(senders))), RUN_TIMEOUT)
    return time.perf_counter() - began, statuses


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def reap(proc: subprocess.Popen[str], timeout: float) -> int:
    """Wait for the process (killed after `timeout` seconds); its exit code."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def signed(i: int, body: bytes) -> tuple[bytes, dict[str, str]]:
    from cloudevents_cli.events.signature import sign

    headers = {
        "Content-Type": "application/json",
        "Elements-Webhook-Signature": sign(KEY, body),
        "Elements-Webhook-Id": f"wh-{i}",
    }
    return body, headers


def run_round(n: int, senders: int, tmp: Path) -> dict[str, Any]:
    """`listen` and the baseline served at once, sent the same requests alternately (one to each, in turn), so
    that the rest of the machine's load weighs on both alike; each one's CPU from ready to its last answer."""
    bodies = [signed(i, body_for(i)) for i in range(n)]
    for ready in (tmp / "listen.ready", tmp / "baseline.ready"):
        ready.unlink(missing_ok=True)
    env = {**os.environ, "CE_SIGNATURE_KEY": KEY, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "cloudevents_cli", "-o", "json", "listen", "--port", "0"]
    listen, url = start([*cmd, "--ready-file", str(tmp / "listen.ready")], tmp / "listen.ready", env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(listen.stdout or []), daemon=True)
    reader.start()
    base_cmd = [sys.executable, __file__, "--serve-baseline", str(tmp / "baseline.ready")]
    try:
        base, base_url = start(base_cmd, tmp / "baseline.ready", dict(os.environ))
    except SystemExit:
        listen.kill()
        raise
    procs = (listen, base)
    try:
        startup = [cpu_seconds(proc.pid) for proc in procs]
        jobs = [(target, body, headers) for body, headers in bodies for target in (url, base_url)]
        elapsed, statuses = asyncio.run(send_all(jobs, 2 * senders))  # `senders` in flight for each server
        busy = [cpu_seconds(proc.pid) for proc in procs]
        for proc in procs:
            proc.terminate()  # SIGTERM: a clean stop, exit 0
        code = reap(listen, 30)
        reap(base, 10)
        reader.join(10)
        err = listen.stderr.read() if listen.stderr else ""
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if statuses[base_url].count(200) != n:
        raise SystemExit(f"baseline: only {statuses[base_url].count(200)} of {n} answered 200")
    cpu = [b - a if a is not None and b is not None else None for a, b in zip(startup, busy, strict=True)]
    return {
        "elapsed": elapsed,
        "statuses": statuses[url],
        "rows": [json.loads(line) for line in lines if line.strip()],
        "exit": code,
        "stderr": err,
        "cpu": cpu[0],
        "baseline_cpu": cpu[1],
    }


def _per_event_ms(cpu: float | None, n: int) -> str:
    return "n/a" if cpu is None else f"{cpu * 1000 / n:.3f} ms CPU/event"


def problems_of(result: dict[str, Any], n: int) -> list[str]:
    rows = result["rows"]
    ok = sum(1 for r in rows if r.get("signature") == "ok" and r.get("http_status") == 200)
    ids = {r.get("object_id") for r in rows}
    answered = result["statuses"].count(200)
    problems = []
    if len(rows) != n or len(ids) != n:
        problems.append(f"lost or duplicated: {len(rows)} lines, {len(ids)} distinct object ids, {n} sent")
    if ok != len(rows):
        problems.append(f"mis-verified: {len(rows) - ok} lines not 'ok'")
    if answered != n:
        problems.append(f"only {answered} of {n} callbacks answered 200")
    if result["exit"] != 0:
        problems.append(f"listen exited {result['exit']}: {result['stderr'].strip()[-300:]}")
    if KEY in result["stderr"] or any(KEY in json.dumps(r) for r in rows):
        problems.append("the signature key appeared in the output")
    return problems


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-baseline":
        serve_baseline(sys.argv[2])
        return 0
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    senders = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    print(f"machine  : {os.cpu_count()} CPUs; senders and server share them (loopback)")
    print(f"load     : {n} signed callbacks to each server, {senders} senders each, {rounds} rounds")
    ratios: list[float] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for number in range(1, rounds + 1):
            result = run_round(n, senders, Path(tmpdir))
            problems += problems_of(result, n)
            line = (
                f"round {number}  : {2 * n / result['elapsed']:,.0f} requests/s in all; "
                f"listen {_per_event_ms(result['cpu'], n)}, bare Starlette {_per_event_ms(result['baseline_cpu'], n)}"
            )
            if result["cpu"] and result["baseline_cpu"]:
                ratios.append(result["cpu"] / result["baseline_cpu"])
                line += f"; {ratios[-1]:.2f}x"
            print(line, flush=True)
    if ratios:
        median = statistics.median(ratios)
        verdict = "PASS" if median <= CPU_TARGET else "MISS"
        print(
            f"ratio    : server CPU per event {median:.2f}x the baseline "
            f"(median; {min(ratios):.2f}-{max(ratios):.2f}), target <= {CPU_TARGET}x  {verdict}"
        )
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
