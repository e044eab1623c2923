"""What a storage backend must do for the shared unit of work: one transaction's reads and writes.

Every `tenant_id` a backend receives or returns is the tenant's key (`schema.tenant_key`): the
callers check and encode it once, so a backend never sees an unchecked tenant id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from attrs import frozen

from bizrel.adapters.schema import AggregateTable
from bizrel.core.uow import Cmp


@frozen
class Row:
    """One aggregate as stored: its JSON body, its indexed column values and child rows."""

    id: str
    version: int
    body: str
    columns: tuple[Any, ...]
    children: tuple[tuple[tuple[Any, ...], ...], ...]


@frozen
class OutboxRecord:
    event_id: str
    type_name: str
    payload: str
    occurred_at: str
    dispatched: bool


@frozen
class PendingEvent:
    tenant_id: str
    event_id: str
    type_name: str
    payload: str
    attempts: int


Filters = Sequence[tuple[str, Any]]  # (column, value or Cmp)


class Transaction(Protocol):
    def load(self, table: AggregateTable, tenant_id: str, id: str) -> tuple[int, str] | None: ...

    def select(
        self,
        table: AggregateTable,
        tenant_id: str,
        filters: Filters,
        order_by: str | None,
        limit: int | None,
    ) -> list[tuple[str, int, str]]:
        """(id, version, body) of matching rows."""
        ...

    def count(self, table: AggregateTable, tenant_id: str, filters: Filters) -> int: ...

    def insert(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        """Raise ConcurrencyConflict when an id exists already."""
        ...

    def update(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        """Write rows whose stored version is row.version - 1, else ConcurrencyConflict."""
        ...

    def append_outbox(self, tenant_id: str, records: Sequence[OutboxRecord]) -> None: ...

    def rewrite_outbox(self, tenant_id: str, rewrite: Callable[[str, str], str | None]) -> int:
        """Pass (type_name, payload) of every outbox record of the tenant to `rewrite`; store each
        payload it returns (None keeps the record) in this transaction. The number rewritten."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class Backend(Protocol):
    def begin(self) -> Transaction: ...

    def pending_events(self, tenant_id: str | None, limit: int) -> list[PendingEvent]: ...

    def mark_dispatched(self, tenant_id: str, event_ids: Sequence[str], at: str) -> None: ...

    def mark_failed(self, tenant_id: str, event_id: str, error: str) -> None: ...

    def close(self) -> None: ...


def matches(value: Any, condition: Any) -> bool:
    """Evaluate one filter in Python, with SQL's semantics for NULL (never matches a comparison)."""
    if isinstance(condition, Cmp):
        if condition.op == "in":
            return value in condition.value
        if value is None or condition.value is None:
            return False
        match condition.op:
            case "<":
                return bool(value < condition.value)
            case "<=":
                return bool(value <= condition.value)
            case ">":
                return bool(value > condition.value)
            case ">=":
                return bool(value >= condition.value)
            case "!=":
                return bool(value != condition.value)
        raise ValueError(f"unknown operator {condition.op}")
    if condition is None:
        return value is None
    return bool(value == condition)
