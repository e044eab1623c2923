"""The public lead pool (公海): held leads and accounts that nobody follows up go back to the pool.

A PoolPolicy says after how many days without follow-up a record returns (per customer level),
which follow-ups count, how many days before that the owner is reminded, and the extra reclaim
triggers (no open opportunity for N days; contract end plus N days). Claiming is capped by the
number held, a daily claim limit and a cool-down before the previous owner may take it back.
Every claim and return is a PoolMove; the reason of the last return travels with the record.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.errors import ValidationError
from bizrel.core.events import DomainEvent
from bizrel.sales.holding import FollowUpKind, Holding

__all__ = [
    "ClaimedFromPool",
    "PoolMove",
    "PoolPolicy",
    "PoolReturnReminder",
    "RecordKind",
    "ReturnedToPool",
]


class RecordKind(enum.StrEnum):
    """What a pool holds: leads or accounts."""

    LEAD = "lead"
    ACCOUNT = "account"


@frozen(kw_only=True)
class ReturnedToPool(DomainEvent):
    """Event: a record went back to the public pool (not followed up in time, or released)."""

    record_kind: RecordKind
    record_id: str
    pool_id: str
    previous_owner_id: str | None
    reason: str


@frozen(kw_only=True)
class ClaimedFromPool(DomainEvent):
    """Event: a rep claimed a record from the pool."""

    record_kind: RecordKind
    record_id: str
    pool_id: str
    owner_id: str
    last_return_reason: str | None


@frozen(kw_only=True)
class PoolReturnReminder(DomainEvent):
    """Event: a held record will return to the pool soon unless followed up."""

    record_kind: RecordKind
    record_id: str
    pool_id: str
    owner_id: str
    returns_at: datetime


def _non_negative(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValidationError(name, value, "must be a whole number of days >= 0")


@define(kw_only=True)
class PoolPolicy(Aggregate):
    """One pool and its rules (see the module docstring)."""

    name: str
    follow_up_days: int
    days_by_level: dict[str, int] = field(factory=dict)
    follow_up_kinds: tuple[FollowUpKind, ...] = (
        FollowUpKind.ACTIVITY,
        FollowUpKind.STAGE_CHANGE,
        FollowUpKind.WON_DEAL,
    )
    remind_days_before: int = 0
    no_open_opportunity_days: int | None = None
    contract_end_days: int | None = None
    max_held: int = 50
    daily_claim_limit: int = 10
    cooldown_days: int = 0

    def __attrs_post_init__(self) -> None:
        for name in (
            "follow_up_days",
            "remind_days_before",
            "no_open_opportunity_days",
            "contract_end_days",
            "cooldown_days",
        ):
            _non_negative(name, getattr(self, name))
        for level, days in self.days_by_level.items():
            _non_negative(f"days_by_level[{level}]", days)
        if self.follow_up_days < 1:
            raise ValidationError("follow_up_days", self.follow_up_days, "must be at least 1 day")
        for name in ("max_held", "daily_claim_limit"):
            if getattr(self, name) < 1:
                raise ValidationError(name, getattr(self, name), "must be at least 1")

    def days_for(self, level: str | None) -> int:
        return self.days_by_level.get(level, self.follow_up_days) if level is not None else self.follow_up_days

    def deadline(self, holding: Holding) -> datetime | None:
        """When a held record returns for lack of follow-up (None if it is not held)."""
        last = holding.last_follow_up(self.follow_up_kinds)
        if holding.owner_id is None or last is None:
            return None
        return last + timedelta(days=self.days_for(holding.level))

    def reminder_due(self, holding: Holding, now: datetime) -> datetime | None:
        """The return deadline, when the owner should be (and has not yet been) reminded now."""
        deadline = self.deadline(holding)
        if deadline is None or holding.reminded_at is not None or self.remind_days_before == 0:
            return None
        return deadline if deadline - timedelta(days=self.remind_days_before) <= now < deadline else None

    def return_reason(
        self,
        holding: Holding,
        now: datetime,
        *,
        has_open_opportunity: bool | None = None,
        contract_end: date | None = None,
    ) -> str | None:
        """Why the record must return now, or None. Checked in order: follow-up, opportunity, contract."""
        deadline = self.deadline(holding)
        if deadline is None or holding.held_since is None:
            return None
        if now >= deadline:
            return f"no follow-up for {self.days_for(holding.level)} days"
        if (
            has_open_opportunity is False
            and self.no_open_opportunity_days is not None
            and now >= holding.held_since + timedelta(days=self.no_open_opportunity_days)
        ):
            return f"no open opportunity for {self.no_open_opportunity_days} days"
        if contract_end is not None and self.contract_end_days is not None:
            due = contract_end + timedelta(days=self.contract_end_days)
            if holding.held_since.date() < due <= now.date():
                return f"contract ended {contract_end.isoformat()} + {self.contract_end_days} days"
        return None


@define(kw_only=True)
class PoolMove(Aggregate):
    """An append-only record of one claim, assignment, return or release."""

    pool_id: str
    record_kind: RecordKind
    record_id: str
    action: str
    owner_id: str | None
    previous_owner_id: str | None
    at: datetime
    day: date
    reason: str | None = None
