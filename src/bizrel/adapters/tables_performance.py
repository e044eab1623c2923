"""Tables of sales performance: organisations, targets, commission plans and statements, contracts."""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, ChildTable, Column
from bizrel.sales import (
    CommissionAdjustment,
    CommissionPlan,
    CommissionStatement,
    Contract,
    PeriodReview,
    SalesOrganisation,
    Target,
)

ORGANISATIONS = AggregateTable(
    name="sales_organisations",
    cls=SalesOrganisation,
    kind="sales organisation",
    columns=(Column("name", "text", lambda o: o.name),),
    children=(
        ChildTable(
            name="sales_memberships",
            columns=(
                ("person_id", "text"),
                ("team_id", "text"),
                ("role", "text"),
                ("start", "date"),
                ("end_on", "date"),
            ),
            rows=lambda o: [(m.person_id, m.team_id, m.role, m.start, m.end) for m in o.memberships],
        ),
    ),
)

TARGETS = AggregateTable(
    name="sales_targets",
    cls=Target,
    kind="target",
    columns=(
        Column("metric", "text", lambda t: t.metric),
        Column("owner_kind", "text", lambda t: t.owner_kind),
        Column("owner_id", "text", lambda t: t.owner_id),
        Column("period_start", "date", lambda t: t.period.start),
        Column("period_kind", "text", lambda t: t.period.kind),
        Column("parent_id", "text", lambda t: t.parent_id),
    ),
)

COMMISSION_PLANS = AggregateTable(
    name="commission_plans",
    cls=CommissionPlan,
    kind="commission plan",
    columns=(Column("name", "text", lambda p: p.name),),
)

COMMISSION_STATEMENTS = AggregateTable(
    name="commission_statements",
    cls=CommissionStatement,
    kind="commission statement",
    columns=(
        Column("rep_id", "text", lambda s: s.rep_id),
        Column("plan_id", "text", lambda s: s.plan_id),
        Column("period_start", "date", lambda s: s.period.start),
        Column("total_minor", "int", lambda s: s.total.to_minor()),
    ),
    children=(
        ChildTable(
            name="commission_statement_lines",
            columns=(("kind", "text"), ("deal_id", "text"), ("base_minor", "int"), ("amount_minor", "int")),
            rows=lambda s: [(x.kind, x.deal_id, x.base.to_minor(), x.amount.to_minor()) for x in s.lines],
        ),
    ),
)

COMMISSION_ADJUSTMENTS = AggregateTable(
    name="commission_adjustments",
    cls=CommissionAdjustment,
    kind="commission adjustment",
    columns=(
        Column("rep_id", "text", lambda a: a.rep_id),
        Column("plan_id", "text", lambda a: a.plan_id),
        Column("deal_id", "text", lambda a: a.deal_id),
        Column("effective_on", "date", lambda a: a.effective_on),
    ),
)

CONTRACTS = AggregateTable(
    name="contracts",
    cls=Contract,
    kind="contract",
    columns=(
        Column("opportunity_id", "text", lambda c: c.opportunity_id),
        Column("owner_id", "text", lambda c: c.owner_id),
        Column("fully_paid", "bool", lambda c: c.fully_paid_at is not None),
        Column("amount_minor", "int", lambda c: c.amount.to_minor()),
        Column("currency", "text", lambda c: c.amount.currency.code),
    ),
    children=(
        ChildTable(
            name="contract_instalments",
            columns=(("number", "int"), ("due", "date"), ("amount_minor", "int"), ("void", "bool")),
            rows=lambda c: [(i.number, i.due, i.amount.to_minor(), i.voided_at is not None) for i in c.instalments],
        ),
        ChildTable(
            name="contract_payments",
            columns=(("payment_id", "text"), ("received_at", "timestamp"), ("amount_minor", "int")),
            rows=lambda c: [(p.id, p.received_at, p.amount.to_minor()) for p in c.payments],
        ),
    ),
)

ALL = (ORGANISATIONS, TARGETS, COMMISSION_PLANS, COMMISSION_STATEMENTS, COMMISSION_ADJUSTMENTS, CONTRACTS)

PERIOD_REVIEWS = AggregateTable(
    name="sales_period_reviews",
    cls=PeriodReview,
    kind="period review",
    columns=(
        Column("scorecard", "text", lambda r: r.report.scorecard.name),
        Column("period_start", "date", lambda r: r.report.period.start),
    ),
)
