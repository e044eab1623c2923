"""Analytics push-down runs inside PostgreSQL over what the adapter stored, equal to the reference."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bizrel import analytics
from bizrel.adapters import Store
from bizrel.core import Money
from bizrel.customer import cohort_retention, record_purchase, rfm_summary

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rfm_and_cohorts_pushed_into_postgres_equal_the_reference(pg_store: Store, tenant_id: str, seed: int) -> None:
    rng = random.Random(seed)
    with pg_store.unit_of_work(tenant_id) as uow:
        for i in range(120):
            record_purchase(
                uow,
                id=f"p{i}",
                customer_id=f"c{rng.randrange(25)}",
                amount=Money.from_minor(rng.choice([0, 500, 500, rng.randrange(10**9)]), "EUR"),
                occurred_at=AS_OF - timedelta(days=rng.randrange(400), seconds=rng.randrange(86_400)),
            )
        uow.commit()
    with pg_store.unit_of_work(tenant_id) as uow:
        purchases = uow.purchases.list()
    for convention, monetary, freq in (
        ("classic", "total", "D"),
        ("classic", "mean", "D"),
        ("lifetimes", "total", "W"),
    ):
        options = {"as_of": AS_OF, "convention": convention, "monetary": monetary, "freq": freq}
        expected = rfm_summary(purchases, **options)  # type: ignore[arg-type]
        assert analytics.rfm_summary(pg_store, tenant_id=tenant_id, **options) == expected  # type: ignore[arg-type]
    assert analytics.cohort_retention(pg_store, tenant_id=tenant_id, as_of=AS_OF) == cohort_retention(
        purchases, as_of=AS_OF
    )
