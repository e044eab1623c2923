"""Exact ratios for reports: computed as fractions, rounded half-even once at a stated place."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from bizrel.core.money import EXACT

__all__ = ["ratio", "round_fraction"]


def round_fraction(value: Fraction, places: int = 4) -> Decimal:
    """A fraction as a Decimal with `places` decimals, rounded half-even (no float, no context)."""
    scaled = round(value * 10**places)  # round() on a Fraction is exact and half-even
    return Decimal(scaled).scaleb(-places, context=EXACT)


def ratio(part: int | Decimal, whole: int | Decimal, places: int = 4) -> Decimal | None:
    """part / whole rounded half-even to `places` decimals; None when whole is 0."""
    if whole == 0:
        return None
    return round_fraction(Fraction(part) / Fraction(whole), places)
