"""The in-memory backend: for tests and notebooks, with the same semantics as the SQL ones.

Committed state is a dict of stored rows; a transaction keeps its own writes in an overlay and
applies them atomically under a lock at commit, checking every version again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from bizrel.adapters.backend import Filters, OutboxRecord, PendingEvent, Row, matches
from bizrel.adapters.schema import AggregateTable
from bizrel.core.errors import ConcurrencyConflict

_Key = tuple[str, str, str]  # table, tenant, id
_Shelf = tuple[str, str]  # table, tenant


class _Outbox:
    __slots__ = ("attempts", "dispatched_at", "last_error", "record", "tenant_id")

    def __init__(self, tenant_id: str, record: OutboxRecord) -> None:
        self.tenant_id = tenant_id
        self.record = record
        self.dispatched_at: str | None = "" if record.dispatched else None
        self.attempts = 0
        self.last_error: str | None = None


class MemoryBackend:
    def __init__(self) -> None:
        self.shelves: dict[_Shelf, dict[str, Row]] = {}
        self.outbox: list[_Outbox] = []
        self.lock = threading.RLock()

    def begin(self) -> MemoryTransaction:
        return MemoryTransaction(self)

    def pending_events(self, tenant_id: str | None, limit: int) -> list[PendingEvent]:
        with self.lock:
            pending = [
                PendingEvent(o.tenant_id, o.record.event_id, o.record.type_name, o.record.payload, o.attempts)
                for o in self.outbox
                if o.dispatched_at is None and (tenant_id is None or o.tenant_id == tenant_id)
            ]
        return pending[:limit]

    def mark_dispatched(self, tenant_id: str, event_ids: Sequence[str], at: str) -> None:
        wanted = set(event_ids)
        with self.lock:
            for o in self.outbox:
                if o.tenant_id == tenant_id and o.record.event_id in wanted:
                    o.dispatched_at = at

    def mark_failed(self, tenant_id: str, event_id: str, error: str) -> None:
        with self.lock:
            for o in self.outbox:
                if o.tenant_id == tenant_id and o.record.event_id == event_id:
                    o.attempts += 1
                    o.last_error = error

    def close(self) -> None:
        """Nothing to release."""


class MemoryTransaction:
    def __init__(self, backend: MemoryBackend) -> None:
        self._backend = backend
        # per shelf: id -> (row, expected stored version, None for an insert)
        self._writes: dict[_Shelf, dict[str, tuple[Row, int | None]]] = {}
        self._outbox: list[_Outbox] = []

    def _current(self, key: _Key) -> Row | None:
        written = self._writes.get(key[:2])
        if written is not None and key[2] in written:
            return written[key[2]][0]
        return self._backend.shelves.get(key[:2], {}).get(key[2])

    def load(self, table: AggregateTable, tenant_id: str, id: str) -> tuple[int, str] | None:
        row = self._current((table.name, tenant_id, id))
        return None if row is None else (row.version, row.body)

    def _matching(self, table: AggregateTable, tenant_id: str, filters: Filters) -> list[Row]:
        shelf = (table.name, tenant_id)
        with self._backend.lock:
            rows = dict(self._backend.shelves.get(shelf, {}))
        rows.update((id, written[0]) for id, written in self._writes.get(shelf, {}).items())
        positions = {c.name: i for i, c in enumerate(table.columns)}
        result = []
        for row in rows.values():
            if all(matches(row.id if name == "id" else row.columns[positions[name]], cond) for name, cond in filters):
                result.append(row)
        return result

    def select(
        self, table: AggregateTable, tenant_id: str, filters: Filters, order_by: str | None, limit: int | None
    ) -> list[tuple[str, int, str]]:
        rows = self._matching(table, tenant_id, filters)
        rows.sort(key=lambda r: r.id)
        if order_by:
            name = order_by.lstrip("-")
            index = None if name == "id" else [c.name for c in table.columns].index(name)

            def sort_key(r: Row) -> tuple[bool, Any]:
                value = r.id if index is None else r.columns[index]
                return (value is None, value)

            rows.sort(key=sort_key, reverse=order_by.startswith("-"))
        if limit is not None:
            rows = rows[:limit]
        return [(r.id, r.version, r.body) for r in rows]

    def count(self, table: AggregateTable, tenant_id: str, filters: Filters) -> int:
        return len(self._matching(table, tenant_id, filters))

    def insert(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        for row in rows:
            key = (table.name, tenant_id, row.id)
            if self._current(key) is not None:
                raise ConcurrencyConflict(table.kind, row.id, 0)
            self._writes.setdefault(key[:2], {})[row.id] = (row, None)

    def update(self, table: AggregateTable, tenant_id: str, rows: Sequence[Row]) -> None:
        for row in rows:
            key = (table.name, tenant_id, row.id)
            current = self._current(key)
            if current is None or current.version != row.version - 1:
                raise ConcurrencyConflict(table.kind, row.id, row.version - 1)
            written = self._writes.setdefault(key[:2], {})
            expected = written[row.id][1] if row.id in written else current.version
            written[row.id] = (row, expected)

    def append_outbox(self, tenant_id: str, records: Sequence[OutboxRecord]) -> None:
        self._outbox.extend(_Outbox(tenant_id, r) for r in records)

    def commit(self) -> None:
        backend = self._backend
        with backend.lock:
            for shelf, written in self._writes.items():
                stored_rows = backend.shelves.get(shelf, {})
                for id, (_, expected) in written.items():
                    stored = stored_rows.get(id)
                    if (None if stored is None else stored.version) != expected:
                        raise ConcurrencyConflict(shelf[0], id, expected or 0)
            for shelf, written in self._writes.items():
                backend.shelves.setdefault(shelf, {}).update((id, w[0]) for id, w in written.items())
            backend.outbox.extend(self._outbox)
        self._writes.clear()
        self._outbox.clear()

    def rollback(self) -> None:
        self._writes.clear()
        self._outbox.clear()
