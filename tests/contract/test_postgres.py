"""Every adapter contract suite in bizrel.testing, unchanged, against PostgreSQL.

Each suite runs twice: on a plain database, and under row-level security as a role that owns
nothing, where PostgreSQL itself hides other tenants' rows.
"""

from __future__ import annotations

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing import contract_test_classes

pytestmark = pytest.mark.postgres


class OnPostgres:
    @pytest.fixture(autouse=True)
    def _database(self, pg_url: str) -> None:
        self.url = pg_url

    def open(self, clock: Clock) -> Store:
        return open_store(self.url, clock=clock)

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        return open_store(self.url, clock=clock)


class OnPostgresWithRowLevelSecurity:
    @pytest.fixture(autouse=True)
    def _database(self, rls_app_url: str) -> None:
        self.url = rls_app_url

    def open(self, clock: Clock) -> Store:
        return open_store(self.url, clock=clock, row_level_security=True)

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        return open_store(self.url, clock=clock, row_level_security=True)


globals().update(contract_test_classes(OnPostgres, "Postgres", __name__))
globals().update(contract_test_classes(OnPostgresWithRowLevelSecurity, "PostgresWithRowLevelSecurity", __name__))
