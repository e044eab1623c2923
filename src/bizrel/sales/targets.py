"""Sales targets (销售目标) and their exact allocation (分配目标).

A target is a value of one metric for one owner (rep, team or the organisation) and one period.
Money metrics hold Money and are split with Money.allocate; count metrics hold ints and are split
with the same largest-remainder rule, so every split sums exactly to its parent. Revisions keep
their history: the value on any day is the latest revision effective by then.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias, TypeVar

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, InvariantViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money, allocate_minor, to_decimal
from bizrel.core.periods import FiscalCalendar, Period

__all__ = [
    "COUNT_METRICS",
    "MONEY_METRICS",
    "Metric",
    "OwnerKind",
    "SeasonalDistribution",
    "Target",
    "TargetRevised",
    "TargetRevision",
    "TargetSet",
    "TargetValue",
    "Weight",
    "allocate_value",
    "capacity_weights",
    "check_value",
    "check_weights",
    "choice",
    "equal_weights",
    "prorate",
    "roll_up",
    "share_weights",
    "split_value",
    "spread",
]

TargetValue: TypeAlias = Money | int


E = TypeVar("E", bound=enum.Enum)


def choice(options: type[E], value: object, field: str) -> E:
    """One of an enum's members, given as a member or its value; anything else names the field."""
    try:
        return options(value)
    except ValueError:
        raise ValidationError(field, value, f"one of {[o.value for o in options]}") from None


class Metric(enum.StrEnum):
    """What a target counts: bookings, collections, new customers, activities, or a custom metric."""

    BOOKINGS = "bookings"
    COLLECTIONS = "collections"
    NEW_CUSTOMERS = "new_customers"
    ACTIVITIES = "activities"
    CUSTOM = "custom"


MONEY_METRICS = frozenset({Metric.BOOKINGS, Metric.COLLECTIONS})
COUNT_METRICS = frozenset({Metric.NEW_CUSTOMERS, Metric.ACTIVITIES})


class OwnerKind(enum.StrEnum):
    """Who a target is for: a rep, a team or the organisation."""

    REP = "rep"
    TEAM = "team"
    ORG = "org"


# -- weights and exact splitting -----------------------------------------------------------------

Weight: TypeAlias = Decimal | int | str | Money


def check_weights(weights: Mapping[str, Weight], field: str = "weights") -> dict[str, Decimal]:
    """Weights as Decimals; refuses an empty mapping, a negative weight or all zeros, naming the field."""
    if not weights:
        raise ValidationError(field, dict(weights), "at least one weight is needed")
    out: dict[str, Decimal] = {}
    for key, w in weights.items():
        value = w.amount if isinstance(w, Money) else to_decimal(w, f"{field}[{key}]")
        if value < 0:
            raise ValidationError(f"{field}[{key}]", w, "weights cannot be negative")
        out[key] = value
    if not any(out.values()):
        raise ValidationError(field, dict(weights), "weights cannot all be zero")
    return out


def split_value(value: TargetValue, weights: Sequence[Decimal]) -> list[TargetValue]:
    """Largest-remainder split of Money (in minor units) or of a count; the parts sum to value."""
    if isinstance(value, Money):
        return list(value.allocate(weights))
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("value", value, "expected Money or an int count")
    return list(allocate_minor(value, list(weights)))


def allocate_value(value: TargetValue, weights: Mapping[str, Weight], field: str = "weights") -> dict[str, TargetValue]:
    """Split a parent value over keys in proportion to their weights, exactly."""
    checked = check_weights(weights, field)
    return dict(zip(checked, split_value(value, list(checked.values())), strict=True))


def equal_weights(keys: Iterable[str]) -> dict[str, Decimal]:
    """Weights that split a target equally between `keys`."""
    return {k: Decimal(1) for k in keys}


def capacity_weights(capacity: Mapping[str, Decimal | int | str]) -> dict[str, Decimal]:
    """Weights from headcount or capacity figures (a rep at 0.5 capacity gets half a share)."""
    return check_weights(capacity, "capacity")


def share_weights(last_year: Mapping[str, TargetValue]) -> dict[str, Decimal]:
    """Weights from last year's actuals: each owner's share of the total."""
    return check_weights(
        {k: Decimal(v.to_minor()) if isinstance(v, Money) else Decimal(v) for k, v in last_year.items()},
        "last_year",
    )


