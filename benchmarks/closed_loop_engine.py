"""The bridge's closed-loop report at scale through the columnar engine and push-down into SQLite
and PostgreSQL, side by side with hand-written DuckDB SQL, pandas and polars and the pure-Python reference (each
measurement in its own process, so the peak resident memory printed is that run's own).

    PYTHONPATH=src python benchmarks/closed_loop_engine.py [--deals 100000] [--terms 300000]
                                                           [--store-deals 20000] [--pg DSN]

Report by rep with acquisition costs: deals, retained, first-term, current, kept (GRR), lifetime,
booked and quality-booked revenue, NPS counting each customer once. bizrel's paths return the exact
typed ClosedLoopReport; the hand-written anchors compute the same per-group figures with native
float ratios. Every contender must report the same (group, deals, retained, bookings). Inputs are
read from Parquet (or the store is filled) before timing starts; times are the analytic alone, the
best of 3 runs. PostgreSQL runs in a throwaway database on the server named by BIZREL_TEST_PG_DSN
(or --pg), dropped at the end; without it, only SQLite runs. The stores hold handoffs, subscription
renewal chains and customers with an "nps" attribute in the shape the bridge writes them, added
through the repositories (the bridge's services would take hours to hand over 100,000 deals one by
one).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import Comparison, in_process, stores  # beside this script

T0 = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
DAY_US = 86_400_000_000
REPS = 40
QUALITY_US = 90 * DAY_US


def make_parquet(folder: str, deals: int, terms: int) -> None:
    """Deals with 1 + a share of the remaining terms each; a quarter churned (some within 90 days
    of the close); customers with several deals; NPS for 60% of customers."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(11)
    n = deals
    counts = 1 + np.bincount(rng.integers(0, n, terms - n), minlength=n)
    owner = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    seq = np.arange(terms) - starts[owner]
    customers = max(1, n * 2 // 5)
    customer = rng.integers(0, customers, n)
    scores = np.where(rng.random(customers) < 0.6, rng.integers(0, 11, customers), -1)
    opened = int(T0.timestamp() * 1e6) + rng.integers(0, 365 * DAY_US, n)
    closed = opened + rng.integers(0, 150 * DAY_US, n)
    churned = closed + rng.integers(DAY_US, 600 * DAY_US, n)
    is_churned = rng.random(n) < 0.25
    amount = rng.integers(100_000, 8_000_000, n)
    drift = rng.integers(-500_000, 1_000_000, terms)
    drift[starts] = 0
    term_amount = np.maximum(amount[owner] + drift, 0)
    ts = pa.timestamp("us", tz="UTC")
    ids = np.char.add("o", np.arange(n).astype(str)).astype(object)
    pick = lambda names, size: np.array(names, dtype=object)[rng.integers(0, len(names), size)]  # noqa: E731
    deal_table = pa.table(
        {
            "opportunity_id": pa.array(ids),
            "customer_id": pa.array(np.char.add("c", customer.astype(str)).astype(object)),
            "rep": pa.array(pick([f"rep-{k:02d}" for k in range(REPS)], n)),
            "source": pa.array(pick(["web", "referral", "partner", "event", "outbound"], n)),
            "pipeline": pa.array(pick(["nb", "expansion", "partner"], n)),
            "amount_minor": pa.array(amount, pa.int64()),
            "currency": pa.array(["EUR"] * n),
            "opened_at": pa.array(opened, ts),
            "closed_at": pa.array(closed, ts),
            "churned_at": pa.array(churned, ts, mask=~is_churned),
            "nps": pa.array(scores[customer], pa.int64(), mask=scores[customer] < 0),
        }
    )
    term_table = pa.table(
        {
            "opportunity_id": pa.array(ids[owner]),
            "seq": pa.array(seq, pa.int64()),
            "amount_minor": pa.array(term_amount, pa.int64()),
        }
    )
    pq.write_table(deal_table, os.path.join(folder, "deals.parquet"))
    pq.write_table(term_table, os.path.join(folder, "terms.parquet"))


def outcomes(folder: str, limit: int | None = None) -> list[Any]:
    """The Parquet files as the reference's DealOutcomes (terms in seq order, as generated)."""
    import pyarrow.parquet as pq

    from bizrel.bridge import DealOutcome
    from bizrel.core import Money

    terms: dict[str, list[Any]] = {}
    term_table = pq.read_table(os.path.join(folder, "terms.parquet")).to_pydict()
    for oid, minor in zip(term_table["opportunity_id"], term_table["amount_minor"], strict=True):
        terms.setdefault(oid, []).append(Money.from_minor(minor, "EUR"))
    rows = pq.read_table(os.path.join(folder, "deals.parquet")).to_pylist()[:limit]
    return [
        DealOutcome(
            **{k: r[k] for k in ("opportunity_id", "customer_id", "rep", "source", "pipeline", "nps")},
            amount=Money.from_minor(r["amount_minor"], r["currency"]),
            opened_at=r["opened_at"],
            closed_at=r["closed_at"],
            churned_at=r["churned_at"],
            terms=tuple(terms[r["opportunity_id"]]),
        )
        for r in rows
    ]


def fill_store(folder: str, url: str, limit: int) -> float:
    """Customers (with their "nps"), subscription renewal chains (the last term churned at the
    deal's churn) and handoffs, as the bridge stores them."""
    from bizrel.adapters import open_store
    from bizrel.bridge import AccountRoles, Handoff, handoff_id
    from bizrel.core import FixedClock
    from bizrel.customer import Customer, RenewalStatus, Subscription

    started = time.perf_counter()
    store = open_store(url, clock=FixedClock(AS_OF))
    deals = outcomes(folder, limit)
    CHURNED, ACTIVE, RENEWED = RenewalStatus.CHURNED, RenewalStatus.ACTIVE, RenewalStatus.RENEWED
    nps = {d.customer_id: d.nps for d in deals}
    customers = []
    for customer_id, score in nps.items():
        customer = Customer.create(
            tenant_id="bench", id=customer_id, name=customer_id, kind="organisation", owner_id="cs-1",
            timezone="UTC", at=T0,
        )  # fmt: skip
        if score is not None:
            customer.attributes["nps"] = score
        customers.append(customer)
    with store.unit_of_work("bench") as uow:
        uow.customers.add_many(customers)
        uow.commit()
    for chunk in range(0, len(deals), 10_000):
        with store.unit_of_work("bench") as uow:
            subscriptions, handoffs = [], []
            for d in deals[chunk : chunk + 10_000]:
                hid = handoff_id(d.opportunity_id)
                ids = [f"{hid}:subscription", *(f"{hid}:term{k}" for k in range(1, len(d.terms)))]
                for k, amount in enumerate(d.terms):
                    last = k == len(d.terms) - 1
                    churned = last and d.churned_at is not None
                    subscriptions.append(
                        Subscription(
                            tenant_id=uow.tenant_id, id=ids[k], customer_id=d.customer_id, plan="nb", amount=amount,
                            start=d.closed_at.date() + timedelta(days=365 * k),
                            end=d.closed_at.date() + timedelta(days=365 * k + 364),
                            status=CHURNED if churned else ACTIVE if last else RENEWED,
                            created_at=d.closed_at, previous_id=ids[k - 1] if k else None,
                            next_id=None if last else ids[k + 1], churn_reason="budget" if churned else None,
                            closed_at=d.churned_at if churned else None if last else d.closed_at + timedelta(days=300),
                        )
                    )  # fmt: skip
                handoffs.append(
                    Handoff(
                        tenant_id=uow.tenant_id, id=hid, opportunity_id=d.opportunity_id, customer_id=d.customer_id,
                        customer_rule="created (no match)", created_customer=True,
                        roles=AccountRoles(sales_owner_id=d.rep, cs_owner_id="cs-1", collections_owner_id="ar-1"),
                        csm_rule="bench", onboarding_plan_id=f"{hid}:onboarding", subscription_id=ids[0],
                        care_plan_id=None, amount=d.amount, source=d.source, pipeline_id=d.pipeline, segment=None,
                        opened_at=d.opened_at, closed_at=d.closed_at, contract_end=d.closed_at.date(),
                        renewal_due_on=d.closed_at.date(),
                    )
                )  # fmt: skip
            uow.subscriptions.add_many(subscriptions)
            uow.handoffs.add_many(handoffs)
            uow.commit()
    store.close()
    return time.perf_counter() - started


def costs() -> dict[str, Any]:
    from bizrel.core import Money

    return {f"rep-{k:02d}": Money(50_000 + 1_000 * k, "EUR") for k in range(REPS)}


# -- the contenders: each takes its loaded input and returns (group, deals, retained, bookings) --


def summary(report: Any) -> list[tuple[str, int, int, int]]:
    return [(line.group, line.deals, line.retained, line.bookings.to_minor()) for line in report.lines]


def bizrel_engine(data: tuple[Any, Any]) -> list[tuple[str, int, int, int]]:
    from bizrel.analytics import closed_loop_report

    return summary(closed_loop_report(*data, by="rep", costs=costs()))


def bizrel_reference(data: list[Any]) -> list[tuple[str, int, int, int]]:
    from bizrel.bridge import closed_loop_report

    return summary(closed_loop_report(data, by="rep", costs=costs()))


def bizrel_pushdown(url: str) -> list[tuple[str, int, int, int]]:
    from bizrel.adapters import open_store
    from bizrel.analytics import closed_loop_report

    with open_store(url) as store:
        return summary(closed_loop_report(store, tenant_id="bench", by="rep", costs=costs(), as_of=AS_OF))


def bizrel_pull(url: str) -> list[tuple[str, int, int, int]]:
    """deal_outcomes() through the repositories (a handoff, its chain of terms, its customer), then
    the reference."""
    from bizrel.adapters import open_store
    from bizrel.bridge import closed_loop_report, deal_outcomes

    with open_store(url) as store, store.unit_of_work("bench") as uow:
        return summary(closed_loop_report(deal_outcomes(uow, AS_OF), by="rep", costs=costs()))


DUCK_SQL = f"""
WITH t AS (
  SELECT opportunity_id, SUM(amount_minor) AS lifetime, arg_min(amount_minor, seq) AS first_minor,
         arg_max(amount_minor, seq) AS last_minor
  FROM terms GROUP BY opportunity_id),
d AS (
  SELECT deals.*, t.lifetime, t.first_minor,
         CASE WHEN churned_at IS NULL THEN t.last_minor ELSE 0 END AS current_minor
  FROM deals JOIN t USING (opportunity_id)),
n AS (
  SELECT rep, COUNT(*) AS responders, COUNT(*) FILTER (WHERE nps >= 9) AS promoters,
         COUNT(*) FILTER (WHERE nps <= 6) AS detractors
  FROM (SELECT DISTINCT ON (rep, customer_id) rep, nps FROM d WHERE nps IS NOT NULL) GROUP BY rep)
SELECT rep, COUNT(*) AS deals, COUNT(*) FILTER (WHERE churned_at IS NULL) AS retained,
       SUM(amount_minor) AS bookings,
       SUM(amount_minor) FILTER (WHERE churned_at IS NULL
                                 OR epoch_us(churned_at) > epoch_us(closed_at) + {QUALITY_US}) AS quality,
       SUM(least(current_minor, first_minor)) / SUM(first_minor) AS grr,
       SUM(current_minor) / SUM(first_minor) AS nrr, SUM(lifetime) / COUNT(*) AS ltv,
       ANY_VALUE(n.responders), ANY_VALUE(100.0 * (n.promoters - n.detractors) / n.responders) AS nps
FROM d LEFT JOIN n USING (rep) GROUP BY rep ORDER BY rep
"""


def duckdb_hand(data: tuple[Any, Any]) -> list[tuple[str, int, int, int]]:
    import duckdb

    con = duckdb.connect()
    for name, source in zip(("deals", "terms"), data, strict=True):
        if isinstance(source, str):
            con.read_parquet(source).create_view(name)
        else:
            con.register(name, source)
    return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in con.execute(DUCK_SQL).fetchall()]


