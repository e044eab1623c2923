"""Every adapter contract suite, unchanged, against PostgreSQL (in the session's throwaway databases).

Each suite runs twice: on a plain database, and under row-level security as a role that owns
nothing, where PostgreSQL itself hides other tenants' rows.
"""

from __future__ import annotations

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock
from bizrel.testing import PurchaseContract, StoreContract
from bizrel.testing.contracts_customer_analytics import CustomerAnalyticsContract
from bizrel.testing.contracts_performance import PerformanceStoreContract


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


class TestPostgresStore(OnPostgres, StoreContract, PurchaseContract):
    pass


class TestPostgresCustomerAnalytics(OnPostgres, CustomerAnalyticsContract):
    pass


class TestPostgresPerformance(OnPostgres, PerformanceStoreContract):
    pass


class TestPostgresStoreWithRowLevelSecurity(OnPostgresWithRowLevelSecurity, StoreContract, PurchaseContract):
    pass


class TestPostgresCustomerAnalyticsWithRowLevelSecurity(OnPostgresWithRowLevelSecurity, CustomerAnalyticsContract):
    pass


class TestPostgresPerformanceWithRowLevelSecurity(OnPostgresWithRowLevelSecurity, PerformanceStoreContract):
    pass
