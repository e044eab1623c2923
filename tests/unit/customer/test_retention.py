"""Cohorts, churn and value figures against brute force, worked numbers and bad input."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.customer import (
    average_order_value,
    churn_rate,
    cohort_retention,
    historical_lifetime_value,
    predicted_lifetime_value,
    purchase_frequency,
    repeat_purchase_rate,
    value_metrics,
)

AS_OF = datetime(2026, 7, 15, tzinfo=UTC)


def _t(customer: str, at: datetime, amount: str = "10.00") -> dict[str, object]:
    return {"customer_id": customer, "occurred_at": at, "amount": Money(amount, "USD")}


def transactions() -> st.SearchStrategy[list[dict[str, object]]]:
    record = st.builds(
        lambda c, s, m: _t(f"c{c}", AS_OF - timedelta(seconds=s), str(Money.from_minor(m, "USD").amount)),
        st.integers(0, 15),
        st.integers(0, 300 * 86_400),
        st.integers(1, 20_000),
    )
    return st.lists(record, max_size=50)


def _month(at: datetime) -> int:
    return at.year * 12 + at.month - 1


@settings(max_examples=150, deadline=None)
@given(txns=transactions())
def test_cohort_matrix_agrees_with_brute_force(txns: list[dict[str, object]]) -> None:
    months: dict[str, set[int]] = defaultdict(set)
    for t in txns:
        months[str(t["customer_id"])].add(_month(t["occurred_at"]))  # type: ignore[arg-type]
    result = cohort_retention(txns, as_of=AS_OF)
    cohorts = sorted({min(m) for m in months.values()})
    assert [c.cohort for c in result.cohorts] == [f"{c // 12}-{c % 12 + 1:02d}" for c in cohorts]
    for row, cohort in zip(result.cohorts, cohorts, strict=True):
        members = [m for m in months.values() if min(m) == cohort]
        assert row.size == len(members) and row.active[0] == row.size
        assert len(row.active) == _month(AS_OF) - cohort + 1
        for k, active in enumerate(row.active):
            assert active == sum(1 for m in members if cohort + k in m)
            assert Decimal(0) <= row.rates[k] <= Decimal(1)
    assert len(result.to_rows()) == sum(len(c.active) for c in result.cohorts)


@settings(max_examples=150, deadline=None)
@given(txns=transactions())
def test_churn_and_simple_figures_agree_with_brute_force(txns: list[dict[str, object]]) -> None:
    june, may = Period.month(2026, 6), Period.month(2026, 5)
    buyers = {p: {t["customer_id"] for t in txns if p.contains(t["occurred_at"])} for p in (june, may)}  # type: ignore[arg-type]
    result = churn_rate(txns, june)
    assert result.customers_at_start == len(buyers[may])
    assert result.retained == len(buyers[may] & buyers[june])
    if buyers[may]:
        assert result.rate is not None and Decimal(0) <= result.rate <= Decimal(1)
    else:
        assert result.rate is None
    counts: dict[object, int] = defaultdict(int)
    for t in txns:
        counts[t["customer_id"]] += 1
    if txns:
        assert purchase_frequency(txns) == round(Decimal(len(txns)) / len(counts), 4)
        assert repeat_purchase_rate(txns) == round(Decimal(sum(n >= 2 for n in counts.values())) / len(counts), 4)
        total = sum(t["amount"].to_minor() for t in txns)  # type: ignore[attr-defined]
        aov = average_order_value(txns)
        assert aov is not None and aov.to_minor() == round(Fraction(total, len(txns)))
        history = historical_lifetime_value(txns)
        assert Money.total((c.revenue for c in history.customers), "USD").to_minor() == total
    else:
        assert average_order_value(txns) is None and purchase_frequency(txns) is None


def test_worked_value_metrics() -> None:
    txns = [
        _t("a", datetime(2026, 5, 3, tzinfo=UTC), "100.00"),
        _t("a", datetime(2026, 6, 3, tzinfo=UTC), "50.00"),
        _t("a", datetime(2026, 6, 20, tzinfo=UTC), "30.00"),
        _t("b", datetime(2026, 5, 9, tzinfo=UTC), "40.00"),
        _t("c", datetime(2026, 5, 9, tzinfo=UTC), "20.00"),
        _t("c", datetime(2026, 6, 9, tzinfo=UTC), "20.00"),
        _t("d", datetime(2026, 6, 30, tzinfo=UTC), "60.00"),
    ]
    m = value_metrics(txns, as_of=AS_OF, margin="0.25")
    assert (m.customers, m.orders, m.revenue) == (4, 7, Money("320.00", "USD"))
    assert m.average_order_value == Money("45.71", "USD")  # 320 / 7
    assert m.purchase_frequency == Decimal("1.7500")
    assert m.repeat_purchase_rate == Decimal("0.5000")
    assert m.historical_clv == Money("80.00", "USD")
    # June vs May: May buyers a, b, c; b did not come back -> churn 1/3, lifetime 3 months
    assert (m.period, m.churn_rate, m.expected_lifetime) == ("2026-06", Decimal("0.3333"), Decimal("3.0000"))
    # June revenue per active customer: (50 + 30 + 20 + 60) / 3 = 53.33..; x 0.25 margin x 3 months = 40.00
    assert m.predicted_clv == Money("40.00", "USD")
    assert "predicted_clv" in str(m) and {"metric": "orders", "value": 7} in m.to_rows()
    cohorts = cohort_retention(txns, as_of=AS_OF)
    assert [(c.cohort, c.size, c.active) for c in cohorts.cohorts] == [
        ("2026-05", 3, (3, 2, 0)),
        ("2026-06", 1, (1, 0)),
    ]
    assert "M2" in str(cohorts)


def test_predicted_lifetime_value_formula() -> None:
    assert predicted_lifetime_value(Money("50.00", "USD"), "2", "0.1", margin="0.3") == Money("300.00", "USD")
    assert predicted_lifetime_value(Money("50.00", "USD"), 2, 0) is None  # no churn: no finite lifetime
    with pytest.raises(ValidationError) as info:
        predicted_lifetime_value(Money("50.00", "USD"), 2, "1.5")
    assert info.value.field == "churn_rate"
    with pytest.raises(ValidationError) as info:
        predicted_lifetime_value(Money("50.00", "USD"), 2, "0.5", margin=0.3)  # type: ignore[arg-type]
    assert info.value.field == "margin"


def test_bad_input_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        cohort_retention([_t("a", AS_OF), {**_t("b", AS_OF), "amount": Money("1", "JPY")}])
    with pytest.raises(ValidationError) as info:
        value_metrics([_t("a", AS_OF + timedelta(days=1))], as_of=AS_OF)
    assert info.value.field == "occurred_at"
    with pytest.raises(ValidationError) as info:
        churn_rate([_t("a", datetime(2026, 6, 1))], Period.month(2026, 6))
    assert info.value.field == "occurred_at"
    with pytest.raises(ValidationError) as info:
        value_metrics([], as_of=AS_OF, margin="2")
    assert info.value.field == "margin"


def test_empty_input_gives_empty_results() -> None:
    assert cohort_retention([]).cohorts == ()
    m = value_metrics([], as_of=AS_OF)
    assert (m.customers, m.revenue, m.predicted_clv, m.churn_rate) == (0, None, None, None)
