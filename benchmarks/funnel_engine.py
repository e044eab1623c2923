"""The funnel at scale through the columnar engine and push-down into SQLite and PostgreSQL, side by
side with hand-written polars and DuckDB SQL and the pure-Python reference (each measurement in its
own process, so the peak resident memory printed is that run's own).

    PYTHONPATH=src python benchmarks/funnel_engine.py [--opportunities 200000] [--events 1000000]
                                                      [--store-opportunities 200000] [--pg DSN]

PostgreSQL runs in a throwaway database on the server named by BIZREL_TEST_PG_DSN (or --pg).

All-time funnel of one pipeline with 8 stages: reached per stage, won/lost by count and amount,
cycle average and median, time in stage average and median, lost reasons. bizrel's paths return the
exact typed FunnelReport (cohorts, velocity and exact medians included); the hand-written anchors
compute the same figures with native float averages and medians. Every contender must report the
same `reached` counts. Inputs are read from Parquet (or the store is filled) and each contender's
libraries imported before timing starts (the one-time import is printed beside the time); times
are the analytic alone.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from harness import Comparison, in_process, stores  # beside this script

STAGES = 8
T0 = datetime(2025, 1, 1, tzinfo=UTC)
REASONS = ["price", "timing", "competitor", "no decision", "budget"]
DAY_US = 86_400_000_000


def pipeline() -> Any:
    from bizrel.core.ids import tenant
    from bizrel.sales import Pipeline, Stage

    stages = tuple(Stage(f"S{k}", Decimal(k + 1) / (STAGES + 1)) for k in range(STAGES))
    return Pipeline(tenant_id=tenant("bench"), id="p", name="Bench", stages=stages)


def make_parquet(folder: str, opportunities: int, events: int) -> None:
    """Opportunities with 1 + a share of the remaining events each; a mostly-forward random walk
    through the stages (some moves back), hours to weeks apart."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    n = opportunities
    counts = 1 + np.bincount(rng.integers(0, n, events - n), minlength=n)
    owner = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    seq = np.arange(events) - starts[owner]
    created = int(T0.timestamp() * 1e6) + rng.integers(0, 365 * DAY_US, n)
    step = rng.choice([1, 1, 1, 2, -1], events)
    step[starts] = 0
    walk = np.cumsum(step)
    stage = np.clip(walk - (walk[starts])[owner], 0, STAGES - 1)
    gap = rng.integers(3_600_000_000, 30 * DAY_US, events)
    gap[starts] = 0
    elapsed = np.cumsum(gap)
    entered = created[owner] + elapsed - elapsed[starts][owner]
    last = entered[starts + counts - 1]
    draw = rng.random(n)
    status = np.where(draw < 0.3, "open", np.where(draw < 0.55, "won", "lost"))
    closed = np.where(status == "open", 0, last + rng.integers(3_600_000_000, 20 * DAY_US, n))
    reasons = np.array(REASONS, dtype=object)[rng.integers(0, len(REASONS), n)]
    ts = pa.timestamp("us", tz="UTC")
    ids = np.char.add("o", np.arange(n).astype(str)).astype(object)
    opp = pa.table(
        {
            "id": pa.array(ids),
            "pipeline_id": pa.array(["p"] * n),
            "status": pa.array(status.astype(object)),
            "amount_minor": pa.array(rng.integers(1_000, 5_000_000, n), pa.int64()),
            "currency": pa.array(["USD"] * n),
            "created_at": pa.array(created, ts),
            "closed_at": pa.array(closed, ts, mask=status == "open"),
            "lost_reason": pa.array(reasons, mask=status != "lost"),
        }
    )
    names = np.array([f"S{k}" for k in range(STAGES)], dtype=object)
    changes = pa.table(
        {
            "opportunity_id": pa.array(ids[owner]),
            "seq": pa.array(seq, pa.int64()),
            "stage": pa.array(names[stage]),
            "entered_at": pa.array(entered, ts),
        }
    )
    pq.write_table(opp, os.path.join(folder, "opportunities.parquet"))
    pq.write_table(changes, os.path.join(folder, "stage_changes.parquet"))


