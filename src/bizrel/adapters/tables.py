"""Where each aggregate is stored: its table, its indexed columns and its child projections.

To persist a new aggregate: declare its AggregateTable here, add it to a new Migration in
`registry`, and add a repository property to StoreUnitOfWork.
"""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, ChildTable, Column
from bizrel.core.identity import IdentityRules
from bizrel.sales import (
    Account,
    Activity,
    AssignmentRule,
    ForecastSnapshot,
    Lead,
    Opportunity,
    Pipeline,
    PoolMove,
    PoolPolicy,
)

IDENTITY_RULES = AggregateTable(name="identity_rules", cls=IdentityRules, kind="identity rules")

PIPELINES = AggregateTable(
    name="pipelines",
    cls=Pipeline,
    kind="pipeline",
    columns=(Column("name", "text", lambda p: p.name),),
)

OPPORTUNITIES = AggregateTable(
    name="opportunities",
    cls=Opportunity,
    kind="opportunity",
    columns=(
        Column("pipeline_id", "text", lambda o: o.pipeline_id),
        Column("owner_id", "text", lambda o: o.owner_id),
        Column("status", "text", lambda o: o.status),
        Column("stage", "text", lambda o: o.stage),
        Column("amount_minor", "int", lambda o: o.amount.to_minor()),
        Column("currency", "text", lambda o: o.amount.currency.code),
        Column("expected_close", "date", lambda o: o.expected_close),
        Column("created_at", "timestamp", lambda o: o.created_at),
        Column("closed_at", "timestamp", lambda o: o.closed_at),
    ),
    children=(
        ChildTable(
            name="opportunity_stage_changes",
            columns=(("stage", "text"), ("entered_at", "timestamp")),
            rows=lambda o: [(c.stage, c.entered_at) for c in o.history],
        ),
    ),
)

# -- sales process (migration 30) --

LEADS = AggregateTable(
    name="leads",
    cls=Lead,
    kind="lead",
    columns=(
        Column("status", "text", lambda x: x.status),
        Column("source", "text", lambda x: x.source),
        Column("owner_id", "text", lambda x: x.holding.owner_id),
        Column("pool_id", "text", lambda x: x.holding.pool_id),
        Column("held", "bool", lambda x: x.holding.owner_id is not None),
        Column("email_key", "text", lambda x: x.email_key),
        Column("phone_key", "text", lambda x: x.phone_key),
        Column("company_key", "text", lambda x: x.company_key),
        Column("created_at", "timestamp", lambda x: x.created_at),
    ),
)

ACCOUNTS = AggregateTable(
    name="sales_accounts",
    cls=Account,
    kind="account",
    columns=(
        Column("name_key", "text", lambda a: a.name_key),
        Column("domain", "text", lambda a: a.domain),
        Column("owner_id", "text", lambda a: a.holding.owner_id),
        Column("pool_id", "text", lambda a: a.holding.pool_id),
        Column("held", "bool", lambda a: a.holding.owner_id is not None),
        Column("contract_end", "date", lambda a: a.contract_end),
    ),
)

ACTIVITIES = AggregateTable(
    name="sales_activities",
    cls=Activity,
    kind="activity",
    columns=(
        Column("kind", "text", lambda a: a.kind),
        Column("owner_id", "text", lambda a: a.owner_id),
        Column("lead_id", "text", lambda a: a.lead_id),
        Column("opportunity_id", "text", lambda a: a.opportunity_id),
        Column("account_id", "text", lambda a: a.account_id),
        Column("due_at", "timestamp", lambda a: a.due_at),
        Column("done_at", "timestamp", lambda a: a.done_at),
    ),
)

POOLS = AggregateTable(
    name="lead_pools", cls=PoolPolicy, kind="pool", columns=(Column("name", "text", lambda p: p.name),)
)

POOL_MOVES = AggregateTable(
    name="pool_moves",
    cls=PoolMove,
    kind="pool move",
    columns=(
        Column("pool_id", "text", lambda m: m.pool_id),
        Column("record_id", "text", lambda m: m.record_id),
        Column("action", "text", lambda m: m.action),
        Column("owner_id", "text", lambda m: m.owner_id),
        Column("day", "date", lambda m: m.day),
        Column("at", "timestamp", lambda m: m.at),
    ),
)

ASSIGNMENT_RULES = AggregateTable(
    name="lead_assignment_rules",
    cls=AssignmentRule,
    kind="assignment rule",
    columns=(Column("name", "text", lambda r: r.name),),
)

FORECAST_SNAPSHOTS = AggregateTable(
    name="forecast_snapshots",
    cls=ForecastSnapshot,
    kind="forecast snapshot",
    columns=(
        Column("period_start", "date", lambda s: s.period.start),
        Column("taken_at", "timestamp", lambda s: s.taken_at),
    ),
)

SALES_PROCESS = (LEADS, ACCOUNTS, ACTIVITIES, POOLS, POOL_MOVES, ASSIGNMENT_RULES, FORECAST_SNAPSHOTS)
