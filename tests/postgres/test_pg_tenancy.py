"""Tenancy on PostgreSQL: Citus-ready keys on every table, and row-level security that fails closed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql

from bizrel import FixedClock, Money
from bizrel.adapters import Store, open_store
from bizrel.adapters.postgres import tenant_tables
from bizrel.core.errors import NotFound, ValidationError
from bizrel.sales import services

KEYS = """
SELECT c.relname, ic.relname, i.indisprimary, i.indisunique, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> 'schema_version'
"""


def tables_of(conn: psycopg.Connection) -> set[str]:  # type: ignore[type-arg]
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
        "AND relname <> 'schema_version'"
    ).fetchall()
    return {r[0] for r in rows}


def test_every_key_and_unique_index_starts_with_tenant_id(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        tables = tables_of(conn)
        assert tables == set(tenant_tables())  # no table escapes the checks below
        keys = conn.execute(KEYS).fetchall()
        primary = {table for table, _, is_primary, _, _ in keys if is_primary}
        assert primary == tables, "every table needs a primary key"
        wrong = [(t, index) for t, index, is_primary, is_unique, first in keys
                 if (is_primary or is_unique) and first != "tenant_id"]  # fmt: skip
        assert wrong == []
        not_null = conn.execute(
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE a.attname = 'tenant_id' AND a.attnotnull AND c.relname = ANY(%s)",
            (sorted(tables),),
        ).fetchall()
        assert {r[0] for r in not_null} == tables
        foreign = conn.execute(
            "SELECT conrelid::regclass::text, (SELECT attname FROM pg_attribute "
            "WHERE attrelid = conrelid AND attnum = conkey[1]) FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        ).fetchall()
        assert all(first == "tenant_id" for _, first in foreign)


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, parts.fragment))


@pytest.fixture
def rls_database(pg_new_database: Callable[[], str]) -> Iterator[tuple[str, str]]:
    """A database secured by its owner, and the URL of an application role that owns nothing."""
    url = pg_new_database()
    open_store(url, row_level_security=True).close()
    role = f"bizrel_app_{uuid.uuid4().hex[:8]}"
    ident = sql.Identifier(role)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(ident))
        conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident))
    yield url, as_role(url, role)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
        conn.execute(sql.SQL("DROP ROLE {}").format(ident))


def seed(store: Store, tenant_id: str) -> None:
    with store.unit_of_work(tenant_id) as uow:
        services.create_pipeline(uow, id="p1", name=f"{tenant_id} pipeline", stages=[("lead", "0.1")])
        services.open_opportunity(
            uow, id="o1", pipeline_id="p1", owner_id="rep", account_name=f"{tenant_id} account",
            amount=Money(10, "USD"), expected_close=date(2026, 12, 1),
        )  # fmt: skip
        uow.commit()


def test_row_level_security_is_enforced_on_every_table(rls_database: tuple[str, str]) -> None:
    owner_url, _ = rls_database
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid "
            "AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL) "
            "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
            "AND c.relname <> 'schema_version'"
        ).fetchall()
    assert {r[0] for r in rows} == set(tenant_tables())
    assert all(enabled and forced and policies >= 1 for _, enabled, forced, policies in rows)
    with pytest.raises(ValidationError, match="row-level security"):
        open_store(owner_url)


def test_the_database_hides_other_tenants_and_fails_closed(rls_database: tuple[str, str]) -> None:
    _, app_url = rls_database
    clock = FixedClock(datetime(2026, 2, 1, tzinfo=UTC))
    with open_store(app_url + "?row_level_security=true", clock=clock) as store:
        seed(store, "acme")
        seed(store, "globex")  # the same ids in another tenant
        with store.unit_of_work("acme") as uow:
            assert uow.opportunities.get("o1").account_name == "acme account"
            assert uow.opportunities.count() == 1
        with store.unit_of_work("initech") as uow, pytest.raises(NotFound):
            uow.opportunities.get("o1")
        assert store.dispatch_pending("acme") == 0
        with pytest.raises(ValidationError):
            store.dispatch_pending()

    with psycopg.connect(app_url) as conn:
        for table in tenant_tables():
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            assert conn.execute(query).fetchone() == (0,), f"{table} leaks without a tenant"
        conn.execute("SELECT set_config('bizrel.tenant', 'acme', true)")
        seen = conn.execute("SELECT DISTINCT tenant_id FROM opportunities UNION SELECT tenant_id FROM outbox")
        assert [r[0] for r in seen] == ["acme"]
        names = conn.execute("SELECT body FROM opportunities WHERE id = 'o1'").fetchall()
        assert len(names) == 1
        assert "globex" not in names[0][0]
        updated = conn.execute("UPDATE opportunities SET version = version WHERE tenant_id = 'globex'")
        assert updated.rowcount == 0
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO pipelines (tenant_id, id, version, body, name) VALUES ('globex', 'x', 1, '{}', 'x')"
            )
