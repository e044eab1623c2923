"""Properties at the tier edges: amounts exactly on, one minor unit below and one above every edge.

The plans are drawn with edges that are rarely whole cents of the target (attainment bounds with
three decimals, targets of any number of cents), rates that may rise or fall, and optional
accelerators, decelerators and caps. The edges are restated here from the docs' definition
(target x edge, rounded half-even), not read from the plan.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core import Money, Period
from bizrel.sales import (
    Bracket,
    CommissionPlan,
    CommissionStatement,
    Credit,
    Decelerator,
    LineKind,
    commission_statement,
)

Q1 = Period.quarter(2026, 1)
LABEL = re.compile(r"^(\S+%-\S+?)( x(\S+) from 100%)?( x(\S+) below \S+%)?( \(reached\))?$")


def edge(target_minor: int, attainment: Decimal) -> int:
    """The docs' definition: target x edge, rounded half-even to the minor unit."""
    return round(Fraction(attainment) * target_minor)


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(Decimal(low), Decimal(high), places=places, allow_nan=False, allow_infinity=False)


@st.composite
def plans(draw: st.DrawFn) -> CommissionPlan:
    mode = draw(st.sampled_from(["flat", "marginal", "retroactive"]))
    accelerator = draw(st.none() | decimals("1", "3", 2))
    decelerator = draw(st.none() | st.builds(Decelerator, decimals("0.001", "1.5", 3), decimals("0", "1", 2)))
    cap = draw(st.none() | st.integers(0, 10**8).map(lambda m: Money.from_minor(m, "USD")))
    common = {"tenant_id": "t", "id": "p", "name": "P", "currency": "USD", "cap": cap}
    if mode == "flat":
        rate = draw(decimals("0", "0.3", 4))
        return CommissionPlan.create(mode=mode, rate=rate, accelerator=accelerator, decelerator=decelerator, **common)  # type: ignore[arg-type]
    bounds = sorted(set(draw(st.lists(decimals("0.001", "3", 3), max_size=4))))
    lowers, uppers = [Decimal(0), *bounds], [*bounds, None]
    rates = draw(st.lists(decimals("0", "0.3", 4), min_size=len(lowers), max_size=len(lowers)))
    brackets = [Bracket(lo, hi, r) for lo, hi, r in zip(lowers, uppers, rates, strict=True)]
    return CommissionPlan.create(
        mode=mode, brackets=brackets, accelerator=accelerator, decelerator=decelerator, **common
    )  # type: ignore[arg-type]


def edges_of(plan: CommissionPlan, target_minor: int) -> list[int]:
    attainments = {b.lower for b in plan.brackets} | {b.upper for b in plan.brackets if b.upper is not None}
    if plan.accelerator is not None:
        attainments.add(Decimal(1))
    if plan.decelerator is not None:
        attainments.add(plan.decelerator.floor)
    return sorted({edge(target_minor, a) for a in attainments})


def around_edges(plan: CommissionPlan, target_minor: int) -> list[int]:
    """Every edge, one minor unit below it and one above it."""
    return sorted({max(0, e + d) for e in edges_of(plan, target_minor) for d in (-1, 0, 1)})


