"""The emulator as a real subprocess: ready file, port 0, persistence, signals, faults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.emulator_fixtures import EmulatorProcess

pytestmark = pytest.mark.slow

BODY = {
    "element": {"key": "hubspotcrm"},
    "configuration": {
        "authentication.type": "apiKey",
        "oauth.api.secret": "oauth-secret-value",
        "password": "very-secret-value",
        "event.notification.enabled": False,
    },
    "tags": ["t"],
    "name": "persisted",
}


def client(handle: EmulatorProcess, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=handle.base_url, headers=handle.headers, timeout=10, **kwargs)


def test_ready_file_holds_the_base_url_and_stderr_tells_how_to_connect(
    emulator_server: EmulatorProcess,
) -> None:
    url = emulator_server.ready_file.read_text()
    assert url.endswith("/elements/api-v2\n")
    assert url.startswith("http://127.0.0.1:")
    assert not url.startswith("http://127.0.0.1:0/")
    with client(emulator_server) as c:
        assert c.get("/instances").status_code == 200
    err = emulator_server.stderr()
    assert emulator_server.base_url in err
    assert "emulator-user" in err and "emulator-org" in err


def test_sigterm_stops_cleanly_with_exit_0(emulator_server: EmulatorProcess) -> None:
    assert emulator_server.stop() == 0
    assert "Traceback" not in emulator_server.stderr()


def test_custom_secrets_are_checked_and_not_printed(start_emulator: Any) -> None:
    handle = start_emulator("--user-secret", "custom-user-123", "--org-secret", "custom-org-456")
    with client(handle) as c:
        assert c.get("/instances").status_code == 200
        assert (
            c.get("/instances", headers={"Authorization": "User emulator-user, Organization emulator-org"}).status_code
            == 401
        )
    err = handle.stderr()
    assert "custom-user-123" not in err and "custom-org-456" not in err


def test_db_survives_a_restart(start_emulator: Any, tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    first = start_emulator("--db", str(db))
    with client(first) as c:
        created = c.post("/instances", json=BODY).json()
    assert first.stop() == 0
    assert (db.stat().st_mode & 0o077) == 0  # the file holds users' secrets: owner only
    second = start_emulator("--db", str(db))
    with client(second) as c:
        found = c.get(f"/instances/{created['id']}")
        assert found.status_code == 200
        assert found.json()["name"] == "persisted"
        assert found.json()["configuration"]["password"] == "********"
        # the platform answers OAuth secrets as stored (emulator/masking.py has the evidence)
        assert found.json()["configuration"]["oauth.api.secret"] == "oauth-secret-value"
        again = c.post("/instances", json=BODY).json()
    assert again["id"] > created["id"]


def test_secrets_sent_by_users_are_not_logged(start_emulator: Any) -> None:
    handle = start_emulator("--access-log")
    with client(handle) as c:
        c.post("/instances", json=BODY)
        c.post("/instances", json={**BODY, "element": {"key": "nope"}})
    time.sleep(0.2)
    err = handle.stderr()
    assert "POST /elements/api-v2/instances" in err
    assert "very-secret-value" not in err


def test_fail_rate_one_answers_503_but_not_on_emulator_paths(start_emulator: Any) -> None:
    handle = start_emulator("--fail-rate", "1.0")
    with client(handle) as c:
        response = c.post("/instances", json=BODY)
        assert response.status_code == 503
        assert set(response.json()) == {"requestId", "message"}
        assert c.get(handle.root_url + "/_emulator/info").status_code == 200


def test_drop_rate_does_the_work_then_drops_the_connection(start_emulator: Any, tmp_path: Path) -> None:
    db = tmp_path / "drop.sqlite"
    handle = start_emulator("--drop-rate", "1.0", "--db", str(db))
    with client(handle) as c:
        for _ in range(2):
            with pytest.raises(httpx.RemoteProtocolError):  # no response at all, not a 500
                c.post("/instances", json=BODY)
        assert c.get(handle.root_url + "/_emulator/info").status_code == 200
    assert handle.stop() == 0
    assert "Exception in ASGI application" not in handle.stderr()
    assert "without starting response" not in handle.stderr()
    plain = start_emulator("--db", str(db))
    with client(plain) as c:
        assert [i["name"] for i in c.get("/instances").json()] == ["persisted", "persisted"]


def test_rate_limit_answers_429_with_retry_after(start_emulator: Any) -> None:
    handle = start_emulator("--rate-limit", "3")
    with client(handle) as c:
        statuses = [c.get("/instances") for _ in range(10)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert sum(r.status_code == 200 for r in statuses) >= 3
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert set(limited[0].json()) == {"requestId", "message"}


def test_latency(start_emulator: Any) -> None:
    handle = start_emulator("--latency-ms", "300")
    with client(handle) as c:
        started = time.monotonic()
        assert c.get("/instances").status_code == 200
        assert time.monotonic() - started >= 0.3


def test_bad_options_are_usage_errors(cli: Any) -> None:
    result = cli("emulator", "--fail-rate", "2")
    assert result.exit_code == 2


def test_a_db_file_from_an_older_emulator_still_opens(tmp_path: Path) -> None:
    import sqlite3

    from cloudevents_cli.emulator.store import Store

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE instances (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, element_key TEXT NOT NULL,"
        " token TEXT NOT NULL, tags TEXT NOT NULL, configuration TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
        " created TEXT NOT NULL, updated TEXT NOT NULL)"
    )
    old.execute("INSERT INTO instances VALUES (7, 'kept', 'box', 'tok', '[]', '{}', 0, 'c', 'u')")
    old.commit()
    old.close()
    store = Store(str(path))
    found = store.get(7)
    assert found is not None and found.name == "kept" and found.external_authentication == "none"
    assert found.valid is True  # the valid column came later too
    assert store.create("new", "box", [], {}, "initial").external_authentication == "initial"
    store.close()
