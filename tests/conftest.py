"""Shared test settings: a hypothesis profile per environment, the `postgres` marker on every test that
reaches the PostgreSQL service, and a throwaway PostgreSQL database
per test session on the service named by BIZREL_TEST_PG_DSN (without the variable, every test that
needs it is skipped with the reason)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

from bizrel.adapters import Store, open_store

settings.register_profile("default", deadline=None, derandomize=True)
settings.register_profile("long", deadline=None, max_examples=2000)
settings.load_profile("long" if os.environ.get("BIZREL_LONG") else "default")


DSN_VARIABLE = "BIZREL_TEST_PG_DSN"


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    dsn = os.environ.get(DSN_VARIABLE)
    if not dsn:
        pytest.skip(f"{DSN_VARIABLE} is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)")
    return dsn


@pytest.fixture(scope="session")
def pg_new_database(pg_admin_dsn: str) -> Iterator[Callable[[], str]]:
    """Create empty databases on demand (bizrel_test_<random>); all are dropped at the end of the session."""
    import psycopg
    from psycopg import sql

    created: list[str] = []

    def create() -> str:
        name = f"bizrel_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            # throwaway data: commits need not wait for the disk (atomicity and isolation are unchanged)
            conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name)))
        created.append(name)
        return with_database(pg_admin_dsn, name)

    yield create
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_url(pg_new_database: Callable[[], str]) -> str:
    """The session's database, migrated once."""
    url = pg_new_database()
    open_store(url).close()
    return url


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
def pg_store(pg_url: str) -> Iterator[Store]:
    with open_store(pg_url) as store:
        yield store


@pytest.fixture
def tenant_id() -> str:
    """A tenant of this test's own, so tests sharing the session database never see each other."""
    return f"t-{uuid.uuid4().hex[:10]}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reaches the PostgreSQL service, through any fixture, carries the `postgres` marker."""
    for item in items:
        if "pg_admin_dsn" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
