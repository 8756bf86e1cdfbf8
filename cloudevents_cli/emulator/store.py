"""The emulator's state in SQLite: in memory by default, or a file that survives a restart."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    element_key TEXT NOT NULL,
    token TEXT NOT NULL,
    tags TEXT NOT NULL,
    configuration TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    external_authentication TEXT NOT NULL DEFAULT 'none',
    valid INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS configuration_ids (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (instance_id, key)
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id INTEGER NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    method TEXT NOT NULL,
    events TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);
CREATE TABLE IF NOT EXISTS refresh_failures (
    instance_id INTEGER PRIMARY KEY,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS inactive_subscriptions (
    url TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS attempts (
    delivery_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    at TEXT NOT NULL
);
"""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Instance:
    id: int
    name: str
    element_key: str
    token: str
    tags: list[str]
    configuration: dict[str, str]  # the real values, secrets included
    disabled: bool
    created: str
    updated: str
    external_authentication: str = "none"
    valid: bool = True  # false once a token refresh failed, until a refresh works or a new code re-authenticates


def _instance(row: sqlite3.Row) -> Instance:
    return Instance(
        id=row["id"],
        name=row["name"],
        element_key=row["element_key"],
        token=row["token"],
        tags=json.loads(row["tags"]),
        configuration=json.loads(row["configuration"]),
        disabled=bool(row["disabled"]),
        created=row["created"],
        updated=row["updated"],
        external_authentication=row["external_authentication"],
        valid=bool(row["valid"]),
    )


