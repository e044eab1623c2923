"""Contracts and collections: payment plans, derived statuses, aging, DSO, cycle and effectiveness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from bizrel.core import Money, Period, ValidationError
from bizrel.core.errors import CurrencyMismatch, IdempotencyConflict, InvariantViolation
from bizrel.sales import (
    AGING_BUCKETS,
    Contract,
    InstalmentStatus,
    aging,
    collection_cycle,
    collection_performance,
    dso,
    dso_count_back,
    dso_standard,
)

WON = datetime(2026, 1, 10, 15, tzinfo=UTC)


def deal(amount: str = "90000.00", owner: str = "ana", id: str = "o1") -> dict[str, Any]:
    return {
        "id": id,
        "status": "won",
        "closed_at": WON,
        "amount": Money(amount, "USD"),
        "owner_id": owner,
        "account_name": "Globex",
    }


def contract(shares: list[int] | None = None, anchor: date = date(2026, 1, 31), every: int = 1, **kw: Any) -> Contract:
    return Contract.from_opportunity(
        deal(**kw),
        tenant_id="t",
        id=f"c-{kw.get('id', 'o1')}",
        shares=shares or [1, 1, 1],
        anchor=anchor,
        every_months=every,
    )


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.mark.rule(
    "A won deal becomes a contract with a payment plan: amounts allocated exactly by shares, due dates "
    "computed from the anchor (never chained: Jan 31, Feb 28, Mar 31)."
)
def test_instalments_are_allocated_exactly_and_due_from_the_anchor() -> None:
    c = contract(amount="100.00")
    assert [i.amount for i in c.instalments] == [Money(x, "USD") for x in ("33.34", "33.33", "33.33")]
    assert [i.due for i in c.instalments] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    quarterly = contract(shares=[30, 30, 40], anchor=date(2026, 3, 31), every=3)
    assert [i.due for i in quarterly.instalments] == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=10**11),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=24).filter(any),
)
def test_instalments_always_sum_to_the_contract(minor: int, shares: list[int]) -> None:
    c = Contract.from_opportunity(
        {**deal(), "amount": Money.from_minor(minor, "USD")},
        tenant_id="t",
        id="c",
        shares=shares,
        anchor=date(2026, 1, 31),
    )
    assert Money.total((i.amount for i in c.instalments), "USD") == Money.from_minor(minor, "USD")


@pytest.mark.rule(
    "The status of an instalment (pending, partly paid, paid, overdue, void) is derived from the "
    "payments, never stored."
)
def test_statuses_are_derived_from_payments() -> None:
    c = contract()
    day = date(2026, 1, 20)
    assert all("status" not in i for i in c.to_dict()["instalments"])  # what is stored holds no status
    assert c.status(1, day) is InstalmentStatus.PENDING
    c.receive_payment("p1", Money("10000.00", "USD"), at(day), instalment=1)
    assert c.status(1, day) is InstalmentStatus.PARTLY_PAID
    assert c.status(1, date(2026, 2, 1)) is InstalmentStatus.OVERDUE
    assert c.status(1, date(2026, 1, 19)) is InstalmentStatus.PENDING  # as of before the payment
    c.receive_payment("p2", Money("25000.00", "USD"), at(date(2026, 1, 25)), instalment=1)  # overpays by 5,000
    assert c.status(1, date(2026, 2, 1)) is InstalmentStatus.PAID
    assert c.credit() == Money("5000.00", "USD")
    c.apply_credit(2, at(date(2026, 1, 26)))  # early, from credit
    assert c.credit().is_zero()
    assert c.status(2, date(2026, 1, 26)) is InstalmentStatus.PARTLY_PAID
    c.void_instalment(3, at(date(2026, 1, 27)), "scope reduced")
    assert c.status(3, date(2026, 6, 1)) is InstalmentStatus.VOID
    assert c.fully_paid_at is None
    c.receive_payment("p3", Money("25000.00", "USD"), at(date(2026, 2, 20)))  # FIFO: to instalment 2
    assert c.status(2, date(2026, 3, 1)) is InstalmentStatus.PAID
    assert c.fully_paid_at == at(date(2026, 2, 20))
    assert c.cycle_days == 41
    assert c.pending_events[-1].cycle_days == 41  # type: ignore[attr-defined]


def test_erpnext_12926_a_rounded_total_paid_in_full_leaves_exactly_zero() -> None:
    c = contract(shares=[1], amount="230.90")
    c.receive_payment("p", Money("230.90", "USD"), at(date(2026, 1, 31)))
    assert c.outstanding(1).is_zero() and c.credit().is_zero()
    assert c.status(1, date(2026, 3, 1)) is InstalmentStatus.PAID


def test_erpnext_29176_no_payment_means_not_partly_paid() -> None:
    c = contract(shares=[1, 1], amount="875.00")
    assert c.status(1, date(2026, 1, 2)) is InstalmentStatus.PENDING
    assert c.outstanding(1) == Money("437.50", "USD")


def test_bad_payments_are_refused_and_change_nothing() -> None:
    c = contract()
    c.void_instalment(2, WON, "renegotiated")
    before = (list(c.payments), list(c.applications))
    with pytest.raises(CurrencyMismatch) as mismatch:
        c.receive_payment("eur", Money("1.00", "EUR"), WON)
    assert mismatch.value.field == "amount"
    with pytest.raises(InvariantViolation) as void:
        c.receive_payment("void", Money("1.00", "USD"), WON, instalment=2)
    assert void.value.field == "instalment"
    with pytest.raises(ValidationError):
        c.receive_payment("zero", Money("0.00", "USD"), WON)
    c.receive_payment("p", Money("1.00", "USD"), WON)
    assert c.receive_payment("p", Money("1.00", "USD"), WON) == []  # same payment again: no-op
    with pytest.raises(IdempotencyConflict):
        c.receive_payment("p", Money("2.00", "USD"), WON)
    assert len(c.payments) == len(before[0]) + 1
    with pytest.raises(InvariantViolation):
        c.void_instalment(1, WON, "paid already")
    with pytest.raises(InvariantViolation):
        Contract.from_opportunity(
            {**deal(), "status": "open"}, tenant_id="t", id="x", shares=[1], anchor=date(2026, 1, 1)
        )


def test_reminders_once_per_level() -> None:
    c = contract()
    assert c.remind_overdue(date(2026, 1, 31)) == []  # due today is not overdue
    first = c.remind_overdue(date(2026, 2, 1))
    assert [(e.instalment, e.level, e.days_overdue) for e in first] == [(1, 1, 1)]
    assert c.remind_overdue(date(2026, 2, 2)) == []
    later = c.remind_overdue(date(2026, 4, 15))  # after a gap: only the highest new level per instalment
    assert [(e.instalment, e.level) for e in later] == [(1, 60), (2, 30), (3, 1)]


def test_aging_buckets_worked_example() -> None:
    c = contract(shares=[1, 1, 1, 1, 1, 1], amount="600.00", anchor=date(2025, 10, 1))
    c.receive_payment("p", Money("50.00", "USD"), at(date(2025, 10, 2)))
    report = aging([c], date(2026, 1, 15))
    # dues: Oct 1 (106 days, 50 left), Nov 1 (75), Dec 1 (45), Jan 1 (14), Feb 1 and Mar 1 not billed yet
    assert [m.amount for m in report.total.buckets] == [
        Decimal(x) for x in ("0.00", "100.00", "100.00", "100.00", "50.00")
    ]
    assert report.total.total == Money("350.00", "USD")
    assert "Receivables aging" in str(report) and report.to_rows()[0]["key"] == "ana"
    c.issue_invoice("inv-feb", 5, date(2026, 1, 10))
    assert aging([c], date(2026, 1, 15)).total.buckets[0] == Money("100.00", "USD")  # invoiced, not yet due


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=8),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=50_000)), max_size=8
    ),
    st.integers(min_value=0, max_value=500),
)
def test_aging_buckets_partition_open_receivables(shares: list[int], payments: list[tuple[int, int]], age: int) -> None:
    c = contract(shares=shares, amount="12345.67", anchor=date(2025, 6, 30))
    for n, (day, minor) in enumerate(sorted(payments)):
        c.receive_payment(f"p{n}", Money.from_minor(minor, "USD"), at(date(2025, 6, 1) + timedelta(days=day)))
    as_of = date(2025, 6, 1) + timedelta(days=age)
    report = aging([c], as_of)
    open_total = Money.total((left for _, left in c.receivables(as_of)), "USD")
    assert report.total.total == open_total
    assert len(report.total.buckets) == len(AGING_BUCKETS)
    billed = Money.total((i.amount for i in c.instalments if i.due <= as_of), "USD")
    paid = Money.total((c.paid(i.number, as_of) for i in c.instalments if i.due <= as_of), "USD")
    assert open_total == billed - paid


def test_dso_standard_and_count_back_worked_examples() -> None:
    usd = lambda x: Money(x, "USD")  # noqa: E731
    assert dso_standard(usd("50000.00"), usd("150000.00"), 90) == Decimal("30.0")
    assert dso_standard(usd("1.00"), usd("0.00"), 90) is None
    # AR 250 against months (newest first) of 100 (30 days), 100 (31 days), 200 (30 days): 30 + 31 + 30 x 50/200
    history = [(30, usd("100.00")), (31, usd("100.00")), (30, usd("200.00"))]
    assert dso_count_back(usd("250.00"), history) == Decimal("68.5")
    assert dso_count_back(usd("80.00"), history) == Decimal("24.0")


def test_period_dso_cycle_and_collection_effectiveness() -> None:
    q1 = Period.quarter(2026, 1)
    ana = contract(shares=[1, 1, 1], amount="3000.00", anchor=date(2026, 1, 15))
    ana.receive_payment("a1", Money("1000.00", "USD"), at(date(2026, 1, 20)))
    ana.receive_payment("a2", Money("2000.00", "USD"), at(date(2026, 3, 20)))
    bo = contract(shares=[1, 1], amount="2000.00", anchor=date(2026, 2, 1), owner="bo", id="o2")
    bo.receive_payment("b1", Money("500.00", "USD"), at(date(2026, 2, 10)))
    contracts = [ana, bo]
    # billed in Q1: 3000 + 2000; open at Mar 31: bo's 1500 (both instalments due)
    assert dso(contracts, q1) == Decimal("27.0")  # 1500 / 5000 x 90
    assert dso(contracts, q1, method="count-back") == Decimal("23.2")  # March billed 2000: 31 x 1500/2000 = 23.25
    cycle = collection_cycle(contracts)
    assert cycle.rows == (("c-o1", "ana", date(2026, 1, 10), date(2026, 3, 20), 69),)
    assert cycle.average_days == Decimal("69.0")
    perf = {r.owner_id: r for r in collection_performance(contracts, q1).rows}
    assert perf["ana"].collection_rate == Decimal(1) and perf["ana"].cei == Decimal(1)
    assert perf["bo"].collection_rate == Decimal("0.25")
    assert perf["bo"].cei == Decimal("0.25")  # (0 + 2000 - 1500) / (0 + 2000 - 0)
    with pytest.raises(ValidationError):
        dso(contracts, q1, method="magic")


class ContractMachine(RuleBasedStateMachine):
    """Payments, credit use and voids in any order keep the books balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.c = contract(shares=[3, 2, 2, 1], amount="1000.00", anchor=date(2026, 2, 1))
        self.now = WON
        self.n = 0

    def _tick(self, days: int) -> datetime:
        self.now += timedelta(days=days)
        return self.now

    @rule(
        minor=st.integers(min_value=1, max_value=60_000),
        days=st.integers(min_value=0, max_value=20),
        number=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    )
    def pay(self, minor: int, days: int, number: int | None) -> None:
        self.n += 1
        when = self._tick(days)
        if number is not None and self.c.instalment(number).voided_at is not None:
            with pytest.raises(InvariantViolation):
                self.c.receive_payment(f"p{self.n}", Money.from_minor(minor, "USD"), when, instalment=number)
            return
        self.c.receive_payment(f"p{self.n}", Money.from_minor(minor, "USD"), when, instalment=number)

    @rule(number=st.integers(min_value=1, max_value=4))
    def use_credit(self, number: int) -> None:
        if self.c.instalment(number).voided_at is None:
            self.c.apply_credit(number, self._tick(1))

    @precondition(lambda self: not self.c.payments)
    @rule(number=st.integers(min_value=2, max_value=4))
    def void(self, number: int) -> None:
        if self.c.instalment(number).voided_at is None:
            self.c.void_instalment(number, self._tick(1), "renegotiated")

    @invariant()
    def books_balance(self) -> None:
        received = Money.total((p.amount for p in self.c.payments), "USD")
        applied = Money.total((self.c.paid(i.number) for i in self.c.instalments), "USD")
        assert applied + self.c.credit() == received
        for inst in self.c.instalments:
            assert Money.zero("USD") <= self.c.paid(inst.number) <= inst.amount
            assert not self.c.outstanding(inst.number).is_negative()
        live = [i for i in self.c.instalments if i.voided_at is None]
        assert (self.c.fully_paid_at is not None) == all(self.c.outstanding(i.number).is_zero() for i in live)


TestContractMachine = ContractMachine.TestCase
TestContractMachine.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
