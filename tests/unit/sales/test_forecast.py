"""Forecast: weighted pipeline, categories and overrides, roll-up, targets, currencies, snapshots, win probability."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel import sales
from bizrel.adapters import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.ids import tenant
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.sales import Opportunity, Pipeline, RateTable, Stage, build_forecast

Q1, Q2 = Period.quarter(2026, 1), Period.quarter(2026, 2)
RATES = RateTable("USD", {"EUR": Decimal("1.10")})


def _seed(store: Store, clock: FixedClock) -> None:
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="New", stages=[("A", "0.1"), ("B", "0.5"), ("C", "0.8")])
        deals = [
            ("d1", "ana", Money(1000, "USD"), date(2026, 2, 1), "C"),  # commit, 800 weighted
            ("d2", "ana", Money(1000, "EUR"), date(2026, 3, 1), "B"),  # best case: 1100 USD, 550 weighted
            ("d3", "bo", Money(500, "USD"), date(2026, 3, 30), "A"),  # pipeline, 50 weighted
            ("d4", "bo", Money(700, "USD"), date(2026, 5, 1), "C"),  # Q2
            ("d5", "bo", Money(300, "USD"), date(2026, 2, 1), "A"),  # will be won
            ("d6", "bo", Money(900, "USD"), date(2026, 2, 1), "B"),  # will be lost
        ]
        for id, owner, amount, close, stage in deals:
            sales.open_opportunity(
                uow,
                id=id,
                pipeline_id="p",
                owner_id=owner,
                account_name="X",
                amount=amount,
                expected_close=close,
                stage=stage,
            )
        uow.commit()
    clock.advance(days=3)
    with store.unit_of_work("t") as uow:
        sales.win_opportunity(uow, "d5")
        sales.lose_opportunity(uow, "d6", "price")
        uow.commit()


def test_weighted_by_category_and_period_with_conversion(store: Store, clock: FixedClock) -> None:
    _seed(store, clock)
    with store.unit_of_work("t") as uow:
        f = build_forecast(uow.opportunities.list(), uow.pipelines.list(), rates=RATES, as_of=clock.now())
    q1 = f.for_period(Q1)
    assert (q1.commit, q1.best_case, q1.pipeline) == (Money(1000, "USD"), Money(1100, "USD"), Money(500, "USD"))
    assert q1.weighted == Money(1400, "USD")  # 800 + 550 + 50; the lost deal counts nowhere
    assert q1.won == Money(300, "USD")
    assert f.for_period(Q2).commit == Money(700, "USD")
    assert {line.opportunity_id for line in f.lines} == {"d1", "d2", "d3", "d4"}
    with pytest.raises(ValidationError, match="no rate"):
        build_forecast(uow.opportunities.list(), uow.pipelines.list(), rates=RateTable("USD"), as_of=clock.now())


def test_override_rollup_and_targets(store: Store, clock: FixedClock) -> None:
    _seed(store, clock)
    with store.unit_of_work("t") as uow:
        sales.override_forecast_category(uow, "d3", "commit")
        sales.override_forecast_category(uow, "d2", "omitted")
        uow.commit()
        f = build_forecast(uow.opportunities.list(), uow.pipelines.list(), rates=RATES, as_of=clock.now())
    hierarchy = {"ana": "mia", "bo": "mia", "mia": "vp"}
    rolled = f.rollup(hierarchy)
    assert rolled[("mia", Q1)].commit == Money(1500, "USD")  # ana's d1 + bo's overridden d3
    assert rolled[("vp", Q1)] == rolled[("mia", Q1)]
    assert rolled[("mia", Q1)].best_case == Money(0, "USD")  # d2 omitted
    assert f.rollup(lambda rep: hierarchy.get(rep)) == rolled
    [row] = f.versus_targets({("mia", Q1): Money(2000, "EUR")}, hierarchy)
    assert row.target == Money(2200, "USD")
    assert row.commit_landing == Money(1800, "USD")  # won 300 + commit 1500
    assert row.gap == Money(400, "USD") and row.coverage == Decimal("0.8182")
    with pytest.raises(InvariantViolation, match="cycle"):
        f.rollup({"ana": "bo", "bo": "ana"})


def test_snapshot_records_rates_and_measures_accuracy(store: Store, clock: FixedClock) -> None:
    _seed(store, clock)
    with store.unit_of_work("t") as uow:
        snap = sales.take_forecast_snapshot(uow, id="s1", period=Q1, rates=RATES)
        uow.commit()
    clock.advance(days=20)
    with store.unit_of_work("t") as uow:
        sales.win_opportunity(uow, "d1")
        sales.win_opportunity(uow, "d2")
        uow.commit()
    with store.unit_of_work("t") as uow:
        stored = uow.forecast_snapshots.get("s1")
        assert stored.rates == {"EUR": Decimal("1.10")} and stored.lines == snap.lines
        acc = sales.forecast_accuracy(stored, uow.opportunities.list())
    assert acc.actual == Money(2400, "USD")  # 300 + 1000 + 1100
    assert acc.forecast_commit == Money(1300, "USD")
    assert acc.commit_accuracy == Decimal("0.5417")  # 1 - 1100/2400
    assert acc.forecast_weighted == Money(1700, "USD")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 10**6), st.sampled_from(["open", "won", "lost"])),
        max_size=20,
    )
)
def test_closed_deals_are_never_open_pipeline(deals: list[tuple[str, int, str]]) -> None:
    from datetime import UTC, datetime

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    p = Pipeline(
        tenant_id=tenant("t"), id="p", name="P", stages=(Stage("A", "0.1"), Stage("B", "0.5"), Stage("C", "0.9"))
    )
    opps = []
    for i, (stage, amount, status) in enumerate(deals):
        o = Opportunity.open(
            tenant_id=tenant("t"),
            id=f"o{i}",
            pipeline=p,
            owner_id="r",
            account_name="X",
            amount=Money(amount, "USD"),
            expected_close=date(2026, 2, 1),
            at=t0,
            stage=stage,
        )
        if status == "won":
            o.win(t0 + timedelta(days=1))
        elif status == "lost":
            o.lose("price", t0 + timedelta(days=1))
        opps.append(o)
    f = build_forecast(opps, [p], rates=RateTable("USD"), as_of=t0)
    q = f.for_period(Q1)
    open_total = sum(o.amount.to_minor() for o in opps if o.is_open)
    assert q.commit.to_minor() + q.best_case.to_minor() + q.pipeline.to_minor() == open_total
    assert q.won.to_minor() == sum(o.amount.to_minor() for o in opps if o.status.value == "won")
    assert q.weighted <= q.commit + q.best_case + q.pipeline
    assert q.weighted == Money.total((line.weighted for line in f.lines), "USD")


def test_win_probability_explains_each_factor() -> None:
    from datetime import UTC, datetime

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    p = Pipeline(tenant_id=tenant("t"), id="p", name="P", stages=(Stage("A", "0.1"), Stage("B", "0.5")))
    history = []
    for i in range(200):
        source = "referral" if i % 2 else "ads"
        won = (i % 2 == 1 and i % 3 != 0) or (i % 2 == 0 and i % 5 == 0)
        o = Opportunity.open(
            tenant_id=tenant("t"),
            id=f"o{i}",
            pipeline=p,
            owner_id="r",
            account_name="X",
            amount=Money(1, "USD"),
            expected_close=date(2026, 2, 1),
            at=t0,
            source=source,
            segment="smb" if i < 20 else "mid",
        )
        if i % 4 == 0:
            o.advance(p, "B", t0)
        if won:
            o.win(t0 + timedelta(days=1))
        else:
            o.lose("price", t0 + timedelta(days=1))
        history.append(o)
    model = sales.WinProbabilityModel.learn(p, history, min_samples=50)
    probe = Opportunity.open(
        tenant_id=tenant("t"),
        id="x",
        pipeline=p,
        owner_id="r",
        account_name="X",
        amount=Money(1, "USD"),
        expected_close=date(2026, 2, 1),
        at=t0,
        source="referral",
        segment="smb",
    )
    ex = model.explain(probe)
    by_name = {f.name: f for f in ex.factors}
    assert by_name["source"].used and by_name["source"].contribution is not None and by_name["source"].contribution > 0
    assert not by_name["segment"].used and "20 < 50" in by_name["segment"].note
    assert Decimal("0.0001") <= ex.probability <= Decimal("0.9999")
    assert ex.probability > ex.prior
    assert "Win probability" in str(ex)
