"""The weighted forecast at scale through the columnar engine and SQLite push-down, side by side
with a hand-written DuckDB query and pandas computing the same totals, and the pure-Python reference
(each measurement in its own process, so the peak resident memory printed is that run's own).

    PYTHONPATH=src python benchmarks/forecast_engine.py [--opportunities 200000]
                                                        [--store-opportunities 200000]

Deals in 3 pipelines of 6 stages, 4 currencies converted to USD, 60 owners, about half open, a
quarter won, 10% with a category override; quarterly forecast. bizrel's paths return the exact
typed Forecast (one line per open deal, won lines), timed alone; its per-(owner, quarter) totals()
(pure Python over the lines, the same for every path) are timed apart. The anchors compute the
same totals (DuckDB with DECIMAL rounding half-even, pandas with float64 and numpy's
half-even rounding). Every contender must report the same number of (owner, quarter) groups and the
same weighted total. Inputs are read from Parquet (or the store is filled) before timing starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from harness import Comparison  # beside this script

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RATES = {"EUR": Decimal("1.0825"), "GBP": Decimal("1.2674"), "JPY": Decimal("0.0067")}
MINOR = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0}
PROBABILITIES = ["0.05", "0.1", "0.25", "0.4", "0.6", "0.85"]


def pipelines() -> list[Any]:
    from bizrel.core.ids import tenant
    from bizrel.sales import Pipeline, Stage

    return [
        Pipeline(
            tenant_id=tenant("bench"),
            id=f"p{k}",
            name=f"Pipeline {k}",
            stages=tuple(Stage(f"S{i}", p) for i, p in enumerate(PROBABILITIES)),
        )
        for k in range(3)
    ]


def rates() -> Any:
    from bizrel.sales import RateTable

    return RateTable("USD", RATES)


def make_parquet(folder: str, n: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    draw = rng.random(n)
    status = np.where(draw < 0.5, "open", np.where(draw < 0.75, "won", "lost"))
    currency = np.array(list(MINOR), dtype=object)[rng.integers(0, 4, n)]
    amount = rng.integers(10_000, 50_000_000, n)
    close = np.datetime64("2026-01-01") + rng.integers(-120, 600, n)
    closed_us = int(T0.timestamp() * 1e6) + rng.integers(-300, 10, n) * 86_400_000_000
    override = np.array([None, "commit", "best_case", "omitted"], dtype=object)[
        np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0)
    ]
    table = pa.table(
        {
            "id": pa.array(np.char.add("o", np.arange(n).astype(str)).astype(object)),
            "owner_id": pa.array(np.char.add("rep", rng.integers(0, 60, n).astype(str)).astype(object)),
            "pipeline_id": pa.array(np.char.add("p", rng.integers(0, 3, n).astype(str)).astype(object)),
            "stage": pa.array(np.char.add("S", rng.integers(0, 6, n).astype(str)).astype(object)),
            "status": pa.array(status.astype(object)),
            "amount_minor": pa.array(amount, pa.int64()),
            "currency": pa.array(currency),
            "expected_close": pa.array(close, pa.date32()),
            "closed_at": pa.array(closed_us, pa.timestamp("us", tz="UTC"), mask=status == "open"),
            "forecast_override": pa.array(override, pa.string()),
        }
    )
    pq.write_table(table, os.path.join(folder, "opportunities.parquet"))


def opportunities(folder: str) -> list[Any]:
    """The Parquet file as the reference's Opportunity objects."""
    import pyarrow.parquet as pq

    from bizrel.core import Money
    from bizrel.core.ids import tenant
    from bizrel.sales import ForecastCategory, Opportunity, OpportunityStatus

    return [
        Opportunity(
            tenant_id=tenant("bench"),
            id=r["id"],
            pipeline_id=r["pipeline_id"],
            owner_id=r["owner_id"],
            account_name="Acme",
            amount=Money.from_minor(r["amount_minor"], r["currency"]),
            expected_close=r["expected_close"],
            created_at=T0 - timedelta(days=400),
            stage=r["stage"],
            history=[],
            status=OpportunityStatus(r["status"]),
            closed_at=r["closed_at"],
            forecast_override=ForecastCategory(r["forecast_override"]) if r["forecast_override"] else None,
        )
        for r in pq.read_table(os.path.join(folder, "opportunities.parquet")).to_pylist()
    ]


def fill_store(folder: str, url: str, limit: int) -> float:
    from bizrel.adapters import open_store
    from bizrel.core import FixedClock

    started = time.perf_counter()
    store = open_store(url, clock=FixedClock(T0))
    rows = opportunities(folder)[:limit]
    for chunk in range(0, len(rows), 20_000):
        with store.unit_of_work("bench") as uow:
            uow.opportunities.add_many(rows[chunk : chunk + 20_000])
            uow.commit()
    store.close()
    return time.perf_counter() - started


