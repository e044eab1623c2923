"""During onboarding only customer success contacts the customer; who opens an upsell is configurable."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.bridge import ONBOARDING_RULE, SignalKind, handoff_id, request_outreach, wire_bridge
from bizrel.core.errors import ValidationError
from bizrel.core.money import Money
from bizrel.customer import (
    DEFAULT_LIFECYCLE,
    Channel,
    CustomerKind,
    Touch,
    change_stage,
    create_customer,
    renew_subscription,
    set_attribute,
    set_consent,
)
from tests.unit.bridge.helpers import CONFIG, TENANT, won_deal

CID = "c1"


def _onboarding_customer(store: Store) -> None:
    """A prospect with consent for upsell e-mails and renewal calls, then its deal is won and handed over."""
    with store.unit_of_work(TENANT) as uow:
        create_customer(
            uow,
            id=CID,
            name="Globex Ltd",
            kind=CustomerKind.ORGANISATION,
            owner_id="cs-ana",
            timezone="UTC",
            external_id="acc-1",
        )
        for channel, purpose in ((Channel.EMAIL, "upsell"), (Channel.CALL, "renewal"), (Channel.EMAIL, "news")):
            set_consent(uow, CID, channel, purpose, granted=True)
        uow.commit()
    won_deal(store, "o1", account_id="acc-1", amount=10_000)
    with store.unit_of_work(TENANT) as uow:
        assert uow.customers.get(CID).stage == "onboarding"


@pytest.mark.rule(
    "A refused touch is recorded in the customer's contact log with the rule as its reason, like any other decision."
)
def test_a_sales_touch_during_onboarding_is_refused_and_recorded_a_cs_touch_is_not(store: Store) -> None:
    wire_bridge(store, CONFIG)
    _onboarding_customer(store)
    with store.unit_of_work(TENANT) as uow:
        by_sales = request_outreach(uow, CID, purpose="news", channel=Channel.EMAIL, by="sales")
        by_cs = request_outreach(uow, CID, purpose="news", channel=Channel.EMAIL, by="cs")
        uow.commit()
    assert by_sales.outcome == "refused" and "during onboarding only care:, cs: may contact" in by_sales.detail
    assert by_cs.outcome == "allowed" and by_cs.source == "cs:bridge:news"
    with store.unit_of_work(TENANT) as uow:
        attempts = uow.contact_logs.get(CID).attempts
        assert [(a.touch.source, a.outcome) for a in attempts] == [
            ("sales:bridge:news", "refused"),
            ("cs:bridge:news", "allowed"),
        ]
        assert attempts[0].reason.endswith("(asked by sales:bridge:news)")
        change_stage(uow, CID, "active", reason="go-live")
        after = request_outreach(uow, CID, purpose="news", channel=Channel.EMAIL, by="sales")
    assert after.outcome == "allowed"  # onboarding over: sales may talk to the customer again


@pytest.mark.parametrize(("opened_by", "outcome"), [("sales", "refused"), ("cs", "allowed")])
def test_who_opens_an_upsell_is_configurable_and_the_rule_applies_to_the_pitch(
    store: Store, opened_by: str, outcome: str
) -> None:
    config = attrs.evolve(CONFIG, upsell_opened_by=opened_by)
    wire_bridge(store, config)
    _onboarding_customer(store)
    with store.unit_of_work(TENANT) as uow:
        set_attribute(uow, CID, "nps", 10)
        renew_subscription(uow, f"{handoff_id('o1')}:subscription", end=date(2028, 1, 5), amount=Money(15_000, "EUR"))
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        (signal,) = uow.sales_signals.list(kind=SignalKind.UPSELL)
        upsell = uow.opportunities.get(signal.opportunity_id or "")
        (pitch,) = signal.outreach
    assert upsell.owner_id == ("rep-1" if opened_by == "sales" else "cs-ana")
    assert (pitch.outcome, pitch.source) == (outcome, f"{opened_by}:bridge:upsell")


def test_an_unknown_role_is_rejected_before_anything_is_recorded(store: Store) -> None:
    wire_bridge(store, CONFIG)
    _onboarding_customer(store)
    with store.unit_of_work(TENANT) as uow:
        before = uow.contact_logs.find(CID)
        with pytest.raises(ValidationError) as raised:
            request_outreach(uow, CID, purpose="news", channel=Channel.EMAIL, by="boss")
        assert raised.value.field == "by" and before is None
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        assert uow.contact_logs.find(CID) is None


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(DEFAULT_LIFECYCLE.stages),
    st.sampled_from(("sales:bridge:upsell", "cs:bridge:renewal", "care:onboarding", "sales:rep-1", "marketing:x")),
)
def test_the_onboarding_rule_refuses_exactly_non_cs_sources_in_onboarding(stage: str, source: str) -> None:
    reason = ONBOARDING_RULE.refuses(stage, Touch(channel=Channel.EMAIL, purpose="news", source=source))
    refused = stage == "onboarding" and not source.startswith(("cs:", "care:"))
    assert (reason is not None) == refused
