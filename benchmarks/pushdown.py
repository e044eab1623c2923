"""Push-down into SQLite and PostgreSQL against pulling the rows into the pure-Python reference.

The same purchases (default 1,000,000 over 100,000 customers) are stored through bizrel's adapters
(SQLite: the unit of work in chunks; PostgreSQL: `bulk_load`, COPY) in a tenant of their own, with
another tenant's rows beside them. Then, per analytic, in the same run:

- push-down: `bizrel.analytics.<analytic>(store, tenant_id=...)`: the database aggregates, only
  per-customer or per-cohort results come back;
- pull (repository): `uow.purchases.list()` then the reference, the obvious application code;
- pull (raw driver): the four columns selected with sqlite3 / psycopg, turned into the reference's
  records, then the reference: the cheapest way to pull.

Every path must return the identical typed result (checked). PostgreSQL runs in a throwaway
database on the server named by BIZREL_TEST_PG_DSN (or --pg), dropped at the end; without it,
only SQLite runs.

    PYTHONPATH=src python benchmarks/pushdown.py [--transactions N] [--customers N] [--pg DSN]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bizrel import analytics
from bizrel.adapters import Store, open_store
from bizrel.core import FixedClock, Money
from bizrel.customer import Purchase, cohort_retention, rfm_summary, value_metrics
from harness import throwaway_postgres  # beside this script

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
TENANT = "bench"
CHUNK = 50_000


def purchases(tenant: str, n: int, customers: int, seed: int) -> Iterator[Purchase]:
    rng = random.Random(seed)
    for i in range(n):
        yield Purchase(
            tenant_id=tenant,  # type: ignore[arg-type]
            id=f"p{i}",
            customer_id=f"c{rng.randrange(customers):06d}",
            occurred_at=AS_OF - timedelta(seconds=rng.randrange(1, 730 * 86_400)),
            amount=Money.from_minor(rng.randrange(100, 50_000), "USD"),
        )


def fill(store: Store, n: int, customers: int) -> float:
    """This tenant's purchases, and a tenth as many of a neighbour's that push-down must not see."""
    started = time.perf_counter()
    for tenant, count, seed in ((TENANT, n, 1), ("neighbour", n // 10, 2)):
        if store.url.startswith("postgres"):
            from bizrel.adapters.postgres import bulk_load

            bulk_load(store, tenant, "purchases", purchases(tenant, count, customers, seed))
            continue
        rows = list(purchases(tenant, count, customers, seed))
        for start in range(0, len(rows), CHUNK):
            with store.unit_of_work(tenant) as uow:
                uow.purchases.add_many(rows[start : start + CHUNK])
                uow.commit()
    return time.perf_counter() - started


def pulled_repository(store: Store) -> list[Purchase]:
    with store.unit_of_work(TENANT) as uow:
        return uow.purchases.list()


def pulled_raw(store: Store) -> list[dict[str, Any]]:
    """The four columns through the driver, as the reference's plain records (PostgreSQL returns
    the NUMERIC minor units as Decimal)."""
    sql = "SELECT customer_id, occurred_at, amount_minor, currency FROM purchases WHERE tenant_id = {p}"
    if store.url.startswith("postgres"):
        import psycopg

        with psycopg.connect(store.url) as con:
            rows = con.execute(sql.format(p="%s"), (TENANT,)).fetchall()
    else:
        import sqlite3

        con = sqlite3.connect(urlsplit(store.url).path)
        rows = con.execute(sql.format(p="?"), (TENANT,)).fetchall()
        con.close()
        parse = datetime.fromisoformat
        rows = [(c, parse(at), a, cur) for c, at, a, cur in rows]
    return [{"customer_id": c, "occurred_at": at, "amount": Money.from_minor(int(a), cur)} for c, at, a, cur in rows]


ANALYTICS: dict[str, tuple[Callable[..., Any], Callable[..., Any], dict[str, Any]]] = {
    "RFM summary (classic)": (analytics.rfm_summary, rfm_summary, {"as_of": AS_OF}),
    "RFM summary (lifetimes, weekly)": (
        analytics.rfm_summary,
        rfm_summary,
        {"as_of": AS_OF, "convention": "lifetimes", "freq": "W"},
    ),
    "cohort retention": (analytics.cohort_retention, cohort_retention, {"as_of": AS_OF}),
    "value metrics": (analytics.value_metrics, value_metrics, {"as_of": AS_OF}),
}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def measure(label: str, store: Store) -> None:
    print(f"\n{label}")
    for name, (engine, reference, options) in ANALYTICS.items():
        down, expected = timed(lambda e=engine, o=options: e(store, tenant_id=TENANT, **o))  # type: ignore[misc]
        repo_pull, records = timed(lambda: pulled_repository(store))
        repo_ref, by_repo = timed(lambda r=reference, o=options, rec=records: r(rec, **o))  # type: ignore[misc]
        raw_pull, raw = timed(lambda: pulled_raw(store))
        raw_ref, by_raw = timed(lambda r=reference, o=options, rec=raw: r(rec, **o))  # type: ignore[misc]
        same = expected == by_repo == by_raw
        repo, cheap = repo_pull + repo_ref, raw_pull + raw_ref
        print(
            f"  {name:34s} push-down {down:7.3f} s | repository pull + reference {repo:7.3f} s "
            f"({repo / down:5.1f}x) | raw pull + reference {cheap:7.3f} s ({cheap / down:5.1f}x) | identical: {same}"
        )
        del records, raw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("BIZREL_TEST_PG_DSN"))
    args = parser.parse_args()
    n, customers = args.transactions, args.customers
    print(f"{n:,} purchases over {customers:,} customers (plus {n // 10:,} of another tenant)")
    clock = FixedClock(AS_OF)
    with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/bench.db", clock=clock) as store:
        seconds = fill(store, n, customers)
        measure(f"SQLite (filled through the unit of work in {seconds:.1f} s, not timed below)", store)
    if not args.pg:
        print("\nPostgreSQL: skipped (set BIZREL_TEST_PG_DSN or pass --pg)")
        return
    with throwaway_postgres(args.pg) as url, open_store(url, clock=clock) as store:
        seconds = fill(store, n, customers)
        measure(f"PostgreSQL (filled by bulk_load in {seconds:.1f} s, not timed below)", store)


if __name__ == "__main__":
    sys.exit(main())
