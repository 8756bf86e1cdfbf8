"""`cloudevents listen` under load: 5,000 signed callbacks from 16 concurrent senders on loopback.

Checks that none is lost and none mis-verified (every JSON line has signature "ok", every object id once),
reports events/second, and the same senders and requests against a bare Starlette app (reads the body, answers
200, no verification or printing) as the baseline. The baseline is served exactly as `listen` is: the same
AppServer, the same uvicorn settings (Limits: the same h11 protocol class, connection cap, keep-alive, head
deadline), access log off, the same event loop. Server CPU per event is measured the same way for both: from
"ready" to the last answer (/proc), start-up and shutdown excluded; both are then stopped with SIGTERM. Rounds
alternate listen and the baseline; the median ratio is the verdict. Target: `listen` server CPU per event
<= 1.2x the baseline's. Exit 0 on a MISS; non-zero when events are lost or mis-verified.
Run: `.venv/bin/python bench/bench_listen.py [N] [SENDERS] [ROUNDS]`.
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
    """The baseline server (run in its own process, like `listen`)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from cloudevents_cli.serving import AppServer, Limits, bind, url_of

    async def hook(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"received": True})

    sock = bind("127.0.0.1", 0)
    url = url_of(sock, "/")
    listener = AppServer(Starlette(routes=[Route("/", hook, methods=["POST"])]), sock, limits=Limits())  # as listen
    listener.run(on_ready=lambda: Path(ready_file).write_text(url + "\n"))


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


async def send_all(url: str, bodies: list[tuple[bytes, dict[str, str]]], senders: int) -> tuple[float, list[int]]:
    """Each sender has its own AsyncClient with one keep-alive connection (cheaper than one shared pool)."""
    import httpx

    statuses: list[int] = []
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)

    async def sender() -> None:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=1)) as client:
            while True:
                try:
                    body, headers = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                answer = await client.post(url, content=body, headers=headers)
                statuses.append(answer.status_code)

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


def run_listen(n: int, senders: int, tmp: Path) -> dict[str, Any]:
    bodies = [signed(i, body_for(i)) for i in range(n)]
    ready = tmp / "listen.ready"
    ready.unlink(missing_ok=True)
    env = {**os.environ, "CE_SIGNATURE_KEY": KEY, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "cloudevents_cli", "-o", "json", "listen", "--port", "0", "--ready-file", str(ready)]
    proc, url = start(cmd, ready, env)
    startup_cpu = cpu_seconds(proc.pid)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        elapsed, statuses = asyncio.run(send_all(url, bodies, senders))
        busy = cpu_seconds(proc.pid)
        proc.terminate()  # SIGTERM: a clean stop, exit 0
        code = reap(proc, 30)
        reader.join(10)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rows = [json.loads(line) for line in lines if line.strip()]
    return {
        "elapsed": elapsed,
        "statuses": statuses,
        "rows": rows,
        "exit": code,
        "stderr": err,
        "cpu": busy - startup_cpu if busy is not None and startup_cpu is not None else None,
    }


def run_baseline(n: int, senders: int, tmp: Path) -> dict[str, Any]:
    bodies = [signed(i, body_for(i)) for i in range(n)]  # the same requests as listen's, headers and all
    ready = tmp / "baseline.ready"
    ready.unlink(missing_ok=True)
    proc, url = start([sys.executable, __file__, "--serve-baseline", str(ready)], ready, dict(os.environ))
    startup_cpu = cpu_seconds(proc.pid)
    try:
        elapsed, statuses = asyncio.run(send_all(url, bodies, senders))
        busy = cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        reap(proc, 10)
    if statuses.count(200) != n:
        raise SystemExit(f"baseline: only {statuses.count(200)} of {n} answered 200")
    cpu = busy - startup_cpu if busy is not None and startup_cpu is not None else None
    return {"elapsed": elapsed, "cpu": cpu}


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
    print(f"load     : {n} signed callbacks, {senders} senders, {rounds} rounds (listen, then the baseline)")
    ratios: list[float] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for number in range(1, rounds + 1):
            result = run_listen(n, senders, Path(tmpdir))
            baseline = run_baseline(n, senders, Path(tmpdir))
            problems += problems_of(result, n)
            line = (
                f"round {number}  : listen {n / result['elapsed']:,.0f} events/s, {_per_event_ms(result['cpu'], n)}; "
                f"bare Starlette {n / baseline['elapsed']:,.0f} requests/s, {_per_event_ms(baseline['cpu'], n)}"
            )
            if result["cpu"] and baseline["cpu"]:
                ratios.append(result["cpu"] / baseline["cpu"])
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
