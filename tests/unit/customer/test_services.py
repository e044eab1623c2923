"""Customer use cases through a real store (memory and SQLite): follow-ups, health events, care runs
under the contact policy, renewals and referrals, and bad input that leaves no trace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bizrel import customer as cm
from bizrel.adapters import Store, StoreUnitOfWork, open_store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import BizrelError, InvariantViolation, NotFound, ValidationError
from bizrel.core.money import Money
from bizrel.testing.fakes import EventSpy

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T = "acme-success"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Store]:
    store = open_store(request.param, clock=clock)
    yield store
    store.close()


def seed(store: Store, n: int = 3, tz: str = "Europe/Berlin") -> None:
    with store.unit_of_work(T) as uow:
        for i in range(n):
            cm.create_customer(
                uow, id=f"c{i}", name=f"Customer {i}", kind="organisation", owner_id=f"csm{i % 2}", timezone=tz
            )
            for channel in ("email", "call", "meeting"):
                cm.set_consent(uow, f"c{i}", channel, "care", granted=True)
        uow.commit()


def snapshot(store: Store) -> dict[str, Any]:
    """Everything customer management stores for the tenant, for before/after comparisons."""
    with store.unit_of_work(T) as uow:
        return {
            name: [(a.id, a.version) for a in getattr(uow, name).list(order_by="id")]
            for name in (
                "customers",
                "customer_settings",
                "interactions",
                "care_plans",
                "contact_logs",
                "subscriptions",
                "referrals",
            )
        }


def test_store_unit_of_work_satisfies_the_customer_protocol(store: Store) -> None:
    uow: cm.CustomerUnitOfWork = store.unit_of_work(T)
    assert isinstance(uow, StoreUnitOfWork)


def test_overdue_follow_ups(store: Store, clock: FixedClock) -> None:
    seed(store)
    with store.unit_of_work(T) as uow:
        for i, (cid, days) in enumerate([("c0", 1), ("c1", 3), ("c2", 10), ("c0", 2)]):
            cm.log_interaction(
                uow,
                id=f"i{i}",
                customer_id=cid,
                channel="call",
                direction="inbound",
                outcome="follow_up_needed",
                summary="call back",
                next_follow_up=clock.now() + timedelta(days=days),
            )
        uow.commit()
    clock.advance(days=4)
    with store.unit_of_work(T) as uow:
        assert [i.id for i in cm.overdue_follow_ups(uow)] == ["i0", "i3", "i1"]
        assert [i.id for i in cm.overdue_follow_ups(uow, owner_id="csm1")] == ["i1"]
        cm.complete_follow_up(uow, "i3")
        cm.reschedule_follow_up(uow, "i1", clock.now() + timedelta(days=1))
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert [i.id for i in cm.overdue_follow_ups(uow)] == ["i0"]
        assert [i.id for i in cm.overdue_follow_ups(uow, clock.now() + timedelta(days=30))] == ["i0", "i1", "i2"]
        with pytest.raises(InvariantViolation):
            cm.complete_follow_up(uow, "i3")


def test_health_band_changes_are_published(store: Store, clock: FixedClock) -> None:
    seed(store, 1)
    spy = EventSpy(store.bus, cm.HealthBandChanged)
    with store.unit_of_work(T) as uow:
        cm.log_interaction(
            uow, customer_id="c0", channel="visit", direction="inbound", outcome="completed", summary="QBR"
        )
        score = cm.record_health(uow, "c0", cm.health_signals(uow, "c0", latest_nps=9, usage_trend="0.1"))
        assert score.band is cm.HealthBand.HEALTHY
        uow.commit()
    clock.advance(days=80)
    with store.unit_of_work(T) as uow:
        signals = cm.health_signals(uow, "c0", latest_nps=3, open_issues=3, late_payments=1)
        assert signals.days_since_last_interaction == 80
        cm.record_health(uow, "c0", signals)
        uow.commit()
    assert [(e.from_band, e.to_band) for e in spy.events] == [  # type: ignore[attr-defined]
        (None, cm.HealthBand.HEALTHY),
        (cm.HealthBand.HEALTHY, cm.HealthBand.AT_RISK),
    ]


def test_care_plan_runs_through_the_contact_policy(store: Store, clock: FixedClock) -> None:
    seed(store, 1)
    policy = cm.ContactPolicy(
        caps=(cm.FrequencyCap(max_touches=1, days=7),), quiet_hours=cm.QuietHours(start=time(20), end=time(8))
    )
    with store.unit_of_work(T) as uow:
        cm.set_contact_policy(uow, policy)
        rules = [
            cm.CareRule(occasion="birthday", anchor=date(1980, 3, 10), local_time=time(21, 0)),  # in quiet hours
            cm.CareRule(occasion="after_onboarding", anchor=date(2026, 3, 1), days_after=10, local_time=time(9)),
        ]
        cm.create_care_plan(uow, "c0", rules, id="p1")
        uow.commit()
    clock.set(datetime(2026, 3, 11, 12, tzinfo=UTC))
    with store.unit_of_work(T) as uow:
        results = cm.run_care_plan(uow, "p1")
        uow.commit()
    outcomes = [(p.occasion.value, d.outcome) for p, d in results]
    assert outcomes == [("birthday", "allowed"), ("after_onboarding", "deferred")]
    deferred = results[1][1]
    assert isinstance(deferred, cm.Deferred)
    clock.set(deferred.until - timedelta(seconds=1))
    with store.unit_of_work(T) as uow:
        assert cm.run_due_care(uow) == []  # the care job finds nothing due yet
    clock.set(deferred.until)
    with store.unit_of_work(T) as uow:
        assert [(c, p.occasion.value, d.outcome) for c, p, d in cm.run_due_care(uow)] == [
            ("c0", "after_onboarding", "allowed")
        ]
        assert uow.care_plans.get("p1").pending == []
        uow.commit()
    with store.unit_of_work(T) as uow:
        log = uow.contact_logs.get("c0")
        assert [a.outcome for a in log.attempts] == ["allowed", "deferred", "allowed"]


def test_detractor_answer_starts_the_cool_down(store: Store, clock: FixedClock) -> None:
    seed(store, 1)
    touch = cm.Touch(channel="email", purpose="care", source="care:check-in")
    with store.unit_of_work(T) as uow:
        cm.note_nps_response(uow, "c0", 4)
        decision = cm.request_touch(uow, "c0", touch)
        uow.commit()
    assert isinstance(decision, cm.Deferred)
    assert "detractor" in decision.reason
    with store.unit_of_work(T) as uow:
        cm.note_nps_response(uow, "c0", 10)  # a promoter does not lift an earlier cool-down
        assert isinstance(cm.request_touch(uow, "c0", touch), cm.Deferred)


def test_plan_standard_care_uses_what_is_known(store: Store, clock: FixedClock) -> None:
    with store.unit_of_work(T) as uow:
        cm.create_customer(
            uow,
            id="p",
            name="Pat",
            kind="person",
            owner_id="csm",
            timezone="America/New_York",
            birthday=date(1990, 7, 4),
        )
        cm.change_stage(uow, "p", "onboarding")
        cm.start_subscription(
            uow,
            id="s1",
            customer_id="p",
            plan="Basic",
            amount=Money("10", "USD"),
            start=date(2026, 3, 1),
            end=date(2027, 2, 28),
        )
        plan = cm.plan_standard_care(uow, "p", onboarding_check_in_days=(7, 30))
        uow.commit()
    occasions = sorted(r.occasion.value for r in plan.rules)
    assert occasions == [
        "after_onboarding",
        "after_onboarding",
        "birthday",
        "contract_anniversary",
        "quarterly_business_review",
    ]
    touches = plan.schedule("America/New_York", START, START + timedelta(days=366))
    assert touches
    assert all(t.at.astimezone(ZoneInfo("America/New_York")).time() == time(10) for t in touches)


@pytest.mark.rule("Replacing it is refused while customers still sit in a stage the new table drops.")
def test_custom_lifecycle_and_its_guard(store: Store) -> None:
    seed(store, 2)
    simple = cm.Lifecycle.from_table({"prospect": ["customer"], "customer": ["lost"], "lost": []}, initial="prospect")
    with store.unit_of_work(T) as uow:
        cm.configure_lifecycle(uow, simple)
        cm.change_stage(uow, "c0", "customer")
        with pytest.raises(InvariantViolation) as refused:
            cm.change_stage(uow, "c1", "onboarding")
        assert refused.value.value == "onboarding"
        uow.commit()
    drop_customer = cm.Lifecycle.from_table({"prospect": ["won"], "won": []}, initial="prospect")
    with store.unit_of_work(T) as uow:
        with pytest.raises(InvariantViolation) as stranded:
            cm.configure_lifecycle(uow, drop_customer)
        assert "1 customer(s)" in stranded.value.reason


def test_attributes_consents_owner_and_matching(store: Store) -> None:
    seed(store, 1)
    with store.unit_of_work(T) as uow:
        cm.create_customer(
            uow,
            id="m",
            name="Match Co",
            kind="organisation",
            owner_id="csm",
            timezone="UTC",
            external_id="crm-7",
            domain="match.example",
        )
        cm.set_attribute(uow, "c0", "seats", 40)
        cm.tag_customer(uow, "c0", "vip", "emea")
        cm.assign_owner(uow, "c0", "csm9")
        cm.add_contact(uow, "c0", cm.Contact(name="Ann", email="ann@c0.example"))
        uow.commit()
    with store.unit_of_work(T) as uow:
        customer = uow.customers.get("c0")
        assert (customer.attributes, customer.tags, customer.owner_id) == ({"seats": 40}, ["emea", "vip"], "csm9")
        assert cm.customer_settings(uow).attribute_types == {"seats": cm.AttributeType.INT}
        assert cm.match_customer(uow, external_id="crm-7").id == "m"  # type: ignore[union-attr]
        assert cm.match_customer(uow, domain="WWW.match.example").id == "m"  # type: ignore[union-attr]
        assert cm.match_customer(uow, external_id="nope", domain="nope.example") is None
        with pytest.raises(InvariantViolation):
            cm.create_customer(
                uow, id="dup", name="Dup", kind="person", owner_id="csm", timezone="UTC", external_id="crm-7"
            )


def test_renewals_and_referrals(store: Store, clock: FixedClock) -> None:
    seed(store, 2)
    with store.unit_of_work(T) as uow:
        for i, end in enumerate((date(2026, 4, 30), date(2026, 12, 31))):
            cm.start_subscription(
                uow,
                id=f"s{i}",
                customer_id=f"c{i}",
                plan="Pro",
                amount=Money("1000", "EUR"),
                start=date(2025, 5, 1),
                end=end,
            )
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert [s.id for s in cm.renewals_due(uow, 60)] == ["s0"]
        cm.mark_renewal_pending(uow, "s0")
        nxt = cm.renew_subscription(uow, "s0", end=date(2027, 4, 30), amount=Money("1100", "EUR"), next_id="s0b")
        cm.churn_subscription(uow, "s1", "budget cut")
        ref = cm.submit_referral(uow, referrer_id="c0", referred_name="Friend Ltd", referred_email="hi@friend.example")
        cm.update_referral(uow, ref.id, "qualified")
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert uow.subscriptions.get("s0").status is cm.RenewalStatus.RENEWED
        assert nxt.start == date(2026, 5, 1)
        assert uow.subscriptions.get("s0b").amount == Money("1100", "EUR")
        assert uow.subscriptions.get("s1").churn_reason == "budget cut"
        assert [r.status for r in uow.referrals.list(referrer_id="c0")] == [cm.ReferralStatus.QUALIFIED]
        with pytest.raises(NotFound):
            cm.submit_referral(uow, referrer_id="ghost", referred_name="X")


BAD_INPUT: list[tuple[str, Callable[[cm.CustomerUnitOfWork], object], type[BizrelError]]] = [
    (
        "naive occurred_at",
        lambda uow: cm.log_interaction(
            uow,
            customer_id="c0",
            channel="call",
            direction="outbound",
            outcome="completed",
            summary="x",
            occurred_at=datetime(2026, 3, 1, 9),
        ),
        ValidationError,
    ),
    (
        "future occurred_at",
        lambda uow: cm.log_interaction(
            uow,
            customer_id="c0",
            channel="call",
            direction="outbound",
            outcome="completed",
            summary="x",
            occurred_at=START + timedelta(days=1),
        ),
        ValidationError,
    ),
    (
        "naive follow-up",
        lambda uow: cm.log_interaction(
            uow,
            customer_id="c0",
            channel="call",
            direction="outbound",
            outcome="completed",
            summary="x",
            next_follow_up=datetime(2026, 3, 9),
        ),
        ValidationError,
    ),
    (
        "unknown channel",
        lambda uow: cm.log_interaction(
            uow, customer_id="c0", channel="fax", direction="outbound", outcome="completed", summary="x"
        ),
        ValidationError,
    ),
    ("unknown transition", lambda uow: cm.change_stage(uow, "c0", "expanding"), InvariantViolation),
    ("unknown stage", lambda uow: cm.change_stage(uow, "c0", "vip"), InvariantViolation),
    (
        "unknown time zone",
        lambda uow: cm.create_customer(uow, name="Z", kind="person", owner_id="csm", timezone="Mars/Olympus"),
        ValidationError,
    ),
    ("wrong attribute type", lambda uow: cm.set_attribute(uow, "c0", "seats", "forty"), ValidationError),
    ("float attribute", lambda uow: cm.set_attribute(uow, "c0", "ratio", 0.5), ValidationError),  # type: ignore[arg-type]
    ("bad consent channel", lambda uow: cm.set_consent(uow, "c0", "pigeon", "care", granted=True), ValidationError),
    ("NPS out of range", lambda uow: cm.note_nps_response(uow, "c0", 11), ValidationError),
    ("empty care plan", lambda uow: cm.create_care_plan(uow, "c0", []), ValidationError),
    (
        "negative amount",
        lambda uow: cm.start_subscription(
            uow, customer_id="c0", plan="Pro", amount=Money("-1", "EUR"), start=date(2026, 1, 1), end=date(2026, 2, 1)
        ),
        ValidationError,
    ),
    (
        "end before start",
        lambda uow: cm.start_subscription(
            uow, customer_id="c0", plan="Pro", amount=Money("1", "EUR"), start=date(2026, 2, 1), end=date(2026, 1, 1)
        ),
        ValidationError,
    ),
    (
        "bad referral email",
        lambda uow: cm.submit_referral(uow, referrer_id="c0", referred_name="X", referred_email="nope"),
        ValidationError,
    ),
    (
        "unknown customer",
        lambda uow: cm.request_touch(uow, "ghost", cm.Touch(channel="email", purpose="care", source="x")),
        NotFound,
    ),
]


@pytest.mark.rule(
    "An interaction dated after the clock's now, or given a naive datetime, is refused before anything is staged."
)
@pytest.mark.parametrize(("case", "call", "error"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_and_nothing_is_persisted(
    store: Store, case: str, call: Callable[[cm.CustomerUnitOfWork], object], error: type[BizrelError]
) -> None:
    seed(store, 1)
    with store.unit_of_work(T) as uow:
        cm.set_attribute(uow, "c0", "seats", 40)
        uow.commit()
    before = snapshot(store)
    spy = EventSpy(store.bus)
    with store.unit_of_work(T) as uow:
        with pytest.raises(error):
            call(uow)
        uow.commit()  # even a caller that commits anyway finds nothing staged
    assert snapshot(store) == before
    assert spy.events == []


def test_customers_feed_segment_rules_and_rows(store: Store) -> None:
    """Customers carry the fields the analytics' segment rules read: stage, health band, tags, attributes."""
    seed(store, 3)
    with store.unit_of_work(T) as uow:
        cm.tag_customer(uow, "c1", "vip")
        cm.set_attribute(uow, "c1", "seats", 120)
        cm.change_stage(uow, "c1", "onboarding")
        cm.record_health(uow, "c1", cm.HealthSignals(latest_nps=10, days_since_last_interaction=1))
        uow.commit()
    rule = cm.InLifecycleStage(("onboarding",)) & cm.InHealthBand(("healthy",)) & cm.HasTag("vip")
    with store.unit_of_work(T) as uow:
        customers = uow.customers.list(order_by="id")
    assert [c.id for c in customers if rule.matches(c)] == ["c1"]
    row = customers[1].to_row()
    assert (row["lifecycle_stage"], row["health_band"], row["attr.seats"]) == ("onboarding", "healthy", 120)