def prorate(value: TargetValue, period: Period, active_days: int) -> TargetValue:
    """The part of a full-period value for someone active `active_days` of the period's days.

    It is the first part of an exact split into active and inactive days, so the prorated value
    and the rest always add back up to the full value.
    """
    if isinstance(active_days, bool) or not isinstance(active_days, int) or not 0 <= active_days <= period.days:
        raise ValidationError("active_days", active_days, f"must be 0 to {period.days}")
    if active_days == 0:
        return split_value(value, [Decimal(0), Decimal(1)])[0]
    return split_value(value, [Decimal(active_days), Decimal(period.days - active_days)])[0]


def roll_up(values: Iterable[TargetValue], zero: TargetValue) -> TargetValue:
    """Bottom-up sum of child values (zero says the type and currency of an empty roll-up)."""
    items = list(values)
    for v in items:
        if isinstance(v, Money) is not isinstance(zero, Money):
            raise ValidationError("values", v, "cannot add money and counts together")
    if isinstance(zero, Money):
        return Money.total([v for v in items if isinstance(v, Money)], zero.currency)
    return sum((v for v in items if not isinstance(v, Money)), 0)


# -- seasonal distribution -----------------------------------------------------------------------


def _percentages(value: object) -> tuple[Decimal, ...]:
    if not isinstance(value, list | tuple):
        raise ValidationError("percentages", value, "expected twelve percentages")
    items = tuple(to_decimal(v, f"percentages[{i}]") for i, v in enumerate(value))
    if len(items) != 12:
        raise ValidationError("percentages", value, f"expected 12 percentages, got {len(items)}")
    for i, p in enumerate(items):
        if p < 0:
            raise ValidationError(f"percentages[{i}]", value[i], "cannot be negative")
    total = sum(items, Decimal(0))
    if total != 100:
        raise ValidationError("percentages", str(total), "the twelve percentages must total exactly 100")
    return items


@functools.lru_cache(maxsize=512)
def _months(period: Period) -> tuple[Period, ...]:
    """A period's months (cached: spreading many targets over one year reuses them)."""
    return tuple(period.months())


@frozen
class SeasonalDistribution:
    """Twelve monthly percentages in fiscal order (the first is the fiscal year's first month).

    They must total exactly 100: a missing month is an error, never a silent 0% (ERPNext PR #56820).
    """

    percentages: tuple[Decimal, ...] = field(converter=_percentages)
    calendar: FiscalCalendar = field(factory=FiscalCalendar)

    @classmethod
    def even(cls, calendar: FiscalCalendar | None = None) -> SeasonalDistribution:
        """Twelve near-equal shares that total exactly 100 (8.34 four times, then 8.33)."""
        hundredths = allocate_minor(10000, [Decimal(1)] * 12)
        return cls(tuple(Decimal(h).scaleb(-2) for h in hundredths), calendar or FiscalCalendar())

    def percentage(self, day: date) -> Decimal:
        """The percentage of the month containing `day` (its position in the fiscal year)."""
        return self.percentages[(day.month - self.calendar.start_month) % 12]

    def weights(self, period: Period) -> list[tuple[Period, Decimal]]:
        """The months of a month-based period with their percentages."""
        return [(m, self.percentage(m.start)) for m in _months(period)]

    def elapsed_share(self, period: Period, as_of: date) -> Fraction:
        """The share of the period's seasonal weight that lies before `as_of` (days pro rata in a month)."""
        weights = self.weights(period)
        total = sum((w for _, w in weights), Decimal(0))
        if total == 0:
            raise ValidationError("period", period.label, "the distribution gives this period no weight")
        done = Fraction(0)
        for month, w in weights:
            if as_of >= month.end:
                done += Fraction(w)
            elif as_of > month.start:
                done += Fraction(w) * Fraction((as_of - month.start).days, month.days)
        return done / Fraction(total)


def spread(value: TargetValue, period: Period, distribution: SeasonalDistribution) -> list[tuple[Period, TargetValue]]:
    """A period's value spread over its months by the distribution, summing exactly to value."""
    weights = distribution.weights(period)
    if not any(w for _, w in weights):
        raise ValidationError("percentages", [str(w) for _, w in weights], f"all zero for the months of {period}")
    parts = split_value(value, [w for _, w in weights])
    return [(m, part) for (m, _), part in zip(weights, parts, strict=True)]


# -- the target aggregate ------------------------------------------------------------------------


@frozen
class TargetRevision:
    """A value that applies from `effective_from` on, recorded at `recorded_at` for `reason`."""

    value: Money | int
    effective_from: date
    recorded_at: datetime
    reason: str


