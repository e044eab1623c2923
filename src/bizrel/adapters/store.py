"""The Store: one persistence entry point serving both contexts and the bridge."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

from bizrel.adapters.backend import Backend
from bizrel.adapters.codec import decode_event
from bizrel.adapters.schema import portable_value, tenant_key
from bizrel.adapters.unit_of_work import StoreUnitOfWork
from bizrel.core.clock import Clock, SystemClock
from bizrel.core.errors import ValidationError
from bizrel.core.events import DomainEvent, MessageBus

__all__ = ["Store", "open_store"]


class Store:
    """A database (or memory) plus the bus its committed events go to and the clock it runs on."""

    def __init__(
        self,
        backend: Backend,
        *,
        bus: MessageBus | None = None,
        clock: Clock | None = None,
        normalize: Callable[[Any], Any] = portable_value,
        url: str = "",
    ) -> None:
        self.backend = backend
        self.bus = bus if bus is not None else MessageBus()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.normalize = normalize
        self.url = url

    def unit_of_work(self, tenant_id: str) -> StoreUnitOfWork:
        return StoreUnitOfWork(self, tenant_id)

    def deliver(self, tenant_id: str, events: list[DomainEvent]) -> None:
        """Run handlers for freshly committed events; failures stay in the outbox for a retry."""
        key = tenant_key(tenant_id)
        done = []
        for event in events:
            handlers = self.bus.handlers_for(event)
            if not handlers:
                continue
            try:
                for handler in handlers:
                    handler(event)
            except Exception as exc:
                self.backend.mark_failed(key, event.event_id, f"{type(exc).__name__}: {exc}")
            else:
                done.append(event.event_id)
        if done:
            self.backend.mark_dispatched(key, done, self._now())

    def dispatch_pending(self, tenant_id: str | None = None, limit: int = 1000) -> int:
        """Deliver events that were committed but not yet handled (after a crash or a failure).

        Handlers must be idempotent: an event can be delivered again if a crash hits between a
        handler's work and the outbox being marked. Returns how many events were delivered.
        """
        delivered = 0
        key = None if tenant_id is None else tenant_key(tenant_id)
        for pending in self.backend.pending_events(key, limit):
            event = decode_event(pending.type_name, json.loads(pending.payload))
            try:
                for handler in self.bus.handlers_for(event):
                    handler(event)
            except Exception as exc:
                self.backend.mark_failed(pending.tenant_id, pending.event_id, f"{type(exc).__name__}: {exc}")
                continue
            self.backend.mark_dispatched(pending.tenant_id, [pending.event_id], self._now())
            delivered += 1
        return delivered

    def _now(self) -> str:
        value: str = portable_value(self.clock.now())
        return value

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def open_store(
    url: str,
    *,
    bus: MessageBus | None = None,
    clock: Clock | None = None,
    row_level_security: bool | None = None,
) -> Store:
    """Open a store by URL: `memory://`, `sqlite:///path/to/file.db`, `sqlite://` (temporary) or
    `postgresql://user@host/db` (extra `bizrel[postgres]`; see bizrel.adapters.postgres).

    Migrations are applied on open. `row_level_security` (PostgreSQL only) makes the database
    itself hide other tenants' rows.
    """
    if not isinstance(url, str):
        raise ValidationError("url", url, "expected a store URL string")
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        from bizrel.adapters.postgres import open_postgres

        return open_postgres(url, bus=bus, clock=clock, row_level_security=row_level_security)
    if row_level_security is not None:
        raise ValidationError("row_level_security", row_level_security, "only PostgreSQL stores enforce it")
    if url == "memory://":
        from bizrel.adapters.memory import MemoryBackend

        return Store(MemoryBackend(), bus=bus, clock=clock, url=url)
    if scheme == "sqlite":
        from bizrel.adapters.sqlite import SqliteBackend

        parts = urlsplit(url)
        if parts.netloc:
            raise ValidationError("url", url, "use sqlite:///relative.db or sqlite:////absolute.db")
        path = unquote(parts.path[1:]) if parts.path else ""
        return Store(SqliteBackend(path or None), bus=bus, clock=clock, url=url)
    raise ValidationError("url", url, "unknown scheme: use memory://, sqlite:///path or postgresql://...")
