"""Calendar periods (half-open date ranges) and the fiscal calendar.

Month arithmetic always goes through dateutil.relativedelta from an anchor date, never chained, so
Jan 31 + 1 month is Feb 28 (or 29) and + 2 months is Mar 31 again.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from attrs import frozen
from dateutil.relativedelta import relativedelta

from bizrel.core.errors import ValidationError
from bizrel.core.primitives import Primitives

__all__ = ["FiscalCalendar", "Period", "PeriodKind", "add_months"]


class PeriodKind(enum.StrEnum):
    """The length of a period: day, week, month, quarter or year."""

    DAY = "day"
    WEEK = "week"  # ISO week, Monday first
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}


def add_months(anchor: date, months: int) -> date:
    """anchor + months, clamped to the last day of the target month."""
    return anchor + relativedelta(months=months)


@frozen(order=True)
class Period(Primitives):
    """[start, end) in calendar dates, of one kind. `label` is what people read: 2026-Q3."""

    start: date
    end: date
    kind: PeriodKind

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("end", self.end, f"must be after start {self.start}")

    @classmethod
    def containing(cls, day: date | datetime, kind: PeriodKind | str, *, start_month: int = 1) -> Period:
        """The period of `kind` that contains `day`; month-based kinds may start in any month."""
        kind = PeriodKind(kind)
        d = day.date() if isinstance(day, datetime) else day
        if kind is PeriodKind.DAY:
            return cls(d, d + timedelta(days=1), kind)
        if kind is PeriodKind.WEEK:
            monday = d - timedelta(days=d.weekday())
            return cls(monday, monday + timedelta(days=7), kind)
        length = _MONTHS[kind]
        offset = (d.month - start_month) % 12
        first = date(d.year, d.month, 1) - relativedelta(months=offset % length)
        return cls(first, add_months(first, length), kind)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls.containing(date(year, month, 1), PeriodKind.MONTH)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise ValidationError("quarter", quarter, "must be 1 to 4")
        return cls.containing(date(year, 3 * quarter - 2, 1), PeriodKind.QUARTER)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls.containing(date(year, 1, 1), PeriodKind.YEAR)

    def contains(self, day: date | datetime) -> bool:
        d = day.date() if isinstance(day, datetime) else day
        return self.start <= d < self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def next(self) -> Period:
        return self._shift(1)

    def previous(self) -> Period:
        return self._shift(-1)

    def _shift(self, steps: int) -> Period:
        if self.kind is PeriodKind.DAY:
            delta = timedelta(days=steps)
            return Period(self.start + delta, self.end + delta, self.kind)
        if self.kind is PeriodKind.WEEK:
            delta = timedelta(weeks=steps)
            return Period(self.start + delta, self.end + delta, self.kind)
        length = _MONTHS[self.kind]
        start = add_months(self.start, steps * length)
        return Period(start, add_months(start, length), self.kind)

    def months(self) -> list[Period]:
        """The calendar months that make up a month-based period."""
        if self.kind not in _MONTHS:
            raise ValidationError("kind", self.kind, "only month-based periods split into months")
        return [Period.containing(add_months(self.start, i), PeriodKind.MONTH) for i in range(_MONTHS[self.kind])]

    @property
    def label(self) -> str:
        s = self.start
        match self.kind:
            case PeriodKind.DAY:
                return s.isoformat()
            case PeriodKind.WEEK:
                iso = s.isocalendar()
                return f"{iso.year}-W{iso.week:02d}"
            case PeriodKind.MONTH:
                return f"{s.year}-{s.month:02d}"
            case PeriodKind.QUARTER:
                return f"{s.year}-Q{(s.month - 1) // 3 + 1}" if s.month % 3 == 1 else f"{s}..{self.end}"
            case PeriodKind.HALF:
                return f"{s.year}-H{(s.month - 1) // 6 + 1}" if s.month in (1, 7) else f"{s}..{self.end}"
            case PeriodKind.YEAR:
                return str(s.year) if s.month == 1 else f"{s}..{self.end}"

    def __str__(self) -> str:
        return self.label


@frozen
class FiscalCalendar:
    """A fiscal year that starts on the first day of `start_month`.

    The fiscal year is named after the calendar year in which it ends (FY2027 runs from
    2026-04-01 to 2027-03-31 when start_month=4), the most common convention.
    """

    start_month: int = 1

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.start_month, int) or not 1 <= self.start_month <= 12:
            raise ValidationError("start_month", self.start_month, "must be 1 to 12")

    def year_period(self, day: date | datetime) -> Period:
        return Period.containing(day, PeriodKind.YEAR, start_month=self.start_month)

    def fiscal_year(self, day: date | datetime) -> int:
        return self.year_period(day).end.year if self.start_month != 1 else self.year_period(day).start.year

    def quarter_period(self, day: date | datetime) -> Period:
        return Period.containing(day, PeriodKind.QUARTER, start_month=self.start_month)

    def fiscal_quarter(self, day: date | datetime) -> int:
        return _index_in_year(self.year_period(day), self.quarter_period(day), 3)

    def fiscal_month(self, day: date | datetime) -> int:
        return _index_in_year(self.year_period(day), Period.containing(day, PeriodKind.MONTH), 1)


def _index_in_year(year: Period, part: Period, months: int) -> int:
    elapsed = relativedelta(part.start, year.start)
    return (elapsed.years * 12 + elapsed.months) // months + 1
