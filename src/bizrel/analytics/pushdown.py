"""Push-down: run an analytic's SQL inside the database a Store writes to, tenant-scoped.

The stored tables become the relations the SQL formulations expect (`tx` for purchases), so the
database aggregates and only per-customer results come back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from attrs import define

from bizrel.adapters import Store, tenant_key
from bizrel.analytics.columnar import is_columnar
from bizrel.analytics.dialect import POSTGRES, SQLITE, Dialect
from bizrel.core.errors import CurrencyMismatch, ValidationError

__all__ = ["PushdownSession", "pushdown", "sql_path"]


@define
class PushdownSession:
    dialect: Dialect
    tenant_id: str  # the tenant's key as stored (`tenant_key`), bound in every query
    _read: Any
    _normalize: Any

    def _tx(self) -> str:
        return (
            "tx AS (SELECT customer_id, occurred_at, amount_minor, currency FROM purchases "
            f"WHERE tenant_id = {self.dialect.param})"
        )

    def _responses(self) -> str:
        p = self.dialect.param
        return (
            "rs AS (SELECT customer_id, survey_id, CAST(score AS BIGINT) AS score, responded_at FROM survey_responses "
            f"WHERE tenant_id = {p} AND kind = {p})"
        )

    def _read_tenant(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = self._read(sql, params, tenant_id=self.tenant_id)
        return rows

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run `sql` (starting WITH ...) with `tx` bound to this tenant's purchases."""
        return self._with(self._tx(), (self.tenant_id,), sql, params)

    def query_responses(self, kind: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run `sql` (starting WITH ...) with `rs` bound to this tenant's survey responses of `kind`."""
        return self._with(self._responses(), (self.tenant_id, kind), sql, params)

    def _with(self, relation: str, bound: tuple[Any, ...], sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        text = sql.strip()
        assert text.startswith("WITH ")
        values = bound + tuple(self._normalize(p) for p in params)
        rows: list[tuple[Any, ...]] = self._read_tenant(f"WITH {relation}, {text[5:]}", values)
        return rows

    def single_currency(self) -> str | None:
        rows = self.query("WITH c AS (SELECT DISTINCT currency FROM tx) SELECT currency FROM c ORDER BY 1 LIMIT 2")
        if len(rows) > 1:
            raise CurrencyMismatch("currency", str(rows[0][0]), str(rows[1][0]))
        return str(rows[0][0]) if rows else None

    def query_tables(
        self,
        views: Mapping[str, tuple[str, str, str, tuple[object, ...]]],
        sql: str,
        extra_params: tuple[object, ...] = (),
    ) -> list[tuple[Any, ...]]:
        """Run `sql` (starting WITH ... or WITH RECURSIVE ...) over named views of this tenant's
        rows, each given as (columns, table, extra condition or "", its parameters); `extra_params`
        are the sql's own."""
        text = sql.strip()
        assert text.startswith("WITH ")
        head, text = ("WITH RECURSIVE", text[15:]) if text.startswith("WITH RECURSIVE ") else ("WITH", text[5:])
        p = self.dialect.param
        ctes, params = [], []
        for name, (columns, table, condition, extra) in views.items():
            also = f" AND {condition}" if condition else ""
            # never materialized: joins on a view must reach the table's primary-key index
            ctes.append(f"{name} AS NOT MATERIALIZED (SELECT {columns} FROM {table} WHERE tenant_id = {p}{also})")
            params += [self.tenant_id, *extra]
        rows: list[tuple[Any, ...]] = self._read_tenant(f"{head} {', '.join(ctes)}, {text}", (*params, *extra_params))
        return rows

    def check_after(self, as_of: datetime) -> None:
        rows: list[tuple[Any, ...]] = self._read_tenant(
            f"WITH {self._tx()} SELECT MAX(occurred_at) FROM tx WHERE occurred_at > {self.dialect.param}",
            (self.tenant_id, self._normalize(as_of)),
        )
        if rows and rows[0][0] is not None:
            raise ValidationError("occurred_at", rows[0][0], f"a purchase is after as_of {as_of.isoformat()}")


def sql_path(data: object) -> bool:
    """Whether an analytic runs as SQL (a store or a columnar input) rather than the reference."""
    return isinstance(data, Store) or is_columnar(data)


@contextmanager
def pushdown(store: Store, tenant_id: str) -> Iterator[PushdownSession]:
    read = getattr(store.backend, "read", None)
    dialect_name = getattr(store.backend, "dialect_name", None)
    if read is None or dialect_name not in ("sqlite", "postgres"):
        raise ValidationError("store", store.url, "push-down needs a SQL store (sqlite:// or postgresql://)")
    key = tenant_key(tenant_id)  # checked and encoded as every other path stores it
    yield PushdownSession(SQLITE if dialect_name == "sqlite" else POSTGRES, key, read, store.normalize)
