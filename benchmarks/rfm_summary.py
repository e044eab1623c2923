"""RFM summary and scores for 1,000,000 purchases of 100,000 customers: pure Python vs pandas and polars.

All three compute the same thing (classic convention): per customer the days since the last
purchase, the number of purchases and the total spent; 1-5 scores by the rule
1 + floor(5 * (customers with a strictly worse value) / n) (rank "min" in pandas and polars); and
the named segment from the R x FM grid. The results are checked to be identical.

The pure-Python path starts from a list of records (NamedTuples holding an aware datetime and a
Money), which is what an application hands it. pandas and polars start from a ready columnar frame
(amounts as integer cents, timestamps as datetime64 UTC); building that frame is timed separately.

    python benchmarks/rfm_summary.py [TRANSACTIONS] [CUSTOMERS]
"""

from __future__ import annotations

import gc
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import polars as pl

from bizrel.core import Money
from bizrel.customer import SEGMENT_RULES, RfmSummary, rfm_summary

AS_OF = datetime(2026, 7, 1, tzinfo=UTC)
START = AS_OF - timedelta(days=730)


class Purchase(NamedTuple):
    customer_id: str
    occurred_at: datetime
    amount: Money


def build(n: int, customers: int) -> list[Purchase]:
    rng = random.Random(42)
    ids = [f"c{i:06d}" for i in range(customers)]
    prices: dict[int, Money] = {}  # a catalogue of prices: equal amounts share one Money, as in real data
    out = []
    for _ in range(n):
        minor = rng.randrange(100, 50_000)
        amount = prices.get(minor)
        if amount is None:
            amount = prices[minor] = Money.from_minor(minor, "USD")
        out.append(Purchase(rng.choice(ids), START + timedelta(seconds=rng.randrange(730 * 86_400)), amount))
    return out


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int = 3) -> dict[str, tuple[float, Any]]:
    """Best time of each contender over `rounds`, running them in turn so all see the same machine load."""
    best: dict[str, tuple[float, Any]] = {}
    for _ in range(rounds):
        for label, fn in contenders.items():
            gc.collect()
            t0 = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - t0
            if label not in best or elapsed < best[label][0]:
                best[label] = (elapsed, result)
    for label, (elapsed, _) in best.items():
        print(f"  {label:<44} {elapsed:8.3f} s")
    return best


def _grid() -> np.ndarray:
    """grid[r, fm] -> segment code (index into SEGMENT_RULES), the same table the library uses."""
    grid = np.zeros((6, 6), dtype=np.int8)
    for r in range(1, 6):
        for fm in range(1, 6):
            grid[r, fm] = next(
                i for i, (_, (rl, rh), (fl, fh)) in enumerate(SEGMENT_RULES) if rl <= r <= rh and fl <= fm <= fh
            )
    return grid


GRID = _grid()
NAMES = np.array([name for name, _, _ in SEGMENT_RULES], dtype=object)


def with_pandas(frame: pd.DataFrame) -> pd.DataFrame:
    g = frame.groupby("customer_id", sort=True).agg(
        last=("occurred_at", "max"), frequency=("amount", "size"), monetary=("amount", "sum")
    )
    g["recency"] = (pd.Timestamp(AS_OF.date(), tz="UTC") - g["last"].dt.floor("D")).dt.days
    n = len(g)
    g["r_score"] = 1 + 5 * (g["recency"].rank(method="min", ascending=False).astype(np.int64) - 1) // n
    g["f_score"] = 1 + 5 * (g["frequency"].rank(method="min").astype(np.int64) - 1) // n
    g["m_score"] = 1 + 5 * (g["monetary"].rank(method="min").astype(np.int64) - 1) // n
    fm = (g["f_score"] + g["m_score"] + 1) // 2
    g["segment"] = NAMES[GRID[g["r_score"].to_numpy(), fm.to_numpy()]]
    return g


