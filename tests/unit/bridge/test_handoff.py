"""Handing won deals over: what is created, by which rule, and nothing twice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bizrel.adapters.store import Store
from bizrel.bridge import CsmCandidate, hand_over, handoff_id, open_due_renewals, wire_bridge
from bizrel.bridge.model import BridgeConfig
from bizrel.core.clock import FixedClock
from bizrel.core.errors import InvariantViolation, PolicyViolation
from bizrel.customer import CustomerKind, create_customer
from tests.unit.bridge.helpers import CONFIG, T0, TENANT, won_deal


def test_won_deal_is_handed_over_with_roles_plan_subscription_care_and_renewal_date(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1", domain="globex.com")
    with store.unit_of_work(TENANT) as uow:
        h = uow.handoffs.get(handoff_id("o1"))
        customer = uow.customers.get(h.customer_id)
        assert h.created_customer and h.customer_rule == "created (no match)"
        assert customer.external_id == "acc-1" and customer.domain == "globex.com"
        assert customer.stage == "onboarding"
        assert h.roles.sales_owner_id == "rep-1" and h.roles.collections_owner_id == "ar-cleo"
        assert h.roles.cs_owner_id == "cs-ana" and customer.owner_id == "cs-ana"
        assert "segment=smb" in h.csm_rule
        plan = uow.onboarding_plans.get(h.onboarding_plan_id)
        assert [(t.role, t.owner_id, t.due) for t in plan.tasks][:2] == [
            ("sales", "rep-1", T0.date() + timedelta(days=2)),
            ("cs", "cs-ana", T0.date() + timedelta(days=5)),
        ]
        sub = uow.subscriptions.get(h.subscription_id)
        assert (sub.start, sub.end) == (T0.date(), T0.date() + timedelta(days=365))
        assert h.care_plan_id is not None and uow.care_plans.get(h.care_plan_id).customer_id == customer.id
        assert h.renewal_due_on == h.contract_end - timedelta(days=60)
        assert h.renewal_opportunity_id is None


def test_several_deals_of_one_account_go_into_one_customer(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1")
    won_deal(store, "o2", account_id="acc-1", amount=3_000)
    won_deal(store, "o3", account="GLOBEX LTD.")  # no account: matched by normalized name
    with store.unit_of_work(TENANT) as uow:
        handoffs = [uow.handoffs.get(handoff_id(o)) for o in ("o1", "o2", "o3")]
        assert {h.customer_id for h in handoffs} == {handoffs[0].customer_id}
        assert [h.customer_rule for h in handoffs[1:]] == ["matched by external id", "matched by normalized name"]
        assert uow.customers.count() == 1 and uow.onboarding_plans.count() == 3
        assert uow.care_plans.count() == 1  # the care plan starts with the first deal only
        assert handoffs[1].csm_rule == "existing customer-success owner kept"


@pytest.mark.rule(
    "The renewal call goes through the customer's contact policy first: the decision (allowed, deferred, "
    "refused) is recorded on the handoff; nothing is sent around the policy."
)
def test_renewal_opens_n_days_before_contract_end_once(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1")
    clock = store.clock
    assert isinstance(clock, FixedClock)
    clock.set(T0 + timedelta(days=365 - 60))
    for _ in range(2):
        with store.unit_of_work(TENANT) as uow:
            open_due_renewals(uow, CONFIG)
            uow.commit()
    with store.unit_of_work(TENANT) as uow:
        h = uow.handoffs.get(handoff_id("o1"))
        renewal = uow.opportunities.get(h.renewal_opportunity_id or "")
        assert renewal.pipeline_id == "renewals" and renewal.owner_id == "cs-ana"
        assert renewal.expected_close == date(2027, 1, 5)
        assert uow.opportunities.count(pipeline_id="renewals") == 1
        assert [o.purpose for o in h.outreach] == ["renewal"]
        assert h.outreach[0].outcome == "refused"  # no consent: recorded, not sent


def test_existing_customer_owned_by_the_sales_owner_is_reassigned_by_rule(store: Store) -> None:
    with store.unit_of_work(TENANT) as uow:
        create_customer(
            uow, id="c1", name="Initech", kind=CustomerKind.ORGANISATION, owner_id="rep-9", timezone="UTC",
            external_id="acc-9",
        )  # fmt: skip
        uow.commit()
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account="Initech", account_id="acc-9", owner="rep-9", segment="mid")
    with store.unit_of_work(TENANT) as uow:
        h = uow.handoffs.get(handoff_id("o1"))
        assert h.customer_id == "c1" and h.roles.cs_owner_id == "cs-ben" and h.roles.sales_owner_id == "rep-9"
        assert uow.customers.get("c1").owner_id == "cs-ben" and "reassigned" in h.notes[0]


@pytest.mark.rule(
    "The sales owner is never picked; a configuration whose only candidate is the sales owner raises "
    "`PolicyViolation` before anything is staged (unless `allow_sales_as_csm`)."
)
def test_the_sales_owner_is_never_made_the_csm(store: Store) -> None:
    only_rep = BridgeConfig(
        csm_candidates=(CsmCandidate(id="rep-1", capacity=9),),
        collections_owner_id="ar",
        renewal_pipeline_id="renewals",
    )
    won_deal(store, "o1")
    with store.unit_of_work(TENANT) as uow, pytest.raises(PolicyViolation):
        hand_over(uow, "o1", only_rep)
    with store.unit_of_work(TENANT) as uow:
        assert uow.customers.count() == 0 and uow.handoffs.count() == 0


def test_capacity_spreads_customers_over_managers(store: Store) -> None:
    wire_bridge(store, CONFIG)
    for i in range(5):
        won_deal(store, f"o{i}", account=f"Company {i}", account_id=f"acc-{i}", owner="rep-2")
    with store.unit_of_work(TENANT) as uow:
        owners = [uow.handoffs.get(handoff_id(f"o{i}")).roles.cs_owner_id for i in range(5)]
    # least loaded relative to capacity; rep-1 serves every segment and has room for 5
    assert owners == ["cs-ana", "cs-ben", "rep-1", "rep-1", "cs-ana"]


def test_an_open_deal_is_not_handed_over_and_nothing_is_staged(store: Store) -> None:
    won_deal(store, "o1")
    with store.unit_of_work(TENANT) as uow:
        from bizrel.core.money import Money
        from bizrel.sales import open_opportunity

        open_opportunity(
            uow, id="o2", pipeline_id="nb", owner_id="rep-1", account_name="X", amount=Money(1, "EUR"),
            expected_close=date(2026, 2, 1),
        )  # fmt: skip
        uow.commit()
    with store.unit_of_work(TENANT) as uow, pytest.raises(InvariantViolation):
        hand_over(uow, "o2", CONFIG)
    with store.unit_of_work(TENANT) as uow:
        assert uow.handoffs.count() == 0 and uow.customers.count() == 0