def records(folder: str) -> list[dict[str, Any]]:
    """The Parquet files as the reference's plain records (history as (stage, time) pairs)."""
    import pyarrow.parquet as pq

    from bizrel.core import Money

    history: dict[str, list[tuple[str, datetime]]] = {}
    changes = pq.read_table(os.path.join(folder, "stage_changes.parquet")).to_pydict()
    for oid, stage, at in zip(changes["opportunity_id"], changes["stage"], changes["entered_at"], strict=True):
        history.setdefault(oid, []).append((stage, at))
    opp = pq.read_table(os.path.join(folder, "opportunities.parquet")).to_pylist()
    return [
        {
            **{k: r[k] for k in ("id", "pipeline_id", "status", "created_at", "closed_at", "lost_reason")},
            "amount": Money.from_minor(r["amount_minor"], r["currency"]),
            "history": history[r["id"]],
        }
        for r in opp
    ]


def fill_store(folder: str, url: str, limit: int) -> None:
    from bizrel.adapters import open_store
    from bizrel.core import FixedClock
    from bizrel.sales import Opportunity, OpportunityStatus, StageChange

    store = open_store(url, clock=FixedClock(T0))
    rows = records(folder)[:limit]
    for chunk in range(0, len(rows), 20_000):
        with store.unit_of_work("bench") as uow:
            uow.opportunities.add_many(
                [
                    Opportunity(
                        tenant_id=uow.tenant_id,
                        id=r["id"],
                        pipeline_id="p",
                        owner_id="u1",
                        account_name="Acme",
                        amount=r["amount"],
                        expected_close=date(2026, 6, 30),
                        created_at=r["created_at"],
                        stage=r["history"][-1][0],
                        history=[StageChange(s, t) for s, t in r["history"]],
                        status=OpportunityStatus(r["status"]),
                        closed_at=r["closed_at"],
                        lost_reason=r["lost_reason"],
                    )
                    for r in rows[chunk : chunk + 20_000]
                ]
            )
            uow.commit()
    store.close()


# -- the contenders: each takes its loaded input and returns the reached counts per stage --


def reached(report: Any) -> list[int]:
    return [s.reached for s in report.stages]


def bizrel_engine(data: tuple[Any, Any]) -> list[int]:
    from bizrel.analytics import funnel_report

    return reached(funnel_report(pipeline(), *data))


def bizrel_reference(data: list[dict[str, Any]]) -> list[int]:
    from bizrel.sales import funnel

    return reached(funnel(pipeline(), data))


def bizrel_pushdown(url: str) -> list[int]:
    from bizrel.adapters import open_store
    from bizrel.analytics import funnel_report

    with open_store(url) as store:
        return reached(funnel_report(pipeline(), store, tenant_id="bench"))


def bizrel_pull(url: str) -> list[int]:
    """Load every opportunity of the pipeline through the repository, then the reference."""
    from bizrel.adapters import open_store
    from bizrel.sales import funnel

    with open_store(url) as store, store.unit_of_work("bench") as uow:
        return reached(funnel(pipeline(), uow.opportunities.list(pipeline_id="p")))


