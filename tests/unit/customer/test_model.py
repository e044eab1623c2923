"""The customer model without a store: lifecycle transitions, health scoring, attributes, renewals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.customer import (
    DEFAULT_HEALTH_MODEL,
    DEFAULT_LIFECYCLE,
    Contact,
    Customer,
    CustomerSettings,
    HealthBand,
    HealthBandChanged,
    HealthComponent,
    HealthModel,
    HealthSignals,
    Lifecycle,
    LifecycleStageChanged,
    Referral,
    Subscription,
    score_health,
)

T = TenantId("t1")
AT = datetime(2026, 1, 5, 9, tzinfo=UTC)


def new_customer(lifecycle: Lifecycle = DEFAULT_LIFECYCLE, **kw: object) -> Customer:
    args: dict[str, object] = {
        "tenant_id": T,
        "id": "c1",
        "name": "Acme",
        "kind": "organisation",
        "owner_id": "csm",
        "timezone": "Europe/Berlin",
        "at": AT,
        "lifecycle": lifecycle,
    }
    return Customer.create(**{**args, **kw})  # type: ignore[arg-type]


# -- lifecycle -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(moves=st.lists(st.sampled_from([*DEFAULT_LIFECYCLE.stages, "vip", ""]), max_size=25))
def test_lifecycle_follows_the_table_exactly(moves: list[str]) -> None:
    """Every move in the table is taken and recorded; every other one raises naming the stage and
    leaves the customer untouched."""
    customer = new_customer()
    customer.collect_events()
    expected = [DEFAULT_LIFECYCLE.initial]
    for i, stage in enumerate(moves):
        at = AT + timedelta(hours=i)
        legal = (customer.stage, stage) in DEFAULT_LIFECYCLE.transitions
        if legal:
            customer.move_to(stage, lifecycle=DEFAULT_LIFECYCLE, at=at)
            expected.append(stage)
        else:
            before = (customer.stage, list(customer.history))
            with pytest.raises(InvariantViolation) as refused:
                customer.move_to(stage, lifecycle=DEFAULT_LIFECYCLE, at=at)
            assert refused.value.field == "stage"
            assert refused.value.value == stage
            assert (customer.stage, customer.history) == before
    assert [h.to_stage for h in customer.history] == expected
    assert customer.stage == expected[-1]
    assert all(a.at <= b.at for a, b in zip(customer.history, customer.history[1:], strict=False))
    events = customer.collect_events()
    assert [e.to_stage for e in events if isinstance(e, LifecycleStageChanged)] == expected[1:]


@settings(max_examples=100, deadline=None)
@given(
    table=st.dictionaries(
        st.sampled_from("abcdef"), st.lists(st.sampled_from("abcdef"), max_size=4, unique=True), min_size=1
    ),
    data=st.data(),
)
def test_a_tenant_lifecycle_allows_exactly_its_own_transitions(
    table: dict[str, list[str]], data: st.DataObject
) -> None:
    table = {s: [t for t in targets if t in table and t != s] for s, targets in table.items()}
    lifecycle = Lifecycle.from_table(table, initial=next(iter(table)))
    source = data.draw(st.sampled_from(lifecycle.stages))
    target = data.draw(st.sampled_from("abcdefg"))
    if target in table.get(source, ()):
        lifecycle.check(source, target)
    else:
        with pytest.raises(InvariantViolation) as refused:
            lifecycle.check(source, target)
        assert refused.value.value == target


def test_an_illegal_transition_names_the_stages() -> None:
    customer = new_customer()
    with pytest.raises(InvariantViolation, match="no transition from 'prospect' to 'expanding'") as err:
        customer.move_to("expanding", lifecycle=DEFAULT_LIFECYCLE, at=AT)
    assert err.value.value == "expanding"
    with pytest.raises(InvariantViolation, match="unknown lifecycle stage"):
        customer.move_to("platinum", lifecycle=DEFAULT_LIFECYCLE, at=AT)


def test_lifecycle_tables_are_validated() -> None:
    with pytest.raises(ValidationError):
        Lifecycle.from_table({"a": ["b"]}, initial="a")
    with pytest.raises(ValidationError):
        Lifecycle.from_table({"a": ["a"]}, initial="a")
    with pytest.raises(ValidationError):
        Lifecycle.from_table({"a": []}, initial="z")


# -- customer data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "kw"),
    [
        ("at", {"at": datetime(2026, 1, 5, 9)}),
        ("timezone", {"timezone": "Europe/Atlantis"}),
        ("kind", {"kind": "robot"}),
        ("name", {"name": "  "}),
        ("owner_id", {"owner_id": ""}),
        ("domain", {"domain": "not a domain"}),
        ("birthday", {"birthday": datetime(1990, 1, 1, tzinfo=UTC)}),
        ("stage", {"stage": "vip"}),
    ],
)
def test_bad_customer_input_names_the_field(field: str, kw: dict[str, object]) -> None:
    with pytest.raises((ValidationError, InvariantViolation)) as err:
        new_customer(**kw)
    assert err.value.field == field  # type: ignore[union-attr]


def test_contacts_are_validated_values() -> None:
    contact = Contact(name="Ann Lee", email="ann@example.com", phone="+49 30 1234567", role="CTO")
    assert contact == Contact(name="Ann Lee", email="ann@example.com", phone="+49 30 1234567", role="CTO")
    with pytest.raises(ValidationError) as email:
        Contact(name="Ann", email="ann-at-example")
    assert email.value.field == "email"
    with pytest.raises(ValidationError) as phone:
        Contact(name="Ann", phone="call me")
    assert phone.value.field == "phone"


@pytest.mark.rule(
    "The type of each key is fixed tenant-wide the first time it is used, so a report never meets a "
    "column with mixed types."
)
def test_attribute_types_are_fixed_per_key() -> None:
    settings = CustomerSettings(tenant_id=T, id="customer-settings")
    customer = new_customer()
    customer.set_attribute("seats", 25, settings)
    customer.set_attribute("renewal_fee", Decimal("12.50"), settings)
    customer.set_attribute("signed", date(2026, 1, 1), settings)
    customer.set_attribute("vip", True, settings)
    other = new_customer(id="c2")
    with pytest.raises(ValidationError) as wrong:
        other.set_attribute("seats", "many", settings)
    assert wrong.value.field == "attributes.seats"
    with pytest.raises(ValidationError):
        other.set_attribute("vip", 1, settings)  # a bool key refuses ints (and vice versa)
    with pytest.raises(ValidationError):
        other.set_attribute("ratio", 0.5, settings)  # type: ignore[arg-type]
    assert other.attributes == {}


def test_domains_are_normalized_for_matching() -> None:
    assert new_customer(domain="WWW.Example.COM").domain == "example.com"


# -- health ----------------------------------------------------------------------------------------

signals = st.builds(
    HealthSignals,
    days_since_last_interaction=st.none() | st.integers(0, 400),
    latest_nps=st.none() | st.integers(0, 10),
    usage_trend=st.none() | st.decimals(min_value=-2, max_value=2, places=3),
    open_issues=st.integers(0, 10),
    late_payments=st.integers(0, 5),
)


@settings(max_examples=300, deadline=None)
@given(signals=signals)
def test_health_total_is_bounded_banded_and_explained(signals: HealthSignals) -> None:
    score = score_health(signals)
    assert Decimal(0) <= score.total <= Decimal(100)
    assert score.band is DEFAULT_HEALTH_MODEL.band(score.total)
    # contributions add up to the total within the rounding of each part
    assert abs(sum(c.contribution for c in score.components) - score.total) <= Decimal("0.01") * len(score.components)
    assert all(Decimal(0) <= c.score <= Decimal(100) for c in score.components)
    assert [r["signal"] for r in score.to_rows()] == [c.signal.value for c in DEFAULT_HEALTH_MODEL.components]


@settings(max_examples=200, deadline=None)
@given(signals=signals, better=st.integers(0, 10))
def test_health_is_monotonic_in_nps_and_in_open_issues(signals: HealthSignals, better: int) -> None:
    low = HealthSignals(
        days_since_last_interaction=signals.days_since_last_interaction,
        latest_nps=min(better, 5),
        usage_trend=signals.usage_trend,
        open_issues=signals.open_issues + 1,
        late_payments=signals.late_payments,
    )
    high = HealthSignals(
        days_since_last_interaction=signals.days_since_last_interaction,
        latest_nps=max(better, 5),
        usage_trend=signals.usage_trend,
        open_issues=signals.open_issues,
        late_payments=signals.late_payments,
    )
    assert score_health(low).total <= score_health(high).total


def test_health_formula_is_the_documented_straight_line() -> None:
    score = score_health(
        HealthSignals(days_since_last_interaction=48, latest_nps=7, usage_trend="-0.1", open_issues=1, late_payments=1)
    )
    by_signal = {c.signal.value: c.score for c in score.components}
    # recency: 100*(48-90)/(7-90) = 50.60; nps 70; trend 100*(-0.1+0.25)/0.5 = 30; issues 75; payments 50
    assert by_signal == {
        "days_since_last_interaction": Decimal("50.60"),
        "latest_nps": Decimal("70.00"),
        "usage_trend": Decimal("30.00"),
        "open_issues": Decimal("75.00"),
        "late_payments": Decimal("50.00"),
    }
    # (25*(4200/83) + 25*70 + 20*30 + 15*75 + 15*50) / 100 = 54.9006... -> 54.90
    assert score.total == Decimal("54.90")
    assert score.band is HealthBand.WATCH
    assert "health 54.90 (watch)" in str(score)
    assert "<table>" in score._repr_html_()


def test_health_models_are_configurable_and_validated() -> None:
    model = DEFAULT_HEALTH_MODEL.with_weights({"latest_nps": 75})
    assert score_health(HealthSignals(latest_nps=10), model).total > score_health(HealthSignals(latest_nps=10)).total
    with pytest.raises(ValidationError):
        DEFAULT_HEALTH_MODEL.with_weights({"vibes": 1})
    with pytest.raises(ValidationError):
        HealthModel(components=(HealthComponent(signal="latest_nps", weight=0, best=10, worst=0),))
    with pytest.raises(ValidationError):
        HealthModel(components=DEFAULT_HEALTH_MODEL.components, healthy_from=30, watch_from=60)
    with pytest.raises(ValidationError) as nps:
        HealthSignals(latest_nps=11)
    assert nps.value.field == "latest_nps"
    with pytest.raises(ValidationError):
        HealthSignals(usage_trend=0.5)  # type: ignore[arg-type]


def test_recording_health_emits_band_changes_only() -> None:
    customer = new_customer()
    customer.collect_events()
    healthy = score_health(HealthSignals(days_since_last_interaction=1, latest_nps=10, usage_trend="0.3"))
    at_risk = score_health(HealthSignals(days_since_last_interaction=200, latest_nps=0, open_issues=5))
    customer.record_health(healthy, AT)
    customer.record_health(healthy, AT + timedelta(days=1))
    customer.record_health(at_risk, AT + timedelta(days=2))
    events = [e for e in customer.collect_events() if isinstance(e, HealthBandChanged)]
    assert [(e.from_band, e.to_band) for e in events] == [
        (None, HealthBand.HEALTHY),
        (HealthBand.HEALTHY, HealthBand.AT_RISK),
    ]


# -- renewals and referrals ------------------------------------------------------------------------


def test_renewal_links_terms_and_closes_the_old_one() -> None:
    term = Subscription.begin(
        tenant_id=T,
        id="s1",
        customer_id="c1",
        plan="Pro",
        amount=Money("100", "EUR"),
        start=date(2026, 1, 1),
        end=date(2026, 12, 31),
        at=AT,
    )
    term.mark_pending()
    nxt = term.renew(next_id="s2", at=AT + timedelta(days=300), end=date(2027, 12, 31), amount=Money("120", "EUR"))
    assert (term.status.value, term.next_id, nxt.previous_id, nxt.start) == ("renewed", "s2", "s1", date(2027, 1, 1))
    with pytest.raises(InvariantViolation):
        term.churn("too late", AT)
    with pytest.raises(ValidationError):
        Subscription.begin(
            tenant_id=T,
            id="s3",
            customer_id="c1",
            plan="Pro",
            amount=Money("100", "EUR"),
            start=date(2026, 1, 2),
            end=date(2026, 1, 1),
            at=AT,
        )


def test_referral_status_moves_forward_only() -> None:
    referral = Referral.submit(
        tenant_id=T, id="r1", referrer_id="c1", referred_name="Bob", referred_email="bob@example.org", at=AT
    )
    referral.move_to("qualified", AT)
    referral.move_to("converted", AT + timedelta(days=3))
    with pytest.raises(InvariantViolation) as err:
        referral.move_to("rejected", AT + timedelta(days=4))
    assert err.value.value == "rejected"
    assert [h.status.value for h in referral.history] == ["submitted", "qualified", "converted"]
