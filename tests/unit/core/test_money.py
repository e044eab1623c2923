"""Money: exact, one currency at a time, allocation that always adds up."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizrel.core import CurrencyMismatch, Money, ValidationError
from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.money import Currency
from bizrel.testing.strategies import currencies, money

ratios = st.lists(st.integers(0, 1000), min_size=1, max_size=50).filter(any)
decimal_ratios = st.lists(
    st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False, allow_infinity=False), min_size=1, max_size=20
).filter(any)


def test_construction_forms() -> None:
    assert Money("10.00", "USD").amount == Decimal("10.00")
    assert Money(10, "JPY").amount == Decimal("10")
    assert Money(Decimal("1.5"), "EUR") == Money("1.50", "EUR")
    assert Money("1.234", "KWD").currency.minor_units == 3


@pytest.mark.rule("Amounts are strings; a float is refused with the same `ValidationError`.")
@pytest.mark.rule("Floats are refused.")
@pytest.mark.rule("Floats are refused, as everywhere in bizrel.")
@pytest.mark.parametrize("bad", [0.1, 1.0, float("nan"), True])
def test_floats_and_bools_are_refused_everywhere(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        Money(bad, "USD")  # type: ignore[arg-type]
    assert err.value.field == "amount"
    with pytest.raises((ValidationError, TypeError)):
        Money("2.30", "USD") * bad  # type: ignore[operator]
    with pytest.raises(ValidationError):
        Money("2.30", "USD").multiply(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Money("1.00", "USD").allocate([bad, 1])  # type: ignore[list-item]


def test_precision_guard_and_unknown_currency() -> None:
    with pytest.raises(ValidationError) as err:
        Money("1.001", "USD")
    assert err.value.field == "amount" and err.value.value == "1.001"
    with pytest.raises(ValidationError) as err:
        Money("1", "XYZ")
    assert err.value.field == "currency"
    with pytest.raises(ValidationError):
        Money("NaN", "USD")


@pytest.mark.parametrize("other", ["EUR", "JPY"])
def test_mixing_currencies_raises_for_every_operator(other: str) -> None:
    usd, foreign = Money("1.00", "USD"), Money(1, other)
    for op in (
        lambda: usd + foreign,
        lambda: usd - foreign,
        lambda: usd < foreign,
        lambda: usd <= foreign,
        lambda: usd > foreign,
        lambda: usd >= foreign,
        lambda: Money.total([usd, foreign], "USD"),
    ):
        with pytest.raises(CurrencyMismatch):
            op()
    assert usd != foreign  # equality answers, it does not raise


def test_sum_builtin_works_from_zero() -> None:
    assert sum([Money("1.10", "USD"), Money("2.20", "USD")]) == Money("3.30", "USD")


def test_worked_allocations() -> None:
    assert Money("100.00", "USD").allocate([1, 1, 1]) == [
        Money("33.34", "USD"),
        Money("33.33", "USD"),
        Money("33.33", "USD"),
    ]
    assert Money("0.03", "GBP").allocate([75, 25]) == [Money("0.02", "GBP"), Money("0.01", "GBP")]
    assert Money("5", "JPY").allocate([0, 1, 1]) == [Money(0, "JPY"), Money(3, "JPY"), Money(2, "JPY")]
    with pytest.raises(ValidationError):
        Money("1.00", "USD").allocate([0, 0])
    with pytest.raises(ValidationError):
        Money("1.00", "USD").allocate([1, -1])
    with pytest.raises(ValidationError):
        Money("1.00", "USD").allocate([])


@pytest.mark.rule(
    "`allocate` and `split` work in integer minor units by largest remainder (ties to the lowest index), "
    "so the parts always add up."
)
@given(money(), ratios)
def test_allocate_sums_exactly_within_one_unit_of_exact_share(m: Money, rs: list[int]) -> None:
    parts = m.allocate(rs)
    assert len(parts) == len(rs)
    assert Money.total(parts, m.currency) == m
    total = sum(rs)
    for part, r in zip(parts, rs, strict=True):
        exact = Fraction(m.to_minor()) * r / total
        assert abs(part.to_minor() - exact) < 1
        if r == 0:
            assert part.is_zero()


@given(money(), decimal_ratios)
def test_allocate_by_decimal_ratios_sums_exactly(m: Money, rs: list[Decimal]) -> None:
    assert Money.total(m.allocate(rs), m.currency) == m


@given(money(), ratios)
def test_allocation_of_a_negative_amount_mirrors_the_positive(m: Money, rs: list[int]) -> None:
    assert [-p for p in m.allocate(rs)] == (-m).allocate(rs)


@given(money(), st.integers(1, 60))
def test_split_parts_differ_by_at_most_one_minor_unit(m: Money, n: int) -> None:
    parts = m.split(n)
    minors = [p.to_minor() for p in parts]
    assert sum(minors) == m.to_minor()
    assert max(minors) - min(minors) <= 1


@given(currencies(), st.integers(-(10**15), 10**15), st.integers(-(10**15), 10**15), st.integers(-(10**15), 10**15))
def test_addition_is_associative_and_exact(cur: Currency, a: int, b: int, c: int) -> None:
    x, y, z = (Money.from_minor(v, cur) for v in (a, b, c))
    assert (x + y) + z == x + (y + z) == Money.from_minor(a + b + c, cur)


@pytest.mark.parametrize("code", sorted(MINOR_UNITS))
def test_minor_unit_round_trip_for_every_currency(code: str) -> None:
    one = Money("1", code)
    assert one.to_minor() == 10 ** MINOR_UNITS[code]
    assert Money.from_minor(one.to_minor(), code) == one


@pytest.mark.rule("All Decimal operations run in an exact context, never the global one.")
@pytest.mark.rule(
    "The amount is always a whole number of minor units; anything that could create a fraction "
    "(`multiply`, `Money.of`) takes an explicit rounding mode."
)
def test_rounding_is_explicit_symmetric_and_ignores_the_global_context() -> None:
    with localcontext() as ctx:
        ctx.rounding = ROUND_DOWN
        ctx.prec = 3
        assert Money("60.325", "KWD").multiply("1") == Money("60.325", "KWD")
        assert Money("100.00", "USD").multiply("0.60325") == Money("60.32", "USD")
        assert Money("-100.00", "USD").multiply("0.60325") == Money("-60.32", "USD")
        assert Money("12345678901234567890.12", "USD") + Money("0.01", "USD") == Money("12345678901234567890.13", "USD")
        assert Money("100.00", "USD").allocate([1, 1, 1])[0] == Money("33.34", "USD")


@given(money("USD", min_minor=-(10**9), max_minor=10**9), st.decimals(0, 10, places=5))
def test_multiply_rounds_half_even_symmetrically(m: Money, rate: Decimal) -> None:
    assert m.multiply(rate) == -((-m).multiply(rate))


def test_erpnext_33681_allocate_totals_not_sum_of_rounded_lines() -> None:
    lines = [Decimal("1357.13"), Decimal("1357.13"), Decimal("2714.25")]
    total = Money.of(sum(lines) * Decimal("1.35"), "USD", rounding="ROUND_HALF_EVEN")
    parts = total.allocate(lines)
    assert Money.total(parts, "USD") == total == Money("7328.49", "USD")


def test_ratios_ignore_a_narrow_global_context() -> None:
    from bizrel.core.numbers import ratio

    with localcontext() as ctx:
        ctx.prec = 3
        assert ratio(10**30 + 1, 3, places=2) == Decimal("333333333333333333333333333333.67")
