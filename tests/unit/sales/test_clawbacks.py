"""Clawbacks: late ones land on the next statement, each is handled once by its business key, and a
deal's clawbacks never take back more than was paid on it. Run on the memory and SQLite stores."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core import Money, Period, ValidationError
from bizrel.core.clock import FixedClock
from bizrel.sales import (
    ClawbackRequested,
    clawback_amount,
    clawback_key,
    commission_statement,
    create_commission_plan,
    create_pipeline,
    issue_statement,
    open_opportunity,
    request_clawback,
    win_opportunity,
)

Q1, Q2, Q3 = Period.quarter(2026, 1), Period.quarter(2026, 2), Period.quarter(2026, 3)
WON = datetime(2026, 1, 10, 9, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def scenario(url: str, clawback_days: int = 365) -> Store:
    """Rep ana won deal o1 (10,000.00) on 2026-01-10 under a flat 10% plan: Q1 pays 1,000.00 on it."""
    s = open_store(url, clock=FixedClock(WON))
    with s.unit_of_work("t") as uow:
        create_pipeline(uow, id="p", name="New", stages=[("Qualify", "0.1")])
        open_opportunity(
            uow,
            id="o1",
            pipeline_id="p",
            owner_id="ana",
            account_name="Globex",
            amount=usd("10000.00"),
            expected_close=date(2026, 2, 1),
        )
        win_opportunity(uow, "o1")
        create_commission_plan(uow, id="plan", name="Flat", currency="USD", rate="0.10", clawback_days=clawback_days)
        uow.commit()
    return s


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = scenario(request.param)
    yield s
    s.close()


def refund(day: date, amount: str | None, reason: str = "refund") -> ClawbackRequested:
    """A new event object each call (a new event id), as a sender builds it."""
    return ClawbackRequested(
        tenant_id="t",
        occurred_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
        deal_id="o1",
        reason=reason,
        won_at=WON,
        refunded=None if amount is None else usd(amount),
        deal_amount=None if amount is None else usd("10000.00"),
    )


def issue(
    store: Store, period: Period, rep: str = "ana", splits: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    with store.unit_of_work("t") as uow:
        shares = {"o1": splits} if splits else None
        statement = issue_statement(uow, plan_id="plan", rep_id=rep, period=period, splits=shares)
        uow.commit()
    return [(line.kind.value, line.bracket, str(line.amount)) for line in statement.lines]


def send(store: Store, *requests: ClawbackRequested) -> None:
    for request in requests:
        with store.unit_of_work("t") as uow:
            request_clawback(uow, request)
            uow.commit()


@pytest.mark.rule(
    "A clawback dated in a period whose statement was already issued lands on the next statement issued, "
    "as a line naming the period it happened in (`clawback (churn), adjusts 2026-Q1`)."
)
def test_a_refund_dated_in_an_issued_period_lands_on_the_next_statement(store: Store) -> None:
    """Issue 19, item 2a: before the fix the adjustment was stored and deducted by no statement."""
    assert issue(store, Q1) == [("commission", "0%-...", "1000.00 USD")]
    send(store, refund(date(2026, 3, 20), "2500.00"))  # 25% refunded, dated in Q1 (issued already)
    assert issue(store, Q2) == [("clawback", "clawback (refund), adjusts 2026-Q1", "-250.00 USD")]
    assert issue(store, Q3) == []  # deducted once
    with store.unit_of_work("t") as uow:
        (adjustment,) = uow.commission_adjustments.list()
    assert adjustment.deducted_in == "plan:ana:2026-Q2"


@pytest.mark.rule(
    "Inside the plan's window it becomes a negative adjustment in the statement of the period in "
    "which it happened, once, however often it is sent."
)
def test_a_clawback_lands_in_the_statement_of_its_own_period_when_that_is_not_issued_yet(store: Store) -> None:
    issue(store, Q1)
    send(store, refund(date(2026, 5, 2), "1000.00"))
    assert issue(store, Q2) == [("clawback", "clawback (refund)", "-100.00 USD")]


@pytest.mark.rule(
    "Each clawback is deducted exactly once, by the first statement issued for its rep and plan whose "
    "period ends after its date."
)
def test_a_clawback_dated_after_the_period_waits_for_a_later_statement(store: Store) -> None:
    issue(store, Q1)
    send(store, refund(date(2026, 7, 1), "1000.00"))  # dated in Q3
    assert issue(store, Q2) == []
    assert issue(store, Q3) == [("clawback", "clawback (refund)", "-100.00 USD")]


@pytest.mark.rule(
    "A clawback is known by its business key: deal, reason, date and refunded amount, so the same refund "
    "delivered twice as two event objects is deducted once."
)
def test_the_same_clawback_sent_as_two_event_objects_is_deducted_once(store: Store) -> None:
    """Issue 19, item 2b: two objects with the same business key but different event ids."""
    issue(store, Q1)
    first, second = refund(date(2026, 4, 2), "2500.00"), refund(date(2026, 4, 2), "2500.00")
    assert first.event_id != second.event_id
    assert clawback_key(first) == clawback_key(second) == "o1:refund:2026-04-02:2500.00USD"
    send(store, first, second, first)
    with store.unit_of_work("t") as uow:
        assert request_clawback(uow, refund(date(2026, 4, 2), "2500.00")) == []
    # a different amount, day or reason is another clawback
    send(store, refund(date(2026, 4, 2), "1000.00"), refund(date(2026, 4, 3), "1000.00"))
    assert issue(store, Q2) == [  # by date, then by key
        ("clawback", "clawback (refund)", "-100.00 USD"),
        ("clawback", "clawback (refund)", "-250.00 USD"),
        ("clawback", "clawback (refund)", "-100.00 USD"),
    ]


@pytest.mark.rule(
    "churn within `clawback_days` of the close raises `ClawbackRequested` (bizrel.sales), which "
    "`wire_bridge` hands to `request_clawback`: commission plans take back what they paid on the deal."
)
def test_a_deals_clawbacks_never_take_back_more_than_it_paid(store: Store) -> None:
    """Issue 19, item 2c: 1,000.00 paid; a 40% refund (-400.00), then an early churn: -600.00, not -1,000.00."""
    issue(store, Q1)
    send(store, refund(date(2026, 4, 2), "4000.00"), refund(date(2026, 4, 9), None, "churn"))
    send(store, refund(date(2026, 4, 20), None, "churn"), refund(date(2026, 4, 21), "100.00"))  # nothing left
    lines = issue(store, Q2)
    assert lines == [
        ("clawback", "clawback (refund)", "-400.00 USD"),
        ("clawback", "clawback (churn)", "-600.00 USD"),
    ]
    with store.unit_of_work("t") as uow:
        assert Money.total((a.amount for a in uow.commission_adjustments.list()), "USD") == usd("-1000.00")


@pytest.mark.rule(
    "The clawbacks of one deal together never take back more than a statement paid on it: a 40% refund "
    "of a deal that paid 1,000.00 takes back 400.00, and an early churn after it takes back the other "
    "600.00, not 1,000.00 more."
)
def test_clawback_amount_is_capped_by_what_is_left() -> None:
    paid = usd("1000.00")
    forty = refund(date(2026, 4, 2), "4000.00")
    churn = refund(date(2026, 4, 9), None, "churn")
    assert clawback_amount(paid, forty) == usd("-400.00")
    assert clawback_amount(paid, churn, usd("-400.00")) == usd("-600.00")
    assert clawback_amount(paid, forty, usd("-700.00")) == usd("-300.00")  # 400.00 asked, 300.00 left
    assert clawback_amount(paid, forty, usd("-1000.00")) == usd("0.00")
    with pytest.raises(ValidationError) as err:
        clawback_amount(paid, churn, usd("-1000.01"))
    assert err.value.field == "taken"


def test_a_statement_refuses_an_adjustment_dated_after_its_period(store: Store) -> None:
    issue(store, Q1)
    send(store, refund(date(2026, 7, 1), "1000.00"))
    with store.unit_of_work("t") as uow:
        (adjustment,) = uow.commission_adjustments.list()
        plan = uow.commission_plans.get("plan")
    with pytest.raises(ValidationError) as err:
        commission_statement(plan, "ana", Q2, [], adjustments=[adjustment])
    assert err.value.field == "adjustments"


TABLE = Path(__file__).parents[2] / "data" / "clawbacks.csv"
ROWS = list(csv.DictReader(TABLE.open(newline="")))


def _period(label: str) -> Period:
    year, quarter = label.split("-Q")
    return Period.quarter(int(year), int(quarter))


def _shown(rep: str, period: str, lines: list[tuple[str, str, str]]) -> str:
    body = " + ".join(f"{amount.removesuffix(' USD')} [{bracket}]" for _, bracket, amount in lines)
    return f"{rep} {period}: {body or '(none)'}"


@pytest.mark.parametrize("row", ROWS, ids=[r["case"] for r in ROWS])
def test_clawbacks_across_periods(row: dict[str, str]) -> None:
    """tests/data/clawbacks.csv, computed by hand: deal o1 of 10,000.00 won 2026-01-10 by ana (with
    `splits`, shared), a flat 10% plan; `refund DAY AMOUNT` refunds AMOUNT of the 10,000.00, `churn DAY`
    claws back the whole deal, `issue REP PERIOD` issues a statement, whose lines are listed in order."""
    splits = dict(pair.split(":") for pair in row["splits"].split(",")) if row["splits"] else None
    store = scenario("memory://", int(row["clawback_days"]))
    shown = []
    for step in row["steps"].split("; "):
        verb, *args = step.split()
        if verb == "issue":
            rep, period = args
            shown.append(_shown(rep, period, issue(store, _period(period), rep, splits)))
        else:
            amount = args[1] if verb == "refund" else None
            send(store, refund(date.fromisoformat(args[0]), amount, verb))
    assert " / ".join(shown) == row["expected_statements"]
    with store.unit_of_work("t") as uow:
        taken = Money.total((a.amount for a in uow.commission_adjustments.list()), "USD")
    assert taken == usd(row["taken_back"])
    store.close()
