"""Receivables, call by call: every refusal of bizrel.sales.collections with its exact field, value and
reason, and DSO worked by hand at the edges of its formulas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bizrel.core import Money, Period, ValidationError
from bizrel.core.errors import BizrelError, CurrencyMismatch, IdempotencyConflict, InvariantViolation, NotFound
from bizrel.sales import Contract, aging, dso, dso_count_back, dso_standard

WON = datetime(2026, 1, 10, 15, tzinfo=UTC)
Q1 = Period.quarter(2026, 1)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def deal(**terms: Any) -> dict[str, Any]:
    base = {"id": "o1", "status": "won", "closed_at": WON, "amount": usd("90.00"), "owner_id": "ana",
            "account_name": "Globex"}  # fmt: skip
    return base | terms


def contract(record: dict[str, Any] | None = None, **terms: Any) -> Contract:
    base: dict[str, Any] = {"tenant_id": "t", "id": "c1", "shares": [1, 1, 1], "anchor": date(2026, 1, 31)}
    return Contract.from_opportunity(deal() if record is None else record, **(base | terms))


def paid_first() -> Contract:
    c = contract()
    c.receive_payment("p1", usd("30.00"), WON, instalment=1)
    return c


def voided_second() -> Contract:
    c = contract()
    c.void_instalment(2, WON, "renegotiated")
    return c


def invoiced_first() -> Contract:
    c = contract()
    c.issue_invoice("inv-1", 1, date(2026, 1, 20))
    return c


REFUSALS: list[tuple[str, Callable[[], object], type[BizrelError], str, str, str]] = [
    ("lost deal", lambda: contract(deal(status="lost")), InvariantViolation, "status", "lost",
     "only a won deal gets a contract"),
    ("amount not money", lambda: contract(deal(amount="90.00")), ValidationError, "amount", "90.00",
     "a contract needs a positive Money amount"),
    ("zero amount", lambda: contract(deal(amount=usd("0.00"))), ValidationError, "amount", "Money('0.00', 'USD')",
     "a contract needs a positive Money amount"),
    ("negative months", lambda: contract(every_months=-1), ValidationError, "every_months", "-1",
     "must be a whole number of at least 0"),
    ("bool months", lambda: contract(every_months=True), ValidationError, "every_months", "True",
     "must be a whole number of at least 0"),
    ("anchor a datetime", lambda: contract(anchor=WON), ValidationError, "anchor",
     "datetime.datetime(2026, 1, 10, 15, 0, tzinfo=datetime.timezone.utc)", "expected a date"),
    ("anchor text", lambda: contract(anchor="2026-01-31"), ValidationError, "anchor", "2026-01-31", "expected a date"),
    ("zero shares", lambda: contract(shares=[0, 0]), ValidationError, "shares", "{'0': 0, '1': 0}",
     "weights cannot all be zero"),
    ("no such instalment", lambda: contract().instalment(4), NotFound, "instalment", "4", "not found"),
    ("invoice a void instalment", lambda: voided_second().issue_invoice("i", 2, date(2026, 2, 1)), InvariantViolation,
     "instalment", "2", "instalment 2 of c1 is void"),
    ("invoice id twice", lambda: invoiced_first().issue_invoice("inv-1", 2, date(2026, 2, 1)), ValidationError,
     "invoice_id", "inv-1", "invoice exists already"),
    ("invoice twice", lambda: invoiced_first().issue_invoice("inv-2", 1, date(2026, 2, 1)), InvariantViolation,
     "instalment", "1", "is invoiced already"),
    ("invoice a paid instalment", lambda: paid_first().issue_invoice("inv-1", 1, date(2026, 2, 1)),
     InvariantViolation, "instalment", "1", "is paid: nothing to invoice"),
    ("payment not money", lambda: contract().receive_payment("p", "5", WON), ValidationError, "amount", "5",
     "expected Money"),
    ("payment in EUR", lambda: contract().receive_payment("p", Money("5", "EUR"), WON), CurrencyMismatch, "amount",
     "EUR", "currency EUR does not match USD"),
    ("zero payment", lambda: contract().receive_payment("p", usd("0.00"), WON), ValidationError, "amount",
     "Money('0.00', 'USD')", "a payment must be positive"),
    ("payment id reused", lambda: paid_first().receive_payment("p1", usd("1.00"), WON), IdempotencyConflict,
     "idempotency_key", "p1", "already used with a different payload"),
    ("pay a void instalment", lambda: voided_second().receive_payment("p", usd("1.00"), WON, instalment=2),
     InvariantViolation, "instalment", "2", "instalment 2 of c1 is void"),
    ("void a paid instalment", lambda: paid_first().void_instalment(1, WON, "x"), InvariantViolation, "instalment",
     "1", "has payments: it cannot be voided"),
    ("void without a reason", lambda: contract().void_instalment(1, WON, " "), ValidationError, "reason", " ",
     "voiding needs a reason"),
    ("void twice", lambda: voided_second().void_instalment(2, WON, "again"), InvariantViolation, "instalment", "2",
     "instalment 2 of c1 is void"),
    ("aging in two currencies", lambda: aging([contract()], date(2026, 3, 1), currency="EUR"), CurrencyMismatch,
     "currency", "USD", "currency USD does not match EUR"),
    ("DSO in two currencies", lambda: dso_standard(usd("1.00"), Money("1", "EUR"), 90), CurrencyMismatch,
     "credit_sales", "EUR", "currency EUR does not match USD"),
    ("count-back in two currencies", lambda: dso_count_back(usd("1.00"), [(30, Money("1", "JPY"))]), CurrencyMismatch,
     "history", "JPY", "currency JPY does not match USD"),
    ("unknown DSO method", lambda: dso([contract()], Q1, method="average"), ValidationError, "method", "average",
     "standard or count-back"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "kind", "field", "value", "reason"), [r[1:] for r in REFUSALS],
                         ids=[r[0] for r in REFUSALS])  # fmt: skip
def test_every_refusal_names_field_value_and_reason(
    call: Callable[[], object], kind: type[BizrelError], field: str, value: str, reason: str
) -> None:
    with pytest.raises(kind) as err:
        call()
    assert type(err.value) is kind
    assert (err.value.field, err.value.value, err.value.reason) == (field, value, reason)


def test_dso_worked_at_the_edges_of_its_formulas() -> None:
    assert dso_standard(usd("30.00"), usd("90.00"), 90) == Decimal("30.0")
    assert dso_standard(usd("1.00"), usd("3.00"), 31) == Decimal("10.3")  # 10.33
    assert dso_standard(usd("30.00"), usd("0.00"), 90) is None
    assert dso_standard(usd("0.00"), usd("5.00"), 90) == Decimal("0.0")
    history = [(31, usd("100.00")), (28, usd("50.00")), (31, usd("200.00"))]
    assert dso_count_back(usd("100.00"), history) == Decimal("31.0")  # exactly the first month's sales
    assert dso_count_back(usd("125.00"), history) == Decimal("45.0")  # 31 + 28 x 25/50
    assert dso_count_back(usd("150.00"), history) == Decimal("59.0")  # 31 + 28
    assert dso_count_back(usd("50.00"), history) == Decimal("15.5")  # 31 x 50/100
    assert dso_count_back(usd("0.00"), history) == Decimal("0.0")
    assert dso_count_back(usd("1000.00"), history) == Decimal("90.0")  # beyond the history: all of it
    assert dso_count_back(usd("1.00"), []) == Decimal("0.0")


def test_contract_facts_worked() -> None:
    c = contract(every_months=0, shares=[2, 1])
    assert [(i.number, i.due, i.amount) for i in c.instalments] == [
        (1, date(2026, 1, 31), usd("60.00")),
        (2, date(2026, 1, 31), usd("30.00")),
    ]
    assert (c.opportunity_id, c.owner_id, c.account_name, c.amount, c.won_at) == ("o1", "ana", "Globex", usd("90.00"),
                                                                                   WON)  # fmt: skip
    applied = c.receive_payment("p", usd("100.00"), WON, reference="wire")
    assert [(a.instalment, a.amount) for a in applied] == [(1, usd("60.00")), (2, usd("30.00"))]
    assert c.credit() == usd("10.00") and c.fully_paid_at == WON
    assert c.receive_payment("p", usd("100.00"), WON, reference="wire") == []  # the same payment again
    assert c.apply_credit(1, WON) is None  # nothing left to pay
