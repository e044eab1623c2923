"""Activities: the tasks, calls, meetings and emails that move leads and deals forward.

Completed activities are follow-ups for the pool and satisfy exit criteria that name their kind.
`overdue_activities` and `stale_opportunities` are pure functions for a manager's daily review.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.ids import TenantId, check_id
from bizrel.core.numbers import ratio
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.pipeline import Opportunity

__all__ = [
    "Activity",
    "ActivityKind",
    "StaleOpportunity",
    "StaleReport",
    "median_stage_times",
    "overdue_activities",
    "stale_opportunities",
]


class ActivityKind(enum.StrEnum):
    """The kind of a sales activity: task, call, meeting or e-mail."""

    TASK = "task"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"


@define(kw_only=True)
class Activity(Aggregate):
    """A sales activity on a lead or deal, due at a time, done or not."""

    kind: ActivityKind
    subject: str
    owner_id: str
    created_at: datetime
    lead_id: str | None = None
    opportunity_id: str | None = None
    account_id: str | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        kind: ActivityKind | str,
        subject: str,
        owner_id: str,
        at: datetime,
        lead_id: str | None = None,
        opportunity_id: str | None = None,
        account_id: str | None = None,
        due_at: datetime | None = None,
        done: bool = False,
    ) -> Activity:
        check_id("id", id)
        check_id("owner_id", owner_id)
        try:
            kind = ActivityKind(kind)
        except ValueError:
            raise ValidationError("kind", kind, f"one of {[k.value for k in ActivityKind]}") from None
        if lead_id is None and opportunity_id is None and account_id is None:
            raise ValidationError("lead_id", None, "an activity is linked to a lead, an opportunity or an account")
        at = utc(at, "at")
        return cls(
            tenant_id=tenant_id,
            id=id,
            kind=kind,
            subject=subject,
            owner_id=owner_id,
            created_at=at,
            lead_id=lead_id,
            opportunity_id=opportunity_id,
            account_id=account_id,
            due_at=utc(due_at, "due_at") if due_at is not None else None,
            done_at=at if done else None,
        )

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def complete(self, at: datetime) -> None:
        if self.done_at is not None:
            raise InvariantViolation("done_at", self.done_at, f"activity {self.id} is already done")
        at = utc(at, "at")
        if at < self.created_at:
            raise ValidationError("at", at, "is before the activity was created")
        self.done_at = at

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.due_at is not None and self.due_at < now


def overdue_activities(activities: Iterable[Activity], now: datetime) -> list[Activity]:
    """Open activities past their due time, the longest overdue first."""
    now = utc(now, "now")
    late = [a for a in activities if a.is_overdue(now)]
    return sorted(late, key=lambda a: (a.due_at, a.id))


def median_stage_times(opportunities: Iterable[Opportunity]) -> dict[str, timedelta]:
    """The usual (median) time a deal spends in each stage, from completed stays in the history."""
    stays: defaultdict[str, list[timedelta]] = defaultdict(list)
    for opp in opportunities:
        for here, nxt in zip(opp.history, opp.history[1:], strict=False):
            stays[here.stage].append(nxt.entered_at - here.entered_at)
        if opp.closed_at is not None:
            stays[opp.history[-1].stage].append(opp.closed_at - opp.history[-1].entered_at)
    return {stage: _median(times) for stage, times in stays.items()}


def _median(times: list[timedelta]) -> timedelta:
    times.sort()
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def _days(delta: timedelta) -> Decimal:
    return ratio(int(delta.total_seconds()), 86400, 1) or Decimal(0)


@frozen
class StaleOpportunity:
    """An open deal gone quiet: days without activity and in its stage, beside the usual days in that stage."""

    opportunity_id: str
    owner_id: str
    stage: str
    days_without_activity: int | None
    days_in_stage: int
    usual_days_in_stage: Decimal | None
    reasons: tuple[str, ...]


@frozen
class StaleReport(Result):
    """The open deals that have gone quiet, per owner."""

    items: tuple[StaleOpportunity, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "opportunity_id": s.opportunity_id,
                "owner_id": s.owner_id,
                "stage": s.stage,
                "days_without_activity": s.days_without_activity,
                "days_in_stage": s.days_in_stage,
                "usual_days_in_stage": s.usual_days_in_stage,
                "reasons": "; ".join(s.reasons),
            }
            for s in self.items
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows = [list(r.values()) for r in self.to_rows()]
        return list(self.to_rows()[0]) if rows else ["opportunity_id"], rows, f"Stale opportunities: {len(rows)}"

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def stale_opportunities(
    opportunities: Iterable[Opportunity],
    activities: Iterable[Activity],
    now: datetime,
    *,
    no_activity_days: int = 14,
    stage_factor: Decimal | int = 2,
    history: Iterable[Opportunity] | None = None,
) -> StaleReport:
    """Open deals with no completed activity for `no_activity_days`, or in their stage longer than
    `stage_factor` x the median time deals spend there (medians from `history`, default the same deals)."""
    now = utc(now, "now")
    opps = list(opportunities)
    usual = median_stage_times(opps if history is None else history)
    last_done: dict[str, datetime] = {}
    for a in activities:
        if a.opportunity_id is not None and a.done_at is not None:
            seen = last_done.get(a.opportunity_id)
            last_done[a.opportunity_id] = a.done_at if seen is None else max(seen, a.done_at)
    items = []
    for opp in opps:
        if not opp.is_open:
            continue
        since = last_done.get(opp.id, opp.created_at)
        idle = (now - since).days
        in_stage = now - opp.history[-1].entered_at
        median = usual.get(opp.stage)
        reasons = []
        if idle >= no_activity_days:
            reasons.append(f"no activity for {idle} days")
        if median is not None and median > timedelta(0) and _days(in_stage) > Decimal(stage_factor) * _days(median):
            reasons.append(f"{in_stage.days} days in {opp.stage} (usual {_days(median)})")
        if reasons:
            items.append(
                StaleOpportunity(
                    opportunity_id=opp.id,
                    owner_id=opp.owner_id,
                    stage=opp.stage,
                    days_without_activity=idle if opp.id in last_done else None,
                    days_in_stage=in_stage.days,
                    usual_days_in_stage=_days(median) if median is not None else None,
                    reasons=tuple(reasons),
                )
            )
    return StaleReport(tuple(sorted(items, key=lambda s: (-s.days_in_stage, s.opportunity_id))))
