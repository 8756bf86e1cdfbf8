"""TLS: verification is on; --ca-bundle adds a CA (a self-signed loopback server made with openssl)."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps([{"id": 1, "name": "tls", "element": {"key": "sfdc"}}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_unknown_ca_fails_clearly_and_ca_bundle_fixes_it(cli: Any, https_server: tuple[str, Path]) -> None:
    async def no_wait(seconds: float) -> None:
        return None

    cli.seams.sleep = no_wait
    url, cert = https_server
    g = ["--base-url", url, "--user-secret", "uuuu", "--org-secret", "oooo"]
    res = cli(*g, "list", "-o", "id")
    assert res.exit_code == 6
    assert "TLS certificate verification failed" in res.stderr and "--ca-bundle" in res.stderr
    res = cli(*g, "--ca-bundle", str(cert), "list", "-o", "id")
    assert res.exit_code == 0, res.stderr
    assert res.stdout == "1\n"


@pytest.mark.parametrize(
    ("base_url", "proxy", "reads_cas"),
    [("http://127.0.0.1:9", None, False), ("https://127.0.0.1:9", None, True), ("http://127.0.0.1:9", "1", True)],
)
def test_plain_http_reads_no_ca_file_unless_tls_may_be_used(
    monkeypatch: pytest.MonkeyPatch, base_url: str, proxy: str | None, reads_cas: bool
) -> None:
    from cloudevents_cli.config import Connection
    from cloudevents_cli.platform import client

    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", "https://127.0.0.1:8")
    calls: list[Any] = []
    real = client.ssl_context
    monkeypatch.setattr(client, "ssl_context", lambda bundle=None: calls.append(bundle) or real(bundle))
    platform = client.PlatformClient(Connection(base_url=base_url, user_secret="u1234", org_secret="o1234"))
    assert bool(calls) is reads_cas
    pool = platform._http._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED and pool._ssl_context.check_hostname
