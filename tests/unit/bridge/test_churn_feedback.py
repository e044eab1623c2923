"""Churn reasons flow back onto the won deal, where the win-probability model can learn from them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.bridge import AFTER_WIN, CHURN_REASON, handoff_id, wire_bridge
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ValidationError
from bizrel.core.money import Money
from bizrel.sales import WinProbabilityModel, lose_opportunity, open_opportunity
from tests.unit.bridge.helpers import CONFIG, T0, TENANT, won_deal


def _churn(store: Store, opp_id: str, reason: str, days: int) -> None:
    assert isinstance(store.clock, FixedClock)
    store.clock.set(T0 + timedelta(days=days))
    with store.unit_of_work(TENANT) as uow:
        from bizrel.customer import churn_subscription

        churn_subscription(uow, f"{handoff_id(opp_id)}:subscription", reason)
        uow.commit()


def test_churn_writes_the_reason_on_the_won_deal_inside_and_outside_the_clawback_window(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1")
    won_deal(store, "o2", account="Initech", account_id="acc-2")
    won_deal(store, "o3", account="Hooli", account_id="acc-3")
    _churn(store, "o1", "price", 30)
    _churn(store, "o2", "fit", 300)  # past the clawback window: no clawback, still fed back
    with store.unit_of_work(TENANT) as uow:
        fields = {o.id: o.fields for o in uow.opportunities.list(order_by="id")}
        assert fields["o1"] == {AFTER_WIN: "churned", CHURN_REASON: "price"}
        assert fields["o2"] == {AFTER_WIN: "churned", CHURN_REASON: "fit"}
        assert fields["o3"] == {}
        assert [s.opportunity_id for s in uow.sales_signals.list(kind="clawback")] == ["o1"]


def test_the_win_model_sees_churned_after_win_as_a_factor(store: Store) -> None:
    wire_bridge(store, CONFIG)
    for i in range(4):
        won_deal(store, f"w{i}", account=f"Won {i}", account_id=f"acc-w{i}", source="event")
    with store.unit_of_work(TENANT) as uow:
        for i in range(4):
            open_opportunity(
                uow, id=f"l{i}", pipeline_id="nb", owner_id="rep-1", account_name=f"Lost {i}",
                amount=Money(5_000, "EUR"), expected_close=T0.date(), source="event",
            )  # fmt: skip
            lose_opportunity(uow, f"l{i}", "price")
        uow.commit()
    _churn(store, "w0", "price", 20)
    _churn(store, "w1", "price", 40)
    with store.unit_of_work(TENANT) as uow:
        deals = uow.opportunities.list(pipeline_id="nb")
        model = WinProbabilityModel.learn(
            uow.pipelines.get("nb"), deals, attributes=("source", AFTER_WIN, CHURN_REASON), min_samples=2
        )
        explained = model.explain(uow.opportunities.get("w0"))
    factors = {(f.name, f.value): f for f in explained.factors}
    churned = factors[(AFTER_WIN, "churned")]
    assert (churned.won, churned.lost, churned.used) == (2, 0, True)
    assert churned.contribution is not None and churned.contribution > 0
    assert factors[(CHURN_REASON, "price")].won == 2
    assert (AFTER_WIN, "churned") in {(r["factor"], r["value"]) for r in explained.to_rows()}


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(("", " ", "amount", "source")), st.text(min_size=0, max_size=3))
def test_annotating_a_core_or_blank_field_is_refused_and_changes_nothing(name: str, value: str) -> None:
    from bizrel.adapters.store import open_store

    with open_store("memory://", clock=FixedClock(T0)) as store, store.unit_of_work(TENANT) as uow:
        from bizrel.sales import create_pipeline

        create_pipeline(uow, id="nb", name="nb", stages=[("a", "0.5")])
        deal = open_opportunity(
            uow, id="o1", pipeline_id="nb", owner_id="r", account_name="A", amount=Money(1, "EUR"),
            expected_close=T0.date(),
        )  # fmt: skip
        with pytest.raises(ValidationError):
            deal.annotate(name, value)
        assert deal.fields == {}
