"""The adapter contract suite, unchanged, against PostgreSQL (in the session's throwaway database)."""

from __future__ import annotations

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing import StoreContract


class TestPostgresStore(StoreContract):
    @pytest.fixture(autouse=True)
    def _database(self, pg_url: str) -> None:
        self.url = pg_url

    def open(self, clock: Clock) -> Store:
        return open_store(self.url, clock=clock)

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        return open_store(self.url, clock=clock)


class TestPostgresStoreWithRowLevelSecurity(StoreContract):
    """The same contract when PostgreSQL itself enforces tenancy (as a role that owns nothing)."""

    @pytest.fixture(autouse=True)
    def _database(self, rls_app_url: str) -> None:
        self.url = rls_app_url

    def open(self, clock: Clock) -> Store:
        return open_store(self.url, clock=clock, row_level_security=True)

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        return open_store(self.url, clock=clock, row_level_security=True)
