"""Issue 19 item 7: period reviews on scorecards were computed but never saved. The contract suite
(bizrel.testing.PerformanceStoreContract.test_a_period_review_is_kept_as_computed_once) runs the same
check on every adapter, PostgreSQL included; this module quotes the rule and checks it end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import bizrel
from bizrel import sales
from bizrel.adapters import Store
from bizrel.core import FixedClock, InvariantViolation, NotFound, Period

Q1 = Period.quarter(2026, 1)
CARD = sales.Scorecard("Quarterly review", (sales.KpiSpec("bookings", 50, cap="1.2"), sales.KpiSpec("calls", 50)))


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    with bizrel.open_store(request.param, clock=FixedClock(datetime(2026, 4, 2, 9, tzinfo=UTC))) as store:
        yield store


@pytest.mark.rule(
    "`save_review` keeps a period's review as it was computed, in the store, one per scorecard and "
    "period: saving it again is refused with `InvariantViolation`, and `saved_review` reads it back "
    "equal, on every adapter."
)
def test_a_saved_review_reads_back_equal_and_is_saved_once(store: Store) -> None:
    q1 = CARD.review(Q1, {"ana": {"bookings": Decimal("1.3"), "calls": Decimal("0.5")}, "bo": {"calls": Decimal(1)}})
    # ana: 50 x 1.2 (capped) + 50 x 0.5 = 85.00; bo: 0 + 50 x 1 = 50.00
    assert [(r.owner_id, r.score) for r in q1.results] == [("ana", Decimal("85.00")), ("bo", Decimal("50.00"))]
    with store.unit_of_work("t") as uow:
        with pytest.raises(NotFound):
            sales.saved_review(uow, "Quarterly review", Q1)
        sales.save_review(uow, q1)
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert sales.saved_review(uow, "Quarterly review", Q1) == q1
        changed = CARD.review(Q1, {"ana": {"bookings": Decimal("0.1")}})  # recomputed later, differently
        with pytest.raises(InvariantViolation) as refused:
            sales.save_review(uow, changed)
        assert (refused.value.field, refused.value.value) == ("id", "Quarterly review@2026-Q1")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert sales.saved_review(uow, "Quarterly review", Q1) == q1
