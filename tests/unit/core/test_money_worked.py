"""Money, call by call: every refusal with its exact field, value and reason, and worked results.

The brief's rule "bad input always gets a specific error naming field, value and reason" is checked
here for every refusal `bizrel.core.money` makes, so a reworded or misattributed error fails.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_UP, Decimal

import pytest

from bizrel.core import CurrencyMismatch, Money, ValidationError
from bizrel.core.money import Currency, allocate_minor, to_decimal

USD = Currency.of("USD")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


REFUSALS: list[tuple[str, Callable[[], object], type[ValidationError], str, str, str]] = [
    ("unknown currency", lambda: Money("1", "XYZ"), ValidationError, "currency", "XYZ", "not an active ISO 4217 code"),
    ("currency not a str", lambda: Currency.of(7), ValidationError, "currency", "7", "not an active ISO 4217 code"),  # type: ignore[arg-type]
    ("float", lambda: to_decimal(0.5, "rate"), ValidationError, "rate", "0.5",
     "floats are not exact: pass a str, int or Decimal"),
    ("bool", lambda: to_decimal(True, "rate"), ValidationError, "rate", "True",
     "floats are not exact: pass a str, int or Decimal"),
    ("not a number", lambda: to_decimal("ten", "rate"), ValidationError, "rate", "ten", "not a decimal number"),
    ("other type", lambda: to_decimal([1], "rate"), ValidationError, "rate", "[1]", "expected a str, int or Decimal"),
    ("infinite", lambda: to_decimal("Infinity", "rate"), ValidationError, "rate", "Infinity",
     "must be a finite number"),
    ("NaN", lambda: to_decimal(Decimal("NaN"), "rate"), ValidationError, "rate", "Decimal('NaN')",
     "must be a finite number"),
    ("too many places", lambda: Money("1.001", "USD"), ValidationError, "amount", "1.001", "USD has 2 decimal places"),
    ("JPY places", lambda: Money("1.5", "JPY"), ValidationError, "amount", "1.5", "JPY has 0 decimal places"),
    ("39 digits", lambda: Money("9" * 39, "JPY"), ValidationError, "amount", "9" * 39, "more than 38 digits"),
    ("minor as float", lambda: Money.from_minor(1.0, "USD"), ValidationError, "minor", "1.0",  # type: ignore[arg-type]
     "minor units are a whole number"),
    ("minor as bool", lambda: Money.from_minor(True, "USD"), ValidationError, "minor", "True",
     "minor units are a whole number"),
    ("minor 10**38", lambda: Money.from_minor(10**38, "USD"), ValidationError, "minor", str(10**38),
     "more than 38 digits"),
    ("minor -10**38", lambda: Money.from_minor(-(10**38), "USD"), ValidationError, "minor", str(-(10**38)),
     "more than 38 digits"),
    ("minor unknown currency", lambda: Money.from_minor(1, "XYZ"), ValidationError, "currency", "XYZ",
     "not an active ISO 4217 code"),
    ("total of two currencies", lambda: Money.total([usd("1.00"), Money("1.00", "EUR")], "USD"), CurrencyMismatch,
     "currency", "EUR", "currency EUR does not match USD"),
    ("add two currencies", lambda: usd("1.00") + Money("1.00", "EUR"), CurrencyMismatch, "currency", "EUR",
     "currency EUR does not match USD"),
    ("subtract two currencies", lambda: usd("1.00") - Money("1", "JPY"), CurrencyMismatch, "currency", "JPY",
     "currency JPY does not match USD"),
    ("compare two currencies", lambda: usd("1.00") < Money("1", "JPY"), CurrencyMismatch, "currency", "JPY",
     "currency JPY does not match USD"),
    ("times a float", lambda: usd("1.00") * 1.5, ValidationError, "factor", "1.5",  # type: ignore[operator]
     "floats are not exact: use a Decimal"),
    ("multiply by text", lambda: usd("1.00").multiply("x"), ValidationError, "factor", "x", "not a decimal number"),
    ("no ratios", lambda: usd("1.00").allocate([]), ValidationError, "ratios", "[]", "at least one ratio is needed"),
    ("negative ratio", lambda: usd("1.00").allocate([1, -1]), ValidationError, "ratios[1]", "-1",
     "ratios cannot be negative"),
    ("all-zero ratios", lambda: usd("1.00").allocate([0, "0"]), ValidationError, "ratios", "[0, '0']",
     "ratios cannot all be zero"),
    ("float ratio", lambda: usd("1.00").allocate([1, 0.5]), ValidationError, "ratios[1]", "0.5",
     "floats are not exact: pass a str, int or Decimal"),
    ("zero parts", lambda: usd("1.00").split(0), ValidationError, "parts", "0", "must be a whole number of at least 1"),
    ("bool parts", lambda: usd("1.00").split(True), ValidationError, "parts", "True",
     "must be a whole number of at least 1"),
    ("text parts", lambda: usd("1.00").split("2"), ValidationError, "parts", "2",  # type: ignore[arg-type]
     "must be a whole number of at least 1"),
    ("from_dict not a mapping", lambda: Money.from_dict([1]), ValidationError, "money", "[1]",  # type: ignore[arg-type]
     'expected {"amount": "...", "currency": "..."}'),
    ("from_dict extra key", lambda: Money.from_dict({"amount": "1", "currency": "USD", "x": 1}), ValidationError,
     "money", "{'amount': '1', 'currency': 'USD', 'x': 1}", "needs exactly the keys amount and currency"),
    ("from_dict missing key", lambda: Money.from_dict({"amount": "1"}), ValidationError, "money", "{'amount': '1'}",
     "needs exactly the keys amount and currency"),
    ("from_dict float amount", lambda: Money.from_dict({"amount": 1.5, "currency": "USD"}), ValidationError,
     "amount", "1.5", "expected the amount as a string"),
    ("from_dict currency not text", lambda: Money.from_dict({"amount": "1", "currency": 840}), ValidationError,
     "currency", "840", "expected an ISO 4217 code"),
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


def test_from_minor_builds_exact_amounts_in_every_exponent() -> None:
    assert Money.from_minor(12345, "USD") == usd("123.45")
    assert Money.from_minor(-5, "USD").amount == Decimal("-0.05")
    assert str(Money.from_minor(-5, "USD").amount) == "-0.05"
    assert Money.from_minor(7, "JPY").amount == Decimal(7)
    assert str(Money.from_minor(1234, "KWD").amount) == "1.234"
    assert Money.from_minor(10**38 - 1, "USD").to_minor() == 10**38 - 1
    assert Money.from_minor(-(10**38) + 1, "USD").to_minor() == -(10**38) + 1
    assert Money.from_minor(3, USD).currency is USD
    assert Money.from_minor(3, "EUR").currency is Currency.of("EUR")

    class Count(int):
        pass

    built = Money.from_minor(Count(250), "USD")
    assert built == usd("2.50") and type(built.to_minor()) is int


def test_conversions_and_text() -> None:
    m = usd("1234.50")
    assert m.to_minor() == 123450 and Money("-0.01", "USD").to_minor() == -1
    assert Money("12.345", "KWD").to_minor() == 12345 and Money(12, "JPY").to_minor() == 12
    assert m.to_dict() == {"amount": "1234.50", "currency": "USD"}
    assert Money.from_dict({"amount": "1234.50", "currency": "USD"}) == m
    assert Money.from_dict({"amount": 5, "currency": "JPY"}) == Money(5, "JPY")
    assert Money.from_dict({"amount": Decimal("0.10"), "currency": "EUR"}) == Money("0.10", "EUR")
    assert repr(m) == "Money('1234.50', 'USD')"
    assert str(m) == "1234.50 USD"
    assert m.format() == "1,234.50 USD"
    assert str(Money.zero("EUR")) == "0.00 EUR" and Money.zero("JPY") == Money(0, "JPY")
    assert str(Money(" 3.10 ", "USD")) == "3.10 USD"  # surrounding blanks are ignored
    assert str(USD) == "USD" and USD.quantum == Decimal("0.01") and Currency.of(USD) is USD


def test_arithmetic_worked() -> None:
    assert usd("1.10") + usd("2.25") == usd("3.35")
    assert usd("1.10") - usd("2.25") == usd("-1.15")
    assert -usd("1.10") == usd("-1.10") and abs(usd("-1.10")) == usd("1.10") and abs(usd("1.10")) == usd("1.10")
    assert usd("1.10") * 3 == usd("3.30") and 3 * usd("1.10") == usd("3.30") and usd("1.10") * -2 == usd("-2.20")
    assert (usd("1.10") * 0).is_zero()
    assert usd("1.10").__mul__("3") is NotImplemented  # type: ignore[arg-type]
    assert usd("1.10").__mul__(True) is NotImplemented  # type: ignore[arg-type]
    assert usd("1.10").__add__(1) is NotImplemented  # type: ignore[arg-type]
    assert usd("1.10").__sub__(1) is NotImplemented  # type: ignore[arg-type]
    assert usd("1.10").__lt__(1) is NotImplemented  # type: ignore[arg-type]
    assert usd("1.10").__radd__(1) is NotImplemented
    assert usd("1.10").__radd__(False) is NotImplemented
    assert usd("1.10").__radd__(0.0) is NotImplemented
    assert 0 + usd("1.10") == usd("1.10")
    assert usd("10.00").multiply("0.125") == usd("1.25")
    assert usd("10.05").multiply("0.5") == usd("5.02")  # 5.025 half-even
    assert usd("10.07").multiply("0.5") == usd("5.04")  # 5.035 half-even
    assert usd("10.05").multiply("0.5", rounding=ROUND_UP) == usd("5.03")
    assert usd("-10.05").multiply("0.5", rounding=ROUND_DOWN) == usd("-5.02")
    assert Money.of("1.005", "USD", rounding=ROUND_UP) == usd("1.01")
    assert Money.of("1.015", "USD", rounding=ROUND_DOWN) == usd("1.01")
    assert Money.total([], "EUR") == Money.zero("EUR")
    assert Money.total([usd("0.10"), usd("0.20"), usd("-0.05")], USD) == usd("0.25")


def test_comparison_hash_and_truth() -> None:
    assert usd("1.00") < usd("1.01") and not usd("1.01") < usd("1.00") and not usd("1.00") < usd("1.00")
    assert usd("1.01") > usd("1.00") and usd("1.00") <= usd("1.00") and usd("1.00") >= usd("1.00")
    assert usd("1.00") == Money("1", "USD") and usd("1.00") != Money("1.00", "EUR")
    assert usd("1.00").__eq__(1) is NotImplemented
    assert hash(usd("1.00")) == hash(Money("1", "USD")) == hash((Decimal("1.00"), "USD"))
    assert len({usd("1.00"), Money("1.0", "USD"), Money("1.00", "EUR")}) == 2
    assert bool(usd("0.01")) and not bool(usd("0.00")) and bool(usd("-0.01"))
    assert usd("0.00").is_zero() and not usd("0.01").is_zero()
    assert usd("-0.01").is_negative() and not usd("0.00").is_negative() and not usd("0.01").is_negative()


def test_allocation_worked() -> None:
    assert usd("1.00").allocate([1, 1, 1]) == [usd("0.34"), usd("0.33"), usd("0.33")]
    assert usd("1.00").split(3) == [usd("0.34"), usd("0.33"), usd("0.33")]
    assert usd("1.00").split(1) == [usd("1.00")]
    assert usd("0.05").allocate([3, 7]) == [usd("0.02"), usd("0.03")]  # 0.015 / 0.035: remainders .5 and .5
    assert usd("0.10").allocate([1, 0, 2]) == [usd("0.03"), usd("0.00"), usd("0.07")]  # 3.33 / 6.67
    assert usd("-1.00").allocate([1, 1, 1]) == [usd("-0.34"), usd("-0.33"), usd("-0.33")]
    # 10000 x 4/7, 2/7, 1/7 = 5714.29, 2857.14, 1428.57: floors leave 1 unit, to the largest remainder (.57)
    assert usd("100.00").allocate(["0.5", "0.25", "0.125"]) == [usd("57.14"), usd("28.57"), usd("14.29")]
    assert usd("100.00").allocate([Decimal("1E+2"), 100]) == [usd("50.00"), usd("50.00")]
    assert allocate_minor(10, [Decimal(1), Decimal(2), Decimal(2)]) == [2, 4, 4]
    assert allocate_minor(11, [Decimal(1), Decimal(2), Decimal(2)]) == [2, 5, 4]  # 2.2 / 4.4 / 4.4: tie, the first
    assert allocate_minor(12, [Decimal(1), Decimal(2), Decimal(2)]) == [2, 5, 5]  # 2.4 / 4.8 / 4.8
    assert allocate_minor(-11, [Decimal(1), Decimal(2), Decimal(2)]) == [-2, -5, -4]
    assert allocate_minor(7, [Decimal("0.1"), Decimal("0.25")]) == [2, 5]  # 2 / 5 exactly
    assert allocate_minor(5, [Decimal(0), Decimal("0.5")]) == [0, 5]
