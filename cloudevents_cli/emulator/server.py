"""Serve the emulator with uvicorn: our own socket (port 0 works), a ready file, exit 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from cloudevents_cli.emulator import defaults
from cloudevents_cli.emulator.settings import Settings


def write_atomically(path: Path, text: str) -> None:
    """Readers see the whole content or no file: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ready-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on such sockets, and without it every keep-alive
    # request waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{defaults.API_PREFIX}"


def serve(
    settings: Settings,
    *,
    host: str = defaults.DEFAULT_HOST,
    port: int = defaults.DEFAULT_PORT,
    ready_file: Path | None = None,
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT. `on_ready(base_url)` is called once connections are accepted."""
    import uvicorn

    from cloudevents_cli.emulator.app import create_app

    sock = bind(host, port)
    url = base_url(host, sock.getsockname()[1])

    def ready() -> None:
        if ready_file is not None:
            write_atomically(ready_file, url)
        if on_ready is not None:
            on_ready(url)

    import copy

    from uvicorn.config import LOGGING_CONFIG

    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"  # stdout is for data, never logs
    config = uvicorn.Config(
        create_app(settings),
        http="h11",
        lifespan="on",
        access_log=access_log,
        log_config=log_config,
        log_level="info" if access_log else "warning",
    )
    _make_server(config, ready).run(sockets=[sock])


def _make_server(config: Any, ready: Callable[[], None]) -> Any:
    """A uvicorn.Server that reports readiness and ends quietly (exit 0) on a signal (no re-raise)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and not self.should_exit:
                ready()

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server(config)
