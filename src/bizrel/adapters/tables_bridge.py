"""Tables of the bridge: handoffs, onboarding plans and the signals sent back to sales."""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, Column
from bizrel.bridge import Handoff, OnboardingPlan, SalesSignal, retry_due

__all__ = ["BRIDGE", "HANDOFFS", "ONBOARDING_PLANS", "SALES_SIGNALS"]

HANDOFFS = AggregateTable(
    name="handoffs",
    cls=Handoff,
    kind="handoff",
    columns=(
        Column("opportunity_id", "text", lambda h: h.opportunity_id),
        Column("customer_id", "text", lambda h: h.customer_id),
        Column("subscription_id", "text", lambda h: h.subscription_id),
        Column("closed_at", "timestamp", lambda h: h.closed_at),
        Column("renewal_due_on", "date", lambda h: h.renewal_due_on),
        Column("renewal_open", "bool", lambda h: h.renewal_opportunity_id is not None),
        Column("retry_due", "timestamp", lambda h: retry_due(h.outreach)),
    ),
)

ONBOARDING_PLANS = AggregateTable(
    name="onboarding_plans",
    cls=OnboardingPlan,
    kind="onboarding plan",
    columns=(
        Column("customer_id", "text", lambda p: p.customer_id),
        Column("opportunity_id", "text", lambda p: p.opportunity_id),
    ),
)

SALES_SIGNALS = AggregateTable(
    name="sales_signals",
    cls=SalesSignal,
    kind="sales signal",
    columns=(
        Column("kind", "text", lambda s: s.kind),
        Column("customer_id", "text", lambda s: s.customer_id),
        Column("sales_owner_id", "text", lambda s: s.sales_owner_id),
        Column("raised_at", "timestamp", lambda s: s.raised_at),
        Column("retry_due", "timestamp", lambda s: retry_due(s.outreach)),
    ),
)

BRIDGE = (HANDOFFS, ONBOARDING_PLANS, SALES_SIGNALS)