# -- the contenders: each takes its loaded input; bizrel's return the Forecast (timed alone), the
# anchors their (groups, weighted total in cents) --


def summary(forecast: Any) -> tuple[int, int]:
    totals = forecast.totals()
    return len(totals), sum(t.weighted.to_minor() for t in totals.values())


def bizrel_engine(data: Any) -> Any:
    from bizrel.analytics import build_forecast

    return build_forecast(data, pipelines(), rates=rates(), as_of=T0)


def bizrel_reference(data: list[Any]) -> Any:
    from bizrel.sales import build_forecast

    return build_forecast(data, pipelines(), rates=rates(), as_of=T0)


def bizrel_pushdown(url: str) -> Any:
    from bizrel.adapters import open_store
    from bizrel.analytics import build_forecast

    with open_store(url) as store:
        return build_forecast(store, pipelines(), rates=rates(), as_of=T0, tenant_id="bench")


def bizrel_pull(url: str) -> Any:
    """Load every opportunity through the repository, then the reference."""
    from bizrel.adapters import open_store
    from bizrel.sales import build_forecast

    with open_store(url) as store, store.unit_of_work("bench") as uow:
        return build_forecast(uow.opportunities.list(), pipelines(), rates=rates(), as_of=T0)


def _constants() -> tuple[str, str]:
    factor = {"USD": Decimal(1)} | {c: r.scaleb(2 - MINOR[c]) for c, r in RATES.items()}
    rate_rows = ", ".join(f"('{c}', CAST('{f}' AS DECIMAL(18, 6)))" for c, f in factor.items())
    stage_rows = ", ".join(
        f"('p{k}', 'S{i}', CAST('{p}' AS DECIMAL(18, 6)), '{s.category.value}')"
        for k in range(3)
        for i, (p, s) in enumerate(zip(PROBABILITIES, pipelines()[0].stages, strict=True))
    )
    return rate_rows, stage_rows


def duckdb_sql() -> str:
    rate_rows, stage_rows = _constants()
    return f"""
    WITH r(currency, factor) AS (VALUES {rate_rows}),
    s(pipeline_id, stage, p, category) AS (VALUES {stage_rows}),
    d AS (
      SELECT o.owner_id, o.status, COALESCE(o.forecast_override, s.category) AS category,
             CASE WHEN o.status = 'won' THEN date_trunc('quarter', CAST(timezone('UTC', o.closed_at) AS DATE))
                  ELSE date_trunc('quarter', o.expected_close) END AS quarter,
             round_even(CAST(o.amount_minor AS DECIMAL(38, 0)) * r.factor, 0) AS amount, s.p
      FROM opp o JOIN r ON r.currency = o.currency
      LEFT JOIN s ON s.pipeline_id = o.pipeline_id AND s.stage = o.stage
      WHERE o.status = 'open' OR (o.status = 'won' AND o.closed_at IS NOT NULL))
    SELECT owner_id, quarter,
           SUM(CASE WHEN status = 'open' AND category = 'commit' THEN amount ELSE 0 END) AS commit_,
           SUM(CASE WHEN status = 'open' AND category = 'best_case' THEN amount ELSE 0 END) AS best_case,
           SUM(CASE WHEN status = 'open' AND category = 'pipeline' THEN amount ELSE 0 END) AS pipeline,
           SUM(CASE WHEN status = 'open' AND category <> 'omitted' THEN round_even(amount * p, 0) ELSE 0 END) AS w,
           SUM(CASE WHEN status = 'won' THEN amount ELSE 0 END) AS won
    FROM d GROUP BY owner_id, quarter
    """


def duckdb_hand(data: Any) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect()
    if isinstance(data, str):
        con.read_parquet(data).create_view("opp")
    else:
        con.register("opp", data)
    rows = con.execute(duckdb_sql()).fetchall()
    return len(rows), int(sum(r[5] for r in rows))


