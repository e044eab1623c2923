"""The bridge's persistence contract against the memory and SQLite adapters."""

from __future__ import annotations

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing.contracts_bridge import BridgeStoreContract


class TestMemoryBridge(BridgeStoreContract):
    def open(self, clock: Clock) -> Store:
        return open_store("memory://", clock=clock)


class TestSqliteBridge(BridgeStoreContract):
    def open(self, clock: Clock) -> Store:
        return open_store("sqlite://", clock=clock)
