"""Who holds a lead or an account, since when, and every hand-over: the state the pool (公海) reads.

Leads and sales-side accounts both carry a Holding. Follow-ups are kept per kind (an activity, a
stage change, a won deal) so that each pool decides at sweep time which kinds count.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

from attrs import define, field, frozen

from bizrel.core.clock import utc

__all__ = ["FollowUpKind", "Holding", "OwnershipChange"]


class FollowUpKind(enum.StrEnum):
    """What counts as following up a held record: an activity, a stage move or a won deal."""

    ACTIVITY = "activity"
    STAGE_CHANGE = "stage_change"
    WON_DEAL = "won_deal"


@frozen
class OwnershipChange:
    """One hand-over: assigned, claimed, returned (by the pool) or released (by its owner)."""

    action: str
    at: datetime
    owner_id: str | None
    previous_owner_id: str | None
    reason: str | None = None


@define(kw_only=True)
class Holding:
    """Who holds a lead or account, since when, from which pool, and the follow-ups that keep it held."""

    owner_id: str | None = None
    pool_id: str | None = None
    level: str | None = None
    held_since: datetime | None = None
    follow_ups: dict[FollowUpKind, datetime] = field(factory=dict)
    returned_at: datetime | None = None
    return_reason: str | None = None
    previous_owner_id: str | None = None
    reminded_at: datetime | None = None
    log: list[OwnershipChange] = field(factory=list)

    def take(self, owner_id: str, at: datetime, action: str) -> None:
        """A new owner; the last return reason stays readable for them."""
        at = utc(at, "at")
        self.log.append(OwnershipChange(action, at, owner_id, self.owner_id, self.return_reason))
        self.owner_id = owner_id
        self.held_since = at
        self.reminded_at = None

    def give_back(self, at: datetime, reason: str, action: str) -> str | None:
        """Back to the pool; returns the owner who lost it."""
        at = utc(at, "at")
        previous = self.owner_id
        self.log.append(OwnershipChange(action, at, None, previous, reason))
        self.previous_owner_id = previous
        self.owner_id = None
        self.held_since = None
        self.returned_at = at
        self.return_reason = reason
        self.reminded_at = None
        return previous

    def touch(self, kind: FollowUpKind, at: datetime) -> None:
        at = utc(at, "at")
        last = self.follow_ups.get(kind)
        if last is None or at > last:
            self.follow_ups[kind] = at
            self.reminded_at = None

    def last_follow_up(self, kinds: Iterable[FollowUpKind]) -> datetime | None:
        """The latest of taking it over and every follow-up of a counted kind."""
        times = [self.follow_ups[k] for k in kinds if k in self.follow_ups]
        if self.held_since is not None:
            times = [t for t in times if t >= self.held_since] + [self.held_since]
        return max(times) if times else None
