"""Where each aggregate is stored: its table, its indexed columns and its child projections.

To persist a new aggregate: declare its AggregateTable here, add it to a new Migration in
`registry`, and add a repository property to StoreUnitOfWork.
"""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, ChildTable, Column
from bizrel.sales import Opportunity, Pipeline

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
