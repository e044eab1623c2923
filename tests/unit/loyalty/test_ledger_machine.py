"""The ledger against a plain reference model: every command, every invariant, after every step.

The model below re-derives lots, FEFO, expiry, refunds, debt and tiers from the rules in plain
Python (fractions and lists, no bizrel internals); the machine checks that the account agrees and
that `assert_invariants` (balance, lot bounds, debt, expiry, replay) holds after every step.
BIZREL_LONG=1 selects 2000 examples of 50 steps; the default is 200 of 30.
"""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bizrel.core import IdempotencyConflict, Money, PolicyViolation, tenant
from bizrel.customer.loyalty import (
    DebtPolicy,
    ExpiryPolicy,
    InsufficientPoints,
    Invoice,
    InvoiceLine,
    LoyaltyAccount,
    LoyaltyProgram,
    Tier,
    TierWindow,
    assert_invariants,
)

LONG = bool(os.environ.get("BIZREL_LONG"))
START = datetime(2025, 1, 30, 10, 0, tzinfo=UTC)
TIERS = (("basic", 0, 1, 1), ("silver", 100, 1, 1), ("gold", 250, 3, 2))  # name, threshold, multiplier as n/d


def _midnight_after(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


pytestmark = [
    pytest.mark.rule(
        "`bizrel.customer.loyalty` runs points programs on an append-only ledger that never loses or invents a point."
    ),
    pytest.mark.rule(
        "Points are whole numbers held in **lots**; every change is a new **entry** (earn, redeem, "
        "expire, adjust, reverse), never an edit; every operation carries an **idempotency key**."
    ),
    pytest.mark.rule(
        "Invariants after every operation (`assert_invariants`): the balance equals what remains in the "
        "lots (minus an allowed overdraft); every lot stays within 0 and what it was issued; no negative "
        "balance without an overdraft policy; expired points are never held or redeemable; debt is only "
        "owed when no live points are held; replaying the ledger rebuilds exactly the same account."
    ),
]


class Model:
    """What a trustworthy ledger must do, written as plainly as possible."""

    def __init__(self, policy: DebtPolicy, limit: int, soft: bool) -> None:
        self.policy, self.limit, self.soft = policy, limit, soft
        self.lots: list[dict[str, Any]] = []  # creation order
        self.overdraft = self.clawback = 0
        self.invoices: dict[str, dict[str, int]] = {}
        self.redemptions: dict[str, list[tuple[int, int]]] = {}
        self.reversed: set[str] = set()
        self.tier = 0
        self.reviews = 0
        self.qualifying: list[tuple[datetime, int]] = []

    def expire(self, at: datetime) -> None:
        for lot in self.lots:
            if lot["expires"] <= at:
                lot["expired"] += lot["remaining"]
                lot["remaining"] = 0

    def live(self, at: datetime, usable: bool) -> list[int]:
        idx = [
            i
            for i, lot in enumerate(self.lots)
            if lot["remaining"] > 0 and lot["expires"] > at and (not usable or lot["available"] <= at)
        ]
        return sorted(idx, key=lambda i: (self.lots[i]["expires"], self.lots[i]["earned"], i))

    def take(self, points: int, order: list[int]) -> tuple[list[tuple[int, int]], int]:
        taken = []
        for i in order:
            if points == 0:
                break
            n = min(points, self.lots[i]["remaining"])
            self.lots[i]["remaining"] -= n
            points -= n
            taken.append((i, n))
        return taken, points

    def settle(self, index: int) -> None:
        lot = self.lots[index]
        for debt in ("overdraft", "clawback"):
            n = min(getattr(self, debt), lot["remaining"])
            lot["remaining"] -= n
            setattr(self, debt, getattr(self, debt) - n)

    def window(self, start: datetime, end: datetime) -> int:
        return sum(p for t, p in self.qualifying if start <= t < end)

    def tier_for(self, value: int) -> int:
        return max((i for i, t in enumerate(TIERS) if value >= t[1]), default=0)

    def earn(self, invoice: str, dollars: int, at: datetime) -> int:
        _, _, num, den = TIERS[self.tier]
        points = dollars * num // den
        self.invoices[invoice] = {
            "cents": dollars * 100,
            "points": points,
            "returned": 0,
            "reversed": 0,
            "forgone": 0,
        }
        expires = _midnight_after(at.date() + relativedelta(months=1))
        self.lots.append(
            {
                "issued": points,
                "remaining": points,
                "earned": at,
                "available": at + timedelta(days=2),
                "expires": expires,
                "source": invoice,
                "expired": 0,
            }
        )
        self.settle(len(self.lots) - 1)
        self.qualifying.append((at, points))
        live = self.window(at - relativedelta(months=2), at + timedelta(microseconds=1))
        self.tier = max(self.tier, self.tier_for(live))
        return points

    def redeem(self, points: int, key: str, at: datetime) -> bool:
        order = self.live(at, usable=True)
        if sum(self.lots[i]["remaining"] for i in order) < points:
            return False
        self.redemptions[key] = self.take(points, order)[0]
        return True

    def refund(self, invoice: str, cents: int, at: datetime) -> bool:
        p = self.invoices[invoice]
        returned = p["returned"] + cents
        target = (2 * p["points"] * returned + p["cents"]) // (2 * p["cents"])  # half up
        due = target - p["reversed"]
        own = [i for i in self.live(at, usable=False) if self.lots[i]["source"] == invoice]
        _, short = self.take(due, own)
        expired = sum(lot["expired"] for lot in self.lots if lot["source"] == invoice) - p["forgone"]
        forgone = min(short, expired)
        _, short = self.take(short - forgone, self.live(at, usable=False))
        if short and self.policy is DebtPolicy.OVERDRAFT:
            if self.overdraft + short > self.limit:
                return False  # refused: the machine puts the model back as it was
            self.overdraft += short
        else:
            self.clawback += short
        p["returned"], p["reversed"], p["forgone"] = returned, target, p["forgone"] + forgone
        self.qualifying.append((at, -due))
        return True

    def unredeem(self, key: str, at: datetime) -> None:
        self.reversed.add(key)
        restored = self.redemptions[key]
        for i, n in restored:
            self.lots[i]["remaining"] += n
        order = [i for i in self.live(at, usable=False) if i in {i for i, _ in restored}]
        for debt in ("overdraft", "clawback"):
            _, short = self.take(getattr(self, debt), order)
            setattr(self, debt, short)
        self.expire(at)

    def review(self, enrolled: datetime, at: datetime) -> None:
        index = self.reviews
        while _midnight_after(enrolled.date() + relativedelta(months=index + 1) - timedelta(days=1)) <= at:
            index += 1
        if index == self.reviews:
            return
        self.reviews = index
        review_at = _midnight_after(enrolled.date() + relativedelta(months=index) - timedelta(days=1))
        start = _midnight_after(review_at.date() - relativedelta(months=2) - timedelta(days=1))
        judged = self.tier_for(self.window(start, review_at))
        if judged < self.tier and self.soft:
            judged = self.tier - 1
        self.tier = judged

    @property
    def balance(self) -> int:
        return sum(lot["remaining"] for lot in self.lots) - self.overdraft


class LedgerMachine(RuleBasedStateMachine):
    @initialize(
        policy=st.sampled_from(DebtPolicy),
        limit=st.integers(0, 80),
        soft=st.booleans(),
    )
    def start(self, policy: DebtPolicy, limit: int, soft: bool) -> None:
        self.program = LoyaltyProgram(
            tenant_id=tenant("t"),
            id="prog",
            name="Machine",
            currency="USD",
            point_value="0.01",
            expiry=ExpiryPolicy.after_months(1),
            pending_days=2,
            debt_policy=policy,
            overdraft_limit=limit,
            tiers=tuple(Tier(name=n, threshold=t, multiplier=f"{m / d}") for n, t, m, d in TIERS),
            tier_window=TierWindow.ROLLING,
            window_months=2,
            review_months=1,
            soft_landing=soft,
        )
        self.at = START
        self.account = LoyaltyAccount.open(self.program, "cust-1", at=START)
        self.model = Model(policy, limit, soft)
        self.n = 0
        self.done: list[tuple[str, tuple[Any, ...], Any]] = []  # (key, command, result)

    def key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    def _purchase(self, pid: str, dollars: int) -> Invoice:
        return Invoice(id=pid, lines=(InvoiceLine(id="l1", amount=Money(dollars, "USD")),))

    def _call(self, command: tuple[Any, ...], key: str) -> Any:
        kind, *args = command
        a, p = self.account, self.program
        if kind == "earn":
            return a.earn(p, self._purchase(*args), at=self.at, key=key)
        if kind == "redeem":
            return a.redeem(p, args[0], at=self.at, key=key)
        if kind == "refund":
            pid, cents = args
            return a.refund(p, pid, at=self.at, key=key, amount=Money.from_minor(cents, "USD"))
        if kind == "unredeem":
            return a.reverse_redemption(p, args[0], at=self.at, key=key)
        return a.review_tier(p, at=self.at, key=key)

    @rule(dollars=st.integers(1, 150))
    def earn(self, dollars: int) -> None:
        key, pid = self.key(), f"inv{self.n}"
        self.model.expire(self.at)
        expected = self.model.earn(pid, dollars, self.at)
        entry = self._call(("earn", pid, dollars), key)
        assert entry.points == expected
        self.done.append((key, ("earn", pid, dollars), entry))

    @rule(points=st.integers(1, 120))
    def redeem(self, points: int) -> None:
        key = self.key()
        before = copy.deepcopy(self.model)
        self.model.expire(self.at)
        ok = self.model.redeem(points, key, self.at)
        try:
            entry = self._call(("redeem", points), key)
        except InsufficientPoints:
            assert not ok
            self.model = before  # a refused operation changes nothing, not even expiry
            return
        assert ok
        assert entry.value == Money.from_minor(points, "USD")
        self.done.append((key, ("redeem", points), entry))

    @rule(days=st.integers(0, 20), hours=st.integers(0, 23), sweep=st.booleans())
    def advance(self, days: int, hours: int, sweep: bool) -> None:
        """Time passes; the expiry job may or may not run (operations expire what is due anyway)."""
        self.at += timedelta(days=days, hours=hours)
        if sweep:
            self.model.expire(self.at)
            self.account.expire_due(self.program, at=self.at)

    @precondition(lambda self: any(cmd[0] == "earn" for _, cmd, _ in self.done))
    @rule(data=st.data(), half=st.booleans())
    def refund(self, data: st.DataObject, half: bool) -> None:
        candidates = [
            cmd[1]
            for _, cmd, _ in self.done
            if cmd[0] == "earn" and self.model.invoices[cmd[1]]["returned"] < self.model.invoices[cmd[1]]["cents"]
        ]
        if not candidates:
            return
        pid = data.draw(st.sampled_from(candidates))
        p = self.model.invoices[pid]
        left = p["cents"] - p["returned"]
        cents = min(left, p["cents"] // 2) if half else left
        if cents == 0:
            return
        key = self.key()
        before = copy.deepcopy(self.model)
        self.model.expire(self.at)
        ok = self.model.refund(pid, cents, self.at)
        try:
            entry = self._call(("refund", pid, cents), key)
        except PolicyViolation:
            assert not ok
            self.model = before
            return
        assert ok
        self.done.append((key, ("refund", pid, cents), entry))

    @precondition(lambda self: bool(self.model.redemptions.keys() - self.model.reversed))
    @rule(data=st.data())
    def unredeem(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(sorted(self.model.redemptions.keys() - self.model.reversed)))
        key = self.key()
        self.model.expire(self.at)
        self.model.unredeem(target, self.at)
        entry = self._call(("unredeem", target), key)
        self.done.append((key, ("unredeem", target), entry))

    @rule()
    def review(self) -> None:
        key = self.key()
        entry = self._call(("review",), key)
        if entry is not None:  # a review that is due runs like any operation: it expires what is due
            self.model.expire(self.at)
            self.done.append((key, ("review",), entry))
        self.model.review(START, self.at)

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data(), change=st.booleans())
    def replay_key(self, data: st.DataObject, change: bool) -> None:
        key, command, result = data.draw(st.sampled_from(self.done))
        before = LoyaltyAccount.replay(self.account, self.account.entries)
        if not change:
            assert self._call(command, key) == result
        else:
            other = ("redeem", 10**6) if command[0] != "redeem" else ("redeem", command[1] + 1)
            try:
                self._call(other, key)
            except IdempotencyConflict:
                pass
            else:
                raise AssertionError("a reused key with another payload must raise")
        assert self.account == before

    @invariant()
    def agrees_with_the_model(self) -> None:
        if not hasattr(self, "account"):
            return
        a, m = self.account, self.model
        assert_invariants(a, self.program)
        assert [lot.remaining for _, lot in sorted(a.lots.items())] == [
            lot["remaining"] for lot in m.lots if lot["issued"]
        ]
        assert (a.overdraft, a.clawback) == (m.overdraft, m.clawback)
        assert a.balance == m.balance
        assert a.tier == TIERS[m.tier][0]
        assert a.usable(self.at) == sum(m.lots[i]["remaining"] for i in m.live(self.at, usable=True))


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(
    max_examples=2000 if LONG else 200, stateful_step_count=50 if LONG else 30, deadline=None
)
