"""Serve the emulator with uvicorn: our own socket (port 0 works), a ready file, until SIGTERM/SIGINT."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cloudevents_cli.emulator import defaults
from cloudevents_cli.emulator.settings import Settings
from cloudevents_cli.serving import AppServer, bind, url_of, write_atomically


def serve(
    settings: Settings,
    *,
    host: str = defaults.DEFAULT_HOST,
    port: int = defaults.DEFAULT_PORT,
    ready_file: Path | None = None,
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> int | None:
    """Run until SIGTERM/SIGINT; the signal that stopped it. `on_ready(base_url)` is called once connections
    are accepted."""
    from cloudevents_cli.emulator.app import create_app

    sock = bind(host, port)
    url = url_of(sock, defaults.API_PREFIX)

    def ready() -> None:
        if ready_file is not None:
            write_atomically(ready_file, url + "\n")
        if on_ready is not None:
            on_ready(url)

    # h11: the drop-rate fault closes the h11 connection's transport (see faults.py)
    server = AppServer(create_app(settings), sock, access_log=access_log, http="h11")
    server.run(on_ready=ready)
    return server.stopped_by
