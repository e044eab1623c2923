"""Tier edges that are not whole cents: one definition (target x edge, rounded half-even) for every mode.

The figures in these tests were computed by hand; the comments show the arithmetic.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bizrel.core import Money, Period
from bizrel.sales import Bracket, CommissionPlan, Credit, Decelerator, Tier, commission_statement, tier_edge

Q3 = Period.quarter(2025, 3)
DEMO_TARGET = Money("181277.75", "USD")  # the demo's Q3 target for rep ana
DEMO_BRACKETS = [Bracket(0, 1, "0.05"), Bracket(1, "1.5", "0.08"), Bracket("1.5", None, "0.10")]


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def demo_plan(mode: str = "marginal", **terms: object) -> CommissionPlan:
    return CommissionPlan.create(  # type: ignore[arg-type]
        tenant_id="t",
        id="q-plan",
        name="Quarterly marginal",
        currency="USD",
        mode=mode,
        brackets=DEMO_BRACKETS,
        decelerator=Decelerator("0.5", "0.5"),
        **terms,
    )


def credited(*amounts: str) -> list[Credit]:
    return [Credit(f"d{i}", date(2025, 7, 1 + i), usd(a)) for i, a in enumerate(amounts)]


@pytest.mark.rule(
    "Each edge falls at target x edge, rounded half-even to the minor unit, and every mode pays by "
    "those rounded edges: a tier runs from its edge (inclusive) to the next one (exclusive)."
)
def test_the_demo_plan_for_ana_pays_21007_36_not_21881_67() -> None:
    """Issue 19, item 1: target 181,277.75; credits 83,750.00 + 257,750.00 (341,500.00 in all).

    Edges: 50% -> 90,638.875 -> 90,638.88; 100% -> 181,277.75; 150% -> 271,916.625 -> 271,916.62.
      d0  83,750.00 below 50%                       x 2.5% = 2,093.75
      d1   6,888.88 (83,750.00 .. 90,638.88)        x 2.5% =   172.222
      d1  90,638.87 (.. 181,277.75)                 x 5%   = 4,531.9435
      d1  90,638.87 (.. 271,916.62)                 x 8%   = 7,251.1096
      d1  69,583.38 (.. 341,500.00)                 x 10%  = 6,958.338
    exact 21,007.3631 -> 21,007.36 (before the fix: 21,881.67, the first slices at 5% and the last at 8%).
    """
    statement = commission_statement(demo_plan(), "ana", Q3, credited("83750.00", "257750.00"), target=DEMO_TARGET)
    assert [(line.deal_id, str(line.base), line.rate, line.bracket) for line in statement.lines] == [
        ("d0", "83750.00 USD", Decimal("0.025"), "0%-100% x0.5 below 50%"),
        ("d1", "6888.88 USD", Decimal("0.025"), "0%-100% x0.5 below 50%"),
        ("d1", "90638.87 USD", Decimal("0.05"), "0%-100%"),
        ("d1", "90638.87 USD", Decimal("0.08"), "100%-150%"),
        ("d1", "69583.38 USD", Decimal("0.10"), "150%-..."),
    ]
    # the exact total rounded once, allocated back over the lines in proportion to their exact amounts
    assert [str(line.amount) for line in statement.lines] == [
        "2093.75 USD",
        "172.22 USD",
        "4531.94 USD",
        "7251.11 USD",
        "6958.34 USD",
    ]
    assert statement.total == usd("21007.36")


def test_the_plans_tiers_are_the_rounded_edges() -> None:
    assert demo_plan().tiers(DEMO_TARGET) == (
        Tier(0, 9_063_888, Decimal("0.025"), "0%-100% x0.5 below 50%"),
        Tier(9_063_888, 18_127_775, Decimal("0.05"), "0%-100%"),
        Tier(18_127_775, 27_191_662, Decimal("0.08"), "100%-150%"),
        Tier(27_191_662, None, Decimal("0.10"), "150%-..."),
    )
    assert tier_edge(18_127_775, Decimal("0.5")) == 9_063_888  # 9,063,887.5: half to even, up
    assert tier_edge(18_127_775, Decimal("1.5")) == 27_191_662  # 27,191,662.5: half to even, down
    assert tier_edge(18_127_773, Decimal("0.5")) == 9_063_886  # 9,063,886.5: half to even, down


@pytest.mark.parametrize(
    ("total", "rate", "bracket"),
    [
        ("90638.87", "0.025", "0%-100% x0.5 below 50% (reached)"),  # one cent below the 50% edge
        ("90638.88", "0.05", "0%-100% (reached)"),  # on it
        ("271916.61", "0.08", "100%-150% (reached)"),  # one cent below 150%
        ("271916.62", "0.10", "150%-... (reached)"),  # on it: before the fix 8%, as 271,916.62 < 1.5 x target
        ("271916.63", "0.10", "150%-... (reached)"),
    ],
)
def test_retroactive_plans_use_the_same_rounded_edges(total: str, rate: str, bracket: str) -> None:
    statement = commission_statement(demo_plan("retroactive"), "ana", Q3, credited(total), target=DEMO_TARGET)
    (line,) = statement.lines
    assert (line.rate, line.bracket) == (Decimal(rate), bracket)
    assert statement.total == usd(total).multiply(rate)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        # flat 4% with an accelerator x2 from 100% and a decelerator x0.5 below 33.3% of 100.01:
        # 33.3% -> 33.30333 -> 33.30; 100% -> 100.01
        ("33.29", "0.67"),  # 33.29 x 2% = 0.6658
        ("33.30", "0.67"),  # 33.30 x 2% = 0.666
        ("33.31", "0.67"),  # 0.666 + 0.01 x 4% = 0.6664
        ("100.00", "3.33"),  # 0.666 + 66.70 x 4% = 0.666 + 2.668 = 3.334
        ("100.01", "3.33"),  # 0.666 + 66.71 x 4% = 3.3344
        ("100.02", "3.34"),  # 3.3344 + 0.01 x 8% = 3.3352
    ],
)
def test_flat_plans_with_multipliers_cut_at_the_rounded_edges(total: str, expected: str) -> None:
    flat = CommissionPlan.create(
        tenant_id="t",
        id="f",
        name="Flat",
        currency="USD",
        rate="0.04",
        accelerator="2",
        decelerator=Decelerator("0.333", "0.5"),
    )
    statement = commission_statement(flat, "ana", Q3, credited(total), target=usd("100.01"))
    assert statement.total == usd(expected)
