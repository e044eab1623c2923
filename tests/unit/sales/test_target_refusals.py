"""Targets allocation, call by call: every refusal with its exact field, value and reason, and worked
splits, prorating, roll-ups, seasonal spreading and revisions computed by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from bizrel.core import CurrencyMismatch, Money, Period, ValidationError
from bizrel.core.errors import InvariantViolation
from bizrel.core.periods import FiscalCalendar
from bizrel.sales import (
    Metric,
    SeasonalDistribution,
    Target,
    allocate_value,
    capacity_weights,
    check_value,
    check_weights,
    equal_weights,
    prorate,
    roll_up,
    share_weights,
    split_value,
    spread,
)

Q1 = Period.quarter(2026, 1)
AT = datetime(2026, 1, 1, 9, tzinfo=UTC)
NO_Q1 = ["0", "0", "0", *["11"] * 8, "12"]  # nothing in January to March
SEASON = ["6", "6", "8", "8", "8", "9", "7", "6", "10", "9", "10", "13"]


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def target(metric: str = "bookings", value: object = None, **terms: object) -> Target:
    base: dict[str, object] = {
        "tenant_id": "t",
        "id": "q1",
        "metric": metric,
        "owner_kind": "rep",
        "owner_id": "ana",
        "period": Q1,
        "value": usd("900.00") if value is None else value,
        "at": AT,
    }
    return Target.set(**(base | terms))  # type: ignore[arg-type]


def revise(value: object = None, effective_from: object = date(2026, 2, 1), reason: object = "territory") -> None:
    t = target()
    t.revise(usd("1000.00") if value is None else value, effective_from=effective_from, at=AT, reason=reason)  # type: ignore[arg-type]


REFUSALS: list[tuple[str, Callable[[], object], type[ValidationError], str, str, str]] = [
    ("no weights", lambda: check_weights({}), ValidationError, "weights", "{}", "at least one weight is needed"),
    ("negative weight", lambda: check_weights({"a": 1, "b": "-1"}), ValidationError, "weights[b]", "-1",
     "weights cannot be negative"),
    ("negative Money weight", lambda: check_weights({"a": usd("-1.00")}, "w"), ValidationError, "w[a]",
     "Money('-1.00', 'USD')", "weights cannot be negative"),
    ("zero weights", lambda: check_weights({"a": 0, "b": "0"}), ValidationError, "weights", "{'a': 0, 'b': '0'}",
     "weights cannot all be zero"),
    ("float weight", lambda: check_weights({"a": 0.5}), ValidationError, "weights[a]", "0.5",  # type: ignore[dict-item]
     "floats are not exact: pass a str, int or Decimal"),
    ("zero capacity", lambda: capacity_weights({"a": 0}), ValidationError, "capacity", "{'a': 0}",
     "weights cannot all be zero"),
    ("zero last year", lambda: share_weights({"a": usd("0.00")}), ValidationError, "last_year",
     "{'a': Decimal('0')}", "weights cannot all be zero"),
    ("split a bool", lambda: split_value(True, [Decimal(1)]), ValidationError, "value", "True",
     "expected Money or an int count"),
    ("split text", lambda: split_value("9", [Decimal(1)]), ValidationError, "value", "9",  # type: ignore[arg-type]
     "expected Money or an int count"),
    ("prorate too many days", lambda: prorate(90, Q1, 91), ValidationError, "active_days", "91", "must be 0 to 90"),
    ("prorate negative days", lambda: prorate(90, Q1, -1), ValidationError, "active_days", "-1", "must be 0 to 90"),
    ("prorate bool days", lambda: prorate(90, Q1, True), ValidationError, "active_days", "True", "must be 0 to 90"),
    ("roll up money and counts", lambda: roll_up([usd("1.00"), 2], usd("0.00")), ValidationError, "values", "2",
     "cannot add money and counts together"),
    ("roll up counts and money", lambda: roll_up([2, usd("1.00")], 0), ValidationError, "values",
     "Money('1.00', 'USD')", "cannot add money and counts together"),
    ("percentages not a list", lambda: SeasonalDistribution("8" * 12), ValidationError, "percentages", "8" * 12,
     "expected twelve percentages"),
    ("eleven percentages", lambda: SeasonalDistribution(["9"] * 11), ValidationError, "percentages", str(["9"] * 11),
     "expected 12 percentages, got 11"),
    ("negative percentage", lambda: SeasonalDistribution(["-1", "11", *["9"] * 10]), ValidationError,
     "percentages[0]", "-1", "cannot be negative"),
    ("not 100", lambda: SeasonalDistribution(["8.33"] * 12), ValidationError, "percentages", "99.96",
     "the twelve percentages must total exactly 100"),
    ("no weight for the period", lambda: SeasonalDistribution(NO_Q1).elapsed_share(
        Q1, date(2026, 2, 1)), ValidationError, "period", "2026-Q1", "the distribution gives this period no weight"),
    ("spread over zero months", lambda: spread(usd("1.00"), Q1, SeasonalDistribution(NO_Q1)),
     ValidationError, "percentages", "['0', '0', '0']", "all zero for the months of 2026-Q1"),
    ("money metric with a count", lambda: check_value(Metric.BOOKINGS, 5), ValidationError, "value", "5",
     "bookings targets are Money"),
    ("count metric with money", lambda: check_value(Metric.ACTIVITIES, usd("5.00")), ValidationError, "value",
     "Money('5.00', 'USD')", "activities targets are whole counts"),
    ("count metric with a bool", lambda: check_value(Metric.NEW_CUSTOMERS, True), ValidationError, "value", "True",
     "new_customers targets are whole counts"),
    ("negative money", lambda: check_value(Metric.COLLECTIONS, usd("-1.00")), ValidationError, "value",
     "Money('-1.00', 'USD')", "cannot be negative"),
    ("negative custom count", lambda: check_value(Metric.CUSTOM, -1, "v"), ValidationError, "v", "-1",
     "expected Money or a count of at least 0"),
    ("custom text", lambda: check_value(Metric.CUSTOM, "5"), ValidationError, "value", "5",
     "expected Money or a count of at least 0"),
    ("unknown metric", lambda: target(metric="revenue"), ValidationError, "metric", "revenue",
     "one of ['bookings', 'collections', 'new_customers', 'activities', 'custom']"),
    ("unknown owner kind", lambda: target(owner_kind="person"), ValidationError, "owner_kind", "person",
     "one of ['rep', 'team', 'org']"),
    ("period not a Period", lambda: target(period="2026-Q1"), ValidationError, "period", "2026-Q1",
     "expected a Period"),
    ("custom without a name", lambda: target(metric="custom", value=5), ValidationError, "metric_name", "None",
     "a custom metric needs a name"),
    ("revise in EUR", lambda: revise(Money("1.00", "EUR")), CurrencyMismatch, "value", "EUR",
     "currency EUR does not match USD"),
    ("revise from a datetime", lambda: revise(effective_from=AT), ValidationError, "effective_from",
     "datetime.datetime(2026, 1, 1, 9, 0, tzinfo=datetime.timezone.utc)", "expected a date"),
    ("revise from text", lambda: revise(effective_from="2026-02-01"), ValidationError, "effective_from",
     "2026-02-01", "expected a date"),
    ("revise outside the period", lambda: revise(effective_from=date(2026, 4, 1)), ValidationError, "effective_from",
     "datetime.date(2026, 4, 1)", "is outside 2026-Q1"),
    ("revise without a reason", lambda: revise(reason="  "), ValidationError, "reason", "  ",
     "a revision needs a reason"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "kind", "field", "value", "reason"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])  # fmt: skip
def test_every_refusal_names_field_value_and_reason(
    call: Callable[[], object], kind: type[ValidationError], field: str, value: str, reason: str
) -> None:
    with pytest.raises(kind) as err:
        call()
    assert type(err.value) is kind
    assert (err.value.field, err.value.value, err.value.reason) == (field, value, reason)


def test_a_revision_before_the_last_one_is_an_invariant_violation() -> None:
    t = target()
    t.revise(usd("1000.00"), effective_from=date(2026, 2, 1), at=AT, reason="a")
    with pytest.raises(InvariantViolation) as err:
        t.revise(usd("1100.00"), effective_from=date(2026, 1, 31), at=AT, reason="b")
    assert (err.value.field, err.value.reason) == ("effective_from", "is before the last revision (2026-02-01)")
    t.revise(usd("1100.00"), effective_from=date(2026, 2, 1), at=AT, reason="same day")  # the same day is fine
    assert [(r.value, r.effective_from, r.reason) for r in t.revisions] == [
        (usd("900.00"), date(2026, 1, 1), "set"),
        (usd("1000.00"), date(2026, 2, 1), "a"),
        (usd("1100.00"), date(2026, 2, 1), "same day"),
    ]
    assert t.value_on(date(2026, 1, 31)) == usd("900.00") and t.value_on(date(2026, 2, 1)) == usd("1100.00")
    assert t.value == usd("1100.00") and t.zero() == usd("0.00")
    assert [type(e).__name__ for e in t.pending_events] == ["TargetSet", "TargetRevised", "TargetRevised"]
    revised = t.pending_events[1]
    assert (revised.previous, revised.value, revised.reason) == (usd("900.00"), usd("1000.00"), "a")  # type: ignore[attr-defined]


def test_targets_are_set_with_what_they_were_given() -> None:
    t = target(metric="custom", value=12, metric_name="demos", owner_kind="team", parent_id="org-q1")
    assert (t.metric, t.metric_name, t.owner_kind.value, t.value, t.zero(), t.parent_id) == (
        Metric.CUSTOM,
        "demos",
        "team",
        12,
        0,
        "org-q1",
    )
    assert target().metric_name == "bookings" and target().parent_id is None
    (event,) = target().pending_events
    assert (event.owner_id, event.period, event.value, event.occurred_at) == ("ana", Q1, usd("900.00"), AT)  # type: ignore[attr-defined]
    assert check_value(Metric.CUSTOM, usd("1.00")) == usd("1.00") and check_value(Metric.ACTIVITIES, 0) == 0


def test_splits_worked() -> None:
    assert allocate_value(usd("100.00"), {"a": 1, "b": 1, "c": 1}) == {
        "a": usd("33.34"),
        "b": usd("33.33"),
        "c": usd("33.33"),
    }
    assert allocate_value(10, {"a": "0.5", "b": usd("0.25"), "c": Decimal("0.25")}) == {"a": 5, "b": 3, "c": 2}
    assert allocate_value(7, {"a": 0, "b": 2}) == {"a": 0, "b": 7}
    assert split_value(-7, [Decimal(1), Decimal(1)]) == [-4, -3]
    assert equal_weights("ab") == {"a": Decimal(1), "b": Decimal(1)}
    assert capacity_weights({"a": "0.5", "b": 1}) == {"a": Decimal("0.5"), "b": Decimal(1)}
    assert share_weights({"a": usd("1.50"), "b": 50}) == {"a": Decimal(150), "b": Decimal(50)}
    assert check_weights({"a": usd("2.50")}) == {"a": Decimal("2.50")}


def test_prorate_and_roll_up_worked() -> None:
    assert prorate(usd("90000.00"), Q1, 45) == usd("45000.00")
    assert prorate(usd("100.00"), Q1, 1) == usd("1.11")  # 100 x 1/90 = 1.111
    assert prorate(usd("100.00"), Q1, 89) == usd("98.89")  # 100 x 89/90 = 98.888: the rest, 1.11, adds up
    assert prorate(usd("100.00"), Q1, 0) == usd("0.00") and prorate(7, Q1, 0) == 0
    assert prorate(usd("100.00"), Q1, 90) == usd("100.00") and prorate(7, Q1, 90) == 7
    assert prorate(10, Q1, 30) == 3  # 10 x 30/90 = 3.33
    assert roll_up([usd("1.10"), usd("2.20")], usd("0.00")) == usd("3.30")
    assert roll_up([], Money.zero("EUR")) == Money.zero("EUR")
    assert roll_up([1, 2, 3], 0) == 6 and roll_up([], 0) == 0


def test_seasonal_distribution_worked() -> None:
    season = SeasonalDistribution(SEASON)
    months = spread(usd("100000.00"), Q1, season)  # 6 : 6 : 8 of the quarter
    assert [(m.label, v) for m, v in months] == [
        ("2026-01", usd("30000.00")),
        ("2026-02", usd("30000.00")),
        ("2026-03", usd("40000.00")),
    ]
    assert spread(7, Q1, season) == [(m, v) for (m, _), v in zip(months, [2, 2, 3], strict=True)]  # 2.1/2.1/2.8
    assert season.percentage(date(2026, 12, 31)) == Decimal(13)
    fiscal = SeasonalDistribution(SEASON, FiscalCalendar(start_month=4))
    assert fiscal.percentage(date(2026, 4, 1)) == Decimal(6) and fiscal.percentage(date(2026, 3, 1)) == Decimal(13)
    assert season.elapsed_share(Q1, date(2026, 1, 1)) == 0
    assert season.elapsed_share(Q1, date(2026, 2, 1)) == Fraction(6, 20)
    assert season.elapsed_share(Q1, date(2026, 2, 15)) == Fraction(6, 20) + Fraction(6, 20) * Fraction(14, 28)
    assert season.elapsed_share(Q1, date(2026, 4, 1)) == 1
    assert season.elapsed_share(Q1, date(2026, 5, 1)) == 1
    even = SeasonalDistribution.even()
    assert even.percentages[:5] == tuple(Decimal(p) for p in ("8.34", "8.34", "8.34", "8.34", "8.33"))
    assert sum(even.percentages) == 100 and even.calendar == FiscalCalendar()
    assert SeasonalDistribution.even(FiscalCalendar(start_month=7)).calendar.start_month == 7
    assert [w for _, w in season.weights(Q1)] == [Decimal(6), Decimal(6), Decimal(8)]
