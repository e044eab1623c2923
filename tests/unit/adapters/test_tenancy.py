"""Tenancy on PostgreSQL: Citus-ready keys on every table, and row-level security that fails closed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg import sql

from bizrel import FixedClock, Money
from bizrel.adapters import Store, open_store
from bizrel.adapters.postgres import tenant_tables
from bizrel.core.errors import NotFound, ValidationError
from bizrel.sales import services

NOT_TENANT_TABLES = ("schema_version",)  # bizrel's metadata; shared lookup tables would be listed here

KEYS = """
SELECT c.relname, ic.relname, i.indisprimary, i.indisunique, a.attname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> ALL(%s)
"""


def tables_of(conn: psycopg.Connection) -> set[str]:  # type: ignore[type-arg]
    rows = conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
        "AND relname <> ALL(%s)",
        (list(NOT_TENANT_TABLES),),
    ).fetchall()
    return {r[0] for r in rows}


@pytest.mark.rule(
    "A future table without `tenant_id` must be a reference table, and the tenancy test's "
    "`NOT_TENANT_TABLES` is where that decision is recorded."
)
def test_every_key_and_unique_index_starts_with_tenant_id(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        tables = tables_of(conn)
        assert tables == set(tenant_tables())  # no table escapes the checks below
        keys = conn.execute(KEYS, (list(NOT_TENANT_TABLES),)).fetchall()
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


def seed(store: Store, tenant_id: str) -> None:
    with store.unit_of_work(tenant_id) as uow:
        services.create_pipeline(uow, id="p1", name=f"{tenant_id} pipeline", stages=[("lead", "0.1")])
        services.open_opportunity(
            uow, id="o1", pipeline_id="p1", owner_id="rep", account_name=f"{tenant_id} account",
            amount=Money(10, "USD"), expected_close=date(2026, 12, 1),
        )  # fmt: skip
        uow.commit()


@pytest.mark.rule(
    "A database that enforces row-level security refuses to be opened without the mode (a "
    "`ValidationError` says so), instead of silently showing nothing."
)
def test_row_level_security_is_enforced_on_every_table(rls_owner_url: str) -> None:
    owner_url = rls_owner_url
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid "
            "AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL) "
            "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
            "AND c.relname <> ALL(%s)",
            (list(NOT_TENANT_TABLES),),
        ).fetchall()
    assert {r[0] for r in rows} == set(tenant_tables())
    assert all(enabled and forced and policies >= 1 for _, enabled, forced, policies in rows)
    with pytest.raises(ValidationError, match="row-level security"):
        open_store(owner_url)


def test_the_database_hides_other_tenants_and_fails_closed(rls_app_url: str) -> None:
    acme, globex, initech = (f"{name}-{uuid.uuid4().hex[:6]}" for name in ("acme", "globex", "initech"))
    clock = FixedClock(datetime(2026, 2, 1, tzinfo=UTC))
    with open_store(rls_app_url + "?row_level_security=true", clock=clock) as store:
        seed(store, acme)
        seed(store, globex)  # the same ids in another tenant
        with store.unit_of_work(acme) as uow:
            assert uow.opportunities.get("o1").account_name == f"{acme} account"
            assert uow.opportunities.count() == 1
        with store.unit_of_work(initech) as uow, pytest.raises(NotFound):
            uow.opportunities.get("o1")
        assert store.dispatch_pending(acme) == 0
        with pytest.raises(ValidationError):
            store.dispatch_pending()

    with psycopg.connect(rls_app_url) as conn:
        role = conn.execute(
            "SELECT r.rolsuper, r.rolbypassrls, EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid "
            "AND c.relnamespace = 'public'::regnamespace) FROM pg_roles r WHERE r.rolname = current_user"
        ).fetchone()
        assert role == (False, False, False), "the application role must not be able to bypass the policies"
        for table in tenant_tables():
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            assert conn.execute(query).fetchone() == (0,), f"{table} leaks without a tenant"
        conn.execute("SELECT set_config('bizrel.tenant', %s, true)", (acme,))
        for table in tenant_tables():
            query = sql.SQL("SELECT DISTINCT tenant_id FROM {}").format(sql.Identifier(table))
            assert {r[0] for r in conn.execute(query)} <= {acme}, f"{table} shows another tenant"
        bodies = [r[0] for r in conn.execute("SELECT body FROM opportunities WHERE id = 'o1'")]
        assert len(bodies) == 1
        assert globex not in bodies[0]
        updated = conn.execute("UPDATE opportunities SET version = version WHERE tenant_id = %s", (globex,))
        assert updated.rowcount == 0
        with pytest.raises(pg_errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO pipelines (tenant_id, id, version, body, name) VALUES (%s, 'x', 1, '{}', 'x')", (globex,)
            )
