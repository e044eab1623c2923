"""Targets: exact allocation top-down and over months, prorating, roll-up, revisions, team history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core import Money, Period, ValidationError
from bizrel.core.errors import InvariantViolation
from bizrel.core.periods import FiscalCalendar
from bizrel.sales import (
    Metric,
    OwnerKind,
    Role,
    SalesOrganisation,
    SeasonalDistribution,
    Target,
    allocate_value,
    capacity_weights,
    equal_weights,
    prorate,
    roll_up,
    share_weights,
    split_credit,
    spread,
)

AT = datetime(2026, 1, 1, tzinfo=UTC)
Q1 = Period.quarter(2026, 1)

amounts = st.integers(min_value=0, max_value=10**12).map(lambda m: Money.from_minor(m, "USD"))
weights = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=4),
    st.decimals(min_value=0, max_value=1000, places=3),
    min_size=1,
    max_size=12,
).filter(lambda d: any(d.values()))
percent_lists = (
    st.lists(st.integers(min_value=0, max_value=10**4), min_size=12, max_size=12)
    .filter(any)
    .map(lambda xs: [Decimal(x) for x in xs])
)


def _distribution(raw: list[Decimal]) -> SeasonalDistribution:
    """Twelve percentages totalling exactly 100, derived from arbitrary non-negative weights."""
    hundredths = Money.from_minor(10000, "USD").allocate(raw)
    return SeasonalDistribution([m.amount for m in hundredths])


@settings(max_examples=300, deadline=None)
@given(amounts, weights)
def test_money_allocation_sums_exactly_to_the_parent(total: Money, w: dict[str, Decimal]) -> None:
    parts = allocate_value(total, w)
    assert list(parts) == list(w)
    assert Money.total(parts.values(), "USD") == total  # type: ignore[arg-type]
    for key, part in parts.items():
        if w[key] == 0:
            assert part == Money.zero("USD")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), weights)
def test_count_allocation_is_whole_and_sums_exactly(total: int, w: dict[str, Decimal]) -> None:
    parts = allocate_value(total, w)
    assert all(isinstance(p, int) for p in parts.values())
    assert sum(parts.values()) == total  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(amounts, percent_lists, st.integers(min_value=1, max_value=12))
def test_seasonal_spread_sums_exactly_for_quarters_and_fiscal_years(
    total: Money, raw: list[Decimal], start_month: int
) -> None:
    calendar = FiscalCalendar(start_month)
    pct = SeasonalDistribution(_distribution(raw).percentages, calendar)
    year = calendar.year_period(date(2026, 6, 15))
    for period in (year, calendar.quarter_period(date(2026, 6, 15))):
        if not any(pct.percentage(m.start) for m in period.months()):
            with pytest.raises(ValidationError):
                spread(total, period, pct)
            continue
        parts = spread(total, period, pct)
        assert [m for m, _ in parts] == period.months()
        assert Money.total((v for _, v in parts), "USD") == total  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(amounts, st.integers(min_value=0, max_value=90))
def test_prorating_is_the_exact_share_of_days_within_one_minor_unit(total: Money, days: int) -> None:
    part = prorate(total, Q1, days)
    assert isinstance(part, Money)
    assert Money.zero("USD") <= part <= total
    assert abs(part.to_minor() * Q1.days - total.to_minor() * days) <= Q1.days  # off by < 1 minor unit
    if days:
        assert part == total.allocate([days, Q1.days - days])[0]


def test_worked_examples_of_exact_splits() -> None:
    assert Money("100.00", "USD").allocate([1, 1, 1]) == [Money(x, "USD") for x in ("33.34", "33.33", "33.33")]
    assert split_credit(Money("100.00", "USD"), {"a": 1, "b": 1, "c": 1}) == {
        "a": Money("33.34", "USD"),
        "b": Money("33.33", "USD"),
        "c": Money("33.33", "USD"),
    }
    assert prorate(Money("90000.00", "USD"), Q1, 45) == Money("45000.00", "USD")
    assert prorate(30, Q1, 45) == 15


def test_erpnext_pr_40062_split_achievement_counts_each_share_once() -> None:
    """A rep with 100% of a 5-unit deal and 50% of a 10-unit deal achieved 10 units, not 15."""
    first = split_credit(5, {"rep": 1})
    second = split_credit(10, {"rep": "0.5", "other": "0.5"})
    assert roll_up([first["rep"], second["rep"]], 0) == 10


def test_weights_equal_capacity_and_last_years_share() -> None:
    total = Money("100000.00", "USD")
    assert allocate_value(total, equal_weights(["a", "b", "c", "d"]))["a"] == Money("25000.00", "USD")
    by_capacity = allocate_value(total, capacity_weights({"a": "1", "b": "0.5", "c": "0.5"}))
    assert by_capacity == {"a": Money("50000.00", "USD"), "b": Money("25000.00", "USD"), "c": Money("25000.00", "USD")}
    last_year = {"a": Money("300.00", "USD"), "b": Money("100.00", "USD")}
    assert allocate_value(total, share_weights(last_year)) == {
        "a": Money("75000.00", "USD"),
        "b": Money("25000.00", "USD"),
    }


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"a": 0, "b": 0}, "weights"),
        ({"a": -1, "b": 2}, "weights[a]"),
        ({}, "weights"),
    ],
)
def test_bad_weights_name_the_field(raw: dict[str, int], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        allocate_value(Money("10.00", "USD"), raw)
    assert err.value.field == field


@pytest.mark.rule(
    "Across months a target follows a **seasonal distribution**: twelve percentages in fiscal order that "
    "must total exactly 100."
)
@pytest.mark.rule(
    "A missing or short month is an error naming the field, never a silent 0% (an ERPNext bug, PR #56820)."
)
def test_seasonal_percentages_must_total_exactly_100() -> None:
    with pytest.raises(ValidationError) as err:
        SeasonalDistribution(["8.33"] * 12)  # 99.96: the ERPNext 100/12 trap
    assert err.value.field == "percentages"
    with pytest.raises(ValidationError) as short:
        SeasonalDistribution([10] * 10)  # a missing month is an error, not 0%
    assert short.value.field == "percentages"
    with pytest.raises(ValidationError) as negative:
        SeasonalDistribution([-10, 20, *[10] * 9, 0])
    assert negative.value.field == "percentages[0]"
    assert sum(SeasonalDistribution.even().percentages) == 100


def test_seasonal_elapsed_share_weights_the_months() -> None:
    pct = SeasonalDistribution([20, 10, 10, *[Decimal("7.5")] * 8, 0])
    q1 = Period.quarter(2026, 1)
    assert pct.elapsed_share(q1, date(2026, 2, 1)) == Decimal(20) / Decimal(40)
    assert pct.elapsed_share(q1, date(2026, 3, 1)) == Decimal(30) / Decimal(40)


def test_target_revisions_keep_their_history() -> None:
    target = Target.set(
        tenant_id="t",
        id="t1",
        metric=Metric.BOOKINGS,
        owner_kind=OwnerKind.REP,
        owner_id="ana",
        period=Q1,
        value=Money("90000.00", "USD"),
        at=AT,
    )
    target.revise(Money("120000.00", "USD"), effective_from=date(2026, 2, 15), at=AT, reason="territory added")
    assert target.value == Money("120000.00", "USD")
    assert target.value_on(date(2026, 2, 14)) == Money("90000.00", "USD")
    assert target.value_on(date(2026, 2, 15)) == Money("120000.00", "USD")
    assert [r.reason for r in target.revisions] == ["set", "territory added"]
    with pytest.raises(InvariantViolation):
        target.revise(Money("1.00", "USD"), effective_from=date(2026, 2, 1), at=AT, reason="backdated")
    with pytest.raises(ValidationError) as outside:
        target.revise(Money("1.00", "USD"), effective_from=date(2026, 5, 1), at=AT, reason="later")
    assert outside.value.field == "effective_from"


def test_metric_kinds_are_checked() -> None:
    with pytest.raises(ValidationError) as err:
        Target.set(
            tenant_id="t",
            id="t1",
            metric="activities",
            owner_kind="rep",
            owner_id="a",
            period=Q1,
            value=Money("1.00", "USD"),
            at=AT,
        )
    assert err.value.field == "value"
    custom = Target.set(
        tenant_id="t",
        id="t2",
        metric="custom",
        metric_name="demos",
        owner_kind="team",
        owner_id="east",
        period=Q1,
        value=12,
        at=AT,
    )
    assert custom.metric_name == "demos" and custom.zero() == 0


def _org() -> SalesOrganisation:
    org = SalesOrganisation.create(tenant_id="t", id="org", name="Acme", root_team="all", root_name="All")
    org.add_team("east", "East", "all")
    org.add_team("west", "West", "all")
    org.add_team("east-smb", "East SMB", "east")
    org.assign("vp", "all", date(2025, 1, 1), role=Role.MANAGER)
    org.assign("mia", "east", date(2025, 1, 1), role=Role.MANAGER)
    org.assign("ana", "east-smb", date(2025, 1, 1))
    org.assign("bo", "west", date(2025, 1, 1))
    return org


def test_a_rep_who_moves_mid_quarter_is_credited_by_date() -> None:
    org = _org()
    org.assign("ana", "west", date(2026, 2, 15))
    assert org.team_of("ana", date(2026, 2, 14)) == "east-smb"
    assert org.team_of("ana", date(2026, 2, 15)) == "west"
    assert org.days_in_team("ana", "east-smb", Q1) + org.days_in_team("ana", "west", Q1) == Q1.days
    assert org.members("east", Q1) == ["ana"]
    assert org.members("west", Q1) == ["ana", "bo"]
    with pytest.raises(InvariantViolation):
        org.assign("ana", "east", date(2026, 1, 1))  # history is never rewritten


def test_manager_chain_and_mapping_as_of_a_date() -> None:
    org = _org()
    assert org.manager_chain("ana", date(2026, 1, 10)) == ("mia", "vp")
    assert org.manager_chain("bo", date(2026, 1, 10)) == ("vp",)
    assert org.manager_chain("mia", date(2026, 1, 10)) == ("vp",)
    org.assign("zoe", "east", date(2026, 3, 1), role=Role.MANAGER)  # replaces mia
    assert org.managers(date(2026, 2, 1)) == {"ana": "mia", "bo": "vp"}
    assert org.managers(date(2026, 3, 1)) == {"ana": "zoe", "bo": "vp"}
    org.leave("bo", date(2026, 3, 10))
    assert org.people(date(2026, 3, 10)) == ["ana"]
    assert org.days_active("bo", Q1) == 68
