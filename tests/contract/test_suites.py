"""`ALL_CONTRACTS` lists every suite bizrel.testing ships, and each adapter's runner runs all of them,
so a suite written for a new aggregate runs on every adapter the day it is written."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import bizrel.testing
from bizrel.testing import ALL_CONTRACTS, AdapterContract
from tests.contract import test_memory, test_postgres, test_sqlite


def shipped_suites() -> set[type]:
    """Every abstract `*Contract` class defined in a module of bizrel.testing, but their common base."""
    suites: set[type] = set()
    for info in pkgutil.iter_modules(bizrel.testing.__path__):
        module = importlib.import_module(f"{bizrel.testing.__name__}.{info.name}")
        suites |= {
            obj
            for name, obj in vars(module).items()
            if inspect.isclass(obj)
            and name.endswith("Contract")
            and obj.__module__ == module.__name__
            and inspect.isabstract(obj)
            and obj is not AdapterContract
        }
    return suites


def test_all_contracts_lists_every_shipped_suite() -> None:
    assert set(ALL_CONTRACTS) == shipped_suites()
    assert len(ALL_CONTRACTS) == len(set(ALL_CONTRACTS))


@pytest.mark.parametrize(
    ("runner", "labels"),
    [
        (test_memory, ("Memory",)),
        (test_sqlite, ("Sqlite",)),
        (test_postgres, ("Postgres", "PostgresWithRowLevelSecurity")),
    ],
)
@pytest.mark.rule(
    "**Backends** differ only in their transaction: `adapters.memory` (an overlay applied atomically "
    "under a lock, versions re-checked), `adapters.sqlite` (stdlib sqlite3, WAL, foreign keys on, `BEGIN "
    "IMMEDIATE` on the first write, a 30 s busy timeout, a connection per unit of work) and the SQL they "
    "share in `adapters.sql` (parameterized statements only; table and column names come from "
    "declarations, never from callers)."
)
@pytest.mark.rule(
    "The PostgreSQL adapter runs the same unit of work, the same migrations and the same contract suite "
    "as the memory and SQLite adapters, so domain code never knows which one it talks to."
)
def test_each_adapter_runner_runs_every_suite(runner: object, labels: tuple[str, ...]) -> None:
    for label in labels:
        for suite in ALL_CONTRACTS:
            cls = getattr(runner, f"Test{label}{suite.__name__}")
            assert issubclass(cls, suite)
            assert not inspect.isabstract(cls)
