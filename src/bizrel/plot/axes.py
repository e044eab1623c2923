"""The Axes a chart draws on, and how exact figures become positions and labels."""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bizrel.core.errors import MissingExtra
from bizrel.core.money import Money

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["axes_for", "height", "money_label", "percent"]


def axes_for(ax: Axes | None) -> Axes:
    """`ax` itself, or the Axes of a new pyplot figure (so a notebook shows it)."""
    if ax is not None:
        return ax
    try:
        pyplot: Any = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise MissingExtra("charts", "plot") from None
    new: Axes = pyplot.subplots()[1]
    return new


def height(value: Money | Decimal | int | None) -> float:
    """A drawing position for an exact figure (None draws as 0)."""
    if value is None:
        return 0.0
    return float(value.amount if isinstance(value, Money) else value)


def money_label(value: Money | Decimal | int | None) -> str:
    """The exact figure as people read it (`12,000.00 USD`)."""
    if value is None:
        return "n/a"
    return value.format() if isinstance(value, Money) else f"{value:,}"


def percent(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"
