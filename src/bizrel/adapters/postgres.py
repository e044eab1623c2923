"""PostgreSQL: production persistence on psycopg 3 with a connection pool and explicit transactions.

The transaction logic is the one SQLite uses (`adapters.sql`); this module adds what PostgreSQL
needs on top of it:

- READ COMMITTED by default: the optimistic version check sits in the UPDATE itself, so a writer
  that waited for a row lock re-checks the version and reports a stale write as
  ConcurrencyConflict. Serialization failures and deadlocks (SQLSTATE 40001, 40P01) surface as
  ConcurrencyConflict too; `bizrel.adapters.retrying` reruns a whole unit of work on it.
- Migrations run under a transaction-level advisory lock, so concurrent openers never race.
- Typed values: timestamps as timestamptz, dates as date, booleans as boolean. Text cannot hold
  NUL or lone surrogates in PostgreSQL, so indexed text and keys are escaped by an order-preserving
  code (`pg_key`), and indexed text longer than a btree entry allows is bounded by a digest
  (`pg_text`); the JSON body, the source of truth, is ASCII and stored as is.
- Optional row-level security: every transaction sets `bizrel.tenant` and a policy on every tenant
  table hides other tenants' rows inside PostgreSQL itself.
- `bulk_load` writes large histories through COPY.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from attrs import evolve

from bizrel.core.errors import ConcurrencyConflict, MissingExtra, ValidationError

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # tests/unit/adapters/test_postgres.py hides psycopg to check this
    raise MissingExtra("the PostgreSQL adapter", "postgres") from exc

from bizrel.adapters.backend import OutboxRecord, PendingEvent, Row
from bizrel.adapters.registry import MIGRATIONS
from bizrel.adapters.schema import NUL_OR_UTF8_UNSAFE, AggregateTable, escape_text, portable_value, tenant_key
from bizrel.adapters.sql import Dialect, SqlTransaction, migrate, refuse_newer
from bizrel.adapters.store import Store
from bizrel.adapters.unit_of_work import encode_body, outbox_record
from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import Clock
from bizrel.core.events import DomainEvent, MessageBus
from bizrel.core.ids import tenant

__all__ = [
    "PostgresBackend",
    "bulk_load",
    "open_postgres",
    "pg_key",
    "pg_text",
    "pg_unkey",
    "pg_value",
    "tenant_tables",
]

DIALECT = Dialect(
    name="postgres",
    param="%s",
    outbox_ddl=(
        'CREATE TABLE outbox (seq BIGINT GENERATED ALWAYS AS IDENTITY, tenant_id TEXT COLLATE "C" NOT NULL, '
        'event_id TEXT COLLATE "C" NOT NULL, type_name TEXT NOT NULL, payload TEXT NOT NULL, '
        "occurred_at TIMESTAMPTZ NOT NULL, dispatched_at TIMESTAMPTZ, attempts INTEGER NOT NULL, "
        "last_error TEXT, claimed_until TIMESTAMPTZ, PRIMARY KEY (tenant_id, event_id))",
        "CREATE INDEX ix_outbox_pending ON outbox (seq) WHERE dispatched_at IS NULL",
    ),
    integrity_errors=(pg_errors.UniqueViolation,),
)

Isolation = Literal["read committed", "repeatable read", "serializable"]
_ISOLATION: dict[str, psycopg.IsolationLevel] = {
    "read committed": psycopg.IsolationLevel.READ_COMMITTED,
    "repeatable read": psycopg.IsolationLevel.REPEATABLE_READ,
    "serializable": psycopg.IsolationLevel.SERIALIZABLE,
}
_RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)
_MIGRATION_LOCK = 0x62697A72656C  # "bizrel": the advisory lock every opener takes to migrate
_POLICY = "bizrel_tenant_isolation"
_CLAIM_SECONDS = 60  # a dispatcher's claim on pending events lapses after this (e.g. if it crashed)
_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}

# -- text PostgreSQL can store: keys and indexed text in schema's order-preserving code ----------

_CODED = re.compile("\x01[\x01\x02]|\ud7ff[\x01-\u0801]")
_MAX_INDEXED = 500  # characters: 4 bytes each stays under the btree entry limit with the tenant key


def _unescape(match: re.Match[str]) -> str:
    lead, o = match.group()[0], ord(match.group()[1])
    if lead == "\x01":
        return chr(o - 1)
    return "\ud7ff" if o == 1 else chr(o - 2 + 0xD800)


def pg_key(value: str) -> str:
    """A key (tenant id, aggregate id) as stored: reversible with `pg_unkey`."""
    return escape_text(value, NUL_OR_UTF8_UNSAFE)


def pg_unkey(value: str) -> str:
    return _CODED.sub(_unescape, value) if _CODED.search(value) else value


def pg_text(value: str) -> str:
    """Indexed text as stored: `pg_key`, and a digest in place of the tail of very long values.

    Equal inputs give equal outputs and different inputs different ones (up to SHA-256), so
    equality filters stay exact; order is exact except among long values sharing a long prefix.
    """
    key = pg_key(value)
    if len(key) <= _MAX_INDEXED:
        return key
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return key[:_MAX_INDEXED] + "\x01\x03" + digest


def pg_value(value: Any) -> Any:
    """A column or filter value as PostgreSQL compares it (the Store's `normalize` for this adapter)."""
    kind = type(value)
    if kind is int or value is None:
        return value
    if kind is str:
        return value if len(value) <= _MAX_INDEXED and not NUL_OR_UTF8_UNSAFE.search(value) else pg_text(value)
    if isinstance(value, enum.Enum):
        return pg_value(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError("value", value, "datetimes must be timezone-aware")
        return value if value.tzinfo is UTC else value.astimezone(UTC)
    if isinstance(value, str):
        return pg_text(value)
    return value


@contextmanager
def _conflicts() -> Iterator[None]:
    """Serialization failures and deadlocks mean another writer won: report them as such."""
    try:
        yield
    except _RETRYABLE as exc:
        raise ConcurrencyConflict("transaction", exc.sqlstate or "40001", 0) from exc


def _keyed(row: Row) -> Row:
    key = pg_key(row.id)
    return row if key == row.id else evolve(row, id=key)


class _OneTrip:
    """A cursor whose executemany of a single row is one round trip (psycopg pipelines otherwise)."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Any:
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Any:
        if len(params) == 1:
            return self._cursor.execute(sql, params[0])
        return self._cursor.executemany(sql, params)

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


class PostgresTransaction(SqlTransaction):
    """The shared SQL transaction with PostgreSQL keys, error codes and the tenant setting."""

    def __init__(self, backend: PostgresBackend, conn: psycopg.Connection[Any]) -> None:
        self._raw = conn.cursor()
        super().__init__(DIALECT, _OneTrip(self._raw), _nothing, self._end)
        self._backend = backend
        self._conn: psycopg.Connection[Any] | None = conn
        self._tenant: str | None = None

    def cursor(self, key: str) -> psycopg.Cursor[Any]:
        """This transaction's cursor, scoped to the tenant key (for COPY)."""
        self._scope(key)
        return self._raw

    def _scope(self, key: str) -> str:
        """Set the tenant for row-level security; `key` is already `tenant_key(tenant id)`."""
        if self._backend.row_level_security and key != self._tenant:
            self._cur.execute("SELECT set_config('bizrel.tenant', %s, true)", (key,))
            self._tenant = key
        return key

    def load(self, table: AggregateTable, tenant_id: str, id: str) -> tuple[int, str] | None:
        with _conflicts():
            return super().load(table, self._scope(tenant_id), pg_key(id))

    def select(
        self, table: AggregateTable, tenant_id: str, filters: Any, order_by: str | None, limit: int | None
    ) -> list[tuple[str, int, str]]:
        with _conflicts():
            rows = super().select(table, self._scope(tenant_id), filters, order_by, limit)
        return [(pg_unkey(id), version, body) for id, version, body in rows]

    def count(self, table: AggregateTable, tenant_id: str, filters: Any) -> int:
        with _conflicts():
            return super().count(table, self._scope(tenant_id), filters)

    def insert(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        with _conflicts(), _unkeyed_conflicts():
            key = self._scope(tenant_id)
            # a duplicate key aborts the transaction: the savepoint lets us name the duplicate
            self._cur.execute("SAVEPOINT bizrel_insert")
            super().insert(table, key, [_keyed(r) for r in rows])

    def _existing(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> str:
        self._cur.execute("ROLLBACK TO SAVEPOINT bizrel_insert")
        return super()._existing(table, tenant_id, rows)

    def update(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        with _conflicts(), _unkeyed_conflicts():
            super().update(table, self._scope(tenant_id), [_keyed(r) for r in rows])

    def append_outbox(self, tenant_id: str, records: Sequence[OutboxRecord]) -> None:
        with _conflicts():
            super().append_outbox(self._scope(tenant_id), records)

    def rewrite_outbox(self, tenant_id: str, rewrite: Callable[[str, str], str | None]) -> int:
        with _conflicts():
            return super().rewrite_outbox(self._scope(tenant_id), rewrite)

    def commit(self) -> None:
        with _conflicts():
            super().commit()

    def _end(self, commit: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if commit:
                conn.commit()
            else:
                conn.rollback()
        finally:
            self._backend.pool.putconn(conn)


@contextmanager
def _unkeyed_conflicts() -> Iterator[None]:
    try:
        yield
    except ConcurrencyConflict as exc:
        key = pg_unkey(exc.key) if isinstance(exc.key, str) else exc.key
        raise ConcurrencyConflict(exc.kind, key, exc.expected_version) from None


def _nothing() -> None:
    """PostgreSQL starts the transaction on the first statement; writes need no upgrade."""


def tenant_tables() -> list[str]:
    """Every table that holds tenant rows: the outbox, each aggregate table and its child tables."""
    names = ["outbox"]
    for migration in MIGRATIONS:
        for table in migration.tables:
            names.append(table.name)
            names.extend(child.name for child in table.children)
    return names


class PostgresBackend:
    """A pool of connections to one database, migrated on open."""

    dialect_name = "postgres"

    def __init__(
        self,
        conninfo: str,
        *,
        row_level_security: bool = False,
        isolation: Isolation = "read committed",
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        if isolation not in _ISOLATION:
            raise ValidationError("isolation", isolation, f"expected one of {sorted(_ISOLATION)}")
        level = _ISOLATION[isolation]
        self.row_level_security = row_level_security
        self.isolation = isolation

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.isolation_level = level

        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo, min_size=min_size, max_size=max_size, configure=configure, open=False
        )
        self.pool.open(wait=True)
        try:
            self._migrate()
        except BaseException:
            self.pool.close()
            raise

    def _migrate(self) -> None:
        with self.pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            exists = cur.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
            if not (exists and exists[0]):
                cur.execute(
                    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL)"
                )
            applied = {row[0] for row in cur.execute("SELECT version FROM schema_version")}
            refuse_newer(applied, MIGRATIONS)  # raised inside the transaction: it rolls back
            migrate(cur, DIALECT, MIGRATIONS, applied, _now())
            self._secure(cur)

    def _secure(self, cur: psycopg.Cursor[Any]) -> None:
        """Give every tenant table its isolation policy; enforce it in row-level security mode."""
        names = tenant_tables()
        cur.execute(
            "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity, "
            "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s) "
            "FROM pg_class c WHERE c.oid = ANY (SELECT to_regclass(n) FROM unnest(%s::text[]) AS n)",
            (_POLICY, names),
        )
        state = {name: (enforced, has_policy) for name, enforced, has_policy in cur.fetchall()}
        if not self.row_level_security and any(enforced for enforced, _ in state.values()):
            raise ValidationError(
                "row_level_security", False, "this database enforces row-level security: open it in that mode"
            )
        for name in names:  # names come from the table declarations, never from callers
            enforced, has_policy = state[name]
            if not has_policy:
                check = "tenant_id = current_setting('bizrel.tenant', true)"
                cur.execute(f"CREATE POLICY {_POLICY} ON {name} USING ({check}) WITH CHECK ({check})")
            if self.row_level_security and not enforced:
                cur.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
                cur.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")

    def begin(self) -> PostgresTransaction:
        return PostgresTransaction(self, self.pool.getconn())

    @contextmanager
    def _session(self, tenant_id: str | None) -> Iterator[psycopg.Cursor[Any]]:
        with self.pool.connection() as conn, conn.cursor() as cur:
            if self.row_level_security:
                if tenant_id is None:
                    raise ValidationError("tenant_id", None, "row-level security mode works one tenant at a time")
                cur.execute("SELECT set_config('bizrel.tenant', %s, true)", (tenant_id,))
            yield cur

    def read(self, sql: str, params: Sequence[object] = (), tenant_id: str | None = None) -> list[tuple[object, ...]]:
        """Run a read-only query (analytics push-down); in row-level security mode the tenant is set
        first, so PostgreSQL itself hides other tenants' rows as well."""
        with self._session(tenant_id) as cur:
            cur.execute(sql, params)
            return [tuple(row) for row in cur.fetchall()]

    # -- outbox dispatch ------------------------------------------------------------------------

    def pending_events(self, tenant_id: str | None, limit: int) -> list[PendingEvent]:
        """Claim up to `limit` undelivered events, oldest first; concurrent dispatchers skip claimed ones."""
        tenant_clause = "" if tenant_id is None else "AND tenant_id = %s "
        params: list[Any] = [] if tenant_id is None else [tenant_id]
        with self._session(tenant_id) as cur:
            cur.execute(
                "UPDATE outbox SET claimed_until = now() + make_interval(secs => %s) WHERE seq IN ("
                "SELECT seq FROM outbox WHERE dispatched_at IS NULL "
                "AND (claimed_until IS NULL OR claimed_until < now()) "
                f"{tenant_clause}ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED) "
                "RETURNING seq, tenant_id, event_id, type_name, payload, attempts",
                [_CLAIM_SECONDS, *params, limit],
            )
            rows = sorted(cur.fetchall())
        return [PendingEvent(t, e, name, payload, attempts) for _, t, e, name, payload, attempts in rows]

    def mark_dispatched(self, tenant_id: str, event_ids: Sequence[str], at: str) -> None:
        with self._session(tenant_id) as cur:
            cur.executemany(
                "UPDATE outbox SET dispatched_at = %s, attempts = attempts + 1, claimed_until = NULL "
                "WHERE tenant_id = %s AND event_id = %s",
                [(at, tenant_id, e) for e in event_ids],
            )

    def mark_failed(self, tenant_id: str, event_id: str, error: str) -> None:
        with self._session(tenant_id) as cur:
            cur.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = %s, claimed_until = NULL "
                "WHERE tenant_id = %s AND event_id = %s",
                (pg_key(error), tenant_id, event_id),
            )

    def close(self) -> None:
        self.pool.close()


def _now() -> str:
    value: str = portable_value(datetime.now(UTC))
    return value


def open_postgres(
    url: str,
    *,
    bus: MessageBus | None = None,
    clock: Clock | None = None,
    row_level_security: bool | None = None,
) -> Store:
    """Open a PostgreSQL store: `postgresql://user@host:5432/db?row_level_security=true`.

    bizrel's own query parameters (`row_level_security`, `isolation` = read_committed |
    repeatable_read | serializable, `pool_min`, `pool_max`) are taken out of the URL; the rest go
    to libpq unchanged. Migrations are applied on open.
    """
    parts = urlsplit(url)
    options: dict[str, str] = {}
    passed: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in ("row_level_security", "isolation", "pool_min", "pool_max"):
            options[name] = value
        else:
            passed.append((name, value))
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(passed), parts.fragment))
    if row_level_security is None:
        flag = options.get("row_level_security", "false").lower()
        if flag not in _FLAGS:
            raise ValidationError("row_level_security", flag, "expected true or false")
        row_level_security = _FLAGS[flag]
    isolation = options.get("isolation", "read committed").replace("_", " ").lower()
    try:
        min_size, max_size = int(options.get("pool_min", "1")), int(options.get("pool_max", "10"))
    except ValueError:
        raise ValidationError("url", url, "pool_min and pool_max must be integers") from None
    backend = PostgresBackend(
        conninfo,
        row_level_security=row_level_security,
        isolation=cast(Isolation, isolation),
        min_size=min_size,
        max_size=max_size,
    )
    return Store(backend, bus=bus, clock=clock, normalize=pg_value, url=url)


# -- bulk import ----------------------------------------------------------------------------------


def _table(table_or_kind: AggregateTable | str) -> AggregateTable:
    if isinstance(table_or_kind, AggregateTable):
        return table_or_kind
    for migration in MIGRATIONS:
        for table in migration.tables:
            if table_or_kind in (table.kind, table.name):
                return table
    raise ValidationError("table", table_or_kind, "not a declared aggregate kind or table name")


def bulk_load(
    store: Store,
    tenant_id: str,
    table_or_kind: AggregateTable | str,
    aggregates: Iterable[Aggregate],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert new aggregates (their child rows and recorded events too) through COPY, in one transaction.

    Much faster than a unit of work for large histories. It only inserts: an id that exists
    already raises ConcurrencyConflict and nothing is written. Events go to the outbox and, after
    commit, to the bus, as a unit of work sends them. Returns how many aggregates were loaded.
    PostgreSQL refuses COPY into tables under row-level security, so in that mode the rows go
    through batched INSERTs (checked by the policies) instead.
    """
    backend = store.backend
    if not isinstance(backend, PostgresBackend):
        raise ValidationError("store", store.url, "bulk_load needs a PostgreSQL store")
    table = _table(table_or_kind)
    tenant_id = tenant(tenant_id)
    key = tenant_key(tenant_id)
    done: list[Aggregate] = []
    rows = _rows(table, tenant_id, aggregates, done, progress)
    events: list[DomainEvent] = []
    txn = backend.begin()
    try:
        with _conflicts():
            if backend.row_level_security:
                while batch := list(islice(rows, 1000)):
                    txn.insert(table, key, batch)
            else:
                _copy(txn.cursor(key), table, key, rows)
            events = [e for a in done for e in a.pending_events]
            if events:
                records = [outbox_record(e, dispatched=not store.bus.handlers_for(e)) for e in events]
                txn.append_outbox(key, records)
            txn.commit()
    except pg_errors.UniqueViolation:
        txn.rollback()
        raise ConcurrencyConflict(table.kind, "an id of the batch", 0) from None
    except BaseException:
        txn.rollback()
        raise
    for aggregate in done:
        aggregate.collect_events()
        aggregate.version = 1
    if events:
        store.deliver(tenant_id, events)
    return len(done)


def _rows(
    table: AggregateTable,
    tenant_id: str,
    aggregates: Iterable[Aggregate],
    done: list[Aggregate],
    progress: Callable[[int], None] | None,
) -> Iterator[Row]:
    """Stored rows for the aggregates, checked one by one; `done` collects what was turned into rows."""
    for aggregate in aggregates:
        if not isinstance(aggregate, table.cls):
            raise ValidationError("aggregate", type(aggregate).__name__, f"expected {table.cls.__name__}")
        if aggregate.tenant_id != tenant_id:
            raise ValidationError("tenant_id", aggregate.tenant_id, f"loading for {tenant_id}")
        yield Row(
            id=aggregate.id,
            version=1,
            body=encode_body(aggregate),
            columns=tuple(pg_value(c.get(aggregate)) for c in table.columns),
            children=tuple(
                tuple(tuple(pg_value(v) for v in values) for values in child.rows(aggregate))
                for child in table.children
            ),
        )
        done.append(aggregate)
        if progress is not None and len(done) % 10_000 == 0:
            progress(len(done))


def _copy(cur: psycopg.Cursor[Any], table: AggregateTable, key: str, rows: Iterable[Row]) -> None:
    names = ", ".join(["tenant_id", "id", "version", "body", *(c.name for c in table.columns)])
    children: list[list[tuple[Any, ...]]] = [[] for _ in table.children]
    with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            id = pg_key(row.id)
            copy.write_row((key, id, row.version, row.body, *row.columns))
            for index, of_row in enumerate(row.children):
                children[index].extend((key, id, seq, *values) for seq, values in enumerate(of_row))
    for child, child_rows in zip(table.children, children, strict=True):
        child_names = ", ".join(["tenant_id", "parent_id", "seq", *(name for name, _ in child.columns)])
        with cur.copy(f"COPY {child.name} ({child_names}) FROM STDIN") as copy:
            for values in child_rows:
                copy.write_row(values)
