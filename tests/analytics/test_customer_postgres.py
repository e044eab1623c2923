"""The same SQL formulations (retention, value, NPS and RFM) pushed down into PostgreSQL give the
reference's results.

bizrel has no PostgreSQL adapter yet, so this builds the two tables push-down reads (`purchases`
and `survey_responses`, with the SQLite adapter's columns) in a scratch schema and hands the
public functions a Store whose backend only reads. Skipped when no server answers on
127.0.0.1:5432."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any, cast

import pytest
from analytics_helpers import AS_OF, new_tenant, transactions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel import analytics
from bizrel.adapters import Store
from bizrel.adapters.backend import Backend
from bizrel.core import Period, PeriodKind
from bizrel.customer import (
    cohort_retention,
    historical_lifetime_value,
    nps_by_period,
    nps_by_segment,
    rfm_summary,
    value_metrics,
)

psycopg = pytest.importorskip("psycopg")
MAY = Period.containing(AS_OF - timedelta(days=20), PeriodKind.MONTH)
SCHEMA = f"bizrel_analytics_{os.getpid()}"


class ReadOnlyPostgres:
    """The slice of a backend push-down uses: a dialect name and a read-only query."""

    dialect_name = "postgres"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def read(self, sql: str, params: Sequence[object] = (), tenant_id: str | None = None) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = self.conn.execute(sql, params).fetchall()
        return rows


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    try:
        conn = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    conn.autocommit = True
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    conn.execute(f"SET search_path TO {SCHEMA}")
    conn.execute(
        "CREATE TABLE purchases (tenant_id TEXT, customer_id TEXT, occurred_at TIMESTAMPTZ, amount_minor BIGINT, "
        "currency TEXT)"
    )
    conn.execute(
        "CREATE TABLE survey_responses (tenant_id TEXT, kind TEXT, survey_id TEXT, customer_id TEXT, score INT, "
        "responded_at TIMESTAMPTZ)"
    )
    try:
        yield conn
    finally:
        conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        conn.close()


def as_store(conn: Any) -> Store:
    return Store(cast(Backend, ReadOnlyPostgres(conn)), normalize=lambda value: value, url="postgresql://test")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=transactions(customers=10, days=150, rows=30))
def test_retention_and_value_pushed_into_postgres_equal_the_reference(rows: list[dict[str, Any]], pg: Any) -> None:
    tenant = new_tenant()
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO purchases VALUES (%s, %s, %s, %s, %s)",
            [(tenant, r["customer_id"], r["occurred_at"], r["amount"].to_minor(), "USD") for r in rows],
        )
    store = as_store(pg)
    assert analytics.cohort_retention(store, as_of=AS_OF, tenant_id=tenant) == cohort_retention(rows, as_of=AS_OF)
    assert analytics.churn_rate(store, MAY, tenant_id=tenant) == analytics.churn_rate(rows, MAY)
    expected = value_metrics(rows, as_of=AS_OF, margin="0.3")
    assert analytics.value_metrics(store, as_of=AS_OF, margin="0.3", tenant_id=tenant) == expected
    assert analytics.historical_lifetime_value(store, tenant_id=tenant) == historical_lifetime_value(rows)
    for convention, monetary in (("classic", "mean"), ("lifetimes", "total")):
        options: dict[str, Any] = {"as_of": AS_OF, "convention": convention, "monetary": monetary}
        assert analytics.rfm_summary(store, tenant_id=tenant, **options) == rfm_summary(rows, **options)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scores=st.lists(st.tuples(st.integers(0, 10), st.integers(0, 3), st.integers(0, 120)), max_size=30))
def test_nps_pushed_into_postgres_equals_the_reference(scores: list[tuple[int, int, int]], pg: Any) -> None:
    tenant = new_tenant()
    rows = [
        {"customer_id": f"c{c}", "score": s, "responded_at": AS_OF - timedelta(days=d, hours=c)} for s, c, d in scores
    ]
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO survey_responses VALUES (%s, 'nps', 's1', %s, %s, %s)",
            [(tenant, r["customer_id"], r["score"], r["responded_at"]) for r in rows],
        )
        cur.execute("INSERT INTO survey_responses VALUES (%s, 'csat', 's2', 'c0', 1, %s)", (tenant, AS_OF))
    store = as_store(pg)
    assert analytics.nps_by_period(store, "week", tenant_id=tenant) == nps_by_period(rows, "week")
    assert analytics.nps_by_segment(store, "customer_id", tenant_id=tenant) == nps_by_segment(rows, "customer_id")