def statement_for(plan: CommissionPlan, credited: int, target_minor: int, pieces: int = 1) -> CommissionStatement:
    """`credited` minor units in `pieces` credits (so deals cross edges too)."""
    parts = [credited // pieces] * pieces
    parts[0] += credited - sum(parts)
    credits = [Credit(f"d{i}", date(2026, 1, 1 + i), Money.from_minor(m, "USD")) for i, m in enumerate(parts)]
    return commission_statement(plan, "ana", Q1, credits, target=Money.from_minor(target_minor, "USD"))


def exact(statement: CommissionStatement) -> Fraction:
    return sum(
        (Fraction(line.base.to_minor()) * Fraction(line.rate) for line in statement.lines if line.rate is not None),
        Fraction(0),
    )


def paid_rate(plan: CommissionPlan, label: str) -> tuple[Bracket, bool, bool, Decimal]:
    """The bracket a line's label names, whether it names the accelerator and the decelerator, and the
    rate those make: the bracket's rate times each multiplier named."""
    found = LABEL.match(label)
    assert found, label
    bracket = next(b for b in plan.brackets if b.label == found.group(1))
    accelerated, decelerated = found.group(2) is not None, found.group(4) is not None
    rate = bracket.rate
    if accelerated:
        assert plan.accelerator is not None and Decimal(found.group(3)) == plan.accelerator
        rate *= plan.accelerator
    if decelerated:
        assert plan.decelerator is not None and Decimal(found.group(5)) == plan.decelerator.factor
        rate *= plan.decelerator.factor
    return bracket, accelerated, decelerated, rate


def check_labels(plan: CommissionPlan, statement: CommissionStatement, target_minor: int) -> None:
    """No slice is labelled with a bracket (or a multiplier) whose rate it was not paid, and each slice
    lies where its label says."""
    credited = statement.credited.to_minor()
    position = 0
    for line in statement.lines:
        if line.kind is not LineKind.COMMISSION:
            continue
        bracket, accelerated, decelerated, rate = paid_rate(plan, line.bracket)
        assert line.rate == rate
        if plan.mode.value == "retroactive":
            start = end = credited  # the tier the whole credited amount reaches
            assert line.bracket.endswith(" (reached)")
        else:
            start, end = position, position + line.base.to_minor()
            position = end
            end -= 1  # the last minor unit of the slice
        if plan.needs_target:
            assert edge(target_minor, bracket.lower) <= start
            assert bracket.upper is None or end < edge(target_minor, bracket.upper)
        if plan.accelerator is not None:
            assert accelerated == (start >= target_minor) and accelerated == (end >= target_minor)
        if plan.decelerator is not None:
            floor = edge(target_minor, plan.decelerator.floor)
            assert decelerated == (start < floor) and decelerated == (end < floor)


def check_total(plan: CommissionPlan, statement: CommissionStatement) -> None:
    total = statement.total.to_minor()
    assert total == sum(line.amount.to_minor() for line in statement.lines)
    rounded = round(exact(statement))  # half-even, once
    assert total == (rounded if plan.cap is None else min(rounded, plan.cap.to_minor()))


@pytest.mark.rule(
    "A line's bracket names the bracket and the multipliers in its rate (`0%-100% x0.5 below 50%`), so no "
    "line is labelled with a bracket whose rate it was not paid."
)
@settings(max_examples=300, deadline=None)
@given(plans(), st.integers(1, 10**9), st.integers(1, 3))
def test_at_every_edge_each_line_is_paid_the_rate_its_label_names_and_lines_sum_to_the_total(
    plan: CommissionPlan, target_minor: int, pieces: int
) -> None:
    for credited in around_edges(plan, target_minor):
        statement = statement_for(plan, credited, target_minor, pieces)
        check_labels(plan, statement, target_minor)
        check_total(plan, statement)


@pytest.mark.rule(
    "A marginal plan pays each slice of credit at the rate of the tier it falls in; a retroactive plan pays "
    "all of it at the rate of the tier the credited total reaches; a flat plan with an accelerator or a "
    "decelerator is a marginal plan with one bracket."
)
@settings(max_examples=300, deadline=None)
@given(plans().filter(lambda p: p.mode.value != "retroactive"), st.integers(1, 10**9))
def test_marginal_commission_is_continuous_and_piecewise_linear_with_the_stated_rates(
    plan: CommissionPlan, target_minor: int
) -> None:
    """One more minor unit of credit earns exactly the rate of the tier that unit falls in (so no jump at
    an edge), and between two edges the commission is linear at that rate."""
    points = around_edges(plan, target_minor)
    earned = {c: exact(statement_for(plan, c, target_minor)) for c in points}
    for c in points:
        if c + 1 not in earned:
            continue
        last = statement_for(plan, c + 1, target_minor).lines
        slice_rate = next(line.rate for line in reversed(last) if line.kind is LineKind.COMMISSION)
        assert slice_rate is not None
        assert earned[c + 1] - earned[c] == Fraction(slice_rate)
    for low, high in itertools.pairwise(edges_of(plan, target_minor)):
        if high - low < 3:
            continue
        p, q = low + 1, high - 1
        f_p = exact(statement_for(plan, p, target_minor))
        f_q = exact(statement_for(plan, q, target_minor))
        f_q1 = exact(statement_for(plan, q - 1, target_minor))
        assert f_q - f_p == (f_q - f_q1) * (q - p)  # a straight line between the edges


@pytest.mark.rule(
    "An amount exactly on an edge is therefore paid at the rate above it, as an attainment exactly on a "
    "bracket's lower bound is in that bracket."
)
@settings(max_examples=200, deadline=None)
@given(plans().filter(lambda p: p.mode.value == "retroactive"), st.integers(1, 10**9))
def test_retroactive_plans_reach_a_tier_exactly_on_its_rounded_edge(plan: CommissionPlan, target_minor: int) -> None:
    for bracket in plan.brackets[1:]:
        on = edge(target_minor, bracket.lower)
        empty = bracket.upper is not None and edge(target_minor, bracket.upper) == on
        if on == 0 or empty:
            continue  # nothing is credited at 0; a bracket narrower than a minor unit is never reached
        assert reached(plan, on, target_minor) == bracket
        if on > 1:
            below = reached(plan, on - 1, target_minor)
            assert below.upper is not None and below.upper <= bracket.lower


def reached(plan: CommissionPlan, credited: int, target_minor: int) -> Bracket:
    """The bracket a retroactive statement pays `credited` at (one credit: one commission line)."""
    lines = statement_for(plan, credited, target_minor).lines
    (line,) = [line for line in lines if line.kind is LineKind.COMMISSION]
    return paid_rate(plan, line.bracket)[0]
