"""Persistence contract for the bridge's aggregates: what is stored reads back equal, filters work.

Subclass `BridgeStoreContract` and implement `open` to prove an adapter keeps handoffs, onboarding
plans and sales signals exactly.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.bridge import (
    AccountRoles,
    Handoff,
    OnboardingPlan,
    OnboardingTemplate,
    OutreachRecord,
    SalesSignal,
    SignalKind,
    TaskTemplate,
)
from bizrel.bridge.model import DEFAULT_TEMPLATE
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.core.uow import le
from bizrel.testing.contracts import START, AdapterContract, fresh_tenant

__all__ = ["BridgeStoreContract"]

ROLES = AccountRoles(sales_owner_id="rep", cs_owner_id="cs", collections_owner_id="ar")


def _handoff(tenant_id: TenantId, id: str, due: date, renewal: str | None = None) -> Handoff:
    return Handoff(
        tenant_id=tenant_id,
        id=id,
        opportunity_id=id.removeprefix("handoff:"),
        customer_id="c1",
        customer_rule="created (no match)",
        created_customer=True,
        roles=ROLES,
        csm_rule="least loaded",
        onboarding_plan_id=f"{id}:onboarding",
        subscription_id=f"{id}:subscription",
        care_plan_id=None,
        amount=Money("1234.50", "EUR"),
        source="web",
        pipeline_id="nb",
        segment=None,
        opened_at=START - timedelta(days=40),
        closed_at=START,
        contract_end=due + timedelta(days=60),
        renewal_due_on=due,
        renewal_opportunity_id=renewal,
        outreach=[OutreachRecord(purpose="renewal", channel="call", outcome="deferred", at=START, detail="quiet")],
        notes=["a note"],
    )


_templates = st.builds(
    OnboardingTemplate,
    name=st.text(min_size=1, max_size=10),
    tasks=st.lists(
        st.builds(
            TaskTemplate,
            title=st.text(min_size=1, max_size=20),
            role=st.sampled_from(["sales", "cs", "collections"]),
            due_days=st.integers(0, 400),
        ),
        max_size=6,
    ).map(tuple),
)


class BridgeStoreContract(AdapterContract):
    """The bridge's part of the adapter contract: handoffs, signals and onboarding plans."""

    def test_handoff_and_signal_read_back_equal(self, store: Store) -> None:
        tenant = fresh_tenant()
        handoff = _handoff(tenant, "handoff:o1", date(2026, 11, 6))
        signal = SalesSignal.raise_(
            tenant_id=tenant, id="risk:e1", kind=SignalKind.RISK, customer_id="c1", sales_owner_id="rep",
            at=START, detail="health healthy -> at_risk",
        )  # fmt: skip
        with store.unit_of_work(tenant) as uow:
            uow.handoffs.add(handoff)
            uow.sales_signals.add(signal)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.handoffs.get(handoff.id) == handoff
            assert uow.sales_signals.get(signal.id) == signal

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(template=_templates, close=st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    def test_any_onboarding_plan_round_trips(self, store: Store, template: OnboardingTemplate, close: date) -> None:
        tenant = fresh_tenant()
        plan = OnboardingPlan.start(
            tenant_id=tenant, id=f"p-{close}-{hash(template)}", customer_id="c1", opportunity_id="o1",
            template=template, roles=ROLES, close_date=close,
        )  # fmt: skip
        with store.unit_of_work(tenant) as uow:
            if uow.onboarding_plans.find(plan.id) is not None:
                return
            uow.onboarding_plans.add(plan)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.onboarding_plans.get(plan.id) == plan

    def test_due_renewals_are_found_by_date_and_open_flag(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            uow.handoffs.add_many(
                [
                    _handoff(tenant, "handoff:a", date(2026, 3, 1)),
                    _handoff(tenant, "handoff:b", date(2026, 9, 1)),
                    _handoff(tenant, "handoff:c", date(2026, 2, 1), renewal="r"),
                ]
            )
            uow.onboarding_plans.add(
                OnboardingPlan.start(
                    tenant_id=tenant,
                    id="p",
                    customer_id="c1",
                    opportunity_id="a",
                    template=DEFAULT_TEMPLATE,
                    roles=ROLES,
                    close_date=date(2026, 1, 5),
                )
            )
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            due = uow.handoffs.list(renewal_due_on=le(date(2026, 6, 1)), renewal_open=False)
            assert [h.id for h in due] == ["handoff:a"]
            assert [p.id for p in uow.onboarding_plans.list(customer_id="c1")] == ["p"]
