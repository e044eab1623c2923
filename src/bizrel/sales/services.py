"""Sales use cases. Each works inside the caller's unit of work and leaves the commit to the caller,
so several steps (or both contexts, in the bridge) can share one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bizrel.core.ids import check_id, new_id
from bizrel.core.money import Money
from bizrel.sales.pipeline import Opportunity, Pipeline, Stage
from bizrel.sales.ports import SalesUnitOfWork

__all__ = [
    "advance_opportunity",
    "create_pipeline",
    "lose_opportunity",
    "open_opportunity",
    "win_opportunity",
]


def create_pipeline(
    uow: SalesUnitOfWork,
    *,
    name: str,
    stages: Sequence[Stage | tuple[str, Decimal | str | int]],
    id: str | None = None,
) -> Pipeline:
    """A pipeline from stages given as Stage objects or (name, win probability) pairs."""
    pipeline = Pipeline(
        tenant_id=uow.tenant_id,
        id=check_id("id", id) if id is not None else new_id(),
        name=name,
        stages=tuple(s if isinstance(s, Stage) else Stage(s[0], s[1]) for s in stages),
    )
    uow.pipelines.add(pipeline)
    return pipeline


def open_opportunity(
    uow: SalesUnitOfWork,
    *,
    pipeline_id: str,
    owner_id: str,
    account_name: str,
    amount: Money,
    expected_close: date,
    stage: str | None = None,
    id: str | None = None,
) -> Opportunity:
    pipeline = uow.pipelines.get(pipeline_id)
    opportunity = Opportunity.open(
        tenant_id=uow.tenant_id,
        id=id if id is not None else new_id(),
        pipeline=pipeline,
        owner_id=owner_id,
        account_name=account_name,
        amount=amount,
        expected_close=expected_close,
        at=uow.clock.now(),
        stage=stage,
    )
    uow.opportunities.add(opportunity)
    return opportunity


def advance_opportunity(uow: SalesUnitOfWork, opportunity_id: str, stage: str) -> Opportunity:
    opportunity = uow.opportunities.get(opportunity_id)
    opportunity.advance(uow.pipelines.get(opportunity.pipeline_id), stage, uow.clock.now())
    return opportunity


def win_opportunity(uow: SalesUnitOfWork, opportunity_id: str) -> Opportunity:
    opportunity = uow.opportunities.get(opportunity_id)
    opportunity.win(uow.clock.now())
    return opportunity


def lose_opportunity(uow: SalesUnitOfWork, opportunity_id: str, reason: str) -> Opportunity:
    opportunity = uow.opportunities.get(opportunity_id)
    opportunity.lose(reason, uow.clock.now())
    return opportunity
