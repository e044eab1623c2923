"""Commission plans and statements: worked examples, tier properties, rounding regressions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core import Money, Period, ValidationError
from bizrel.core.errors import CurrencyMismatch
from bizrel.sales import (
    Bracket,
    ClawbackRequested,
    CommissionPlan,
    Credit,
    Decelerator,
    LineKind,
    PeriodBonus,
    ProductBonus,
    clawback_amount,
    commission_statement,
    credits_from_bookings,
    split_credit,
)

Q1 = Period.quarter(2026, 1)
TARGET = Money("100000.00", "USD")


def plan(**terms: object) -> CommissionPlan:
    return CommissionPlan.create(tenant_id="t", id="p", name="Plan", currency="USD", **terms)  # type: ignore[arg-type]


MARGINAL = plan(mode="marginal", brackets=[Bracket(0, 1, "0.05"), Bracket(1, None, "0.08")])


def credit(amount: str, deal: str = "d1", day: int = 5, product: str | None = None) -> Credit:
    return Credit(deal, date(2026, 1, day), Money(amount, "USD"), product)


def total_for(p: CommissionPlan, minor: int, target: Money = TARGET) -> int:
    credits = [Credit("d", date(2026, 1, 5), Money.from_minor(minor, "USD"))] if minor else []
    return commission_statement(p, "ana", Q1, credits, target=target).total.to_minor()


def test_worked_marginal_example_pays_5000_plus_2400() -> None:
    statement = commission_statement(MARGINAL, "ana", Q1, [credit("130000.00")], target=TARGET)
    assert [(line.base, line.rate, line.amount) for line in statement.lines] == [
        (Money("100000.00", "USD"), Decimal("0.05"), Money("5000.00", "USD")),
        (Money("30000.00", "USD"), Decimal("0.08"), Money("2400.00", "USD")),
    ]
    assert statement.total == Money("7400.00", "USD")
    assert statement.attainment == Decimal("1.3")
    assert "100%-..." in str(statement)


def test_a_deal_straddling_a_bracket_is_cut_at_the_boundary() -> None:
    statement = commission_statement(
        MARGINAL, "ana", Q1, [credit("60000.00", "a", 3), credit("70000.00", "b", 9)], target=TARGET
    )
    assert [(line.deal_id, line.base.amount, line.bracket) for line in statement.lines] == [
        ("a", Decimal("60000.00"), "0%-100%"),
        ("b", Decimal("40000.00"), "0%-100%"),
        ("b", Decimal("30000.00"), "100%-..."),
    ]
    assert statement.paid_by_deal() == {"a": Money("3000.00", "USD"), "b": Money("4400.00", "USD")}


def test_retroactive_pays_everything_at_the_reached_rate() -> None:
    retro = plan(mode="retroactive", brackets=[Bracket(0, 1, "0.05"), Bracket(1, None, "0.08")])
    assert total_for(retro, 13_000_000) == 1_040_000  # 130,000 x 8%
    assert total_for(retro, 9_999_999) == 500_000  # 99,999.99 x 5%, rounded half-even


def test_erpnext_33681_total_is_rounded_once_and_lines_are_allocated() -> None:
    """1357.13 + 1357.13 + 2714.25 at 135%: rounding each line gives 7328.50, the exact total is 7328.49."""
    flat = plan(rate="1.35")
    credits = [credit("1357.13", "a"), credit("1357.13", "b"), credit("2714.25", "c")]
    statement = commission_statement(flat, "ana", Q1, credits)
    assert statement.total == Money("7328.49", "USD")
    assert Money.total((line.amount for line in statement.lines), "USD") == statement.total
    assert Money.total((c.amount.multiply("1.35") for c in credits), "USD") == Money("7328.50", "USD")


def test_erpnext_12926_a_rounded_total_split_in_shares_leaves_nothing() -> None:
    parts = split_credit(Money("230.90", "USD"), {"a": "0.5", "b": "0.3", "c": "0.2"})
    assert Money.total(parts.values(), "USD") == Money("230.90", "USD")  # type: ignore[arg-type]


def test_accelerator_decelerator_cap_and_bonuses() -> None:
    accelerated = plan(rate="0.05", accelerator="2")
    assert total_for(accelerated, 12_000_000) == 500_000 + 200_000  # 100k x 5% + 20k x 10%
    decelerated = plan(rate="0.05", decelerator=Decelerator("0.5", "0.5"))
    assert total_for(decelerated, 6_000_000) == 125_000 + 50_000  # 50k x 2.5% + 10k x 5%
    capped = plan(rate="0.10", cap=Money("5000.00", "USD"))
    statement = commission_statement(capped, "ana", Q1, [credit("80000.00", "a"), credit("20000.00", "b")])
    assert statement.total == Money("5000.00", "USD")
    assert statement.lines[-1].kind is LineKind.CAP and statement.lines[-1].amount == Money("-5000.00", "USD")
    assert statement.paid_by_deal() == {"a": Money("4000.00", "USD"), "b": Money("1000.00", "USD")}
    spif = plan(
        rate="0.05",
        product_bonuses=[ProductBonus("analytics", "0.02")],
        period_bonuses=[PeriodBonus(date(2026, 1, 1), date(2026, 1, 8), "0.01")],
    )
    lines = commission_statement(spif, "ana", Q1, [credit("1000.00", "a", 5, "analytics"), credit("1000.00", "b", 20)])
    assert [(line.kind, line.deal_id, line.amount) for line in lines.lines] == [
        (LineKind.COMMISSION, "a", Money("50.00", "USD")),
        (LineKind.COMMISSION, "b", Money("50.00", "USD")),
        (LineKind.BONUS, "a", Money("20.00", "USD")),
        (LineKind.BONUS, "a", Money("10.00", "USD")),
    ]


@pytest.mark.parametrize(
    ("brackets", "field"),
    [
        ([Bracket(0, "1.2", "0.05"), Bracket(1, None, "0.08")], "brackets[1]"),
        ([Bracket(0, None, "0.05"), Bracket(1, None, "0.08")], "brackets[1]"),
        ([Bracket(0, 1, "0.05"), Bracket("1.1", None, "0.08")], "brackets[1]"),
        ([Bracket("0.1", None, "0.05")], "brackets[0].lower"),
        ([Bracket(0, 1, "0.05")], "brackets[0].upper"),
    ],
)
def test_overlapping_or_gapped_brackets_are_refused(brackets: list[Bracket], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        plan(mode="marginal", brackets=brackets)
    assert err.value.field == field


def test_bad_plans_and_inputs_name_the_field() -> None:
    with pytest.raises(ValidationError) as rate:
        plan(rate="-0.01")
    assert rate.value.field == "bracket.rate"
    with pytest.raises(ValidationError) as target:
        commission_statement(MARGINAL, "ana", Q1, [credit("1.00")])
    assert target.value.field == "target"
    with pytest.raises(CurrencyMismatch):
        commission_statement(MARGINAL, "ana", Q1, [Credit("d", date(2026, 1, 2), Money("1.00", "EUR"))], target=TARGET)


brackets_st = st.lists(
    st.tuples(st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=2000)), min_size=0, max_size=4
)


def _tiered(mode: str, spec: list[tuple[int, int]], base_rate: int) -> CommissionPlan:
    """Brackets at increasing attainment steps (in percent) with non-decreasing rates (in basis points)."""
    bounds = [Decimal(0)]
    for step, _ in spec:
        bounds.append(bounds[-1] + Decimal(step) / 100)
    rates = [Decimal(base_rate)]
    for _, bump in spec:
        rates.append(rates[-1] + bump)
    brackets = [
        Bracket(bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None, rates[i] / 10000) for i in range(len(bounds))
    ]
    return plan(mode=mode, brackets=brackets)


@settings(max_examples=150, deadline=None)
@given(
    brackets_st,
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=3 * 10**9),
)
def test_marginal_commission_is_continuous_and_non_decreasing(
    spec: list[tuple[int, int]], base_rate: int, target_minor: int, booked: int
) -> None:
    p = _tiered("marginal", spec, base_rate)
    target = Money.from_minor(target_minor, "USD")
    now, more = total_for(p, booked, target), total_for(p, booked + 1, target)
    assert now <= more
    top_rate = max(b.rate for b in p.brackets)
    assert more - now <= int(top_rate) + 1  # one more cent never pays more than the top rate (plus rounding)


@settings(max_examples=150, deadline=None)
@given(
    brackets_st,
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=3 * 10**9),
    st.integers(min_value=0, max_value=10**8),
)
def test_retroactive_commission_is_non_decreasing(
    spec: list[tuple[int, int]], base_rate: int, target_minor: int, booked: int, extra: int
) -> None:
    p = _tiered("retroactive", spec, base_rate)
    target = Money.from_minor(target_minor, "USD")
    assert total_for(p, booked, target) <= total_for(p, booked + extra, target)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10**8), min_size=0, max_size=12),
    st.sampled_from(["marginal", "retroactive"]),
    st.booleans(),
)
def test_a_statements_total_is_exactly_the_sum_of_its_lines(deals: list[int], mode: str, capped: bool) -> None:
    p = CommissionPlan.create(
        tenant_id="t",
        id="p",
        name="P",
        currency="USD",
        mode=mode,
        brackets=[Bracket(0, "0.5", "0.0333"), Bracket("0.5", 1, "0.0517"), Bracket(1, None, "0.0791")],
        accelerator="1.5",
        decelerator=Decelerator("0.5", "0.5"),
        cap=Money("20000.00", "USD") if capped else None,
        product_bonuses=[ProductBonus("x", "0.0123")],
    )
    credits = [
        Credit(f"d{i}", date(2026, 1, 1 + i), Money.from_minor(m, "USD"), "x" if i % 2 else None)
        for i, m in enumerate(deals)
    ]
    statement = commission_statement(p, "ana", Q1, credits, target=Money("250000.00", "USD"))
    assert statement.total == Money.total((line.amount for line in statement.lines), "USD")
    paid = statement.paid_by_deal()
    assert Money.total(paid.values(), "USD") == statement.total


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**10),
    st.dictionaries(st.sampled_from("abcdef"), st.integers(min_value=0, max_value=100), min_size=1).filter(
        lambda d: any(d.values())
    ),
)
def test_split_credit_sums_exactly_to_the_deal(minor: int, shares: dict[str, int]) -> None:
    amount = Money.from_minor(minor, "USD")
    parts = split_credit(amount, shares)
    assert Money.total(parts.values(), "USD") == amount  # type: ignore[arg-type]


def test_credits_from_bookings_follow_split_shares() -> None:
    deals = [
        {
            "id": "d1",
            "status": "won",
            "closed_at": datetime(2026, 1, 9, tzinfo=UTC),
            "amount": Money("100.00", "USD"),
            "owner_id": "ana",
            "splits": {"ana": 1, "bo": 1, "cy": 1},
        },
        {
            "id": "d2",
            "status": "lost",
            "closed_at": datetime(2026, 1, 9, tzinfo=UTC),
            "amount": Money("5.00", "USD"),
            "owner_id": "ana",
        },
        {
            "id": "d3",
            "status": "won",
            "closed_at": datetime(2026, 4, 9, tzinfo=UTC),
            "amount": Money("5.00", "USD"),
            "owner_id": "ana",
        },
    ]
    assert [c.amount for c in credits_from_bookings("ana", deals, Q1)] == [Money("33.34", "USD")]
    assert [c.amount for c in credits_from_bookings("cy", deals, Q1)] == [Money("33.33", "USD")]


def test_clawback_of_a_partial_refund_is_the_refunded_share() -> None:
    request = ClawbackRequested(
        tenant_id="t",
        occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
        deal_id="d1",
        reason="refund",
        won_at=datetime(2026, 1, 5, tzinfo=UTC),
        refunded=Money("250.00", "USD"),
        deal_amount=Money("1000.00", "USD"),
    )
    assert clawback_amount(Money("50.00", "USD"), request) == Money("-12.50", "USD")
    churn = ClawbackRequested(
        tenant_id="t",
        occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
        deal_id="d1",
        reason="churn",
        won_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    assert clawback_amount(Money("50.00", "USD"), churn) == Money("-50.00", "USD")
    with pytest.raises(ValidationError, match="reason"):
        ClawbackRequested(
            tenant_id="t",
            occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
            deal_id="d1",
            reason="refunded",
            won_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