def pandas_hand(data: tuple[Any, Any]) -> list[tuple[str, int, int, int]]:
    import pandas as pd

    deals, terms = data
    ordered = terms.sort_values(["opportunity_id", "seq"])
    per = ordered.groupby("opportunity_id", sort=False)["amount_minor"].agg(["sum", "first", "last"])
    d = deals.join(per, on="opportunity_id")
    alive = d["churned_at"].isna()
    d["current"] = d["last"].where(alive, 0)
    d["kept"] = d[["current", "first"]].min(axis=1)
    d["quality"] = d["amount_minor"].where(alive | (d["churned_at"] > d["closed_at"] + pd.Timedelta(days=90)), 0)
    d["retained"] = alive.astype("int64")
    g = d.groupby("rep").agg(
        deals=("opportunity_id", "size"), retained=("retained", "sum"), bookings=("amount_minor", "sum"),
        quality=("quality", "sum"), start=("first", "sum"), current=("current", "sum"), kept=("kept", "sum"),
        lifetime=("sum", "sum"),
    )  # fmt: skip
    g["grr"], g["nrr"], g["ltv"] = g["kept"] / g["start"], g["current"] / g["start"], g["lifetime"] / g["deals"]
    scores = d.dropna(subset=["nps"]).drop_duplicates(["rep", "customer_id"], keep="last")
    nps = scores.groupby("rep")["nps"].agg(lambda s: 100 * ((s >= 9).sum() - (s <= 6).sum()) / len(s))
    g = g.join(nps)
    return [(str(rep), int(r.deals), int(r.retained), int(r.bookings)) for rep, r in g.sort_index().iterrows()]


