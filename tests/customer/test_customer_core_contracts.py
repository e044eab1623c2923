"""The customer persistence contract, run unchanged against the memory and SQLite adapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing.contracts_customer import CustomerStoreContract


class TestMemoryCustomerStore(CustomerStoreContract):
    def open(self, clock: Clock) -> Store:
        return open_store("memory://", clock=clock)


class TestSqliteCustomerStore(CustomerStoreContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.path = tmp_path / "customers.db"

    def open(self, clock: Clock) -> Store:
        return open_store(f"sqlite:///{self.path}", clock=clock)

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        return open_store(f"sqlite:///{self.path}", clock=clock)
