"""Every adapter contract suite in bizrel.testing, unchanged, against the in-memory adapter."""

from __future__ import annotations

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing import contract_test_classes


class OnMemory:
    def open(self, clock: Clock) -> Store:
        return open_store("memory://", clock=clock)


globals().update(contract_test_classes(OnMemory, "Memory", __name__))
