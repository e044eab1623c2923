"""Pipelines and opportunities: the standardized sales process and the deals that move through it.

A pipeline is how a tenant standardizes selling: ordered stages, each with a win probability and
exit criteria (fields that must be filled, activities that must be done, an approval) that are
enforced when a deal leaves the stage, an allowed-transition graph and a rollback policy for moves
back, and the list of reasons a deal may be lost for. Every move is kept in the deal's history.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import InvariantViolation, PolicyViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money, to_decimal

__all__ = [
    "ExitCriteria",
    "ForecastCategory",
    "Opportunity",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityStageChanged",
    "OpportunityStatus",
    "OpportunityWon",
    "Pipeline",
    "PipelineKind",
    "RollbackPolicy",
    "Stage",
    "StageApproval",
    "StageChange",
]


def _probability(value: object) -> Decimal:
    p = to_decimal(value, "probability")
    if not Decimal(0) <= p <= Decimal(1):
        raise ValidationError("probability", value, "must be between 0 and 1")
    return p


class PipelineKind(enum.StrEnum):
    """What a pipeline sells: new business, renewal or upsell."""

    NEW_BUSINESS = "new_business"
    RENEWAL = "renewal"
    UPSELL = "upsell"


class ForecastCategory(enum.StrEnum):
    """Salesforce-style forecast categories; OMITTED deals are left out of every forecast total."""

    COMMIT = "commit"
    BEST_CASE = "best_case"
    PIPELINE = "pipeline"
    OMITTED = "omitted"

    @classmethod
    def for_probability(cls, probability: Decimal) -> ForecastCategory:
        """The default when a stage names none: >= 70% commit, >= 40% best case, > 0 pipeline."""
        if probability >= Decimal("0.7"):
            return cls.COMMIT
        if probability >= Decimal("0.4"):
            return cls.BEST_CASE
        return cls.PIPELINE if probability > 0 else cls.OMITTED


class RollbackPolicy(enum.StrEnum):
    """What a move back to an earlier stage needs: FORBIDDEN, ALLOWED, or a written REASON."""

    FORBIDDEN = "forbidden"
    ALLOWED = "allowed"
    REASON = "reason"


@frozen
class ExitCriteria:
    """What must be true before a deal may leave a stage (forward, or to won).

    `fields` names opportunity attributes (amount, account_id, contact_id, source, segment, ...)
    or keys of its custom `fields`; `activities` names activity kinds (call, meeting, ...) that
    must have been completed on the deal; `approval` requires a recorded approval of the stage.
    """

    fields: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    approval: bool = False


@frozen
class Stage:
    """One step of a pipeline with the probability that a deal in it is eventually won."""

    name: str
    probability: Decimal = field(converter=_probability)
    exit: ExitCriteria = ExitCriteria()
    forecast_category: ForecastCategory | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("stage.name", self.name, "must be a non-empty str")

    @property
    def category(self) -> ForecastCategory:
        return self.forecast_category or ForecastCategory.for_probability(self.probability)


@define(kw_only=True)
class Pipeline(Aggregate):
    """An ordered list of stages that every opportunity in it follows.

    `transitions` maps a stage to the stages it may move to; a stage missing from the map may move
    to any later stage. Every move back obeys `rollback`, whether or not `transitions` lists it:
    the graph says where a deal may go, the policy what going back costs. `lost_reasons`, when not empty, is the only
    list a deal in this pipeline may be lost for.
    """

    name: str
    stages: tuple[Stage, ...]
    kind: PipelineKind = PipelineKind.NEW_BUSINESS
    transitions: dict[str, tuple[str, ...]] = field(factory=dict)
    rollback: RollbackPolicy = RollbackPolicy.REASON
    lost_reasons: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if not self.stages:
            raise ValidationError("stages", self.stages, "a pipeline needs at least one stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValidationError("stages", names, "stage names must be unique")
        for source, targets in self.transitions.items():
            for name in (source, *targets):
                self.index(name)
        if len(set(self.lost_reasons)) != len(self.lost_reasons):
            raise ValidationError("lost_reasons", self.lost_reasons, "reasons must be unique")

    def index(self, stage: str) -> int:
        for i, s in enumerate(self.stages):
            if s.name == stage:
                return i
        raise ValidationError("stage", stage, f"not a stage of pipeline {self.name!r}")

    def stage(self, name: str) -> Stage:
        return self.stages[self.index(name)]

    def check_move(self, current: str, target: str, reason: str | None) -> None:
        """Raise unless the graph and the rollback policy allow current -> target.

        The graph is checked first; a move back it allows still obeys the rollback policy (a move
        back listed in `transitions` under REASON needs a reason like any other).
        """
        i, j = self.index(current), self.index(target)
        if i == j:
            raise InvariantViolation("stage", target, "is already the current stage")
        allowed = self.transitions.get(current)
        if allowed is not None and target not in allowed:
            raise PolicyViolation("pipeline.transitions", f"{current} -> {target}", f"allowed: {list(allowed)}")
        if j < i:
            if self.rollback is RollbackPolicy.FORBIDDEN:
                raise PolicyViolation("pipeline.rollback", f"{current} -> {target}", "moves back are forbidden")
            if self.rollback is RollbackPolicy.REASON and not (reason and reason.strip()):
                raise PolicyViolation("pipeline.rollback", f"{current} -> {target}", "a move back needs a reason")

    def check_lost_reason(self, reason: str) -> None:
        if self.lost_reasons and reason not in self.lost_reasons:
            raise ValidationError("reason", reason, f"not one of the lost reasons {list(self.lost_reasons)}")


class OpportunityStatus(enum.StrEnum):
    """Whether a deal is open, won or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


