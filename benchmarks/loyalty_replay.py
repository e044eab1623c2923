"""Replay 1,000,000 ledger entries over 100,000 loyalty accounts into balances and lots.

Loading an account from a store *is* a replay of its ledger, so this is the cost of reading
accounts back. The ledgers are real: 1,000 member histories (earn, redeem, refund, reversal,
expiry, bonus) are produced through the public operations, then each is given to 100 accounts.
Anchors measured in the same run on the same entries:

- naive: the "balance = sum of unexpired credits minus all debits" recomputation after every
  entry (the FloCafe #78 design that double-deducts expired points), in plain dicts;
- dicts: the least work that still keeps lots: one dict update per movement, no objects.

    python benchmarks/loyalty_replay.py [ACCOUNTS] [ENTRIES_PER_ACCOUNT]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from bizrel.core import BizrelError, Money, TenantId
from bizrel.customer.loyalty import (
    BonusKind,
    Entry,
    EntryKind,
    ExpiryPolicy,
    Invoice,
    InvoiceLine,
    LoyaltyAccount,
    LoyaltyProgram,
    Tier,
    assert_invariants,
)

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
TEMPLATES = 1000


def program() -> LoyaltyProgram:
    return LoyaltyProgram(
        tenant_id=TenantId("bench"),
        id="club",
        name="Club",
        currency="USD",
        expiry=ExpiryPolicy.after_months(3),
        pending_days=7,
        signup_bonus=100,
        tiers=(Tier(name="blue", threshold=0), Tier(name="gold", threshold=2000, multiplier="1.5")),
    )


def history(p: LoyaltyProgram, rng: random.Random, length: int) -> list[Entry]:
    """A member's ledger of exactly `length` entries, produced by the real operations."""
    while True:
        account = LoyaltyAccount.open(p, "member", at=START)
        account.award_bonus(p, BonusKind.SIGNUP, at=START, key="signup")
        at = START
        n = 0
        while len(account.entries) < length:
            n += 1
            at += timedelta(days=rng.randrange(0, 25), hours=rng.randrange(0, 24))
            roll = rng.random()
            try:
                if roll < 0.45:
                    lines = (InvoiceLine(id="l1", amount=Money.from_minor(rng.randrange(500, 40000), "USD")),)
                    account.earn(p, Invoice(id=f"inv{n}", lines=lines), at=at, key=f"k{n}")
                elif roll < 0.75:
                    account.redeem(p, rng.randrange(20, 300), at=at, key=f"k{n}")
                elif roll < 0.85 and account.invoices:
                    account.refund(p, rng.choice(sorted(account.invoices)), at=at, key=f"k{n}")
                elif roll < 0.92:
                    keys = [e.key for e in account.entries if e.kind is EntryKind.REDEEM]
                    if keys:
                        account.reverse_redemption(p, rng.choice(keys), at=at, key=f"k{n}")
                else:
                    account.expire_due(p, at=at)
            except BizrelError:
                continue
        if len(account.entries) == length:
            assert_invariants(account, p)
            return account.entries
        # an operation that posted expiries overshot the length: draw another history


def replay_domain(p: LoyaltyProgram, ledgers: list[list[Entry]]) -> tuple[float, int]:
    t0 = time.perf_counter()
    total = 0
    for i, entries in enumerate(ledgers):
        account = LoyaltyAccount(
            tenant_id=p.tenant_id,
            id=f"a{i}",
            program_id=p.id,
            customer_id=f"cust-{i:06d}",
            enrolled_at=START,
            initial_tier="blue",
            entries=entries,
        )
        total += account.balance
    return time.perf_counter() - t0, total


def replay_dicts(ledgers: list[list[Entry]]) -> tuple[float, int]:
    t0 = time.perf_counter()
    total = 0
    for entries in ledgers:
        lots: dict[int, int] = {}
        for e in entries:
            if e.issued:
                lots[e.seq] = e.issued
            for m in e.movements:
                lots[m.lot] += m.points
        total += sum(lots.values()) - sum(e.overdraft for e in entries)
    return time.perf_counter() - t0, total


def replay_naive(ledgers: list[list[Entry]]) -> tuple[float, int]:
    """Recompute the balance from all entries after each one (read-time expiry filter)."""
    t0 = time.perf_counter()
    total = 0
    for entries in ledgers:
        balance = 0
        for i, e in enumerate(entries):
            seen = entries[: i + 1]
            credits = sum(x.issued for x in seen if x.expires_at is None or x.expires_at > e.at)
            debits = sum(-x.points for x in seen if x.points < 0)
            balance = credits - debits
        total += balance
    return time.perf_counter() - t0, total


def main() -> None:
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    per_account = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    p = program()
    rng = random.Random(2025)
    t0 = time.perf_counter()
    templates = [history(p, rng, per_account) for _ in range(min(TEMPLATES, accounts))]
    built = time.perf_counter() - t0
    ledgers = [templates[i % len(templates)] for i in range(accounts)]
    n = accounts * per_account
    kinds: dict[str, int] = {}
    for entries in templates:
        for e in entries:
            kinds[e.kind.value] = kinds.get(e.kind.value, 0) + 1
    print(f"{n:,} entries over {accounts:,} accounts; template mix {dict(sorted(kinds.items()))}")
    print(f"  (built {len(templates):,} member histories through the operations in {built:.2f} s)")

    domain_s, domain_total = replay_domain(p, ledgers)
    dicts_s, dicts_total = replay_dicts(ledgers)
    naive_n = min(accounts, 10_000)
    naive_s, _ = replay_naive(ledgers[:naive_n])
    assert dicts_total == domain_total, (dicts_total, domain_total)

    rate = n / domain_s
    print(f"LoyaltyAccount replay : {domain_s:7.2f} s  {rate:12,.0f} entries/s  (target >= 200,000/s)")
    print(
        f"anchor: dict lots     : {dicts_s:7.2f} s  {n / dicts_s:12,.0f} entries/s  domain is {domain_s / dicts_s:.1f}x"
    )
    naive_rate = naive_n * per_account / naive_s
    print(f"anchor: naive re-sum  : {naive_s:7.2f} s  {naive_rate:12,.0f} entries/s  ({naive_n:,} accounts)")
    print(f"  domain replay is {rate / naive_rate:.1f}x the naive recomputation; balances agree with dict lots")
    print(f"  total balance {domain_total:,} points; {'MEETS' if rate >= 200_000 else 'BELOW'} the target")


if __name__ == "__main__":
    main()
