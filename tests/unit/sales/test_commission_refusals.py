"""Every refusal of bizrel.sales.commissions with its exact field, value and reason, and the statement's
rendering, rows and per-deal shares worked by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bizrel.core import CurrencyMismatch, Money, Period, ValidationError
from bizrel.sales import (
    Bracket,
    ClawbackRequested,
    CommissionAdjustment,
    CommissionPlan,
    Credit,
    Decelerator,
    PeriodBonus,
    ProductBonus,
    check_brackets,
    clawback_amount,
    clawback_key,
    commission_statement,
    credits_from_bookings,
    credits_from_payments,
)

Q1 = Period.quarter(2026, 1)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def plan(**terms: object) -> CommissionPlan:
    base: dict[str, object] = {"tenant_id": "t", "id": "p", "name": "Plan", "currency": "USD"}
    return CommissionPlan.create(**(base | terms))  # type: ignore[arg-type]


FLAT = plan(rate="0.10")
TIERED = plan(mode="marginal", brackets=[Bracket(0, 1, "0.05"), Bracket(1, None, "0.08")])


def request(**terms: object) -> ClawbackRequested:
    base: dict[str, object] = {
        "tenant_id": "t",
        "occurred_at": datetime(2026, 2, 1, tzinfo=UTC),
        "deal_id": "d1",
        "reason": "refund",
        "won_at": datetime(2026, 1, 5, tzinfo=UTC),
    }
    return ClawbackRequested(**(base | terms))  # type: ignore[arg-type]


def adjustment(**terms: object) -> CommissionAdjustment:
    base: dict[str, object] = {
        "tenant_id": "t",
        "id": "a1",
        "rep_id": "ana",
        "plan_id": "p",
        "deal_id": "d1",
        "amount": usd("-1.00"),
        "effective_on": date(2026, 2, 1),
        "reason": "clawback (refund)",
        "source_statement_id": "s",
    }
    return CommissionAdjustment(**(base | terms))  # type: ignore[arg-type]


def credit(amount: str, currency: str = "USD") -> Credit:
    return Credit("d1", date(2026, 1, 5), Money(amount, currency))


REFUSALS: list[tuple[str, Callable[[], object], type[ValidationError], str, str, str]] = [
    ("negative bracket lower", lambda: Bracket(-1, None, "0.1"), ValidationError, "bracket.lower", "-1",
     "cannot be negative"),
    ("negative bracket upper", lambda: Bracket(0, -1, "0.1"), ValidationError, "bracket.upper", "-1",
     "cannot be negative"),
    ("negative bracket rate", lambda: Bracket(0, None, "-0.1"), ValidationError, "bracket.rate", "-0.1",
     "cannot be negative"),
    ("upper not above lower", lambda: Bracket(1, 1, "0.1"), ValidationError, "bracket.upper", "Decimal('1')",
     "must be above the lower bound 1"),
    ("no brackets", lambda: check_brackets([]), ValidationError, "brackets", "()", "at least one bracket is needed"),
    ("first not at 0", lambda: check_brackets([Bracket("0.1", None, 0)]), ValidationError, "brackets[0].lower",
     "Decimal('0.1')", "the first bracket starts at 0"),
    ("overlap", lambda: check_brackets([Bracket(0, "1.2", 0), Bracket(1, None, 0)]), ValidationError, "brackets[1]",
     "100%-...", "overlaps brackets[0] 0%-120%"),
    ("after unbounded", lambda: check_brackets([Bracket(0, None, 0), Bracket(1, None, 0)]), ValidationError,
     "brackets[1]", "100%-...", "overlaps brackets[0] 0%-..."),
    ("gap", lambda: check_brackets([Bracket(0, 1, 0), Bracket("1.1", None, 0)]), ValidationError, "brackets[1]",
     "110%-...", "leaves a gap after 0%-100%"),
    ("last bounded", lambda: check_brackets([Bracket(0, 1, 0), Bracket(1, 2, 0)]), ValidationError,
     "brackets[1].upper", "Decimal('2')", "the last bracket is unbounded"),
    ("negative floor", lambda: Decelerator("-0.5", "0.5"), ValidationError, "decelerator.floor", "-0.5",
     "cannot be negative"),
    ("negative factor", lambda: Decelerator("0.5", "-0.5"), ValidationError, "decelerator.factor", "-0.5",
     "cannot be negative"),
    ("factor above 1", lambda: Decelerator("0.5", "1.5"), ValidationError, "decelerator.factor", "Decimal('1.5')",
     "must be at most 1"),
    ("negative product bonus", lambda: ProductBonus("x", "-0.01"), ValidationError, "product_bonus.rate", "-0.01",
     "cannot be negative"),
    ("negative SPIF", lambda: PeriodBonus(date(2026, 1, 1), date(2026, 2, 1), "-0.01"), ValidationError,
     "period_bonus.rate", "-0.01", "cannot be negative"),
    ("SPIF ends first", lambda: PeriodBonus(date(2026, 1, 1), date(2026, 1, 1), "0.01"), ValidationError,
     "period_bonus.end", "datetime.date(2026, 1, 1)", "must be after 2026-01-01"),
    ("blank name", lambda: plan(name=" ", rate="0.1"), ValidationError, "name", " ", "must be a non-empty str"),
    ("name not text", lambda: plan(name=5, rate="0.1"), ValidationError, "name", "5", "must be a non-empty str"),
    ("flat without rate", lambda: plan(), ValidationError, "rate", "None",
     "a flat plan takes one rate and no brackets"),
    ("flat with brackets", lambda: plan(rate="0.1", brackets=[Bracket(0, None, 0)]), ValidationError, "rate", "0.1",
     "a flat plan takes one rate and no brackets"),
    ("tiered with rate", lambda: plan(mode="marginal", rate="0.1", brackets=[Bracket(0, None, 0)]), ValidationError,
     "rate", "0.1", "a tiered plan takes brackets, not one rate"),
    ("accelerator below 1", lambda: plan(rate="0.1", accelerator="0.9"), ValidationError, "accelerator", "0.9",
     "must be at least 1"),
    ("cap not money", lambda: plan(rate="0.1", cap="10"), ValidationError, "cap", "10", "expected non-negative Money"),
    ("negative cap", lambda: plan(rate="0.1", cap=usd("-1.00")), ValidationError, "cap", "Money('-1.00', 'USD')",
     "expected non-negative Money"),
    ("cap in EUR", lambda: plan(rate="0.1", cap=Money("1.00", "EUR")), CurrencyMismatch, "cap", "EUR",
     "currency EUR does not match USD"),
    ("unknown mode", lambda: plan(mode="stepped", rate="0.1"), ValidationError, "mode", "stepped",
     "one of ['flat', 'marginal', 'retroactive']"),
    ("unknown basis", lambda: plan(rate="0.1", payout_basis="invoice"), ValidationError, "payout_basis", "invoice",
     "one of ['booking', 'collection']"),
    ("accelerator not a number", lambda: plan(rate="0.1", accelerator="fast"), ValidationError, "accelerator",
     "fast", "not a decimal number"),
    ("bad plan id", lambda: plan(id="", rate="0.1"), ValidationError, "id", "",
     "must be a non-empty str of at most 128 chars"),
    ("bad rep id", lambda: commission_statement(FLAT, "", Q1, []), ValidationError, "rep_id", "",
     "must be a non-empty str of at most 128 chars"),
    ("naive won_at", lambda: request(won_at=datetime(2026, 1, 5)), ValidationError, "won_at",
     "datetime.datetime(2026, 1, 5, 0, 0)", "naive datetime: attach a time zone"),
    ("negative window", lambda: plan(rate="0.1", clawback_days=-1), ValidationError, "clawback_days", "-1",
     "must be a whole number of days, at least 0"),
    ("bool window", lambda: plan(rate="0.1", clawback_days=True), ValidationError, "clawback_days", "True",
     "must be a whole number of days, at least 0"),
    ("text window", lambda: plan(rate="0.1", clawback_days="9"), ValidationError, "clawback_days", "9",
     "must be a whole number of days, at least 0"),
    ("no target", lambda: commission_statement(TIERED, "ana", Q1, [credit("1.00")]), ValidationError, "target",
     "None", "plan 'Plan' is tiered by attainment: needs a target"),
    ("zero target", lambda: commission_statement(TIERED, "ana", Q1, [credit("1.00")], target=usd("0.00")),
     ValidationError, "target", "Money('0.00', 'USD')", "plan 'Plan' is tiered by attainment: needs a target"),
    ("target in EUR", lambda: commission_statement(TIERED, "ana", Q1, [credit("1.00")], target=Money("1", "EUR")),
     CurrencyMismatch, "target", "EUR", "currency EUR does not match USD"),
    ("credit in EUR", lambda: commission_statement(FLAT, "ana", Q1, [credit("1.00", "EUR")]), CurrencyMismatch,
     "credits[0].amount", "EUR", "currency EUR does not match USD"),
    ("negative credit", lambda: commission_statement(FLAT, "ana", Q1, [credit("-1.00")]), ValidationError,
     "credits[0].amount", "Money('-1.00', 'USD')", "credit cannot be negative"),
    ("another rep's adjustment", lambda: commission_statement(FLAT, "bo", Q1, [], adjustments=[adjustment()]),
     ValidationError, "adjustments", "a1", "does not belong to bo/p by the end of 2026-Q1"),
    ("another plan's adjustment", lambda: commission_statement(FLAT, "ana", Q1, [],
                                                               adjustments=[adjustment(plan_id="q")]),
     ValidationError, "adjustments", "a1", "does not belong to ana/p by the end of 2026-Q1"),
    ("adjustment after the period", lambda: commission_statement(FLAT, "ana", Q1, [],
                                                                 adjustments=[adjustment(effective_on=Q1.end)]),
     ValidationError, "adjustments", "a1", "does not belong to ana/p by the end of 2026-Q1"),
    ("taken more than paid", lambda: clawback_amount(usd("1.00"), request(), usd("-1.01")), ValidationError,
     "taken", "Money('-1.01', 'USD')", "takes back more than the 1.00 USD paid"),
    ("partial refund without deal amount", lambda: clawback_amount(usd("1.00"), request(refunded=usd("1.00"))),
     ValidationError, "deal_amount", "None", "a partial refund needs the deal amount"),
    ("partial refund of a zero deal", lambda: clawback_amount(usd("1.00"), request(refunded=usd("0.00"),
                                                                                   deal_amount=usd("0.00"))),
     ValidationError, "deal_amount", "Money('0.00', 'USD')", "a partial refund needs the deal amount"),
    ("refund in EUR", lambda: clawback_amount(usd("1.00"), request(refunded=Money("1", "EUR"),
                                                                   deal_amount=usd("5.00"))),
     CurrencyMismatch, "refunded", "EUR", "currency EUR does not match USD"),
    ("refund above the deal", lambda: clawback_amount(usd("1.00"), request(refunded=usd("5.01"),
                                                                           deal_amount=usd("5.00"))),
     ValidationError, "refunded", "Money('5.01', 'USD')", "must be between 0 and the deal amount 5.00 USD"),
    ("negative refund", lambda: clawback_amount(usd("1.00"), request(refunded=usd("-0.01"), deal_amount=usd("5.00"))),
     ValidationError, "refunded", "Money('-0.01', 'USD')", "must be between 0 and the deal amount 5.00 USD"),
]  # fmt: skip


@pytest.mark.rule("Overlapping or gapped brackets are refused, naming the bracket.")
@pytest.mark.parametrize(("call", "kind", "field", "value", "reason"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])  # fmt: skip
def test_every_refusal_names_field_value_and_reason(
    call: Callable[[], object], kind: type[ValidationError], field: str, value: str, reason: str
) -> None:
    with pytest.raises(kind) as err:
        call()
    assert type(err.value) is kind
    assert (err.value.field, err.value.value, err.value.reason) == (field, value, reason)


def test_clawback_amounts_worked() -> None:
    whole = {"deal_amount": usd("1000.00")}
    assert clawback_amount(usd("50.00"), request(refunded=usd("1000.00"), **whole)) == usd("-50.00")
    assert clawback_amount(usd("50.00"), request(refunded=usd("0.00"), **whole)) == usd("0.00")
    assert clawback_amount(usd("0.00"), request(refunded=usd("500.00"), **whole)) == usd("0.00")
    assert clawback_amount(usd("0.01"), request(refunded=usd("500.00"), **whole)) == usd("-0.01")  # 0.005: first
    assert clawback_amount(usd("50.00"), request(refunded=usd("600.00"), **whole), usd("-40.00")) == usd("-10.00")
    assert clawback_amount(usd("50.00"), request(reason="churn"), usd("-50.00")) == usd("0.00")
    assert clawback_amount(usd("50.00"), request(reason="churn"), usd("0.00")) == usd("-50.00")


def test_a_statement_renders_its_lines_rows_and_shares() -> None:
    capped = plan(rate="0.10", cap=usd("5.00"), product_bonuses=[ProductBonus("x", "0.05")])
    credits = [Credit("a", date(2026, 1, 3), usd("40.00"), "x"), Credit("b", date(2026, 1, 2), usd("20.00"))]
    statement = commission_statement(capped, "ana", Q1, credits, target=usd("100.00"), id="s1")
    # 4.00 + 2.00 + 2.00 (bonus on a) = 8.00, capped at 5.00: a keeps 6/8 of 5.00, b 2/8
    assert statement.id == "s1" and statement.credited == usd("60.00") and statement.attainment == Decimal("0.6")
    assert statement.paid_by_deal() == {"b": usd("1.25"), "a": usd("3.75")}
    assert statement.to_rows()[0] == {
        "kind": "commission",
        "deal_id": "b",
        "credited_on": date(2026, 1, 2),
        "base": Decimal("20.00"),
        "rate": Decimal("0.10"),
        "bracket": "0%-...",
        "amount": Decimal("2.00"),
        "currency": "USD",
    }
    assert [r["kind"] for r in statement.to_rows()] == ["commission", "commission", "bonus", "cap"]
    text = str(statement)
    assert text.splitlines()[0] == (
        "Commission statement ana 2026-Q1 (p): credited 60.00 USD, target 100.00 USD, attainment 60.0%"
    )
    assert "cap 5.00 USD" in text and text.splitlines()[-1].split() == ["total", "5.00", "USD"]
    assert "10%" in text and "<table" in statement._repr_html_()
    untargeted = commission_statement(FLAT, "ana", Q1, [credit("10.00")])
    assert untargeted.id == "p:ana:2026-Q1" and untargeted.attainment is None
    assert "no target" in str(untargeted)
    assert commission_statement(FLAT, "ana", Q1, []).paid_by_deal() == {}


def test_a_statement_prints_every_column() -> None:
    capped = plan(rate="0.10", cap=usd("5.00"))
    credits = [Credit("a", date(2026, 1, 3), usd("40.00")), Credit("b", date(2026, 1, 4), usd("20.00"))]
    statement = commission_statement(capped, "ana", Q1, credits, target=usd("100.00"))
    assert str(statement).splitlines() == [
        "Commission statement ana 2026-Q1 (p): credited 60.00 USD, target 100.00 USD, attainment 60.0%",
        "line        deal  date        base       rate  bracket       amount",
        "----------  ----  ----------  ---------  ----  ------------  ---------",
        "commission  a     2026-01-03  40.00 USD  10%   0%-...        4.00 USD",
        "commission  b     2026-01-04  20.00 USD  10%   0%-...        2.00 USD",
        "cap                           6.00 USD         cap 5.00 USD  -1.00 USD",
        "total                                                        5.00 USD",
    ]
    html = statement._repr_html_()
    assert "Commission statement ana 2026-Q1 (p)" in html and "cap 5.00 USD" in html and "-1.00 USD" in html


def test_credits_come_from_won_deals_and_payments_in_the_period() -> None:
    def booked(id: str, when: object, status: str = "won", **extra: object) -> dict[str, object]:
        return {"id": id, "status": status, "closed_at": when, "amount": usd("30.00"), "owner_id": "ana"} | extra

    deals = [
        booked("late", datetime(2026, 3, 31, 23, tzinfo=UTC), product="x"),
        booked("early", date(2026, 1, 1)),
        booked("open", None),
        booked("lost", datetime(2026, 2, 1, tzinfo=UTC), "lost"),
        booked("q2", datetime(2026, 4, 1, tzinfo=UTC)),
        booked("bo's", datetime(2026, 2, 1, tzinfo=UTC), owner_id="bo"),
        booked("shared", datetime(2026, 2, 1, tzinfo=UTC), splits={"bo": 2, "ana": 1}),
    ]
    assert credits_from_bookings("ana", deals, Q1) == [
        Credit("early", date(2026, 1, 1), usd("30.00")),
        Credit("shared", date(2026, 2, 1), usd("10.00")),
        Credit("late", date(2026, 3, 31), usd("30.00"), "x"),
    ]
    payments = [
        {"deal_id": "d2", "received_at": datetime(2026, 2, 2, tzinfo=UTC), "amount": usd("5.00"), "owner_id": "ana"},
        {"deal_id": "d1", "received_at": datetime(2026, 2, 2, tzinfo=UTC), "amount": usd("7.00"), "owner_id": "ana",
         "status": "pending"},
        {"deal_id": "d0", "received_at": datetime(2026, 4, 2, tzinfo=UTC), "amount": usd("9.00"), "owner_id": "ana"},
    ]  # fmt: skip
    assert credits_from_payments("ana", payments, Q1) == [  # any status: cash is cash
        Credit("d1", date(2026, 2, 2), usd("7.00")),
        Credit("d2", date(2026, 2, 2), usd("5.00")),
    ]
    assert credits_from_payments("bo", payments, Q1) == []


def test_plan_terms_are_kept_as_given() -> None:
    p = plan(rate="0.1", payout_basis="collection", accelerator="1")  # an accelerator of exactly 1 is allowed
    assert (p.name, p.payout_basis.value, p.accelerator, p.clawback_days) == ("Plan", "collection", Decimal(1), 0)
    assert plan(mode="retroactive", brackets=[Bracket(0, None, "0.1")]).payout_basis.value == "booking"


def test_a_plan_paying_nothing_has_lines_of_zero() -> None:
    zero = plan(rate="0")
    statement = commission_statement(zero, "ana", Q1, [credit("10.00"), credit("5.00")])
    assert [line.amount for line in statement.lines] == [usd("0.00"), usd("0.00")] and statement.total == usd("0.00")


def test_a_total_exactly_at_the_cap_has_no_cap_line() -> None:
    statement = commission_statement(plan(rate="0.10", cap=usd("1.00")), "ana", Q1, [credit("10.00")])
    assert [line.kind.value for line in statement.lines] == ["commission"] and statement.total == usd("1.00")


def test_clawback_lines_carry_deal_and_date_and_are_not_paid_by_deal() -> None:
    statement = commission_statement(FLAT, "ana", Q1, [credit("10.00")], adjustments=[adjustment()])
    clawback = statement.lines[-1]
    assert (clawback.kind.value, clawback.deal_id, clawback.credited_on, clawback.base, clawback.amount) == (
        "clawback",
        "d1",
        date(2026, 2, 1),
        usd("1.00"),
        usd("-1.00"),
    )
    assert statement.paid_by_deal() == {"d1": usd("1.00")} and statement.total == usd("0.00")


def test_a_late_clawback_names_the_fiscal_period_it_happened_in() -> None:
    fiscal_q = Period.containing(date(2026, 3, 1), "quarter", start_month=2)  # Feb to Apr
    late = adjustment(effective_on=date(2026, 1, 20))
    (line,) = commission_statement(FLAT, "ana", fiscal_q, [], adjustments=[late]).lines
    assert line.bracket == "clawback (refund), adjusts 2025-11-01..2026-02-01"


def test_clawback_keys_and_small_deals() -> None:
    churn = request(reason="churn")
    assert churn.won_at == datetime(2026, 1, 5, tzinfo=UTC)
    assert clawback_key(churn) == "d1:churn:2026-02-01:all"
    assert clawback_key(request(refunded=usd("0.25"), deal_amount=usd("0.50"))) == "d1:refund:2026-02-01:0.25USD"
    assert clawback_amount(usd("0.10"), request(refunded=usd("0.25"), deal_amount=usd("0.50"))) == usd("-0.05")