@frozen
class StageChange:
    """One entry of a deal's append-only history: the stage it entered, when, by whom, and why."""

    stage: str
    entered_at: datetime
    by: str | None = None
    reason: str | None = None


@frozen
class StageApproval:
    """An approval a stage required: who gave it and when."""

    stage: str
    approved_by: str
    approved_at: datetime


@frozen(kw_only=True)
class OpportunityOpened(DomainEvent):
    """Event: a deal was opened in a pipeline."""

    opportunity_id: str
    pipeline_id: str
    owner_id: str
    amount: Money


@frozen(kw_only=True)
class OpportunityStageChanged(DomainEvent):
    """Event: a deal moved to another stage."""

    opportunity_id: str
    from_stage: str
    to_stage: str
    account_id: str | None = None


@frozen(kw_only=True)
class OpportunityWon(DomainEvent):
    """Event: a deal was won (customer success takes it from here)."""

    opportunity_id: str
    owner_id: str
    account_name: str
    amount: Money
    account_id: str | None = None


@frozen(kw_only=True)
class OpportunityLost(DomainEvent):
    """Event: a deal was lost, with the reason."""

    opportunity_id: str
    reason: str


_CORE_FIELDS = ("amount", "account_id", "contact_id", "source", "segment", "expected_close", "account_name")


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
    kind: PipelineKind = PipelineKind.NEW_BUSINESS
    source: str | None = None
    segment: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    lead_id: str | None = None
    fields: dict[str, str] = field(factory=dict)
    approvals: list[StageApproval] = field(factory=list)
    forecast_override: ForecastCategory | None = None

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
        source: str | None = None,
        segment: str | None = None,
        account_id: str | None = None,
        contact_id: str | None = None,
        lead_id: str | None = None,
        fields: Mapping[str, str] | None = None,
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
        for name, value in (("account_id", account_id), ("contact_id", contact_id), ("lead_id", lead_id)):
            if value is not None:
                check_id(name, value)
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
            history=[StageChange(first, at, owner_id)],
            kind=pipeline.kind,
            source=source,
            segment=segment,
            account_id=account_id,
            contact_id=contact_id,
            lead_id=lead_id,
            fields=dict(fields or {}),
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

    def annotate(self, name: str, value: str) -> None:
        """Set a custom field learned after the close too (why the customer later churned, say)."""
        for label, text in (("name", name), ("value", value)):
            if not isinstance(text, str) or not text.strip():
                raise ValidationError(label, text, "must be a non-empty str")
        if name in _CORE_FIELDS:
            raise ValidationError("name", name, "is a core field of the deal, not a custom one")
        self.fields[name] = value

    def has_field(self, name: str) -> bool:
        if name in _CORE_FIELDS:
            value = getattr(self, name)
            return value is not None and not (isinstance(value, Money) and value.is_zero())
        return bool(self.fields.get(name, "").strip())

    def check_exit(self, pipeline: Pipeline, stage: str, completed_activities: Collection[str]) -> None:
        """PolicyViolation naming the first exit criterion of `stage` this deal does not meet."""
        criteria = pipeline.stage(stage).exit
        subject = f"opportunity {self.id} leaving {stage!r}"
        for name in criteria.fields:
            if not self.has_field(name):
                raise PolicyViolation("exit_criteria.field", subject, f"required field {name!r} is missing")
        for kind in criteria.activities:
            if kind not in completed_activities:
                raise PolicyViolation("exit_criteria.activity", subject, f"required activity {kind!r} not completed")
        if criteria.approval and not any(a.stage == stage for a in self.approvals):
            raise PolicyViolation("exit_criteria.approval", subject, f"stage {stage!r} needs an approval")

    def _check_exits(self, pipeline: Pipeline, upto: int, completed_activities: Collection[str]) -> None:
        for k in range(pipeline.index(self.stage), upto):
            self.check_exit(pipeline, pipeline.stages[k].name, completed_activities)

    def approve(self, stage: str, by: str, at: datetime, pipeline: Pipeline) -> None:
        """Record the approval an exit criterion asks for."""
        self._ensure_open()
        pipeline.index(stage)
        check_id("approved_by", by)
        self.approvals.append(StageApproval(stage, by, utc(at, "at")))

    def move(
        self,
        pipeline: Pipeline,
        stage: str,
        at: datetime,
        *,
        completed_activities: Collection[str] = (),
        by: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Move to another stage: forward after meeting every exit criterion on the way, back by policy."""
        self._ensure_open()
        pipeline.check_move(self.stage, stage, reason)
        target = pipeline.index(stage)
        if target > pipeline.index(self.stage):
            self._check_exits(pipeline, target, completed_activities)
        at = self._check_time(at)
        self.history.append(StageChange(stage, at, by, reason))
        self.record(
            OpportunityStageChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                opportunity_id=self.id,
                from_stage=self.stage,
                to_stage=stage,
                account_id=self.account_id,
            )
        )
        self.stage = stage

    def advance(
        self,
        pipeline: Pipeline,
        stage: str,
        at: datetime,
        *,
        completed_activities: Collection[str] = (),
        by: str | None = None,
    ) -> None:
        """Move forward to a later stage of the pipeline (skipping stages is allowed)."""
        self._ensure_open()
        if pipeline.index(stage) <= pipeline.index(self.stage):
            raise InvariantViolation("stage", stage, f"is not after the current stage {self.stage!r}")
        self.move(pipeline, stage, at, completed_activities=completed_activities, by=by)

    def win(
        self, at: datetime, pipeline: Pipeline | None = None, *, completed_activities: Collection[str] = ()
    ) -> None:
        """Close as won; with the pipeline given, the remaining stages' exit criteria must be met."""
        self._ensure_open()
        if pipeline is not None:
            self._check_exits(pipeline, len(pipeline.stages), completed_activities)
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
                account_id=self.account_id,
            )
        )

    def lose(self, reason: str, at: datetime, pipeline: Pipeline | None = None) -> None:
        self._ensure_open()
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("reason", reason, "a lost opportunity needs a reason")
        if pipeline is not None:
            pipeline.check_lost_reason(reason)
        self.closed_at = self._check_time(at)
        self.status = OpportunityStatus.LOST
        self.lost_reason = reason
        self.record(
            OpportunityLost(tenant_id=self.tenant_id, occurred_at=self.closed_at, opportunity_id=self.id, reason=reason)
        )

    def override_forecast(self, category: ForecastCategory | None) -> None:
        """A rep's own call on the deal's forecast category (None returns to the stage's default)."""
        self._ensure_open()
        self.forecast_override = None if category is None else ForecastCategory(category)
