"""Run an ASGI app with uvicorn on a socket we bind ourselves (so port 0 gives a real port we can report).

SIGINT and SIGTERM stop the server gracefully and are reported back (`Listener.stopped_by`) instead of being
re-raised, so the caller decides the exit code. uvicorn's access log is off and its log level is warning.
This module never prints.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

from cloudevents_cli.errors import InvalidInput

SHUTDOWN_GRACE = 5.0  # seconds for in-flight callbacks to finish once asked to stop


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port; InvalidInput when that is not possible."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise InvalidInput(f"cannot listen on {host}:{port}: {err.strerror or err}", code="listen") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except OSError as err:
        sock.close()
        raise InvalidInput(f"cannot listen on {host}:{port}: {err.strerror or err}", code="listen") from None
    return sock


def url_of(sock: socket.socket, path: str = "/") -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


class Listener:
    """Serves `app` on `sock` until stop(), a signal, or a failure. Use from the main thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        import uvicorn

        self.sock = sock
        self.stopped_by: int | None = None  # the signal that stopped it, if any
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            server_header=False,
            timeout_graceful_shutdown=int(SHUTDOWN_GRACE),
            backlog=2048,
        )
        listener = self

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                if threading.current_thread() is not threading.main_thread():
                    yield
                    return

                def handler(signum: int, frame: FrameType | None) -> None:
                    if listener.stopped_by is None:
                        listener.stopped_by = signum
                    if self.should_exit and signum == signal.SIGINT:
                        self.force_exit = True  # a second Ctrl-C: stop waiting for in-flight callbacks
                    self.should_exit = True

                originals = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
                try:
                    yield
                finally:
                    for s, previous in originals.items():
                        signal.signal(s, previous)

            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets=sockets)
                if self.started and listener._on_ready is not None:
                    listener._on_ready()

        self._server = _Server(config)
        self._on_ready: Callable[[], None] | None = None

    def stop(self) -> None:
        """Ask the server to finish (thread-safe enough: uvicorn polls the flag)."""
        self._server.should_exit = True

    def run(self, on_ready: Callable[[], None] | None = None) -> None:
        """Block until stopped; `on_ready` is called once the socket accepts connections."""
        import asyncio

        self._on_ready = on_ready
        try:
            asyncio.run(self._server.serve(sockets=[self.sock]))
        finally:
            self.sock.close()
