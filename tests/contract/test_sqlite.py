"""Every adapter contract suite in bizrel.testing, unchanged, against SQLite: a file per test, so
durability is checked by reopening it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing import contract_test_classes


class OnSqlite:
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.path = tmp_path / "store.db"

    def open(self, clock: Clock) -> Store:
        return open_store(f"sqlite:///{self.path}", clock=clock)

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        return open_store(f"sqlite:///{self.path}", clock=clock)


globals().update(contract_test_classes(OnSqlite, "Sqlite", __name__))
