"""Pipelines and opportunities: the standardized sales process and the deals that move through it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money, to_decimal

__all__ = [
    "Opportunity",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityStageChanged",
    "OpportunityStatus",
    "OpportunityWon",
    "Pipeline",
    "Stage",
    "StageChange",
]


def _probability(value: object) -> Decimal:
    p = to_decimal(value, "probability")
    if not Decimal(0) <= p <= Decimal(1):
        raise ValidationError("probability", value, "must be between 0 and 1")
    return p


@frozen
class Stage:
    """One step of a pipeline with the probability that a deal in it is eventually won."""

    name: str
    probability: Decimal = field(converter=_probability)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("stage.name", self.name, "must be a non-empty str")


@define(kw_only=True)
class Pipeline(Aggregate):
    """An ordered list of stages that every opportunity in it follows."""

    name: str
    stages: tuple[Stage, ...]

    def __attrs_post_init__(self) -> None:
        if not self.stages:
            raise ValidationError("stages", self.stages, "a pipeline needs at least one stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValidationError("stages", names, "stage names must be unique")

    def index(self, stage: str) -> int:
        for i, s in enumerate(self.stages):
            if s.name == stage:
                return i
        raise ValidationError("stage", stage, f"not a stage of pipeline {self.name!r}")

    def stage(self, name: str) -> Stage:
        return self.stages[self.index(name)]


class OpportunityStatus(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@frozen
class StageChange:
    stage: str
    entered_at: datetime


@frozen(kw_only=True)
class OpportunityOpened(DomainEvent):
    opportunity_id: str
    pipeline_id: str
    owner_id: str
    amount: Money


@frozen(kw_only=True)
class OpportunityStageChanged(DomainEvent):
    opportunity_id: str
    from_stage: str
    to_stage: str


@frozen(kw_only=True)
class OpportunityWon(DomainEvent):
    opportunity_id: str
    owner_id: str
    account_name: str
    amount: Money


@frozen(kw_only=True)
class OpportunityLost(DomainEvent):
    opportunity_id: str
    reason: str


@define(kw_only=True)
class Opportunity(Aggregate):
    """A deal: who sells what to whom, for how much, and where it stands in its pipeline."""

    pipeline_id: str
    owner_id: str
    account_name: str
    amount: Money
    expected_close: date
    created_at: datetime
    stage: str
    history: list[StageChange]
    status: OpportunityStatus = OpportunityStatus.OPEN
    closed_at: datetime | None = None
    lost_reason: str | None = None

    @classmethod
    def open(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        pipeline: Pipeline,
        owner_id: str,
        account_name: str,
        amount: Money,
        expected_close: date,
        at: datetime,
        stage: str | None = None,
    ) -> Opportunity:
        check_id("id", id)
        check_id("owner_id", owner_id)
        if not isinstance(amount, Money):
            raise ValidationError("amount", amount, "expected Money")
        if amount.is_negative():
            raise ValidationError("amount", amount, "cannot be negative")
        if not isinstance(account_name, str) or not account_name.strip():
            raise ValidationError("account_name", account_name, "must be a non-empty str")
        at = utc(at, "at")
        if not isinstance(expected_close, date) or isinstance(expected_close, datetime):
            raise ValidationError("expected_close", expected_close, "expected a date")
        if expected_close < at.date():
            raise ValidationError("expected_close", expected_close, f"is before the creation date {at.date()}")
        first = pipeline.stages[0].name if stage is None else pipeline.stage(stage).name
        opportunity = cls(
            tenant_id=tenant_id,
            id=id,
            pipeline_id=pipeline.id,
            owner_id=owner_id,
            account_name=account_name,
            amount=amount,
            expected_close=expected_close,
            created_at=at,
            stage=first,
            history=[StageChange(first, at)],
        )
        opportunity.record(
            OpportunityOpened(
                tenant_id=tenant_id,
                occurred_at=at,
                opportunity_id=id,
                pipeline_id=pipeline.id,
                owner_id=owner_id,
                amount=amount,
            )
        )
        return opportunity

    @property
    def is_open(self) -> bool:
        return self.status is OpportunityStatus.OPEN

    def _ensure_open(self) -> None:
        if not self.is_open:
            raise InvariantViolation("status", self.status.value, f"opportunity {self.id} is closed")

    def _check_time(self, at: datetime) -> datetime:
        at = utc(at, "at")
        if at < self.history[-1].entered_at:
            raise ValidationError("at", at, "is before the opportunity's last change")
        return at

    def advance(self, pipeline: Pipeline, stage: str, at: datetime) -> None:
        """Move forward to a later stage of the pipeline (skipping stages is allowed)."""
        self._ensure_open()
        target = pipeline.index(stage)
        current = pipeline.index(self.stage)
        if target <= current:
            raise InvariantViolation("stage", stage, f"is not after the current stage {self.stage!r}")
        at = self._check_time(at)
        self.history.append(StageChange(stage, at))
        self.record(
            OpportunityStageChanged(
                tenant_id=self.tenant_id, occurred_at=at, opportunity_id=self.id, from_stage=self.stage, to_stage=stage
            )
        )
        self.stage = stage

    def win(self, at: datetime) -> None:
        self._ensure_open()
        self.closed_at = self._check_time(at)
        self.status = OpportunityStatus.WON
        self.record(
            OpportunityWon(
                tenant_id=self.tenant_id,
                occurred_at=self.closed_at,
                opportunity_id=self.id,
                owner_id=self.owner_id,
                account_name=self.account_name,
                amount=self.amount,
            )
        )

    def lose(self, reason: str, at: datetime) -> None:
        self._ensure_open()
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("reason", reason, "a lost opportunity needs a reason")
        self.closed_at = self._check_time(at)
        self.status = OpportunityStatus.LOST
        self.lost_reason = reason
        self.record(
            OpportunityLost(tenant_id=self.tenant_id, occurred_at=self.closed_at, opportunity_id=self.id, reason=reason)
        )