class Store:
    """Thread-safe: one connection behind a lock (the server's loop and test threads share it)."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        if path != ":memory:" and not os.path.exists(path):
            # The file holds the users' configuration in clear (delivery needs the real signature keys).
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        columns = {r["name"] for r in self._db.execute("PRAGMA table_info(instances)")}
        if "external_authentication" not in columns:  # a --db file written by an older emulator
            self._db.execute("ALTER TABLE instances ADD COLUMN external_authentication TEXT NOT NULL DEFAULT 'none'")
        if "valid" not in columns:
            self._db.execute("ALTER TABLE instances ADD COLUMN valid INTEGER NOT NULL DEFAULT 1")
        delivery_columns = {r["name"] for r in self._db.execute("PRAGMA table_info(deliveries)")}
        for column in ("url", "body"):
            if column not in delivery_columns:
                self._db.execute(f"ALTER TABLE deliveries ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    # -- instances ------------------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        element_key: str,
        tags: list[str],
        configuration: dict[str, str],
        external_authentication: str = "none",
    ) -> Instance:
        stamp = now_iso()
        with self._lock:
            cur = self._exec(
                "INSERT INTO instances"
                " (name, element_key, token, tags, configuration, disabled, created, updated, external_authentication)"
                " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                (
                    name,
                    element_key,
                    secrets.token_urlsafe(24),
                    json.dumps(tags),
                    json.dumps(configuration),
                    stamp,
                    stamp,
                    external_authentication,
                ),
            )
            new_id = cur.lastrowid
        assert new_id is not None
        found = self.get(new_id)
        assert found is not None
        return found

    def get(self, instance_id: int) -> Instance | None:
        row = self._one("SELECT * FROM instances WHERE id = ?", (instance_id,))
        return _instance(row) if row else None

    def by_token(self, token: str) -> Instance | None:
        row = self._one("SELECT * FROM instances WHERE token = ?", (token,))
        return _instance(row) if row else None

    def configuration_ids(self, instance_id: int, keys: list[str]) -> dict[str, int]:
        """Stable ids of an instance's configuration records (`/instances/{id}/configuration/{configId}`)."""
        with self._lock:
            for key in keys:
                self._exec(
                    "INSERT OR IGNORE INTO configuration_ids (instance_id, key) VALUES (?, ?)", (instance_id, key)
                )
            rows = self._rows("SELECT id, key FROM configuration_ids WHERE instance_id = ?", (instance_id,))
        return {r["key"]: r["id"] for r in rows if r["key"] in keys}

    def all(self) -> list[Instance]:
        return [_instance(r) for r in self._rows("SELECT * FROM instances ORDER BY id")]

    def count(self) -> int:
        row = self._one("SELECT COUNT(*) FROM instances")
        return int(row[0]) if row else 0

    def page(
        self, *, after: int, limit: int, tags: list[str], search: str | None, element_key: str | None = None
    ) -> tuple[list[Instance], bool]:
        """Instances with id > after that match, at most `limit`, and whether more follow."""
        matching: list[Instance] = []
        for row in self._rows("SELECT * FROM instances WHERE id > ? ORDER BY id", (after,)):
            inst = _instance(row)
            if element_key is not None and inst.element_key != element_key:
                continue
            if not all(t in inst.tags for t in tags):
                continue
            if search and search.lower() not in inst.name.lower():
                continue
            matching.append(inst)
            if len(matching) > limit:
                break
        return matching[:limit], len(matching) > limit

    def update(
        self,
        instance_id: int,
        *,
        name: str,
        element_key: str,
        tags: list[str],
        configuration: dict[str, str],
        external_authentication: str,
    ) -> Instance | None:
        self._exec(
            "UPDATE instances SET name = ?, element_key = ?, tags = ?, configuration = ?, external_authentication = ?,"
            " updated = ? WHERE id = ?",
            (
                name,
                element_key,
                json.dumps(tags),
                json.dumps(configuration),
                external_authentication,
                now_iso(),
                instance_id,
            ),
        )
        return self.get(instance_id)

    def set_disabled(self, instance_id: int, disabled: bool) -> Instance | None:
        with self._lock:
            self._exec(
                "UPDATE instances SET disabled = ?, updated = ? WHERE id = ?",
                (int(disabled), now_iso(), instance_id),
            )
            if not disabled:  # enabled again: its token refreshes start from a clean count
                self._exec("DELETE FROM refresh_failures WHERE instance_id = ?", (instance_id,))
        return self.get(instance_id)

    def reauthenticated(self, instance_id: int) -> None:
        """New tokens from a new code: valid again, its failed refreshes forgotten (a disabled instance stays so)."""
        self.refresh_failed(instance_id, 0)

    def refresh_failed(self, instance_id: int, count: int) -> int:
        """Add `count` consecutive failed token refreshes (0: a refresh worked, the count starts over); the total.
        An instance whose last refresh failed is not valid."""
        with self._lock:
            self._exec("UPDATE instances SET valid = ? WHERE id = ?", (int(count == 0), instance_id))
            if count == 0:
                self._exec("DELETE FROM refresh_failures WHERE instance_id = ?", (instance_id,))
                return 0
            self._exec(
                "INSERT INTO refresh_failures (instance_id, count) VALUES (?, ?)"
                " ON CONFLICT (instance_id) DO UPDATE SET count = count + excluded.count",
                (instance_id, count),
            )
            row = self._one("SELECT count FROM refresh_failures WHERE instance_id = ?", (instance_id,))
        return int(row[0]) if row else 0

    def delete(self, instance_id: int) -> bool:
        with self._lock:
            cur = self._exec("DELETE FROM instances WHERE id = ?", (instance_id,))
            ids = [r[0] for r in self._rows("SELECT id FROM deliveries WHERE instance_id = ?", (instance_id,))]
            for delivery_id in ids:
                self._exec("DELETE FROM attempts WHERE delivery_id = ?", (delivery_id,))
            self._exec("DELETE FROM deliveries WHERE instance_id = ?", (instance_id,))
            self._exec("DELETE FROM configuration_ids WHERE instance_id = ?", (instance_id,))
            self._exec("DELETE FROM refresh_failures WHERE instance_id = ?", (instance_id,))
            return cur.rowcount > 0

    # -- delivery records -----------------------------------------------------------------------------------
    def add_delivery(
        self,
        instance_id: int,
        *,
        webhook_id: str,
        event_id: str,
        method: str,
        events: list[dict[str, Any]],
        url: str,
        body: bytes,
        status: str,
    ) -> int:
        cur = self._exec(
            "INSERT INTO deliveries (instance_id, webhook_id, event_id, method, events, status, created, url, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (instance_id, webhook_id, event_id, method, json.dumps(events), status, now_iso(), url, body.decode()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_attempt(self, delivery_id: int, attempt: int, *, status_code: int | None, error: str | None) -> None:
        self._exec(
            "INSERT INTO attempts (delivery_id, attempt, status_code, error, at) VALUES (?, ?, ?, ?, ?)",
            (delivery_id, attempt, status_code, error, now_iso()),
        )

    def attempt_count(self, delivery_id: int) -> int:
        row = self._one("SELECT COUNT(*) FROM attempts WHERE delivery_id = ?", (delivery_id,))
        return int(row[0]) if row else 0

    def set_delivery_status(self, delivery_id: int, status: str) -> None:
        self._exec("UPDATE deliveries SET status = ? WHERE id = ?", (status, delivery_id))

    def _delivery(self, row: sqlite3.Row) -> dict[str, Any]:
        attempts = [
            {"attempt": a["attempt"], "statusCode": a["status_code"], "error": a["error"], "date": a["at"]}
            for a in self._rows("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt", (row["id"],))
        ]
        return {
            "id": row["id"],
            "instanceId": row["instance_id"],
            "eventId": row["event_id"],
            "webhookId": row["webhook_id"],
            "method": row["method"],
            "status": row["status"],
            "createdDate": row["created"],
            "callbackUrl": row["url"],
            "events": json.loads(row["events"]),
            "attempts": attempts,
        }

    def delivery_page(self, instance_id: int, *, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """An instance's delivery records with id > after, oldest first, at most `limit`, and whether more follow."""
        rows = self._rows(
            "SELECT * FROM deliveries WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?",
            (instance_id, after, limit + 1),
        )
        return [self._delivery(r) for r in rows[:limit]], len(rows) > limit

    def delivery_by_event(self, event_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT * FROM deliveries WHERE event_id = ?", (event_id,))
        return self._delivery(row) if row else None

    def delivery_body(self, delivery_id: int) -> tuple[str, bytes]:
        """The webhook id and the exact body of a delivery (a release sends the same bytes again)."""
        row = self._one("SELECT webhook_id, body FROM deliveries WHERE id = ?", (delivery_id,))
        assert row is not None
        return row["webhook_id"], row["body"].encode()

    # -- subscriptions (a callback URL) and their queue -----------------------------------------------------
    def subscription_active(self, url: str) -> bool:
        return self._one("SELECT 1 FROM inactive_subscriptions WHERE url = ?", (url,)) is None

    def deactivate_subscription(self, url: str) -> None:
        self._exec("INSERT OR IGNORE INTO inactive_subscriptions (url) VALUES (?)", (url,))

    def queued(self, url: str | None) -> list[dict[str, Any]]:
        """Queued deliveries, oldest first, of one callback URL or of all."""
        if url is None:
            rows = self._rows("SELECT * FROM deliveries WHERE status = 'QUEUED' ORDER BY id")
        else:
            rows = self._rows("SELECT * FROM deliveries WHERE status = 'QUEUED' AND url = ? ORDER BY id", (url,))
        return [self._delivery(r) for r in rows]

    def release(self, url: str | None) -> list[dict[str, Any]]:
        """Claim the queued deliveries (each once: they become PENDING) and reactivate their subscriptions."""
        with self._lock:
            claimed = self.queued(url)
            for record in claimed:
                self.set_delivery_status(record["id"], "PENDING")
            if url is None:
                self._exec("DELETE FROM inactive_subscriptions")
            else:
                self._exec("DELETE FROM inactive_subscriptions WHERE url = ?", (url,))
        return claimed
