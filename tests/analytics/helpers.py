"""Transactions as records, as a DataFrame and as stored purchases, for the every-path tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import strategies as st

from bizrel.adapters import Store, open_store
from bizrel.core import FixedClock, Money
from bizrel.customer import Purchase, record_purchase

AS_OF = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@st.composite
def transactions(draw: st.DrawFn, *, customers: int, days: int, rows: int) -> list[dict[str, Any]]:
    """Few customers and few distinct days and amounts, so ties and single-purchase customers are
    common; very large amounts too; up to `days` before AS_OF."""
    count = draw(st.integers(1, customers))
    amounts = st.one_of(st.integers(0, 5).map(lambda x: x * 1000), st.integers(0, 10**12))
    return [
        {
            "customer_id": f"c{draw(st.integers(0, count - 1)):02d}",
            "occurred_at": AS_OF - timedelta(days=draw(st.integers(0, days)), seconds=draw(st.integers(0, 86_399))),
            "amount": Money.from_minor(draw(amounts), "USD"),
        }
        for _ in range(draw(st.integers(0, rows)))
    ]


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as the columnar engine reads them: integer minor units and UTC timestamps."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series([r["customer_id"] for r in rows], dtype="object"),
            "occurred_at": pd.to_datetime(pd.Series([r["occurred_at"] for r in rows], dtype="object"), utc=True),
            "amount_minor": pd.Series([r["amount"].to_minor() for r in rows], dtype="int64"),
            "currency": pd.Series(["USD"] * len(rows), dtype="object"),
        }
    )


def open_pushdown_store(request: pytest.FixtureRequest, clock: FixedClock) -> Store:
    """A store of the database named by the fixture's parameter: SQLite in memory, or the test
    session's PostgreSQL database (skipped, with the reason, when BIZREL_TEST_PG_DSN is unset)."""
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    return open_store(url, clock=clock)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each push-down test runs once per database."""
    s = open_pushdown_store(request, FixedClock(AS_OF))
    yield s
    s.close()


def new_tenant() -> str:
    """A tenant of its own per example: the store (and the PostgreSQL database) is shared, push-down
    must stay in its tenant."""
    return f"t-{uuid.uuid4().hex[:12]}"


def stored(store: Store, rows: list[dict[str, Any]]) -> str:
    tenant = new_tenant()
    with store.unit_of_work(tenant) as uow:
        for i, r in enumerate(rows):
            record_purchase(
                uow, id=f"p{i}", customer_id=r["customer_id"], amount=r["amount"], occurred_at=r["occurred_at"]
            )
        uow.commit()
    return tenant


def stored_mixed(store: Store) -> str:
    """A tenant whose purchases are in two currencies (every path must refuse them)."""
    tenant = stored(store, [{"customer_id": "a", "occurred_at": AS_OF, "amount": Money("1.00", "USD")}])
    with store.unit_of_work(tenant) as uow:
        uow.purchases.add(
            Purchase(tenant_id=uow.tenant_id, id="x", customer_id="b", occurred_at=AS_OF, amount=Money(1, "EUR"))
        )
        uow.commit()
    return tenant
