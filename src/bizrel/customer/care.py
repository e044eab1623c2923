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

from attrs import define, field, frozen
from dateutil.rrule import DAILY, MONTHLY, YEARLY, rrule

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc, zone
from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId, check_id
from bizrel.customer.contact_policy import Touch, localize
from bizrel.customer.customers import Channel, channel, purpose

__all__ = ["CareOccasion", "CarePlan", "CareRule", "PendingTouch", "ScheduledTouch"]


class CareOccasion(enum.StrEnum):
    QUARTERLY_BUSINESS_REVIEW = "quarterly_business_review"
    CONTRACT_ANNIVERSARY = "contract_anniversary"
    BIRTHDAY = "birthday"
    AFTER_ONBOARDING = "after_onboarding"


def _occasion(value: object) -> CareOccasion:
    if isinstance(value, str) and value in CareOccasion.__members__.values():
        return CareOccasion(value)
    raise ValidationError("occasion", value, f"expected one of {', '.join(o.value for o in CareOccasion)}")


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

    def _rule(self) -> rrule:
        start = datetime.combine(self.anchor, self.local_time)  # naive: local wall time
        clamp = {"bymonthday": (self.anchor.day, -1), "bysetpos": 1} if self.anchor.day > 28 else {}
        match self.occasion:
            case CareOccasion.QUARTERLY_BUSINESS_REVIEW:
                return rrule(MONTHLY, interval=3, dtstart=start, **clamp)  # type: ignore[arg-type]
            case CareOccasion.CONTRACT_ANNIVERSARY | CareOccasion.BIRTHDAY:
                return rrule(YEARLY, dtstart=start, bymonth=self.anchor.month, **clamp)  # type: ignore[arg-type]
            case CareOccasion.AFTER_ONBOARDING:
                return rrule(DAILY, dtstart=start + timedelta(days=self.days_after), count=1)

    def _walls(self, tz: tzinfo, start: datetime) -> Iterator[datetime]:
        """Naive local wall times of the rule from a day before `start` on (a day of slack so that no
        wall time near the bound is lost to the zone offset; callers cut exactly)."""
        lo = start.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        for wall in self._rule().xafter(lo, inc=True):
            if self.occasion is CareOccasion.CONTRACT_ANNIVERSARY and wall.date() == self.anchor:
                continue  # the contract start itself is not an anniversary
            yield wall

    def occurrences(self, tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
        """Instants in [start, end), expanded in local wall time and localized in `tz`."""
        start, end = utc(start, "start"), utc(end, "end")
        result = []
        for wall in self._walls(tz, start):
            at = localize(wall, tz)
            if at >= end:
                break
            if at >= start:
                result.append(at)
        return result

    def next_occurrence(self, tz: tzinfo, start: datetime) -> datetime | None:
        """The first instant at or after `start` (None when a one-off occasion has passed)."""
        start = utc(start, "start")
        return next((at for at in (localize(w, tz) for w in self._walls(tz, start)) if at >= start), None)


@frozen(kw_only=True)
class ScheduledTouch:
    """A touch a care rule wants at a given instant (in the customer's zone)."""

    at: datetime
    occasion: CareOccasion
    touch: Touch


@frozen(kw_only=True)
class PendingTouch:
    """A touch the contact policy deferred: requested again from `until` on."""

    until: datetime
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
    pending: list[PendingTouch] = field(factory=list)

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

    def _plan_next(self, tz: tzinfo) -> None:
        """Keep `next_due` (indexed by the store) at the earliest pending or scheduled touch."""
        candidates = [p.until for p in self.pending]
        candidates += [at for rule in self.rules if (at := rule.next_occurrence(tz, self.run_until)) is not None]
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

    def due(self, timezone: str, now: datetime) -> list[PendingTouch]:
        """Touches to request now: deferred ones whose wait is over, and new ones since the last run.

        Takes them out of the plan and moves the run mark to `now`; re-add what is deferred again.
        """
        now = utc(now, "now")
        ready = [p for p in self.pending if p.until <= now]
        self.pending = [p for p in self.pending if p.until > now]
        fresh = [
            PendingTouch(until=s.at, occasion=s.occasion, touch=s.touch)
            for s in self.schedule(timezone, self.run_until, now + timedelta(microseconds=1))
        ]
        self.run_until = max(self.run_until, now + timedelta(microseconds=1))
        self._plan_next(zone(timezone, "timezone"))
        return sorted(ready + fresh, key=lambda p: (p.until, p.occasion.value))

    def defer(self, touch: PendingTouch, until: datetime) -> None:
        until = utc(until, "until")
        self.pending.append(PendingTouch(until=until, occasion=touch.occasion, touch=touch.touch))
        self.next_due = until if self.next_due is None else min(self.next_due, until)
