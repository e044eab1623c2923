"""Exact money: a Decimal amount in one ISO 4217 currency, never a float.

Every Money holds an amount that is a whole number of the currency's minor units, so storing it
as an integer is always exact. Anything that could produce a fraction of a minor unit (multiplying
by a rate, converting currencies) takes an explicit rounding mode; the global decimal context is
never consulted. Splitting (allocate, split) works in integer minor units by largest remainder, so
the parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from functools import total_ordering
from typing import Final, SupportsIndex

from attrs import frozen

from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import CurrencyMismatch, ValidationError

__all__ = ["EXACT", "ROUND_HALF_EVEN", "Currency", "Money", "allocate_minor", "to_decimal"]

_MAX_DIGITS: Final = 38  # what a NUMERIC(38, s) column holds
_MINOR_LIMIT: Final = 10**_MAX_DIGITS

EXACT: Final = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_EVEN)
"""Decimal context in which addition and multiplication never round: used instead of the global one."""


@frozen
class Currency:
    """An ISO 4217 currency with the number of digits after its decimal point."""

    code: str
    minor_units: int

    @classmethod
    def of(cls, code: str | Currency) -> Currency:
        if isinstance(code, Currency):
            return code
        try:
            return _CURRENCIES[code]
        except (KeyError, TypeError):
            raise ValidationError("currency", code, "not an active ISO 4217 code") from None

    @property
    def quantum(self) -> Decimal:
        return _QUANTA[self.minor_units]

    def __str__(self) -> str:
        return self.code


_QUANTA: Final = {n: Decimal(1).scaleb(-n) for n in range(5)}
_CURRENCIES: Final = {code: Currency(code, units) for code, units in MINOR_UNITS.items()}


def to_decimal(value: object, field: str) -> Decimal:
    """Turn an int, a str or a Decimal into a finite Decimal; floats and bools are refused."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool | float):
        raise ValidationError(field, value, "floats are not exact: pass a str, int or Decimal")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError(field, value, "not a decimal number") from None
    else:
        raise ValidationError(field, value, "expected a str, int or Decimal")
    if not result.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    return result


