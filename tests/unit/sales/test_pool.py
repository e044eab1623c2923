"""The public lead pool (公海): clock-driven returns, reminders, claim limits, cool-down, the record trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel import sales
from bizrel.adapters import Store, open_store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import PolicyViolation
from bizrel.core.money import Money
from bizrel.sales import ClaimedFromPool, PoolReturnReminder, ReturnedToPool
from bizrel.testing.fakes import EventSpy

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the clock fixture starts here


def _pool(store: Store, n_leads: int = 3, **kw: object) -> None:
    options: dict[str, object] = {"follow_up_days": 10, "max_held": 2, "daily_claim_limit": 3, "cooldown_days": 5}
    options.update(kw)
    with store.unit_of_work("t") as uow:
        sales.create_pool(uow, id="pool", name="public", **options)  # type: ignore[arg-type]
        for i in range(n_leads):
            sales.capture_lead(
                uow, id=f"l{i}", name=f"Lead {i}", source="web", pool_id="pool", level="A" if i else None
            )
        uow.commit()


def test_claim_limits_cooldown_and_the_reason_that_travels(store: Store, clock: FixedClock) -> None:
    spy = EventSpy(store.bus)
    _pool(store, 4, days_by_level={"A": 20})
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        sales.claim_from_pool(uow, "lead", "l1", owner_id="ana")
        with pytest.raises(PolicyViolation, match="at most 2") as err:
            sales.claim_from_pool(uow, "lead", "l2", owner_id="ana")
        assert err.value.policy == "pool.max_held"
        with pytest.raises(PolicyViolation, match="already held"):
            sales.claim_from_pool(uow, "lead", "l0", owner_id="bo")
        uow.commit()
    clock.advance(days=10)  # l0 (no level: 10 days) returns, l1 (level A: 20 days) stays
    with store.unit_of_work("t") as uow:
        result = sales.sweep_pool(uow)
        uow.commit()
    assert [(k.value, i) for k, i, _ in result.returned] == [("lead", "l0")]
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation, match="previous owner") as err:
            sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        assert err.value.policy == "pool.cooldown"
        lead = sales.claim_from_pool(uow, "lead", "l0", owner_id="bo")
        assert lead.holding.return_reason == "no follow-up for 10 days"
        uow.commit()
    with store.unit_of_work("t") as uow:
        lead = uow.leads.get("l0")
        assert [(c.action, c.owner_id, c.previous_owner_id) for c in lead.holding.log] == [
            ("claimed", "ana", None),
            ("returned", None, "ana"),
            ("claimed", "bo", None),
        ]
        assert uow.pool_moves.count(record_id="l0") == 3
    claimed = spy.of_type(ClaimedFromPool)
    assert [e.record_id for e in claimed] == ["l0", "l1", "l0"]  # type: ignore[attr-defined]
    assert claimed[-1].last_return_reason == "no follow-up for 10 days"  # type: ignore[attr-defined]
    assert len(spy.of_type(ReturnedToPool)) == 1


def test_daily_claim_limit_resets_the_next_day(store: Store, clock: FixedClock) -> None:
    _pool(store, 4, max_held=10, daily_claim_limit=2)
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        sales.claim_from_pool(uow, "lead", "l1", owner_id="ana")
        with pytest.raises(PolicyViolation, match="limit is 2"):
            sales.claim_from_pool(uow, "lead", "l2", owner_id="ana")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert uow.leads.get("l2").holding.owner_id is None  # nothing persisted by the refusal
    clock.advance(days=1)
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l2", owner_id="ana")
        uow.commit()


def test_reminder_then_follow_up_resets_the_clock(store: Store, clock: FixedClock) -> None:
    spy = EventSpy(store.bus)
    _pool(store, 1, remind_days_before=3)
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        uow.commit()
    clock.advance(days=7)
    with store.unit_of_work("t") as uow:
        assert len(sales.sweep_pool(uow).reminded) == 1
        assert sales.sweep_pool(uow).reminded == ()  # reminded once
        sales.log_activity(uow, kind="call", subject="check in", owner_id="ana", lead_id="l0")
        uow.commit()
    clock.advance(days=9)
    with store.unit_of_work("t") as uow:
        assert sales.sweep_pool(uow).returned == ()
        uow.commit()
    clock.advance(days=1)
    with store.unit_of_work("t") as uow:
        assert len(sales.sweep_pool(uow).returned) == 1
        uow.commit()
    assert [e.returns_at for e in spy.of_type(PoolReturnReminder)] == [  # type: ignore[attr-defined]
        START + timedelta(days=10),
        START + timedelta(days=17),  # reminded again before the new deadline
    ]


def test_follow_up_kinds_are_configurable(store: Store, clock: FixedClock) -> None:
    _pool(store, 1, follow_up_kinds=["won_deal"])
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        clock.advance(days=5)
        sales.log_activity(uow, kind="call", subject="does not count here", owner_id="ana", lead_id="l0")
        uow.commit()
    clock.advance(days=5)
    with store.unit_of_work("t") as uow:
        assert len(sales.sweep_pool(uow).returned) == 1


def test_accounts_return_without_open_opportunity_or_after_contract_end(store: Store, clock: FixedClock) -> None:
    _pool(store, 2, follow_up_days=365, no_open_opportunity_days=30, contract_end_days=15, max_held=5)
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="New", stages=[("A", "0.2"), ("B", "0.6")])
        for lead_id in ("l0", "l1"):
            sales.claim_from_pool(uow, "lead", lead_id, owner_id="ana")
        uow.commit()
    with store.unit_of_work("t") as uow:
        lead0 = uow.leads.get("l0")
        lead0.company = "Zeta"
        c0 = sales.convert_lead(uow, "l0", pipeline_id="p", amount=Money(10, "USD"), expected_close=date(2026, 6, 1))
        c1 = sales.convert_lead(uow, "l1", pipeline_id="p", amount=Money(10, "USD"), expected_close=date(2026, 6, 1))
        sales.lose_opportunity(uow, c1.opportunity.id, "timing")
        sales.set_contract_end(uow, c0.account.id, date(2026, 2, 1))
        uow.commit()
    clock.set(START + timedelta(days=30))
    with store.unit_of_work("t") as uow:
        returned = sales.sweep_pool(uow).returned
        assert [(i, r) for _, i, r in returned] == [(c1.account.id, "no open opportunity for 30 days")]
        uow.commit()
    clock.set(START + timedelta(days=42))  # 2026-02-16 = contract end + 15 days
    with store.unit_of_work("t") as uow:
        returned = sales.sweep_pool(uow).returned
        assert [(i, r) for _, i, r in returned] == [(c0.account.id, "contract ended 2026-02-01 + 15 days")]
        uow.commit()


def test_release_keeps_the_reason(store: Store) -> None:
    _pool(store, 1)
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        sales.release_to_pool(uow, "lead", "l0", reason="wrong region")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert uow.leads.get("l0").holding.return_reason == "wrong region"


@settings(max_examples=60, deadline=None)
@given(
    days=st.integers(1, 60),
    follow_ups=st.lists(st.integers(1, 60 * 24), max_size=4),
    probe=st.integers(-3, 3),
)
def test_returns_happen_exactly_when_the_threshold_is_crossed(days: int, follow_ups: list[int], probe: int) -> None:
    """Clock-driven: a sweep one microsecond before the deadline keeps the lead; at the deadline it returns."""
    clock = FixedClock(START)
    store = open_store("memory://", clock=clock)
    _pool(store, 1, follow_up_days=days, max_held=5)
    with store.unit_of_work("t") as uow:
        sales.claim_from_pool(uow, "lead", "l0", owner_id="ana")
        uow.commit()
    last = START
    for minutes in sorted(follow_ups):
        at = START + timedelta(minutes=minutes)
        if at >= last + timedelta(days=days):
            break  # the lead would already be gone by then
        clock.set(at)
        with store.unit_of_work("t") as uow:
            sales.log_activity(uow, kind="email", subject="f", owner_id="ana", lead_id="l0")
            uow.commit()
        last = at
    deadline = last + timedelta(days=days)
    clock.set(deadline + timedelta(microseconds=probe))
    with store.unit_of_work("t") as uow:
        returned = sales.sweep_pool(uow).returned
    assert bool(returned) == (probe >= 0)
