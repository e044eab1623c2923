"""Every adapter contract suite in bizrel.testing, unchanged, against PostgreSQL.

The suites are discovered (every abstract `*Contract` class in a `bizrel.testing.contracts*`
module), so a suite added for a new aggregate runs here without an edit. Each runs twice: on a
plain database, and under row-level security as a role that owns nothing, where PostgreSQL
itself hides other tenants' rows.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import bizrel.testing
from bizrel.adapters import Store, open_store
from bizrel.core.clock import Clock


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


def contract_suites() -> list[type]:
    suites = []
    for info in sorted(pkgutil.iter_modules(bizrel.testing.__path__), key=lambda i: i.name):
        if not info.name.startswith("contracts"):
            continue
        module = importlib.import_module(f"{bizrel.testing.__name__}.{info.name}")
        suites += [
            obj
            for name, obj in sorted(vars(module).items())
            if inspect.isclass(obj) and name.endswith("Contract") and obj.__module__ == module.__name__
            and inspect.isabstract(obj)
        ]  # fmt: skip
    return suites


SUITES = contract_suites()

for _suite in SUITES:
    for _where, _suffix in ((OnPostgres, ""), (OnPostgresWithRowLevelSecurity, "WithRowLevelSecurity")):
        _name = f"TestPostgres{_suite.__name__}{_suffix}"
        globals()[_name] = type(_name, (_where, _suite), {"__module__": __name__})


def test_every_contract_suite_is_wired() -> None:
    assert len(SUITES) >= 7  # StoreContract, PurchaseContract and one per area so far
    assert all(f"TestPostgres{s.__name__}" in globals() for s in SUITES)
