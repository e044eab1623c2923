"""The transaction logic both SQL backends share, over any DB-API connection.

Only parameterized SQL: table and column names come from the declarations in `schema`, never
from callers (filters are checked against the declared columns before they get here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from attrs import frozen

from bizrel.adapters.backend import Filters, OutboxRecord, Row
from bizrel.adapters.schema import AggregateTable, Migration, table_ddl
from bizrel.core.errors import ConcurrencyConflict, SchemaTooNew
from bizrel.core.uow import Cmp

_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "!=": "<>"}


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, params: Sequence[Sequence[Any]], /) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


@frozen
class Dialect:
    name: str
    param: str
    outbox_ddl: tuple[str, ...]
    integrity_errors: tuple[type[BaseException], ...]


class SqlTransaction:
    """One transaction on one connection; `begin_write` opens the write transaction lazily."""

    def __init__(
        self,
        dialect: Dialect,
        cursor: Cursor,
        begin_write: Callable[[], None],
        finish: Callable[[bool], None],
    ) -> None:
        self._d = dialect
        self._cur = cursor
        self._begin_write = begin_write
        self._finish = finish

    def _p(self, n: int) -> str:
        return ", ".join([self._d.param] * n)

    def load(self, table: AggregateTable, tenant_id: str, id: str) -> tuple[int, str] | None:
        ph = self._d.param
        self._cur.execute(
            f"SELECT version, body FROM {table.name} WHERE tenant_id = {ph} AND id = {ph}", (tenant_id, id)
        )
        row = self._cur.fetchone()
        return None if row is None else (row[0], row[1])

    def _where(self, tenant_id: str, filters: Filters) -> tuple[str, list[Any]]:
        ph = self._d.param
        clauses = [f"tenant_id = {ph}"]
        params: list[Any] = [tenant_id]
        for name, cond in filters:
            if isinstance(cond, Cmp):
                if cond.op == "in":
                    if not cond.value:
                        clauses.append("1 = 0")
                        continue
                    clauses.append(f"{name} IN ({self._p(len(cond.value))})")
                    params.extend(cond.value)
                else:
                    clauses.append(f"{name} {_OPS[cond.op]} {ph}")
                    params.append(cond.value)
            elif cond is None:
                clauses.append(f"{name} IS NULL")
            else:
                clauses.append(f"{name} = {ph}")
                params.append(cond)
        return " AND ".join(clauses), params

    def select(
        self, table: AggregateTable, tenant_id: str, filters: Filters, order_by: str | None, limit: int | None
    ) -> list[tuple[str, int, str]]:
        where, params = self._where(tenant_id, filters)
        order = "id"
        if order_by:
            name = order_by.lstrip("-")
            desc = order_by.startswith("-")
            order = f"({name} IS NULL) DESC, {name} DESC, id" if desc else f"({name} IS NULL), {name}, id"
        sql = f"SELECT id, version, body FROM {table.name} WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        self._cur.execute(sql, params)
        return [(r[0], r[1], r[2]) for r in self._cur.fetchall()]

    def count(self, table: AggregateTable, tenant_id: str, filters: Filters) -> int:
        where, params = self._where(tenant_id, filters)
        self._cur.execute(f"SELECT count(*) FROM {table.name} WHERE {where}", params)
        return int(self._cur.fetchone()[0])

    def _insert_children(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        for index, child in enumerate(table.children):
            names = ", ".join(name for name, _ in child.columns)
            values = [
                (tenant_id, row.id, seq, *values) for row in rows for seq, values in enumerate(row.children[index])
            ]
            if values:
                self._cur.executemany(
                    f"INSERT INTO {child.name} (tenant_id, parent_id, seq, {names}) "
                    f"VALUES ({self._p(3 + len(child.columns))})",
                    values,
                )

    def insert(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        self._begin_write()
        names = "".join(f", {c.name}" for c in table.columns)
        sql = (
            f"INSERT INTO {table.name} (tenant_id, id, version, body{names}) VALUES ({self._p(4 + len(table.columns))})"
        )
        try:
            self._cur.executemany(sql, [(tenant_id, r.id, r.version, r.body, *r.columns) for r in rows])
        except self._d.integrity_errors:
            raise ConcurrencyConflict(table.kind, self._existing(table, tenant_id, rows), 0) from None
        self._insert_children(table, tenant_id, rows)

    def _existing(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> str:
        for r in rows:
            if self.load(table, tenant_id, r.id) is not None:
                return r.id
        return rows[0].id if rows else ""

    def update(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        self._begin_write()
        ph = self._d.param
        sets = "".join(f", {c.name} = {ph}" for c in table.columns)
        sql = (
            f"UPDATE {table.name} SET version = {ph}, body = {ph}{sets} "
            f"WHERE tenant_id = {ph} AND id = {ph} AND version = {ph}"
        )
        for r in rows:
            self._cur.execute(sql, (r.version, r.body, *r.columns, tenant_id, r.id, r.version - 1))
            if self._cur.rowcount != 1:
                raise ConcurrencyConflict(table.kind, r.id, r.version - 1)
        if table.children:
            for child in table.children:
                self._cur.executemany(
                    f"DELETE FROM {child.name} WHERE tenant_id = {ph} AND parent_id = {ph}",
                    [(tenant_id, r.id) for r in rows],
                )
            self._insert_children(table, tenant_id, rows)

    def append_outbox(self, tenant_id: str, records: Sequence[OutboxRecord]) -> None:
        self._begin_write()
        self._cur.executemany(
            "INSERT INTO outbox (tenant_id, event_id, type_name, payload, occurred_at, dispatched_at, attempts) "
            f"VALUES ({self._p(7)})",
            [
                (
                    tenant_id,
                    r.event_id,
                    r.type_name,
                    r.payload,
                    r.occurred_at,
                    r.occurred_at if r.dispatched else None,
                    0,
                )
                for r in records
            ],
        )

    def rewrite_outbox(self, tenant_id: str, rewrite: Callable[[str, str], str | None]) -> int:
        ph = self._d.param
        self._begin_write()
        self._cur.execute(f"SELECT event_id, type_name, payload FROM outbox WHERE tenant_id = {ph}", (tenant_id,))
        changed = []
        for event_id, type_name, payload in self._cur.fetchall():
            new = rewrite(type_name, payload)
            if new is not None and new != payload:
                changed.append((new, tenant_id, event_id))
        if changed:
            self._cur.executemany(
                f"UPDATE outbox SET payload = {ph} WHERE tenant_id = {ph} AND event_id = {ph}", changed
            )
        return len(changed)

    def commit(self) -> None:
        self._finish(True)

    def rollback(self) -> None:
        self._finish(False)


def refuse_newer(applied: set[int], migrations: Sequence[Migration]) -> None:
    """Raise SchemaTooNew when the database records a version above every migration known here."""
    known = max(m.version for m in migrations)
    if applied and max(applied) > known:
        raise SchemaTooNew(max(applied), known)


def migrate(cursor: Cursor, dialect: Dialect, migrations: Sequence[Migration], applied: set[int], now: str) -> None:
    """Apply the migrations not yet recorded in schema_version (the caller holds a transaction)."""
    ph = dialect.param
    for migration in sorted(migrations, key=lambda m: m.version):
        if migration.version in applied:
            continue
        statements = [s for t in migration.tables for s in table_ddl(t, dialect.name)]
        if migration.version == 1:
            statements = [*dialect.outbox_ddl, *statements]
        statements += migration.statements.get(dialect.name, ())
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(
            f"INSERT INTO schema_version (version, description, applied_at) VALUES ({ph}, {ph}, {ph})",
            (migration.version, migration.description, now),
        )
