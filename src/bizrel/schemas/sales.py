"""Boundary models for the sales context."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from bizrel.sales import Opportunity, SalesUnitOfWork, open_opportunity
from bizrel.schemas.common import MoneyIn, Strict

__all__ = ["OpportunityIn", "PipelineIn", "StageIn", "open_opportunity_from"]


class StageIn(Strict):
    """A pipeline stage as an API receives it: name and win probability."""

    name: str = Field(min_length=1, max_length=200)
    probability: str = Field(pattern=r"^(0(\.\d+)?|1(\.0+)?)$")


class PipelineIn(Strict):
    """A pipeline as an API receives it: name and stages."""

    name: str = Field(min_length=1, max_length=200)
    stages: list[StageIn] = Field(min_length=1)


class OpportunityIn(Strict):
    """A request to open an opportunity, as an API or an import file sends it."""

    pipeline_id: str = Field(min_length=1, max_length=128)
    owner_id: str = Field(min_length=1, max_length=128)
    account_name: str = Field(min_length=1, max_length=500)
    amount: MoneyIn
    expected_close: date
    stage: str | None = None
    id: str | None = Field(default=None, min_length=1, max_length=128)


def open_opportunity_from(uow: SalesUnitOfWork, command: OpportunityIn) -> Opportunity:
    """Open a deal from a validated API payload."""
    return open_opportunity(
        uow,
        pipeline_id=command.pipeline_id,
        owner_id=command.owner_id,
        account_name=command.account_name,
        amount=command.amount.to_domain(),
        expected_close=command.expected_close,
        stage=command.stage,
        id=command.id,
    )
