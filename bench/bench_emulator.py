"""Emulator benchmark (make bench): request throughput of `cloudevents emulator` against a bare Starlette app.

(a) 500 `POST /instances` (a polling definition with a poller configuration) over one keep-alive connection,
    against the same POSTs to a minimal Starlette app that parses the JSON and answers 200, served the same way
    (uvicorn, h11, loopback; the baseline runs in a thread of this process, the emulator in its own process).
    Median of several runs and ratio (target <= 3x).
(b) listing the 500 instances with pageSize=50, following `elements-next-page-token` (time only).

Prints a compact report. Exit 0 on a MISS; non-zero only when a measured command fails.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 500
RUNS = 3
TARGET = 3.0
HEADERS = {"Authorization": "User emulator-user, Organization emulator-org"}
BODY = {
    "element": {"key": "hubspotcrm"},
    "configuration": {
        "event.notification.enabled": True,
        "event.vendor.type": "polling",
        "event.notification.callback.url": "https://hooks.example.com/ce",
        "event.poller.refresh_interval": 15,
        "event.notification.signature.key": "bench-signature-key-0123456789abcdef",
        "event.poller.configuration": {"contacts": {"url": "/hubs/crm/contacts", "idField": "id"}},
    },
    "tags": ["bench"],
    "name": "bench",
}


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    ready = Path(tempfile.mkdtemp()) / "ready"
    cmd = [sys.executable, "-m", "cloudevents_cli", "emulator", "--port", "0", "--ready-file", str(ready)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the emulator did not start")
        time.sleep(0.02)
    return proc, ready.read_text().strip()


def start_baseline() -> str:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def create(request: Request) -> JSONResponse:
        return JSONResponse({"id": 1, **(await request.json())})

    app = Starlette(routes=[Route("/elements/api-v2/instances", create, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, http="h11", log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/elements/api-v2"


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers=HEADERS, timeout=30)


def post_many(base_url: str) -> float:
    with client(base_url) as http:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            http.post("/instances", json=BODY).raise_for_status()
        return time.perf_counter() - started


def list_all(base_url: str) -> tuple[float, int]:
    with client(base_url) as http:
        started = time.perf_counter()
        params = {"pageSize": "50"}
        count = 0
        while True:
            response = http.get("/instances", params=params)
            response.raise_for_status()
            count += len(response.json())
            token = response.headers.get("elements-next-page-token")
            if not token:
                return time.perf_counter() - started, count
            params["nextPage"] = token


def main() -> int:
    baseline_url = start_baseline()
    emulator_times, baseline_times = [], []
    listed = (0.0, 0)
    for _ in range(RUNS):
        proc, url = start_emulator()
        try:
            emulator_times.append(post_many(url))
            listed = list_all(url)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        baseline_times.append(post_many(baseline_url))
    emu, base = statistics.median(emulator_times), statistics.median(baseline_times)
    ratio = emu / base if base else float("inf")
    verdict = "ok" if ratio <= TARGET else "MISS"
    print(
        f"create x{REQUESTS}: emulator {emu * 1000:.0f} ms, bare starlette {base * 1000:.0f} ms, "
        f"ratio {ratio:.2f} (target <= {TARGET}) {verdict}"
    )
    print(f"list {listed[1]} instances, pageSize 50: {listed[0] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
