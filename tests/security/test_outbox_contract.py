"""The outbox-rewrite contract on the memory and SQLite adapters."""

from __future__ import annotations

from bizrel.adapters.store import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing.contracts_security import OutboxRewriteContract


class TestMemoryOutboxRewrite(OutboxRewriteContract):
    def open(self, clock: Clock) -> Store:
        return open_store("memory://", clock=clock)


class TestSqliteOutboxRewrite(OutboxRewriteContract):
    def open(self, clock: Clock) -> Store:
        return open_store("sqlite://", clock=clock)
