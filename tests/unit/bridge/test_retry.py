"""Deferred bridge touches are asked for again once their deferral ends, never before."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.bridge import handoff_id, open_due_renewals, retry_deferred_outreach, wire_bridge
from bizrel.core.clock import FixedClock
from bizrel.customer import Channel, CustomerKind, create_customer, set_consent
from tests.unit.bridge.helpers import CONFIG, T0, TENANT, make_store, won_deal

CONFIG_30 = attrs.evolve(CONFIG, term_days=30)  # renewal due 60 days before the end: it opens at the handoff


def _customer(store: Store) -> None:
    with store.unit_of_work(TENANT) as uow:
        create_customer(
            uow, id="c1", name="Globex Ltd", kind=CustomerKind.ORGANISATION, owner_id="cs-ana", timezone="UTC",
            external_id="acc-1",
        )  # fmt: skip
        set_consent(uow, "c1", Channel.CALL, "renewal", granted=True)
        uow.commit()


def _clock(store: Store) -> FixedClock:
    assert isinstance(store.clock, FixedClock)
    return store.clock


def _retry(store: Store) -> int:
    with store.unit_of_work(TENANT) as uow:
        asked = retry_deferred_outreach(uow)
        uow.commit()
    return asked


def test_a_renewal_call_deferred_by_quiet_hours_goes_out_when_they_end(store: Store) -> None:
    _customer(store)
    wire_bridge(store, CONFIG_30)
    clock = _clock(store)
    clock.set(T0.replace(hour=21))  # quiet hours 20:00-08:00 UTC
    won_deal(store, "o1", account_id="acc-1")
    with store.unit_of_work(TENANT) as uow:
        (first,) = uow.handoffs.get(handoff_id("o1")).outreach
    assert first.outcome == "deferred" and first.until == T0.replace(hour=8) + timedelta(days=1)
    clock.set(T0.replace(hour=7) + timedelta(days=1))
    assert _retry(store) == 0  # not before the deferral ends
    clock.set(T0.replace(hour=8) + timedelta(days=1))
    assert _retry(store) == 1
    assert _retry(store) == 0  # asked once
    with store.unit_of_work(TENANT) as uow:
        old, new = uow.handoffs.get(handoff_id("o1")).outreach
        assert old.retried and not new.retried
        assert (new.outcome, new.at, new.source) == ("allowed", clock.now(), "cs:bridge:renewal")
        assert uow.handoffs.count(retry_due=None) == 1
        assert [a.outcome for a in uow.contact_logs.get("c1").attempts] == ["deferred", "allowed"]


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(0, 60 * 24 * 4), min_size=1, max_size=5), st.integers(60, 60 * 12))
def test_every_deferred_touch_is_retried_after_its_deferral_and_never_before(minutes: list[int], step: int) -> None:
    store = make_store("memory://")
    _customer(store)
    wire_bridge(store, CONFIG_30)
    clock = _clock(store)
    for i, m in enumerate(sorted(minutes)):
        clock.set(T0 + timedelta(minutes=m))
        won_deal(store, f"o{i}", account_id="acc-1")
        with store.unit_of_work(TENANT) as uow:
            open_due_renewals(uow, CONFIG_30)
            uow.commit()
    end = T0 + timedelta(days=30)  # five calls under two a week fit in three weeks
    while clock.now() < end:
        clock.advance(timedelta(minutes=step))
        _retry(store)
    with store.unit_of_work(TENANT) as uow:
        for h in uow.handoffs.list():
            for record in h.outreach:
                assert record.outcome != "refused"
                if record.outcome == "deferred":
                    assert record.retried and record.until is not None
                    later = [o for o in h.outreach if o.at > record.at]
                    assert later and min(o.at for o in later) >= record.until
            assert h.outreach[-1].outcome == "allowed"
        sent = sorted(o.at for h in uow.handoffs.list() for o in h.outreach if o.outcome == "allowed")
    assert all(8 <= at.hour < 20 for at in sent)
    days = [at.date() for at in sent]
    assert all(days.count(d) <= 1 for d in days)  # one call a day
    assert all(sum(1 for o in days if d <= o < d + timedelta(days=7)) <= 2 for d in days)  # two a week
    store.close()