@total_ordering
@frozen(init=False, eq=False, order=False)
class Money:
    """An exact amount of one currency.

    >>> Money("10.00", "USD") + Money("0.05", "USD")
    Money('10.05', 'USD')
    """

    amount: Decimal
    currency: Currency

    def __init__(self, amount: Decimal | int | str, currency: str | Currency) -> None:
        cur = Currency.of(currency)
        value = to_decimal(amount, "amount")
        quantized = value.quantize(cur.quantum, rounding=ROUND_HALF_EVEN, context=EXACT)
        if quantized != value:
            raise ValidationError("amount", amount, f"{cur.code} has {cur.minor_units} decimal places")
        if len(quantized.as_tuple().digits) > _MAX_DIGITS:
            raise ValidationError("amount", amount, f"more than {_MAX_DIGITS} digits")
        object.__setattr__(self, "amount", quantized)
        object.__setattr__(self, "currency", cur)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str | Currency) -> Money:
        return cls(0, currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str | Currency) -> Money:
        """The amount `minor` counts in minor units (cents for USD, yen for JPY).

        The hot path of every analytic that sums in integers: it builds the value directly, since
        a whole number of minor units needs no rounding check.
        """
        if type(minor) is not int:
            if isinstance(minor, bool) or not isinstance(minor, int):
                raise ValidationError("minor", minor, "minor units are a whole number")
            minor = int(minor)
        cur = currency if type(currency) is Currency else Currency.of(currency)
        if not -_MINOR_LIMIT < minor < _MINOR_LIMIT:
            raise ValidationError("minor", minor, f"more than {_MAX_DIGITS} digits")
        money = object.__new__(cls)
        object.__setattr__(money, "amount", Decimal(minor).scaleb(-cur.minor_units, context=EXACT))
        object.__setattr__(money, "currency", cur)
        return money

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str | Currency, *, rounding: str) -> Money:
        """Like the constructor, but rounds extra digits with the given mode instead of refusing."""
        cur = Currency.of(currency)
        value = to_decimal(amount, "amount").quantize(cur.quantum, rounding=rounding, context=EXACT)
        return cls(value, cur)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str | Currency) -> Money:
        """Sum of amounts, all in `currency` (an empty iterable sums to zero)."""
        cur = Currency.of(currency)
        minor = 0
        for m in amounts:
            if m.currency is not cur:
                raise CurrencyMismatch("currency", cur.code, m.currency.code)
            minor += m.to_minor()
        return cls.from_minor(minor, cur)

    # -- conversion ---------------------------------------------------------------------------

    def to_minor(self) -> int:
        return int(self.amount.scaleb(self.currency.minor_units, context=EXACT))

    def to_dict(self) -> dict[str, str]:
        """The JSON form: `{"amount": "12000.00", "currency": "USD"}`, the amount as exact text."""
        return {"amount": str(self.amount), "currency": self.currency.code}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Money:
        """The Money that `to_dict` wrote; an amount given as a float is refused."""
        if not isinstance(data, Mapping):
            raise ValidationError("money", data, 'expected {"amount": "...", "currency": "..."}')
        if set(data) != {"amount", "currency"}:
            raise ValidationError("money", data, "needs exactly the keys amount and currency")
        amount, currency = data["amount"], data["currency"]
        if not isinstance(amount, str | int | Decimal):
            raise ValidationError("amount", amount, "expected the amount as a string")
        if not isinstance(currency, str):
            raise ValidationError("currency", currency, "expected an ISO 4217 code")
        return cls(amount, currency)

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency.code!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency.code}"

    def format(self) -> str:
        """Grouped for people: `1,234.50 USD`."""
        return f"{self.amount:,} {self.currency.code}"

    # -- arithmetic ---------------------------------------------------------------------------

    def _check(self, other: Money) -> None:
        if other.currency is not self.currency:
            raise CurrencyMismatch("currency", self.currency.code, other.currency.code)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other)
        return Money(EXACT.add(self.amount, other.amount), self.currency)

    def __radd__(self, other: object) -> Money:
        if other == 0 and not isinstance(other, bool | float):  # lets sum() start from 0
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other)
        return Money(EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money(EXACT.minus(self.amount), self.currency)

    def __abs__(self) -> Money:
        return Money(EXACT.abs(self.amount), self.currency)

    def __mul__(self, factor: SupportsIndex) -> Money:
        """Multiply by a whole number; use `multiply` for a Decimal factor (it needs a rounding)."""
        if isinstance(factor, bool | float) or not isinstance(factor, int):
            if isinstance(factor, float):
                raise ValidationError("factor", factor, "floats are not exact: use a Decimal")
            return NotImplemented
        return Money(EXACT.multiply(self.amount, Decimal(int(factor))), self.currency)

    __rmul__ = __mul__

    def multiply(self, factor: Decimal | int | str, *, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Multiply by a rate, rounding the result to minor units with `rounding`."""
        rate = to_decimal(factor, "factor")
        return Money.of(EXACT.multiply(self.amount, rate), self.currency, rounding=rounding)

    def is_zero(self) -> bool:
        return not self.amount

    def is_negative(self) -> bool:
        return self.amount < 0

    def __bool__(self) -> bool:
        return bool(self.amount)

    # -- comparison ---------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency is other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency.code))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check(other)
        return self.amount < other.amount

    # -- splitting ----------------------------------------------------------------------------

    def allocate(self, ratios: Sequence[Decimal | int | str]) -> list[Money]:
        """Split in proportion to `ratios`; the parts sum exactly to self.

        Largest remainder: each part gets the floor of its exact share in minor units, then the
        leftover units go one each to the largest remainders, ties to the lowest index. Zero
        ratios get zero; all-zero or negative ratios are refused.
        """
        weights = [to_decimal(r, f"ratios[{i}]") for i, r in enumerate(ratios)]
        if not weights:
            raise ValidationError("ratios", list(ratios), "at least one ratio is needed")
        for i, w in enumerate(weights):
            if w < 0:
                raise ValidationError(f"ratios[{i}]", ratios[i], "ratios cannot be negative")
        if not any(weights):
            raise ValidationError("ratios", list(ratios), "ratios cannot all be zero")
        return [Money.from_minor(p, self.currency) for p in allocate_minor(self.to_minor(), weights)]

    def split(self, parts: int) -> list[Money]:
        """n parts that differ by at most one minor unit, the larger ones first."""
        if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
            raise ValidationError("parts", parts, "must be a whole number of at least 1")
        return self.allocate([1] * parts)


def allocate_minor(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Largest-remainder split of an integer by non-negative weights (ties to the lowest index).

    Weights are scaled to integers sharing one exponent, so no step rounds. A negative total is
    split as the mirror image of the positive one: allocating -x gives exactly -(allocating x).
    """
    if total < 0:
        return [-p for p in allocate_minor(-total, weights)]
    exponent = min(_exponent(w) for w in weights)
    ints = [_scaled_int(w, exponent) for w in weights]
    denominator = sum(ints)
    parts: list[int] = []
    remainders: list[tuple[int, int]] = []
    for index, w in enumerate(ints):
        quotient, remainder = divmod(total * w, denominator)
        parts.append(quotient)
        remainders.append((-remainder, index))
    leftover = total - sum(parts)
    for _, index in sorted(remainders)[:leftover]:
        parts[index] += 1
    return parts


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite by construction
    return min(exponent, 0)


def _scaled_int(value: Decimal, exponent: int) -> int:
    """value * 10**-exponent as an exact int (exponent <= the value's own exponent)."""
    sign, digits, own = value.as_tuple()
    assert isinstance(own, int)
    magnitude = int("".join(map(str, digits)) or "0") * int(10 ** (own - exponent))
    return -magnitude if sign else magnitude
