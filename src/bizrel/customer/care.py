"""The care system (关怀体系): recurring, planned touches that keep a relationship warm.

Schedules are dateutil rrules expanded in the customer's LOCAL wall time and only then localized in
the customer's zone, so a 10:00 quarterly review stays at 10:00 on both sides of a daylight-saving
change (expanding in UTC or with a fixed offset would drift by an hour). Wall times skipped by a
spring-forward move forward by the gap; repeated wall times at fall-back fire once, at their first
occurrence (see `contact_policy.localize`).

Day-of-month rules clamp to the end of short months: a review anchored on the 31st happens on the
30th of June and the 28th (or 29th) of February, a 29 February anniversary on 28 February in
common years.

Every touch a plan produces is requested through the contact policy; a deferred touch is kept in
the plan and requested again when its deferral ends.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from attrs import define, field, frozen
from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, YEARLY, rrule

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc, zone
from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId, check_id
from bizrel.customer.contact_policy import Touch, localize
from bizrel.customer.customers import Channel, channel, member, purpose

__all__ = ["CareOccasion", "CarePlan", "CareRule", "ScheduledTouch"]


class CareOccasion(enum.StrEnum):
    """Why a care touch is due: a quarterly review, a contract anniversary, a birthday, the end of onboarding."""

    QUARTERLY_BUSINESS_REVIEW = "quarterly_business_review"
    CONTRACT_ANNIVERSARY = "contract_anniversary"
    BIRTHDAY = "birthday"
    AFTER_ONBOARDING = "after_onboarding"


def _occasion(value: object) -> CareOccasion:
    return member(CareOccasion, "occasion", value)


def _anchor(value: object) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("anchor", value, "expected a date")
    return value


def _wall_time(value: object) -> str:
    """Kept as "HH:MM[:SS]" text (how the store keeps it); given as a naive time or such text."""
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value)
        except ValueError:
            raise ValidationError("local_time", value, "expected HH:MM") from None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationError("local_time", value, "expected a naive local time (the customer's zone applies)")
    return value.isoformat()


def _days_after(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3660:
        raise ValidationError("days_after", value, "must be an int between 0 and 3660")
    return value


@frozen(kw_only=True)
class CareRule:
    """One recurring occasion: what it is, its anchor date, the local time and the channel to use.

    The anchor is the first review date, the contract start, the birth date, or the onboarding date
    (AFTER_ONBOARDING fires once, `days_after` days after it).
    """

    occasion: CareOccasion = field(converter=_occasion)
    anchor: date = field(converter=_anchor)
    _local_time: str = field(default="10:00", converter=_wall_time, alias="local_time")
    channel: Channel = field(default=Channel.EMAIL, converter=channel)
    purpose: str = field(default="care", converter=purpose)
    days_after: int = field(default=0, converter=_days_after)

    @property
    def local_time(self) -> time:
        """The wall-clock time of day in the customer's zone."""
        return time.fromisoformat(self._local_time)

    def touch(self) -> Touch:
        return Touch(channel=self.channel, purpose=self.purpose, source=f"care:{self.occasion.value}")

    def _rule(self, near: datetime) -> rrule:
        """The rule as an rrule over naive local wall times, started at most a year before `near`.

        The start moves forward from the anchor in whole periods (computed from the anchor, never
        chained) to the first of a month, so no occurrence is lost and an old anchor (a birth date)
        costs nothing to expand; the day of the month is the anchor's, clamped in short months.
        """
        at = self.local_time
        if self.occasion is CareOccasion.AFTER_ONBOARDING:
            return rrule(DAILY, dtstart=datetime.combine(self.anchor + timedelta(days=self.days_after), at), count=1)
        step = 3 if self.occasion is CareOccasion.QUARTERLY_BUSINESS_REVIEW else 12
        behind = (near.year - self.anchor.year) * 12 + near.month - self.anchor.month - 12
        first = date(self.anchor.year, self.anchor.month, 1) + relativedelta(months=max(0, behind // step) * step)
        day: dict[str, Any] = {"bymonthday": self.anchor.day}
        if self.anchor.day > 28:
            day = {"bymonthday": (self.anchor.day, -1), "bysetpos": 1}
        if step == 3:
            return rrule(MONTHLY, interval=3, dtstart=datetime.combine(first, at), **day)
        return rrule(YEARLY, bymonth=self.anchor.month, dtstart=datetime.combine(first, at), **day)

    def _walls(self, tz: tzinfo, start: datetime) -> Iterator[datetime]:
        """Naive local wall times of the rule from a day before `start` on (a day of slack so that no
        wall time near the bound is lost to the zone offset; callers cut exactly)."""
        lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        for wall in self._rule(lo).xafter(lo, inc=True):
            if self.occasion is CareOccasion.CONTRACT_ANNIVERSARY and wall.date() == self.anchor:
                continue  # the contract start itself is not an anniversary
            yield wall

    def window(self, tz: tzinfo, start: datetime, end: datetime) -> tuple[list[datetime], datetime | None]:
        """Instants in [start, end) and the first one at or after `end` (None when there is none),
        from one pass over the rule."""
        start, end = utc(start, "start"), utc(end, "end")
        inside: list[datetime] = []
        for wall in self._walls(tz, start):
            at = localize(wall, tz)
            if at >= end:
                return inside, at
            if at >= start:
                inside.append(at)
        return inside, None

    def occurrences(self, tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
        """Instants in [start, end), expanded in local wall time and localized in `tz`."""
        return self.window(tz, start, end)[0]

    def next_occurrence(self, tz: tzinfo, start: datetime) -> datetime | None:
        """The first instant at or after `start` (None when a one-off occasion has passed)."""
        return self.window(tz, start, start)[1]


@frozen(kw_only=True)
class ScheduledTouch:
    """A touch a care rule wants at an instant; for a deferred touch, the instant its deferral ends."""

    at: datetime
    occasion: CareOccasion
    touch: Touch


@define(kw_only=True)
class CarePlan(Aggregate):
    """A customer's care rules, how far they have been run, and touches waiting after a deferral."""

    customer_id: str
    rules: list[CareRule]
    created_at: datetime
    run_until: datetime
    next_due: datetime | None = None
    pending: list[ScheduledTouch] = field(factory=list)

    @classmethod
    def create(
        cls, *, tenant_id: TenantId, id: str, customer_id: str, rules: list[CareRule], at: datetime, timezone: str
    ) -> CarePlan:
        """A plan for a customer in `timezone` (the zone its schedule is expanded in)."""
        check_id("id", id)
        check_id("customer_id", customer_id)
        at = utc(at, "at")
        if not rules:
            raise ValidationError("rules", rules, "a care plan needs at least one rule")
        for rule in rules:
            if not isinstance(rule, CareRule):
                raise ValidationError("rules", rule, "expected CareRule")
        tz = zone(timezone, "timezone")
        plan = cls(tenant_id=tenant_id, id=id, customer_id=customer_id, rules=list(rules), created_at=at, run_until=at)
        plan._plan_next(tz)
        return plan

    def _plan_next(self, tz: tzinfo, upcoming: list[datetime | None] | None = None) -> None:
        """Keep `next_due` (indexed by the store) at the earliest pending or scheduled touch."""
        if upcoming is None:
            upcoming = [rule.next_occurrence(tz, self.run_until) for rule in self.rules]
        candidates = [p.at for p in self.pending] + [at for at in upcoming if at is not None]
        self.next_due = min(candidates, default=None)

    def schedule(self, timezone: str, start: datetime, end: datetime) -> list[ScheduledTouch]:
        """Every touch the rules want in [start, end), in time order."""
        tz = zone(timezone, "timezone")
        touches = [
            ScheduledTouch(at=at, occasion=rule.occasion, touch=rule.touch())
            for rule in self.rules
            for at in rule.occurrences(tz, start, end)
        ]
        return sorted(touches, key=lambda s: (s.at, s.occasion.value))

    def due(self, timezone: str, now: datetime) -> list[ScheduledTouch]:
        """Touches to request now: deferred ones whose wait is over, and new ones since the last run.

        Takes them out of the plan and moves the run mark to `now`; re-add what is deferred again.
        """
        now = utc(now, "now")
        tz = zone(timezone, "timezone")
        ready = [p for p in self.pending if p.at <= now]
        self.pending = [p for p in self.pending if p.at > now]
        end = max(self.run_until, now + timedelta(microseconds=1))
        upcoming: list[datetime | None] = []
        for rule in self.rules:
            inside, following = rule.window(tz, self.run_until, end)
            ready += [ScheduledTouch(at=at, occasion=rule.occasion, touch=rule.touch()) for at in inside]
            upcoming.append(following)
        self.run_until = end
        self._plan_next(tz, upcoming)
        return sorted(ready, key=lambda p: (p.at, p.occasion.value))

    def defer(self, touch: ScheduledTouch, until: datetime) -> None:
        until = utc(until, "until")
        self.pending.append(ScheduledTouch(at=until, occasion=touch.occasion, touch=touch.touch))
        self.next_due = until if self.next_due is None else min(self.next_due, until)