def pandas_hand(frame: Any) -> tuple[int, int]:
    import numpy as np
    import pandas as pd

    factor = {"USD": 1.0} | {c: float(r.scaleb(2 - MINOR[c])) for c, r in RATES.items()}
    stage = pd.DataFrame(
        [
            {"pipeline_id": f"p{k}", "stage": f"S{i}", "p": float(p), "category": s.category.value}
            for k in range(3)
            for i, (p, s) in enumerate(zip(PROBABILITIES, pipelines()[0].stages, strict=True))
        ]
    )
    d = frame[(frame.status == "open") | ((frame.status == "won") & frame.closed_at.notna())]
    d = d.merge(stage, on=["pipeline_id", "stage"], how="left")
    amount = np.round(d.amount_minor.to_numpy() * d.currency.map(factor).to_numpy())
    category = d.forecast_override.fillna(d.category)
    day = pd.to_datetime(d.expected_close).where(d.status == "open", d.closed_at.dt.tz_convert(None).dt.normalize())
    is_open = d.status == "open"
    out = pd.DataFrame(
        {
            "owner_id": d.owner_id,
            "quarter": day.dt.to_period("Q"),
            "commit": np.where(is_open & (category == "commit"), amount, 0),
            "best_case": np.where(is_open & (category == "best_case"), amount, 0),
            "pipeline": np.where(is_open & (category == "pipeline"), amount, 0),
            "weighted": np.where(is_open & (category != "omitted"), np.round(amount * d.p.to_numpy()), 0),
            "won": np.where(d.status == "won", amount, 0),
        }
    )
    totals = out.groupby(["owner_id", "quarter"]).sum()
    return len(totals), int(totals.weighted.sum())


def _load(kind: str, folder: str) -> Any:
    path = os.path.join(folder, "opportunities.parquet")
    if kind == "objects":
        return opportunities(folder)
    if kind == "polars":
        import polars as pl

        return pl.read_parquet(path)
    if kind == "pandas":
        import pandas as pd

        return pd.read_parquet(path)
    if kind == "arrow":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    return path


CONTENDERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "bizrel engine, pandas input": ("pandas", bizrel_engine),
    "bizrel engine, polars input": ("polars", bizrel_engine),
    "bizrel engine, Arrow input": ("arrow", bizrel_engine),
    "bizrel engine, Parquet file": ("file", bizrel_engine),
    "hand-written DuckDB SQL, Arrow input": ("arrow", duckdb_hand),
    "hand-written DuckDB SQL, Parquet file": ("file", duckdb_hand),
    "hand-written pandas": ("pandas", pandas_hand),
    "bizrel pure-Python reference (objects)": ("objects", bizrel_reference),
}
STORE: dict[str, Callable[[str], Any]] = {
    "bizrel push-down into SQLite": bizrel_pushdown,
    "pull rows from SQLite + pure-Python reference": bizrel_pull,
}


def _run(name: str, source: str) -> tuple[float, Any, str]:
    import duckdb  # noqa: F401  (imports are not the analytic's time)
    import pandas  # noqa: F401

    import bizrel.analytics
    import bizrel.sales  # noqa: F401

    if name in STORE:
        fn: Callable[[Any], Any] = STORE[name]
        data: Any = source
    else:
        kind, fn = CONTENDERS[name]
        data = _load(kind, source)
    started = time.perf_counter()
    out = fn(data)
    elapsed = time.perf_counter() - started
    if isinstance(out, tuple):
        return elapsed, out, str(out)
    started = time.perf_counter()  # a Forecast: its totals are computed after timing
    answer = summary(out)
    return elapsed, answer, f"{answer}, totals() {time.perf_counter() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument("--store-opportunities", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_parquet(tmp, args.opportunities)
        print(f"\n{args.opportunities:,} opportunities (about half open), 4 currencies, quarterly forecast")
        board = Comparison(46)
        for name in CONTENDERS:
            board.run(name, _run, name, tmp)
        url = f"sqlite:///{os.path.join(tmp, 'store.db')}"
        filled = fill_store(tmp, url, args.store_opportunities)
        stored = min(args.store_opportunities, args.opportunities)
        print(f"\nSQLite store with {stored:,} opportunities (filled in {filled:.1f} s, not timed below)")
        for name in STORE:
            board.run(name, _run, name, url)
        exact = {str(a[:2]) for n, a in board.answers.items() if n != "hand-written pandas"}
        groups = {a[0] for a in board.answers.values()}
        print(
            f"\n  same groups everywhere: {len(groups) == 1}; same exact weighted total (all but pandas's float64): "
            f"{len(exact) == 1}"
        )
        board.ratio("bizrel engine, Arrow input", "hand-written DuckDB SQL, Arrow input")
        board.ratio("bizrel engine, pandas input", "hand-written pandas")
        board.ratio("bizrel engine, Parquet file", "hand-written DuckDB SQL, Parquet file")
        board.ratio("bizrel pure-Python reference (objects)", "bizrel engine, Arrow input")
        board.ratio("pull rows from SQLite + pure-Python reference", "bizrel push-down into SQLite")


if __name__ == "__main__":
    sys.exit(main())
