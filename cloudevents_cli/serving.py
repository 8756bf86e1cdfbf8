"""Serving an ASGI app with uvicorn on a socket we bind ourselves: the emulator and `listen` share this.

Port 0 gives a real port we can report; readiness is reported once connections are accepted (ready files are
written atomically); SIGINT and SIGTERM stop the server gracefully and are recorded (`stopped_by`) instead of
re-raised, so the caller decides the exit code. Logs go to stderr, never stdout. With `Limits` (a server that
strangers may reach, such as `listen`) slow or idle clients cannot stall it: a bounded number of connections, a
deadline for each request's head, a short keep-alive and a cap on the head's size. This module never prints.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import FrameType
from typing import Any

from cloudevents_cli.errors import InvalidInput
from cloudevents_cli.files import write_atomically

__all__ = ["AppServer", "Limits", "bind", "url_of", "write_atomically"]

SHUTDOWN_GRACE = 5  # seconds for in-flight requests to finish once asked to stop


@dataclass(frozen=True)
class Limits:
    """Bounds on what clients may hold. Request bodies are bounded by the app (e.g. the receiver's deadline)."""

    max_connections: int = 64  # uvicorn's limit_concurrency: requests beyond it get 503
    head_timeout: float = 10.0  # seconds for a request line and headers to arrive, then the connection is closed
    keep_alive: float = 5.0  # seconds an idle keep-alive connection is kept
    max_head_bytes: int = 16 * 1024  # a larger request head gets 400 (h11's max incomplete event size)


def bind(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket on host:port; InvalidInput when that is not possible."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = infos[0]
        # proto must say TCP: asyncio only sets TCP_NODELAY on such sockets, and without it every keep-alive
        # request waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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


class AppServer:
    """Serves `app` on `sock` until stop(), a signal, or a failure. run() from the main thread."""

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        *,
        access_log: bool = False,
        http: str = "auto",
        limits: Limits | None = None,
    ) -> None:
        import copy
        import sys

        import uvicorn
        from uvicorn.config import LOGGING_CONFIG

        from cloudevents_cli.output import colour_wanted

        self.sock = sock
        self.stopped_by: int | None = None  # the signal that stopped it, if any
        self._on_ready: Callable[[], None] | None = None
        log_config = copy.deepcopy(LOGGING_CONFIG)
        log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"  # stdout is for data, never logs
        settings: dict[str, Any] = {"http": http, **(_bounded(limits) if limits is not None else {})}
        config = uvicorn.Config(
            app,
            lifespan="on",
            access_log=access_log,
            log_config=log_config,
            log_level="info" if access_log else "warning",
            server_header=False,
            use_colors=colour_wanted("auto", sys.stderr),  # its logs go to stderr; uvicorn would ask stdout
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
            backlog=2048,
            **settings,
        )
        outer = self

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                if threading.current_thread() is not threading.main_thread():
                    yield
                    return

                def handler(signum: int, frame: FrameType | None) -> None:
                    if outer.stopped_by is None:
                        outer.stopped_by = signum
                    if self.should_exit and signum == signal.SIGINT:
                        self.force_exit = True  # a second Ctrl-C: stop waiting for in-flight requests
                    self.should_exit = True

                originals = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
                try:
                    yield
                finally:
                    for s, previous in originals.items():
                        signal.signal(s, previous)

            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets=sockets)
                if self.started and not self.should_exit and outer._on_ready is not None:
                    outer._on_ready()

        self._server = _Server(config)

    def stop(self) -> None:
        """Ask the server to finish (uvicorn polls the flag). Safe from the server's own thread."""
        self._server.should_exit = True

    def run(self, on_ready: Callable[[], None] | None = None) -> None:
        """Block until stopped; `on_ready` is called once the socket accepts connections."""
        import asyncio

        self._on_ready = on_ready
        _settle_allocator()
        try:
            asyncio.run(self._server.serve(sockets=[self.sock]))
        finally:
            self.sock.close()


def _settle_allocator() -> None:
    """asyncio reads a socket into a new 256 KiB buffer, then shrinks it to what came. glibc's malloc maps a
    block that large (over its 128 KiB threshold) and maps it again to shrink it, then unmaps it: system calls
    and page faults on every read, unless the process freed a larger mapped block before, which raises that
    threshold. Whether start-up did so was luck (listen made five more system calls per callback than a bare
    app, bench/bench_listen.py): free one on purpose, so that reads use the heap."""
    bytearray(1 << 20)


def _bounded(limits: Limits) -> dict[str, Any]:
    """uvicorn settings for `limits`, with an h11 protocol that closes a connection whose request head is late."""
    import asyncio

    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadDeadline(H11Protocol):
        """uvicorn has no deadline for a request's head: a client trickling headers (or sending nothing) would
        hold its connection forever. The deadline starts with the connection and again after each response."""

        _timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_later(limits.head_timeout, self._late)

        def _late(self) -> None:
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # no request under way: its head never came

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
            super().connection_lost(exc)

    return {
        "http": HeadDeadline,
        "limit_concurrency": limits.max_connections,
        "timeout_keep_alive": limits.keep_alive,
        "h11_max_incomplete_event_size": limits.max_head_bytes,
    }