@frozen(kw_only=True)
class TargetSet(DomainEvent):
    """Event: a target was set."""

    target_id: str
    metric: Metric
    owner_kind: OwnerKind
    owner_id: str
    period: Period
    value: Money | int


@frozen(kw_only=True)
class TargetRevised(DomainEvent):
    """Event: a target was revised, from a date, with the reason."""

    target_id: str
    previous: Money | int
    value: Money | int
    effective_from: date
    reason: str


def check_value(metric: Metric, value: object, field: str = "value") -> TargetValue:
    """A target value of the right kind for its metric: Money for money metrics, a count otherwise."""
    if metric in MONEY_METRICS and not isinstance(value, Money):
        raise ValidationError(field, value, f"{metric.value} targets are Money")
    if metric in COUNT_METRICS and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ValidationError(field, value, f"{metric.value} targets are whole counts")
    if isinstance(value, Money):
        if value.is_negative():
            raise ValidationError(field, value, "cannot be negative")
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(field, value, "expected Money or a count of at least 0")
    return value


@define(kw_only=True)
class Target(Aggregate):
    """One metric's target for one owner and period, with the history of its revisions."""

    metric: Metric
    metric_name: str
    owner_kind: OwnerKind
    owner_id: str
    period: Period
    revisions: list[TargetRevision]
    parent_id: str | None = None

    @classmethod
    def set(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        metric: Metric | str,
        owner_kind: OwnerKind | str,
        owner_id: str,
        period: Period,
        value: TargetValue,
        at: datetime,
        parent_id: str | None = None,
        metric_name: str | None = None,
    ) -> Target:
        check_id("id", id)
        check_id("owner_id", owner_id)
        metric = choice(Metric, metric, "metric")
        owner_kind = choice(OwnerKind, owner_kind, "owner_kind")
        if not isinstance(period, Period):
            raise ValidationError("period", period, "expected a Period")
        if metric is Metric.CUSTOM and not metric_name:
            raise ValidationError("metric_name", metric_name, "a custom metric needs a name")
        value = check_value(metric, value)
        at = utc(at, "at")
        target = cls(
            tenant_id=tenant_id,
            id=id,
            metric=metric,
            metric_name=metric_name or metric.value,
            owner_kind=owner_kind,
            owner_id=owner_id,
            period=period,
            revisions=[TargetRevision(value, period.start, at, "set")],
            parent_id=parent_id,
        )
        target.record(
            TargetSet(
                tenant_id=tenant_id,
                occurred_at=at,
                target_id=id,
                metric=metric,
                owner_kind=owner_kind,
                owner_id=owner_id,
                period=period,
                value=value,
            )
        )
        return target

    @property
    def value(self) -> TargetValue:
        """The value in force at the end of the period (the latest revision)."""
        return self.revisions[-1].value

    def value_on(self, day: date) -> TargetValue:
        """The value that applied on a day of the period: the latest revision effective by then."""
        current = self.revisions[0].value
        for r in self.revisions:
            if r.effective_from <= day:
                current = r.value
        return current

    def zero(self) -> TargetValue:
        return Money.zero(self.value.currency) if isinstance(self.value, Money) else 0

    def revise(self, value: TargetValue, *, effective_from: date, at: datetime, reason: str) -> None:
        """Change the value from a day of the period on; earlier revisions stay in the history."""
        value = check_value(self.metric, value)
        if isinstance(value, Money) and isinstance(self.value, Money) and value.currency is not self.value.currency:
            raise CurrencyMismatch("value", self.value.currency.code, value.currency.code)
        if not isinstance(effective_from, date) or isinstance(effective_from, datetime):
            raise ValidationError("effective_from", effective_from, "expected a date")
        if not self.period.contains(effective_from):
            raise ValidationError("effective_from", effective_from, f"is outside {self.period}")
        if effective_from < self.revisions[-1].effective_from:
            raise InvariantViolation(
                "effective_from", effective_from, f"is before the last revision ({self.revisions[-1].effective_from})"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("reason", reason, "a revision needs a reason")
        at = utc(at, "at")
        previous = self.value
        self.revisions.append(TargetRevision(value, effective_from, at, reason))
        self.record(
            TargetRevised(
                tenant_id=self.tenant_id,
                occurred_at=at,
                target_id=self.id,
                previous=previous,
                value=value,
                effective_from=effective_from,
                reason=reason,
            )
        )
