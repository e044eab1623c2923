"""Loyalty over the memory and SQLite adapters: services end to end, and a race
between two OS processes on one SQLite file."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core import FixedClock, Money, ValidationError
from bizrel.customer.loyalty import (
    BonusKind,
    ExpiryPolicy,
    Invoice,
    InvoiceLine,
    Tier,
    TierMetric,
    TierWindow,
    account_id_for,
    award_bonus,
    create_program,
    earn_points,
    enroll,
    expire_points,
    member_statement,
    program_liability,
    redeem_points,
    refund_invoice,
    reverse_redemption,
    review_tiers,
)
from tests.unit.loyalty.support import START, TENANT, invoice, race_redemptions


def _program(store: Store) -> None:
    with store.unit_of_work(TENANT) as uow:
        create_program(
            uow,
            id="club",
            name="Club",
            currency="USD",
            point_value="0.05",
            expiry=ExpiryPolicy.after_months(1),
            signup_bonus=50,
            birthday_bonus=20,
            tier_metric=TierMetric.MONEY_SPENT,
            tiers=(Tier(name="blue", threshold=0), Tier(name="gold", threshold="500.00", multiplier="2")),
        )
        uow.commit()


def test_a_members_year_through_the_services(store: Store, clock: FixedClock) -> None:
    _program(store)
    with store.unit_of_work(TENANT) as uow:
        enroll(uow, "club", "cust-0001")
        enroll(uow, "club", "cust-0001")  # enrolling again is the same account
        earn_points(uow, "club", "cust-0001", invoice("inv-1", "300.00", "250.00"), key="inv-1")
        award_bonus(uow, "club", "cust-0001", BonusKind.BIRTHDAY, key="bday-2025")
        uow.commit()
    clock.advance(days=10)
    with store.unit_of_work(TENANT) as uow:
        redeem_points(uow, "club", "cust-0001", 100, key="r1")
        refund_invoice(uow, "club", "cust-0001", "inv-1", lines={"l2": Money("250.00", "USD")}, key="ret-1")
        reverse_redemption(uow, "club", "cust-0001", "r1", key="undo-r1")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        s = member_statement(uow, "club", "cust-0001", days=30)
        assert (s.balance, s.tier) == (50 + 550 + 20 - 250, "gold")
        assert s.expiring_points == 370
        assert s.value == Money("18.50", "USD")
        liability = program_liability(uow, "club", days=30)
        assert (liability.points, liability.value, liability.expiring_points) == (370, Money("18.50", "USD"), 370)
        assert "points outstanding: 370 worth 18.50 USD" in str(liability)
    clock.advance(days=30)
    with store.unit_of_work(TENANT) as uow:
        assert expire_points(uow, "club") == 370
        uow.commit()
    clock.set(clock.now().replace(year=2026, month=1, day=2))
    with store.unit_of_work(TENANT) as uow:
        assert review_tiers(uow, "club") == 1  # 550 spent, 250 returned: 300 net in 2025 is under gold's 500
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        account = uow.loyalty_accounts.get(account_id_for("club", "cust-0001"))
        assert (account.balance, account.reviews, account.tier) == (0, 1, "blue")


def test_bad_input_is_refused_before_anything_is_staged(store: Store) -> None:
    _program(store)
    with store.unit_of_work(TENANT) as uow:
        enroll(uow, "club", "cust-0001")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        with pytest.raises(ValidationError):
            euros = Invoice(id="eur", lines=(InvoiceLine(id="l1", amount=Money("10.00", "EUR")),))
            earn_points(uow, "club", "cust-0001", euros, key="bad")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        assert uow.loyalty_accounts.get(account_id_for("club", "cust-0001")).version == 1


@pytest.mark.rule(
    "Two OS processes redeeming 80 from a balance of 100 on one SQLite file: exactly one succeeds, the "
    "other is stopped by the optimistic version check, retries and is refused; the balance is 20."
)
def test_two_processes_redeeming_80_from_100_exactly_one_wins(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    trials = 20
    clock = FixedClock(START)
    with open_store(f"sqlite:///{db}", clock=clock) as store:
        _program(store)
        with store.unit_of_work(TENANT) as uow:
            for trial in range(trials):
                enroll(uow, "club", f"cust-{trial:04d}")  # 50 points sign-up bonus
                earn_points(uow, "club", f"cust-{trial:04d}", invoice(f"inv-{trial}", "50.00"), key="seed")
            uow.commit()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2, timeout=60)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=race_redemptions, args=(str(db), TENANT, trials, name, barrier, results))
        for name in ("left", "right")
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * trials)]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    for trial in range(trials):
        assert sorted(o for t, _, o, _ in outcomes if t == trial) == ["ok", "refused"]
    assert sum(c for *_, c in outcomes) == trials  # every loser was stopped by the version check
    with open_store(f"sqlite:///{db}", clock=clock) as store, store.unit_of_work(TENANT) as uow:
        balances = {a.customer_id: a.balance for a in uow.loyalty_accounts.list(program_id="club")}
    assert balances == {f"cust-{t:04d}": 20 for t in range(trials)}


def test_review_tiers_finds_exactly_the_members_who_are_due(store: Store, clock: FixedClock) -> None:
    with store.unit_of_work(TENANT) as uow:
        create_program(
            uow,
            id="club",
            name="Club",
            currency="USD",
            tiers=(Tier(name="blue", threshold=0), Tier(name="gold", threshold=100)),
            tier_window=TierWindow.ROLLING,
            window_months=1,
            review_months=1,
        )
        uow.commit()
    for n, day in enumerate((0, 10, 20, 30, 85)):  # Jan 15, Jan 25, Feb 4, Feb 14 and Apr 10
        clock.set(START + timedelta(days=day))
        with store.unit_of_work(TENANT) as uow:
            enroll(uow, "club", f"cust-{n}")
            earn_points(uow, "club", f"cust-{n}", invoice(f"inv-{n}", "150.00"), key="buy")  # gold at once
            uow.commit()
    clock.set(START + timedelta(days=95))  # Apr 20
    with store.unit_of_work(TENANT) as uow:
        assert review_tiers(uow, "club") == 4  # nothing bought in the month before each one's last review
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        accounts = {a.customer_id: a for a in uow.loyalty_accounts.list(program_id="club")}
        assert {c: (a.reviews, a.tier) for c, a in accounts.items()} == {
            "cust-0": (3, "blue"),  # reviews Feb 15, Mar 15, Apr 15 (judged once, on the last)
            "cust-1": (2, "blue"),
            "cust-2": (2, "blue"),
            "cust-3": (2, "blue"),
            "cust-4": (0, "gold"),  # first review on May 10: not due, not loaded
        }
        assert review_tiers(uow, "club") == 0
