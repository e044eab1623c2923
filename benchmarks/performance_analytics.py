"""Sales performance analytics at scale: receivables aging and target allocation.

Aging: bizrel.sales.aging over N contracts (six instalments each, random payments) against pandas
and duckdb computing the same buckets from a flat table of open receivables built in the same run
(the anchors start from prepared rows; bizrel starts from the domain objects). The bucket totals
must agree to the cent.

Allocation: splitting N yearly targets into twelve seasonal months exactly (Money.allocate)
against the float way (value * pct / 100, rounded to cents), counting how often the float months
fail to add back up to the year.

    python benchmarks/performance_analytics.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import pandas as pd

from bizrel.core import Money, Period, TenantId
from bizrel.sales import AGING_BUCKETS, Contract, SeasonalDistribution, aging, spread

TENANT = TenantId("bench")
AS_OF = date(2026, 6, 30)


def build(n: int) -> list[Contract]:
    rng = random.Random(1)
    contracts = []
    for i in range(n):
        won = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 500))
        deal = {
            "id": f"o{i}",
            "status": "won",
            "closed_at": won,
            "amount": Money(rng.randrange(1000, 90000) * 100, "USD"),
            "owner_id": f"rep{i % 25}",
            "account_name": "A",
        }
        c = Contract.from_opportunity(deal, tenant_id=TENANT, id=f"c{i}", shares=[1] * 6, anchor=won.date())
        for inst in c.instalments:
            if rng.random() < 0.6:
                paid = inst.due + timedelta(days=rng.randrange(-10, 120))
                if paid <= AS_OF:
                    amount = inst.amount if rng.random() < 0.8 else inst.amount.allocate([1, 1])[0]
                    c.receive_payment(f"p{i}-{inst.number}", amount, datetime.combine(paid, datetime.min.time(), UTC))
        contracts.append(c)
    return contracts


def timed(label: str, fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {elapsed * 1000:9.1f} ms")
    return elapsed, result


def main(n: int) -> None:
    print(f"aging of {n:,} contracts x 6 instalments as of {AS_OF}")
    contracts = build(n)
    t_bizrel, report = timed("bizrel.sales.aging (from domain objects)", lambda: aging(contracts, AS_OF))
    rows = [
        (c.owner_id, (AS_OF - inst.due).days, left.to_minor()) for c in contracts for inst, left in c.receivables(AS_OF)
    ]
    frame = pd.DataFrame(rows, columns=["owner", "age", "minor"])

    def with_pandas() -> list[int]:
        buckets = pd.cut(frame["age"], [-(10**6), 0, 30, 60, 90, 10**6], labels=list(AGING_BUCKETS))
        sums = frame.groupby(buckets, observed=False)["minor"].sum()
        return [int(sums[b]) for b in AGING_BUCKETS]

    def with_duckdb() -> list[int]:
        con = duckdb.connect()
        con.register("r", frame)
        got = con.execute(
            "SELECT SUM(minor) FILTER (WHERE age <= 0), SUM(minor) FILTER (WHERE age BETWEEN 1 AND 30), "
            "SUM(minor) FILTER (WHERE age BETWEEN 31 AND 60), SUM(minor) FILTER (WHERE age BETWEEN 61 AND 90), "
            "SUM(minor) FILTER (WHERE age > 90) FROM r"
        ).fetchone()
        assert got is not None
        return [int(v or 0) for v in got]

    t_pandas, by_pandas = timed("pandas cut + groupby (prepared rows)", with_pandas)
    t_duck, by_duck = timed("duckdb SQL (prepared rows)", with_duckdb)
    ours = [m.to_minor() for m in report.total.buckets]  # type: ignore[attr-defined]
    assert ours == by_pandas == by_duck, (ours, by_pandas, by_duck)
    print(
        f"  buckets agree to the cent; bizrel/pandas {t_bizrel / t_pandas:.1f}x, bizrel/duckdb {t_bizrel / t_duck:.1f}x"
    )

    print(f"\nspreading {n:,} yearly targets over 12 seasonal months")
    rng = random.Random(2)
    season = SeasonalDistribution(["6", "6", "8", "8", "8", "9", "7", "6", "10", "9", "10", "13"])
    year = Period.year(2026)
    values = [Money(rng.randrange(10**6, 10**9), "USD").multiply(Decimal("0.01")) for _ in range(n)]
    t_exact, exact = timed(
        "Money.allocate by the distribution (exact)", lambda: [spread(v, year, season) for v in values]
    )
    pcts = [float(p) for p in season.percentages]

    def floats() -> int:
        off = 0
        for v in values:
            amount = float(v.amount)
            months = [round(amount * p / 100, 2) for p in pcts]
            off += round(sum(months), 2) != amount
        return off

    t_float, off = timed("float value * pct / 100, rounded (anchor)", floats)
    assert all(Money.total((m for _, m in parts), "USD") == v for parts, v in zip(exact, values, strict=True))  # type: ignore[misc, arg-type]
    print(
        f"  exact sums {n:,}/{n:,}; float months miss the year in {off:,} of {n:,} targets "
        f"({100 * off / n:.1f}%); exact/float time {t_exact / t_float:.1f}x"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
