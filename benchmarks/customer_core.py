"""Customer core at scale: overdue follow-ups, care schedules and contact-policy decisions.

Overdue follow-ups: N interactions stored through bizrel on a SQLite file (a fifth with an open
follow-up), then `overdue_follow_ups` against a raw sqlite3 query of the same index that decodes the
same JSON bodies (the anchor: what any hand-written repository would do). Same ids, same order.

Care schedules: a year of touches for N/10 customers with five care rules each, expanded with
dateutil.rrule in local wall time and localized, against plain month arithmetic from the anchor
(relativedelta) computing the same instants. The two must agree exactly.

Contact policy: `decide` for N/10 touch requests with a 30-touch history each, against a bare
"count the touches of the last seven days" loop (the anchor: the cheapest possible cap check).

    python benchmarks/customer_core.py [N]
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

import bizrel
from bizrel import customer as cm
from bizrel.core.ids import TenantId

T = TypeVar("T")
TENANT = "bench"
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Sydney")


def timed(label: str, fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed * 1000:10.1f} ms")
    return elapsed, result


def follow_ups(n: int, db: Path) -> None:
    print(f"overdue follow-ups among {n:,} interactions (SQLite)")
    rng = random.Random(1)
    clock = bizrel.FixedClock(NOW)
    store = bizrel.open_store(f"sqlite:///{db}", clock=clock)
    with store.unit_of_work(TENANT) as uow:
        for c in range(100):
            cm.create_customer(uow, id=f"c{c}", name=f"C{c}", kind="organisation", owner_id="csm", timezone="UTC")
        uow.commit()
    interactions = []
    for i in range(n):
        occurred = NOW - timedelta(minutes=rng.randrange(1, 365 * 24 * 60))
        follow = occurred + timedelta(days=rng.randrange(1, 30)) if rng.random() < 0.2 else None
        interactions.append(
            cm.Interaction.log(
                tenant_id=TenantId(TENANT),
                id=f"i{i:07d}",
                customer_id=f"c{i % 100}",
                owner_id="csm",
                channel="call",
                direction="outbound",
                outcome="completed",
                summary="regular check-in",
                occurred_at=occurred,
                next_follow_up=follow,
            )
        )

    def persist() -> None:
        with store.unit_of_work(TENANT) as uow:
            uow.interactions.add_many(interactions)
            uow.commit()

    timed("store: add_many + commit", persist)

    def query() -> list[str]:
        with store.unit_of_work(TENANT) as uow:
            return [i.id for i in cm.overdue_follow_ups(uow)]

    t_store, ids = timed("bizrel overdue_follow_ups", query)
    store.close()

    def raw() -> list[str]:
        conn = sqlite3.connect(db)
        rows = conn.execute(
            "SELECT id, body FROM interactions WHERE tenant_id = ? AND follow_up_open = 1 AND next_follow_up < ? "
            "ORDER BY next_follow_up, id",
            (TENANT, NOW.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        ).fetchall()
        result = [row[0] for row in rows if json.loads(row[1])]
        conn.close()
        return result

    t_raw, raw_ids = timed("raw sqlite3 + json.loads (anchor)", raw)
    assert ids == raw_ids, "bizrel and the raw query disagree"
    print(f"  {len(ids):,} overdue; bizrel / raw = {t_store / t_raw:.2f}x")


def schedules(customers: int) -> None:
    print(f"care schedules: a year for {customers:,} customers x 5 rules")
    rng = random.Random(2)
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    plans = []
    for _ in range(customers):
        anchor = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 2500))
        rules = [
            cm.CareRule(occasion="quarterly_business_review", anchor=anchor, local_time=wall_time(10)),
            cm.CareRule(occasion="contract_anniversary", anchor=anchor, local_time=wall_time(10)),
            cm.CareRule(occasion="birthday", anchor=date(rng.randrange(1950, 2000), 2, 28), local_time=wall_time(9)),
            cm.CareRule(occasion="after_onboarding", anchor=anchor, days_after=2200, local_time=wall_time(2, 30)),
            cm.CareRule(occasion="quarterly_business_review", anchor=date(2025, 8, 31), local_time=wall_time(16)),
        ]
        plans.append((ZoneInfo(rng.choice(ZONES)), rules))

    def expand() -> list[list[datetime]]:
        return [rule.occurrences(tz, start, end) for tz, rules in plans for rule in rules]

    def reference() -> list[list[datetime]]:
        out = []
        for tz, rules in plans:
            for rule in rules:
                if rule.occasion is cm.CareOccasion.AFTER_ONBOARDING:
                    walls = [datetime.combine(rule.anchor + timedelta(days=rule.days_after), rule.local_time)]
                else:
                    step = 3 if rule.occasion is cm.CareOccasion.QUARTERLY_BUSINESS_REVIEW else 12
                    first = 1 if rule.occasion is cm.CareOccasion.CONTRACT_ANNIVERSARY else 0
                    walls = [
                        datetime.combine(rule.anchor + relativedelta(months=k * step), rule.local_time)
                        for k in range(first, (2028 - rule.anchor.year) * 12 // step)
                    ]
                out.append([at for at in (cm.localize(w, tz) for w in walls) if start <= at < end])
        return out

    t_rrule, got = timed("rrule in local wall time, localized", expand)
    t_ref, want = timed("relativedelta from the anchor (anchor)", reference)
    assert got == want, "rrule expansion and month arithmetic disagree"
    touches = sum(len(x) for x in got)
    print(f"  {touches:,} touches; rrule / relativedelta = {t_rrule / t_ref:.2f}x")


def decisions(requests: int) -> None:
    print(f"contact policy: {requests:,} decisions, 30 earlier touches each")
    rng = random.Random(3)
    cases: list[tuple[cm.Customer, cm.ContactHistory, datetime]] = []
    for i in range(requests):
        customer = cm.Customer.create(
            tenant_id=TenantId(TENANT),
            id=f"c{i}",
            name="C",
            kind="person",
            owner_id="csm",
            timezone=rng.choice(ZONES),
            at=NOW - timedelta(days=400),
        )
        customer.set_consent("email", "care", granted=True, at=NOW - timedelta(days=400))
        sent = tuple(
            cm.SentTouch(
                channel=cm.Channel.EMAIL,
                purpose="care",
                source="care",
                at=NOW - timedelta(hours=rng.randrange(1, 24 * 120)),
            )
            for _ in range(30)
        )
        cases.append((customer, cm.ContactHistory(sent=sent), NOW + timedelta(minutes=rng.randrange(0, 1440))))
    touch = cm.Touch(channel="email", purpose="care", source="bench")

    def policy() -> dict[str, int]:
        counts: dict[str, int] = {}
        for customer, history, now in cases:
            outcome = cm.decide(customer, touch, history, now).outcome
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def naive() -> int:
        week = timedelta(days=7)
        return sum(1 for _, history, now in cases if sum(1 for s in history.sent if now - s.at < week) < 2)

    t_policy, counts = timed("decide (consent, cool-down, quiet hours, caps)", policy)
    t_naive, _ = timed("count touches of the last 7 days (anchor)", naive)
    print(f"  {counts}; {requests / t_policy:,.0f} decisions/s; decide / naive count = {t_policy / t_naive:.1f}x")


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        follow_ups(n, Path(tmp) / "bench.db")
    schedules(max(1, n // 10))
    decisions(max(1, n // 10))


if __name__ == "__main__":
    main(sys.argv)
