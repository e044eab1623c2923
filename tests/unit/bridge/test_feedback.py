"""Signals back to sales, and outreach that always goes through the customer's contact policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.bridge import SignalKind, hand_over, handoff_id, open_due_renewals, wire_bridge
from bizrel.core.clock import FixedClock
from bizrel.core.money import Money
from bizrel.customer import (
    Channel,
    ContactPolicy,
    CustomerKind,
    FrequencyCap,
    HealthBand,
    HealthScore,
    QuietHours,
    ReferralStatus,
    change_stage,
    churn_subscription,
    create_customer,
    renew_subscription,
    set_attribute,
    set_consent,
    set_contact_policy,
    submit_referral,
)
from bizrel.customer.loyalty import create_program, enroll
from bizrel.sales import ClawbackRequested
from tests.unit.bridge.helpers import CONFIG, T0, TENANT, make_store, won_deal


def _clock(store: Store) -> FixedClock:
    assert isinstance(store.clock, FixedClock)
    return store.clock


def _health(store: Store, customer_id: str, band: HealthBand, total: int) -> None:
    with store.unit_of_work(TENANT) as uow:
        uow.customers.get(customer_id).record_health(HealthScore(total=Decimal(total), band=band, components=()), T0)
        uow.commit()


def test_a_dropping_health_band_alerts_the_sales_owner(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1")
    cid = f"{handoff_id('o1')}:customer"
    _health(store, cid, HealthBand.HEALTHY, 90)
    _health(store, cid, HealthBand.AT_RISK, 30)
    _health(store, cid, HealthBand.WATCH, 60)  # a rise raises nothing
    with store.unit_of_work(TENANT) as uow:
        signals = uow.sales_signals.list(kind=SignalKind.RISK)
        assert [(s.sales_owner_id, s.detail) for s in signals] == [("rep-1", "health healthy -> at_risk")]


def test_a_promoter_with_rising_spend_raises_an_upsell_through_the_policy(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1", amount=10_000)
    cid = f"{handoff_id('o1')}:customer"
    with store.unit_of_work(TENANT) as uow:
        set_attribute(uow, cid, "nps", 10)
        renew_subscription(uow, f"{handoff_id('o1')}:subscription", end=date(2028, 1, 5), amount=Money(15_000, "EUR"))
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        (signal,) = uow.sales_signals.list(kind=SignalKind.UPSELL)
        upsell = uow.opportunities.get(signal.opportunity_id or "")
        assert upsell.pipeline_id == "upsell" and upsell.amount == Money(5_000, "EUR") and upsell.owner_id == "rep-1"
        assert [o.outcome for o in signal.outreach] == ["refused"]  # no consent for email/upsell


def test_a_referral_becomes_a_lead_and_the_won_deal_rewards_the_referrer(store: Store) -> None:
    config = attrs.evolve(CONFIG, loyalty_program_id="club")
    with store.unit_of_work(TENANT) as uow:
        create_program(uow, id="club", name="Club", currency="EUR", signup_bonus=100, referral_bonus=500)
        uow.commit()
    wire_bridge(store, config)
    won_deal(store, "o1", account_id="acc-1")
    cid = f"{handoff_id('o1')}:customer"
    with store.unit_of_work(TENANT) as uow:
        referral = submit_referral(uow, referrer_id=cid, referred_name="Hooli", referred_email="x@hooli.com")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        (signal,) = uow.sales_signals.list(kind=SignalKind.REFERRAL)
        lead = uow.leads.get(signal.lead_id or "")
        assert lead.source == "referral" and lead.campaign == f"referrer:{cid}"
    won_deal(store, "o2", account="Hooli", lead_id=lead.id)
    with store.unit_of_work(TENANT) as uow:
        assert uow.referrals.get(referral.id).status is ReferralStatus.CONVERTED
        h2 = uow.handoffs.get(handoff_id("o2"))
        assert h2.notes[-1].endswith("reward 500 points") and h2.loyalty_account_id is not None
        assert uow.loyalty_accounts.count() == 2  # both customers enrolled, the referrer once
        assert hand_over(uow, "o2", config) is h2 and len(h2.notes) == 1  # handed over again: nothing twice


def test_churn_within_the_window_raises_a_clawback_and_later_churn_does_not(store: Store) -> None:
    wire_bridge(store, CONFIG)
    requested: list[ClawbackRequested] = []
    store.bus.subscribe(ClawbackRequested, requested.append)
    won_deal(store, "o1", account_id="acc-1")
    won_deal(store, "o2", account="Initech", account_id="acc-2")
    clock = _clock(store)
    clock.set(T0 + timedelta(days=30))
    with store.unit_of_work(TENANT) as uow:
        churn_subscription(uow, f"{handoff_id('o1')}:subscription", "price")
        uow.commit()
    clock.set(T0 + timedelta(days=200))
    with store.unit_of_work(TENANT) as uow:
        churn_subscription(uow, f"{handoff_id('o2')}:subscription", "price")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        (signal,) = uow.sales_signals.list(kind=SignalKind.CLAWBACK)
        assert signal.opportunity_id == "o1" and signal.sales_owner_id == "rep-1"
    assert [(r.deal_id, r.reason.value, r.won_at) for r in requested] == [("o1", "churn", T0)]


POLICY = ContactPolicy(
    caps=(FrequencyCap(max_touches=1, days=7),), quiet_hours=QuietHours(start=time(18, 0), end=time(9, 0))
)


@settings(max_examples=25, deadline=None)
@example([0, 5, 60 * 24 * 3, 60 * 24 * 8])
@given(st.lists(st.integers(0, 60 * 24 * 20), min_size=1, max_size=8))
def test_bridge_outreach_never_exceeds_caps_nor_lands_in_quiet_hours(minutes: list[int]) -> None:
    config = attrs.evolve(CONFIG, term_days=30)
    store = make_store("memory://")
    with store.unit_of_work(TENANT) as uow:
        set_contact_policy(uow, POLICY)
        create_customer(
            uow, id="c1", name="Globex Ltd", kind=CustomerKind.ORGANISATION, owner_id="cs-ana",
            timezone="Asia/Shanghai", external_id="acc-1",
        )  # fmt: skip
        for channel, purpose in ((Channel.CALL, "renewal"), (Channel.EMAIL, "upsell")):
            set_consent(uow, "c1", channel, purpose, granted=True)
        uow.commit()
    wire_bridge(store, config)
    clock = _clock(store)
    for i, m in enumerate(sorted(minutes)):
        clock.set(T0 + timedelta(minutes=m))
        won_deal(store, f"o{i}", account_id="acc-1")  # term 30 days, renewal 60 days ahead: opens at once
        with store.unit_of_work(TENANT) as uow:
            open_due_renewals(uow, config)
            uow.commit()
    with store.unit_of_work(TENANT) as uow:
        outreach = [o for h in uow.handoffs.list() for o in h.outreach]
        assert len(outreach) == len(minutes)
        assert all(o.outcome in ("allowed", "deferred") for o in outreach)  # consent given: never refused
        if minutes[0] < 60:  # the first deal closes at 17:xx in Shanghai: its renewal call goes out
            assert any(o.outcome == "allowed" for o in outreach)
        sent = sorted(o.at for o in outreach if o.outcome == "allowed")
    tz = ZoneInfo("Asia/Shanghai")
    for at in sent:
        assert not POLICY.quiet_hours.contains(at.astimezone(tz).time())  # type: ignore[union-attr]
    days = [at.astimezone(tz).date() for at in sent]
    for d in days:
        assert sum(1 for other in days if d <= other < d + timedelta(days=7)) <= 1
    store.close()


@pytest.mark.rule(
    "A customer whose lifecycle stage is `churned` gets no renewal opportunity; the handoff stays due, "
    "and once the customer is reactivated (moved on to `won_back`, say) the next run opens it."
)
def test_no_renewal_for_a_churned_customer_and_one_again_once_reactivated(store: Store) -> None:
    won_deal(store, "o1", account_id="acc-1")
    with store.unit_of_work(TENANT) as uow:
        handoff = hand_over(uow, "o1", CONFIG)
        uow.commit()
    assert handoff.renewal_opportunity_id is None  # the contract runs a year; the renewal is due in ten months
    with store.unit_of_work(TENANT) as uow:
        change_stage(uow, handoff.customer_id, "churned", reason="went quiet")
        uow.commit()
    _clock(store).set(datetime.combine(handoff.renewal_due_on, time(10, 0), tzinfo=UTC))
    with store.unit_of_work(TENANT) as uow:
        assert open_due_renewals(uow, CONFIG) == []
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        assert uow.opportunities.count(pipeline_id="renewals") == 0
        assert uow.handoffs.get(handoff.id).renewal_opportunity_id is None
        change_stage(uow, handoff.customer_id, "won_back", reason="signed again")
        uow.commit()
    _clock(store).advance(days=1)
    with store.unit_of_work(TENANT) as uow:
        assert open_due_renewals(uow, CONFIG) == [f"{handoff.id}:renewal"]
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        assert uow.handoffs.get(handoff.id).renewal_opportunity_id == f"{handoff.id}:renewal"
        assert open_due_renewals(uow, CONFIG) == []  # once


@pytest.mark.rule(
    "The referrer of a won referred deal gets the referral bonus of every loyalty program they belong to "
    "(the bridge's own program included), once per referral, however often the deal is handed over."
)
def test_the_referrer_gets_the_bonus_of_the_program_they_belong_to_once(store: Store) -> None:
    """Issue 19 item 7: without the bridge's loyalty_program_id, a referrer who is a member of a program
    got no referral bonus ("reward no loyalty program configured")."""
    wire_bridge(store, CONFIG)  # no loyalty_program_id
    won_deal(store, "o1", account_id="acc-1")
    cid = f"{handoff_id('o1')}:customer"
    with store.unit_of_work(TENANT) as uow:
        create_program(uow, id="club", name="Club", currency="EUR", referral_bonus=500)
        create_program(uow, id="plain", name="Plain", currency="EUR")  # defines no referral bonus
        enroll(uow, "club", cid)
        enroll(uow, "plain", cid)
        referral = submit_referral(uow, referrer_id=cid, referred_name="Hooli", referred_email="x@hooli.com")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        (signal,) = uow.sales_signals.list(kind=SignalKind.REFERRAL)
    won_deal(store, "o2", account="Hooli", lead_id=signal.lead_id)
    with store.unit_of_work(TENANT) as uow:
        assert uow.referrals.get(referral.id).status is ReferralStatus.CONVERTED
        assert uow.loyalty_accounts.get(f"club:{cid}").balance == 500
        assert uow.loyalty_accounts.get(f"plain:{cid}").balance == 0
        assert uow.handoffs.get(handoff_id("o2")).notes[-1].endswith("reward 500 points in club")
        hand_over(uow, "o2", CONFIG)  # again: nothing twice
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        assert uow.loyalty_accounts.get(f"club:{cid}").balance == 500