def polars_hand(data: tuple[Any, Any]) -> list[tuple[str, int, int, int]]:
    import polars as pl

    deals, terms = data
    per = (
        terms.sort("opportunity_id", "seq")
        .group_by("opportunity_id")
        .agg(pl.col("amount_minor").sum().alias("lifetime"), pl.col("amount_minor").first().alias("first"),
             pl.col("amount_minor").last().alias("last"))
    )  # fmt: skip
    alive = pl.col("churned_at").is_null()
    d = deals.join(per, on="opportunity_id").with_columns(
        pl.when(alive).then(pl.col("last")).otherwise(0).alias("current"),
    )
    g = d.group_by("rep").agg(
        pl.len().alias("deals"), alive.sum().alias("retained"), pl.col("amount_minor").sum().alias("bookings"),
        pl.col("amount_minor").filter(alive | (pl.col("churned_at") > pl.col("closed_at") + pl.duration(days=90)))
        .sum().alias("quality"),
        (pl.min_horizontal("current", "first").sum() / pl.col("first").sum()).alias("grr"),
        (pl.col("current").sum() / pl.col("first").sum()).alias("nrr"), pl.col("lifetime").mean().alias("ltv"),
    )  # fmt: skip
    nps = (
        d.filter(pl.col("nps").is_not_null())
        .unique(["rep", "customer_id"], keep="last", maintain_order=True)
        .group_by("rep")
        .agg((100 * ((pl.col("nps") >= 9).sum() - (pl.col("nps") <= 6).sum()) / pl.len()).alias("nps"))
    )
    out = g.join(nps, on="rep", how="left").sort("rep")
    return [(r["rep"], r["deals"], r["retained"], r["bookings"]) for r in out.iter_rows(named=True)]


