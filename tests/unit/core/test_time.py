"""Clocks, periods and the fiscal calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizrel.core import FiscalCalendar, FixedClock, Period, PeriodKind, ValidationError, add_months, aware, zone

days = st.dates(date(1950, 1, 1), date(2150, 12, 31))
kinds = st.sampled_from(list(PeriodKind))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        aware(datetime(2026, 1, 1), "occurred_at")
    assert err.value.field == "occurred_at"
    with pytest.raises(ValidationError):
        FixedClock(datetime(2026, 1, 1))


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.advance(days=2) == datetime(2026, 1, 3, tzinfo=UTC)


def test_unknown_zone_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        zone("Mars/Olympus", "timezone")
    assert err.value.value == "Mars/Olympus"


def test_month_arithmetic_clamps_from_the_anchor() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)


@given(days, st.integers(-1200, 1200))
def test_month_arithmetic_never_produces_an_invalid_date(d: date, n: int) -> None:
    result = add_months(d, n)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == n
    assert result.day == d.day or (result.day < d.day and (result + timedelta(days=1)).day == 1)


@given(days, kinds)
def test_a_period_contains_its_day_and_tiles_time(d: date, kind: PeriodKind) -> None:
    p = Period.containing(d, kind)
    assert p.contains(d)
    assert p.next().start == p.end and p.previous().end == p.start
    assert p.next().previous() == p


@given(days, st.integers(1, 12))
def test_fiscal_quarter_of_a_date_contains_that_date(d: date, start_month: int) -> None:
    cal = FiscalCalendar(start_month)
    quarter = cal.quarter_period(d)
    year = cal.year_period(d)
    assert quarter.contains(d) and year.contains(d)
    assert year.start.month == start_month and year.start.day == 1
    assert 1 <= cal.fiscal_quarter(d) <= 4 and 1 <= cal.fiscal_month(d) <= 12
    assert cal.fiscal_quarter(d) == (cal.fiscal_month(d) - 1) // 3 + 1


def test_fiscal_year_named_after_the_year_it_ends() -> None:
    cal = FiscalCalendar(start_month=4)
    assert cal.fiscal_year(date(2026, 4, 1)) == 2027
    assert cal.fiscal_year(date(2026, 3, 31)) == 2026
    assert cal.fiscal_quarter(date(2026, 7, 1)) == 2
    assert FiscalCalendar().fiscal_year(date(2026, 12, 31)) == 2026
    with pytest.raises(ValidationError):
        FiscalCalendar(13)


def test_period_labels_and_months() -> None:
    assert Period.quarter(2026, 3).label == "2026-Q3"
    assert [m.label for m in Period.quarter(2026, 1).months()] == ["2026-01", "2026-02", "2026-03"]
    assert Period.containing(date(2026, 1, 1), "week").label == "2026-W01"
    assert Period.year(2026).days == 365