def with_polars(frame: pl.DataFrame) -> pl.DataFrame:
    n_expr = pl.len()
    g = (
        frame.group_by("customer_id")
        .agg(
            pl.col("occurred_at").max().alias("last"),
            pl.len().alias("frequency"),
            pl.col("amount").sum().alias("monetary"),
        )
        .with_columns(
            (pl.lit(AS_OF.date()) - pl.col("last").dt.date()).dt.total_days().alias("recency"),
        )
        .with_columns(
            (1 + 5 * (pl.col("recency").rank("min", descending=True).cast(pl.Int64) - 1) // n_expr).alias("r_score"),
            (1 + 5 * (pl.col("frequency").rank("min").cast(pl.Int64) - 1) // n_expr).alias("f_score"),
            (1 + 5 * (pl.col("monetary").rank("min").cast(pl.Int64) - 1) // n_expr).alias("m_score"),
        )
        .sort("customer_id")
    )
    codes = GRID[g["r_score"].to_numpy(), ((g["f_score"] + g["m_score"] + 1) // 2).to_numpy()]
    return g.with_columns(pl.Series("segment", NAMES[codes].tolist()))


def check(summary: RfmSummary, pandas_result: pd.DataFrame, polars_result: pl.DataFrame) -> None:
    ours = pd.DataFrame(
        {
            "recency": [r.recency for r in summary],
            "frequency": [r.frequency for r in summary],
            "monetary": [r.monetary.to_minor() for r in summary],
            "r_score": [r.r_score for r in summary],
            "f_score": [r.f_score for r in summary],
            "m_score": [r.m_score for r in summary],
            "segment": [r.segment for r in summary],
        },
        index=[r.customer_id for r in summary],
    )
    for col in ours.columns:
        assert (ours[col].to_numpy() == pandas_result[col].to_numpy()).all(), f"pandas differs in {col}"
        assert (ours[col].to_numpy() == polars_result[col].to_numpy()).all(), f"polars differs in {col}"
    assert list(ours.index) == list(pandas_result.index) == polars_result["customer_id"].to_list()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    customers = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    print(f"RFM summary + scores + segments: {n:,} purchases, {customers:,} customers (best of 3, interleaved)")
    t0 = time.perf_counter()
    purchases = build(n, customers)
    print(f"  building the records took {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    frame = pd.DataFrame(
        {
            "customer_id": [p.customer_id for p in purchases],
            "occurred_at": pd.to_datetime([p.occurred_at for p in purchases], utc=True),
            "amount": np.fromiter((p.amount.to_minor() for p in purchases), dtype=np.int64, count=n),
        }
    )
    frame_time = time.perf_counter() - t0
    polars_frame = pl.from_pandas(frame)
    print(f"  {'(building the pandas frame from the records)':<44} {frame_time:8.3f} s")
    best = interleaved(
        {
            "bizrel pure Python (classic)": lambda: rfm_summary(purchases, as_of=AS_OF),
            "bizrel pure Python (lifetimes, freq=D)": lambda: rfm_summary(
                purchases, as_of=AS_OF, convention="lifetimes"
            ),
            "pandas groupby + rank": lambda: with_pandas(frame),
            "polars group_by + rank": lambda: with_polars(polars_frame),
        }
    )
    (py_time, summary), (lt_time, _) = (
        best["bizrel pure Python (classic)"],
        best["bizrel pure Python (lifetimes, freq=D)"],
    )
    (pd_time, pd_result), (pl_time, pl_result) = best["pandas groupby + rank"], best["polars group_by + rank"]
    check(summary, pd_result, pl_result)
    print("  results identical across the three: yes")

    del pd_result, pl_result, best
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = rfm_summary(purchases, as_of=AS_OF)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    del kept
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print()
    print(f"  pure Python / pandas:  {py_time / pd_time:6.1f}x   (target: within 15x)")
    print(f"  pure Python / polars:  {py_time / pl_time:6.1f}x")
    print(f"  pure Python / (pandas incl. building its frame): {py_time / (pd_time + frame_time):6.1f}x")
    print(f"  lifetimes / classic (pure Python): {lt_time / py_time:6.1f}x")
    print(f"  peak memory allocated by rfm_summary (tracemalloc): {peak / 2**20:8.1f} MiB   (target: under 1 GiB)")
    print(f"  peak RSS of the whole process (records, frames, results): {rss:8.1f} MiB")


if __name__ == "__main__":
    main()
