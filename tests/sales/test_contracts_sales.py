"""The sales-process persistence contract, run against the memory and SQLite adapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing.contracts_sales import SalesProcessContract


class TestMemorySalesProcess(SalesProcessContract):
    def open(self, clock: Clock) -> Store:
        return open_store("memory://", clock=clock)


class TestSqliteSalesProcess(SalesProcessContract):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.path = tmp_path / "sales.db"

    def open(self, clock: Clock) -> Store:
        return open_store(f"sqlite:///{self.path}", clock=clock)
