"""The first sales slice: pipelines, opportunities, their services and the funnel report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizrel import sales
from bizrel.adapters import Store, open_store
from bizrel.core import CurrencyMismatch, FixedClock, InvariantViolation, Money, NotFound, ValidationError
from bizrel.testing.strategies import opportunities, pipelines


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_store(request.param, clock=FixedClock(datetime(2026, 1, 5, 9, tzinfo=UTC)))
    with s.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="New", stages=[("Qualify", "0.1"), ("Propose", "0.5")])
        sales.open_opportunity(
            uow,
            id="o",
            pipeline_id="p",
            owner_id="ana",
            account_name="Globex",
            amount=Money("100.00", "USD"),
            expected_close=date(2026, 2, 1),
        )
        uow.commit()
    yield s
    s.close()


def _unchanged(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        opp = uow.opportunities.get("o")
        assert (opp.stage, opp.status, opp.version) == ("Qualify", sales.OpportunityStatus.OPEN, 1)
        assert uow.opportunities.count() == 1


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        (lambda uow: sales.advance_opportunity(uow, "o", "Nope"), ValidationError, "stage"),
        (lambda uow: sales.advance_opportunity(uow, "o", "Qualify"), InvariantViolation, "stage"),
        (lambda uow: sales.lose_opportunity(uow, "o", " "), ValidationError, "reason"),
        (lambda uow: sales.advance_opportunity(uow, "missing", "Propose"), NotFound, None),
        (
            lambda uow: sales.open_opportunity(
                uow,
                id="n",
                pipeline_id="p",
                owner_id="ana",
                account_name="X",
                amount=Money("-1.00", "USD"),
                expected_close=date(2026, 2, 1),
            ),
            ValidationError,
            "amount",
        ),
        (
            lambda uow: sales.open_opportunity(
                uow,
                id="n",
                pipeline_id="p",
                owner_id="ana",
                account_name="X",
                amount=Money("1.00", "USD"),
                expected_close=date(2025, 12, 1),
            ),
            ValidationError,
            "expected_close",
        ),
        (
            lambda uow: sales.open_opportunity(
                uow,
                id="n",
                pipeline_id="nope",
                owner_id="ana",
                account_name="X",
                amount=Money("1.00", "USD"),
                expected_close=date(2026, 2, 1),
            ),
            NotFound,
            None,
        ),
        (lambda uow: sales.create_pipeline(uow, name="Bad", stages=[("A", "1.5")]), ValidationError, "probability"),
        (lambda uow: sales.create_pipeline(uow, name="Bad", stages=[("A", 0.5)]), ValidationError, "probability"),
    ],
)
def test_bad_input_raises_a_specific_error_and_persists_nothing(store: Store, change, error, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as err, store.unit_of_work("t") as uow:
        change(uow)
        uow.commit()
    if field is not None:
        assert err.value.field == field
    _unchanged(store)


def test_advancing_a_closed_opportunity_is_refused(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        sales.win_opportunity(uow, "o")
        uow.commit()
    with pytest.raises(InvariantViolation), store.unit_of_work("t") as uow:
        sales.advance_opportunity(uow, "o", "Propose")


def test_funnel_counts_and_rates_by_hand() -> None:
    clock = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))
    store = open_store("memory://", clock=clock)
    with store.unit_of_work("t") as uow:
        p = sales.create_pipeline(uow, id="p", name="New", stages=[("A", "0.2"), ("B", "0.5"), ("C", "0.8")])
        for i, amount in enumerate(["100.00", "200.00", "300.00", "400.00"]):
            sales.open_opportunity(
                uow,
                id=f"o{i}",
                pipeline_id="p",
                owner_id="r",
                account_name="X",
                amount=Money(amount, "USD"),
                expected_close=date(2026, 3, 1),
            )
        sales.advance_opportunity(uow, "o1", "B")
        sales.advance_opportunity(uow, "o2", "C")  # skipping B counts as passing it
        sales.win_opportunity(uow, "o2")
        sales.lose_opportunity(uow, "o3", "price")
        uow.commit()
        report = sales.funnel(p, uow.opportunities.list())
    assert [(s.stage, s.reached) for s in report.stages] == [("A", 4), ("B", 2), ("C", 1), ("won", 1)]
    assert report.stages[1].amount == Money("500.00", "USD")
    assert report.stages[0].conversion_to_next == Decimal("0.5000")
    assert (report.won, report.lost, report.open) == (1, 1, 2)
    assert report.win_rate == Decimal("0.5000")
    assert report.win_rate_by_amount == Decimal("0.4286")  # 300 / (300 + 400)
    assert report.to_rows()[0] == {
        "stage": "A",
        "reached": 4,
        "amount": Decimal("1000.00"),
        "currency": "USD",
        "conversion_to_next": Decimal("0.5000"),
    }
    assert "win rate 50.0%" in str(report) and "<table>" in report._repr_html_()


def test_funnel_refuses_mixed_currencies() -> None:
    clock = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))
    store = open_store("memory://", clock=clock)
    with store.unit_of_work("t") as uow:
        p = sales.create_pipeline(uow, id="p", name="New", stages=[("A", "0.2")])
        for i, m in enumerate([Money(1, "USD"), Money(1, "EUR")]):
            sales.open_opportunity(
                uow,
                id=f"o{i}",
                pipeline_id="p",
                owner_id="r",
                account_name="X",
                amount=m,
                expected_close=date(2026, 3, 1),
            )
        with pytest.raises(CurrencyMismatch):
            sales.funnel(p, uow.opportunities.list())


@given(st.data())
def test_funnel_counts_never_increase_and_rates_stay_in_unit_interval(data: st.DataObject) -> None:
    pipeline = data.draw(pipelines())
    opps = data.draw(st.lists(opportunities(pipeline), max_size=30, unique_by=lambda o: o.id))
    opps = [o for o in opps if o.amount.currency == (opps[0].amount.currency if opps else None)]
    report = sales.funnel(pipeline, opps)
    reached = [s.reached for s in report.stages]
    assert reached == sorted(reached, reverse=True)
    assert reached[0] == len(opps)
    for s in report.stages:
        assert s.conversion_to_next is None or 0 <= s.conversion_to_next <= 1
    for rate in (report.win_rate, report.win_rate_by_amount):
        assert rate is None or 0 <= rate <= 1
