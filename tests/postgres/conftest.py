"""PostgreSQL fixtures beyond the session database (tests/conftest.py creates that one).

Without the variable every PostgreSQL test is skipped with the reason. Tests share the session
database and keep apart by using their own tenant ids; tests that change database-wide settings
(row-level security, migrations) ask `pg_new_database` for a database of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from bizrel.adapters import Store, open_store


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    with open_store(pg_url) as store:
        yield store


@pytest.fixture(scope="session")
def rls_owner_url(pg_new_database: Callable[[], str]) -> str:
    """A database its owner opened in row-level security mode: policies enabled and forced."""
    url = pg_new_database()
    open_store(url, row_level_security=True).close()
    return url


@pytest.fixture(scope="session")
def rls_app_url(rls_owner_url: str) -> Iterator[str]:
    """The URL of an application role on that database: not the owner, not a superuser, no BYPASSRLS."""
    import psycopg
    from psycopg import sql

    role = f"bizrel_app_{uuid.uuid4().hex[:8]}"
    ident = sql.Identifier(role)
    with psycopg.connect(rls_owner_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(ident))
        conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident))
    parts = urlsplit(rls_owner_url)
    host = parts.netloc.rpartition("@")[2]
    yield urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, parts.fragment))
    with psycopg.connect(rls_owner_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
        conn.execute(sql.SQL("DROP ROLE {}").format(ident))


@pytest.fixture
def tenant_id() -> str:
    """A tenant of this test's own, so tests sharing the session database never see each other."""
    return f"t-{uuid.uuid4().hex[:10]}"