def polars_hand(data: tuple[Any, Any]) -> list[int]:
    import polars as pl

    opp, sc = data
    index = {f"S{k}": k for k in range(STAGES)}
    e = (
        sc.with_columns(pl.col("stage").replace_strict(index, return_dtype=pl.Int64).alias("k"))
        .sort("opportunity_id", "entered_at", "seq")
        .with_columns(pl.col("entered_at").shift(-1).over("opportunity_id").alias("next_at"))
    )
    per = e.group_by("opportunity_id").agg(
        pl.col("k").max().alias("hist_max"), pl.col("k").last().alias("last_k"), pl.col("entered_at").last()
    )
    deals = opp.join(per, left_on="id", right_on="opportunity_id").with_columns(
        pl.when((pl.col("status") == "won") & pl.col("closed_at").is_not_null())
        .then(STAGES)
        .otherwise(pl.col("hist_max"))
        .alias("furthest")
    )
    counts = deals.group_by("furthest").len()
    reach = [int(counts.filter(pl.col("furthest") >= k)["len"].sum()) for k in range(STAGES + 1)]
    stays = pl.concat(
        [
            e.filter(pl.col("next_at").is_not_null()).select(
                "k", (pl.col("next_at") - pl.col("entered_at")).dt.total_microseconds().alias("us")
            ),
            deals.filter(pl.col("closed_at").is_not_null()).select(
                pl.col("last_k").alias("k"),
                (pl.col("closed_at") - pl.col("entered_at")).dt.total_microseconds().alias("us"),
            ),
        ]
    )
    by_stage = stays.group_by("k").agg(pl.col("us").mean().alias("mean"), pl.col("us").median().alias("median"))
    closed = deals.filter(pl.col("closed_at").is_not_null())
    cycle = closed.filter(pl.col("status") == "won").select(
        pl.len(),
        pl.col("amount_minor").sum(),
        (pl.col("closed_at") - pl.col("created_at")).dt.total_microseconds().mean().alias("mean"),
        (pl.col("closed_at") - pl.col("created_at")).dt.total_microseconds().median().alias("median"),
    )
    reasons = closed.filter(pl.col("status") == "lost").group_by("lost_reason").len().sort("len", descending=True)
    assert by_stage.height and cycle.height and reasons.height
    return reach


DUCK_SQL = f"""
WITH e AS (
  SELECT opportunity_id AS id, CAST(substr(stage, 2) AS INTEGER) AS k, entered_at,
         LEAD(entered_at) OVER (PARTITION BY opportunity_id ORDER BY entered_at, seq) AS next_at,
         ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY entered_at DESC, seq DESC) AS from_end
  FROM sc),
d AS (
  SELECT o.*, g.hist_max, g.last_k, g.last_at,
         CASE WHEN o.status = 'won' AND o.closed_at IS NOT NULL THEN {STAGES} ELSE g.hist_max END AS furthest
  FROM opp o JOIN (
    SELECT id, MAX(k) AS hist_max, MAX(k) FILTER (WHERE from_end = 1) AS last_k,
           MAX(entered_at) FILTER (WHERE from_end = 1) AS last_at
    FROM e GROUP BY id) g ON g.id = o.id),
stays AS (
  SELECT k, epoch_us(next_at) - epoch_us(entered_at) AS us FROM e WHERE next_at IS NOT NULL
  UNION ALL SELECT last_k, epoch_us(closed_at) - epoch_us(last_at) FROM d WHERE closed_at IS NOT NULL),
f AS (SELECT furthest, COUNT(*) AS c FROM d GROUP BY furthest)
SELECT 'reached', s.k, SUM(f.c), NULL FROM range(0, {STAGES + 1}) s(k) JOIN f ON f.furthest >= s.k GROUP BY s.k
UNION ALL SELECT 'stay', k, AVG(us), MEDIAN(us) FROM stays GROUP BY k
UNION ALL SELECT 'cycle', NULL, AVG(epoch_us(closed_at) - epoch_us(created_at)),
                 MEDIAN(epoch_us(closed_at) - epoch_us(created_at))
          FROM d WHERE status = 'won' AND closed_at IS NOT NULL
UNION ALL SELECT 'status', NULL, COUNT(*), SUM(amount_minor) FROM d GROUP BY status
UNION ALL SELECT lost_reason, NULL, COUNT(*), NULL FROM d WHERE status = 'lost'
GROUP BY lost_reason
"""


def duckdb_hand(data: tuple[Any, Any]) -> list[int]:
    import duckdb

    con = duckdb.connect()
    for name, source in zip(("opp", "sc"), data, strict=True):
        if isinstance(source, str):
            con.read_parquet(source).create_view(name)
        else:
            con.register(name, source)
    rows = con.execute(DUCK_SQL).fetchall()
    return [int(r[2]) for r in sorted((r for r in rows if r[0] == "reached"), key=lambda r: r[1])]


def duckdb_parquet(folder: str) -> list[int]:
    return duckdb_hand(tuple(os.path.join(folder, f) for f in ("opportunities.parquet", "stage_changes.parquet")))