def _files(folder: str) -> tuple[str, str]:
    return os.path.join(folder, "deals.parquet"), os.path.join(folder, "terms.parquet")


def _load(kind: str, folder: str) -> Any:
    if kind == "records":
        return outcomes(folder)
    if kind == "polars":
        import polars as pl

        return tuple(pl.read_parquet(f) for f in _files(folder))
    if kind == "pandas":
        import pandas as pd

        deals, terms = (pd.read_parquet(f) for f in _files(folder))
        return deals.astype({"nps": "Int64"}), terms  # NPS scores are integers, missing ones too
    if kind == "arrow":
        import pyarrow.parquet as pq

        return tuple(pq.read_table(f) for f in _files(folder))
    return _files(folder) if kind == "files" else kind


Answer = list[tuple[str, int, int, int]]
CONTENDERS: dict[str, tuple[str, Callable[[Any], Answer]]] = {
    "bizrel engine, pandas input": ("pandas", bizrel_engine),
    "bizrel engine, Arrow input": ("arrow", bizrel_engine),
    "bizrel engine, Parquet files": ("files", bizrel_engine),
    "hand-written DuckDB SQL, Arrow input": ("arrow", duckdb_hand),
    "hand-written DuckDB SQL, Parquet files": ("files", duckdb_hand),
    "hand-written pandas": ("pandas", pandas_hand),
    "hand-written polars": ("polars", polars_hand),
    "bizrel pure-Python reference (DealOutcomes)": ("records", bizrel_reference),
}
STORE: dict[str, Callable[[str], Answer]] = {
    "bizrel push-down": bizrel_pushdown,
    "deal_outcomes() through the repositories + reference": bizrel_pull,
}


