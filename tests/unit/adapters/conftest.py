"""PostgreSQL fixtures beyond the session database and its row-level-security twin (tests/conftest.py
creates those).

Without the variable every PostgreSQL test is skipped with the reason. Tests share the session
database and keep apart by using their own tenant ids; tests that change database-wide settings
(row-level security, migrations) ask `pg_new_database` for a database of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from bizrel.adapters import Store, open_store


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    with open_store(pg_url) as store:
        yield store


@pytest.fixture
def tenant_id() -> str:
    """A tenant of this test's own, so tests sharing the session database never see each other."""
    return f"t-{uuid.uuid4().hex[:10]}"
