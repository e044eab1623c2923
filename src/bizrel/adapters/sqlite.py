"""The embedded default: stdlib sqlite3 in WAL mode.

Reads run outside a transaction until the first write, which opens `BEGIN IMMEDIATE` so writers
queue on the busy timeout instead of failing on a lock upgrade; versions checked in each UPDATE
catch anything that changed since it was read. Each unit of work uses its own connection from a
small pool; `sqlite://` (no path) is a private temporary file removed on close.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from bizrel.adapters.backend import PendingEvent
from bizrel.adapters.registry import MIGRATIONS
from bizrel.adapters.schema import portable_value
from bizrel.adapters.sql import Dialect, SqlTransaction, migrate, refuse_newer

__all__ = ["SqliteBackend"]

DIALECT = Dialect(
    name="sqlite",
    param="?",
    outbox_ddl=(
        "CREATE TABLE outbox (tenant_id TEXT NOT NULL, event_id TEXT NOT NULL, type_name TEXT NOT NULL, "
        "payload TEXT NOT NULL, occurred_at TEXT NOT NULL, dispatched_at TEXT, attempts INTEGER NOT NULL, "
        "last_error TEXT, PRIMARY KEY (tenant_id, event_id))",
        "CREATE INDEX ix_outbox_pending ON outbox (dispatched_at) WHERE dispatched_at IS NULL",
    ),
    integrity_errors=(sqlite3.IntegrityError,),
)

BUSY_TIMEOUT_S = 30.0


class SqliteBackend:
    dialect_name = "sqlite"

    def __init__(self, path: str | None) -> None:
        self._temporary = path is None
        if path is None:
            fd, path = tempfile.mkstemp(prefix="bizrel-", suffix=".db")
            os.close(fd)
        self.path = path
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        conn = self._connect()
        try:
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        self._release(conn)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; atomic always (WAL)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def _acquire(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise RuntimeError("store is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        with self._lock:
            if not self._closed and len(self._idle) < 8:
                self._idle.append(conn)
                return
        conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        # a file from a newer bizrel is refused before anything is written to it
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone():
            refuse_newer({row[0] for row in conn.execute("SELECT version FROM schema_version")}, MIGRATIONS)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            applied = {row[0] for row in conn.execute("SELECT version FROM schema_version")}
            migrate(conn.cursor(), DIALECT, MIGRATIONS, applied, _now())
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def begin(self) -> SqlTransaction:
        conn = self._acquire()
        cursor = conn.cursor()
        released = False

        def begin_write() -> None:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")

        def finish(commit: bool) -> None:
            nonlocal released
            if released:
                return
            released = True
            if conn.in_transaction:
                conn.execute("COMMIT" if commit else "ROLLBACK")
            self._release(conn)

        return SqlTransaction(DIALECT, cursor, begin_write, finish)

    def read(self, sql: str, params: Sequence[object] = (), tenant_id: str | None = None) -> list[tuple[object, ...]]:
        """Run a read-only query (analytics push-down) on a connection of the pool; the query
        itself filters by tenant."""
        conn = self._acquire()
        try:
            conn.execute("BEGIN")  # one consistent snapshot for the whole query
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.execute("ROLLBACK")
        finally:
            self._release(conn)

    # -- outbox dispatch ------------------------------------------------------------------------

    def pending_events(self, tenant_id: str | None, limit: int) -> list[PendingEvent]:
        conn = self._acquire()
        try:
            sql = "SELECT tenant_id, event_id, type_name, payload, attempts FROM outbox WHERE dispatched_at IS NULL"
            params: tuple[object, ...] = ()
            if tenant_id is not None:
                sql += " AND tenant_id = ?"
                params = (tenant_id,)
            rows = conn.execute(sql + " ORDER BY rowid LIMIT ?", (*params, limit)).fetchall()
        finally:
            self._release(conn)
        return [PendingEvent(*row) for row in rows]

    def mark_dispatched(self, tenant_id: str, event_ids: Sequence[str], at: str) -> None:
        self._write(
            "UPDATE outbox SET dispatched_at = ?, attempts = attempts + 1 WHERE tenant_id = ? AND event_id = ?",
            [(at, tenant_id, e) for e in event_ids],
        )

    def mark_failed(self, tenant_id: str, event_id: str, error: str) -> None:
        self._write(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE tenant_id = ? AND event_id = ?",
            [(error, tenant_id, event_id)],
        )

    def _write(self, sql: str, params: list[tuple[object, ...]]) -> None:
        conn = self._acquire()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, params)
            conn.execute("COMMIT")
        finally:
            self._release(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self._temporary:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(self.path + suffix)


def _now() -> str:
    value: str = portable_value(datetime.now(UTC))
    return value