def _run(name: str, source: str) -> tuple[float, Answer]:
    # imports are not the analytic: every contender starts with them done
    import duckdb  # noqa: F401

    import bizrel.analytics
    import bizrel.bridge  # noqa: F401

    if name in STORE:
        fn: Callable[[Any], Answer] = STORE[name]
        data: Any = source
    else:
        kind, fn = CONTENDERS[name]
        data = _load(kind, source)
    elapsed = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        out = fn(data)
        elapsed = min(elapsed, time.perf_counter() - started)
    return elapsed, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--terms", type=int, default=300_000)
    parser.add_argument("--store-deals", type=int, default=20_000)
    parser.add_argument("--pg", default=os.environ.get("BIZREL_TEST_PG_DSN"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        in_process(make_parquet, tmp, args.deals, args.terms)
        print(f"\n{args.deals:,} deals, {args.terms:,} terms, by rep ({REPS} reps) with acquisition costs")
        board = Comparison(54)
        for name in CONTENDERS:
            board.run(name, _run, name, tmp)
        print(f"\n  every contender reports the same (group, deals, retained, bookings): {board.agree()}")
        pull = "deal_outcomes() through the repositories + reference"
        for database, url in stores(tmp, args.pg):
            started = time.perf_counter()
            in_process(fill_store, tmp, url, args.store_deals)
            stored = min(args.store_deals, args.deals)
            took = time.perf_counter() - started
            print(f"\n{database} store with {stored:,} handed-over deals (filled in {took:.1f} s, not timed)")
            for name in STORE:
                board.run(name, _run, name, url)
            print(f"\n  push-down and deal_outcomes() + reference agree: {board.agree(list(STORE))}")
            board.ratio(pull, "bizrel push-down")
        print()
        board.ratio("bizrel engine, Arrow input", "hand-written DuckDB SQL, Arrow input")
        board.ratio("bizrel engine, Parquet files", "hand-written DuckDB SQL, Parquet files")
        board.ratio("bizrel engine, pandas input", "hand-written pandas")
        board.ratio("bizrel engine, Arrow input", "hand-written polars")
        board.ratio("bizrel pure-Python reference (DealOutcomes)", "bizrel engine, Arrow input")


if __name__ == "__main__":
    sys.exit(main())