def bizrel_parquet(folder: str) -> list[int]:
    return bizrel_engine(tuple(os.path.join(folder, f) for f in ("opportunities.parquet", "stage_changes.parquet")))


def _load(kind: str, folder: str) -> Any:
    files = [os.path.join(folder, f) for f in ("opportunities.parquet", "stage_changes.parquet")]
    if kind == "records":
        return records(folder)
    if kind == "polars":
        import polars as pl

        return tuple(pl.read_parquet(f) for f in files)
    if kind == "pandas":
        import pandas as pd

        return tuple(pd.read_parquet(f) for f in files)
    if kind == "arrow":
        import pyarrow.parquet as pq

        return tuple(pq.read_table(f) for f in files)
    return folder if kind == "folder" else kind


BIZREL = ("bizrel.analytics", "duckdb", "pyarrow")
CONTENDERS: dict[str, tuple[str, Callable[[Any], list[int]], tuple[str, ...]]] = {
    "bizrel engine, pandas input": ("pandas", bizrel_engine, BIZREL),
    "bizrel engine, Arrow input": ("arrow", bizrel_engine, BIZREL),
    "bizrel engine, Parquet files": ("folder", bizrel_parquet, BIZREL),
    "hand-written DuckDB SQL, Arrow input": ("arrow", duckdb_hand, ("duckdb",)),
    "hand-written DuckDB SQL, Parquet files": ("folder", duckdb_parquet, ("duckdb",)),
    "hand-written polars": ("polars", polars_hand, ("polars",)),
    "bizrel pure-Python reference (records)": ("records", bizrel_reference, ("bizrel.sales",)),
}
STORE: dict[str, Callable[[str], list[int]]] = {
    "bizrel push-down": bizrel_pushdown,
    "pull rows from the store + pure-Python reference": bizrel_pull,
}


def _run(name: str, source: str) -> tuple[float, list[int], str]:
    if name in STORE:
        fn: Callable[[Any], list[int]] = STORE[name]
        data: Any = source
        modules: tuple[str, ...] = ("bizrel.adapters", "bizrel.analytics")
    else:
        kind, fn, modules = CONTENDERS[name]
        data = _load(kind, source)
    started = time.perf_counter()
    for module in modules:
        importlib.import_module(module)
    imported = time.perf_counter() - started
    started = time.perf_counter()
    out = fn(data)
    return time.perf_counter() - started, out, f"(imports {imported:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store-opportunities", type=int, default=200_000)
    parser.add_argument("--pg", default=os.environ.get("BIZREL_TEST_PG_DSN"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        in_process(make_parquet, tmp, args.opportunities, args.events)
        print(f"\n{args.opportunities:,} opportunities, {args.events:,} stage changes, {STAGES} stages")
        board = Comparison(50)
        for name in CONTENDERS:
            board.run(name, _run, name, tmp)
        reached = next(iter(board.answers.values()), None)
        print(f"\n  every contender reports the same reached counts: {board.agree()}  {reached}")
        fastest = board.fastest("hand-written DuckDB SQL, Arrow input", "hand-written polars")
        board.ratio("bizrel engine, Arrow input", fastest)
        board.ratio("bizrel engine, pandas input", fastest)
        board.ratio("bizrel engine, Parquet files", "hand-written DuckDB SQL, Parquet files")
        board.ratio("bizrel pure-Python reference (records)", "bizrel engine, Arrow input")
        for database, url in stores(tmp, args.pg):
            started = time.perf_counter()
            in_process(fill_store, tmp, url, args.store_opportunities)
            filled = time.perf_counter() - started
            stored = min(args.store_opportunities, args.opportunities)
            print(f"\n{database} store with {stored:,} opportunities (filled in {filled:.1f} s, not timed below)")
            for name in STORE:
                board.run(name, _run, name, url)
            print(f"  push-down and pulled rows + reference agree: {board.agree(list(STORE))}")
            board.ratio("pull rows from the store + pure-Python reference", "bizrel push-down")


if __name__ == "__main__":
    sys.exit(main())
