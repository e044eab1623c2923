"""Tables of customer management (core): customers and their settings, interactions, care plans and
contact logs, the tenant's stored contact policy, subscriptions and referrals."""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, ChildTable, Column
from bizrel.customer import (
    CarePlan,
    ContactLog,
    Customer,
    CustomerSettings,
    Interaction,
    Referral,
    Subscription,
    TenantContactPolicy,
)

__all__ = [
    "CARE_PLANS",
    "CONTACT_LOGS",
    "CONTACT_POLICIES",
    "CUSTOMERS",
    "CUSTOMER_SETTINGS",
    "INTERACTIONS",
    "REFERRALS",
    "SUBSCRIPTIONS",
]

CUSTOMER_SETTINGS = AggregateTable(name="customer_settings", cls=CustomerSettings, kind="customer settings")

CUSTOMERS = AggregateTable(
    name="customers",
    cls=Customer,
    kind="customer",
    columns=(
        Column("name", "text", lambda c: c.name),
        Column("kind", "text", lambda c: c.kind),
        Column("owner_id", "text", lambda c: c.owner_id),
        Column("stage", "text", lambda c: c.stage),
        Column("health_band", "text", lambda c: None if c.health is None else c.health.band),
        Column("external_id", "text", lambda c: c.external_id),
        Column("domain", "text", lambda c: c.domain),
        Column("created_at", "timestamp", lambda c: c.created_at),
    ),
    children=(
        ChildTable(
            name="customer_stage_changes",
            columns=(("from_stage", "text"), ("to_stage", "text"), ("changed_at", "timestamp")),
            rows=lambda c: [(h.from_stage, h.to_stage, h.at) for h in c.history],
        ),
    ),
)

INTERACTIONS = AggregateTable(
    name="interactions",
    cls=Interaction,
    kind="interaction",
    columns=(
        Column("customer_id", "text", lambda i: i.customer_id),
        Column("owner_id", "text", lambda i: i.owner_id),
        Column("channel", "text", lambda i: i.channel),
        Column("occurred_at", "timestamp", lambda i: i.occurred_at),
        Column("next_follow_up", "timestamp", lambda i: i.next_follow_up),
        Column("follow_up_open", "bool", lambda i: i.follow_up_open),
    ),
)

CARE_PLANS = AggregateTable(
    name="care_plans",
    cls=CarePlan,
    kind="care plan",
    columns=(
        Column("customer_id", "text", lambda p: p.customer_id),
        Column("next_due", "timestamp", lambda p: p.next_due),
    ),
)

CONTACT_LOGS = AggregateTable(
    name="contact_logs",
    cls=ContactLog,
    kind="contact log",
    columns=(Column("last_touch_at", "timestamp", lambda log: log.last_touch_at),),
    children=(
        ChildTable(
            name="contact_attempts",
            columns=(
                ("channel", "text"),
                ("purpose", "text"),
                ("source", "text"),
                ("outcome", "text"),
                ("at", "timestamp"),
            ),
            rows=lambda log: [
                (a.touch.channel, a.touch.purpose, a.touch.source, a.outcome, a.at) for a in log.attempts
            ],
        ),
    ),
)

CONTACT_POLICIES = AggregateTable(
    name="contact_policies",
    cls=TenantContactPolicy,
    kind="contact policy",
    columns=(Column("updated_at", "timestamp", lambda p: p.updated_at),),
)

SUBSCRIPTIONS = AggregateTable(
    name="subscriptions",
    cls=Subscription,
    kind="subscription",
    columns=(
        Column("customer_id", "text", lambda s: s.customer_id),
        Column("status", "text", lambda s: s.status),
        Column("starts_on", "date", lambda s: s.start),
        Column("ends_on", "date", lambda s: s.end),
        Column("amount_minor", "int", lambda s: s.amount.to_minor()),
        Column("currency", "text", lambda s: s.amount.currency.code),
    ),
)

REFERRALS = AggregateTable(
    name="referrals",
    cls=Referral,
    kind="referral",
    columns=(
        Column("referrer_id", "text", lambda r: r.referrer_id),
        Column("status", "text", lambda r: r.status),
        Column("submitted_at", "timestamp", lambda r: r.submitted_at),
    ),
)
