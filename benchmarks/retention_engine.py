"""Cohort retention and lifetime value at scale: the columnar engine against hand-written polars,
DuckDB SQL and pandas, and SQLite push-down against pulling the rows into the pure-Python path.

    python benchmarks/retention_engine.py [--transactions 1000000] [--customers 100000]

Same definitions everywhere: cohort = calendar month (UTC) of a customer's first purchase, active
= distinct customers per cohort and month offset; value = customers, orders, revenue, repeat
customers, and for the last complete month its buyers, the previous month's buyers, those retained
and their spend (what AOV, frequency, churn and historical and predicted lifetime value come from).
The engine returns the typed results (CohortRetention, ValueMetrics, HistoricalValue); the
hand-written anchors return bare frames. Inputs are loaded before timing; the best of 3 runs is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
DEC_2025 = (datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 12, 1, tzinfo=UTC), AS_OF)


def make_frame(transactions: int, customers: int) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(42)
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    span = int((AS_OF.timestamp() - 1) * 1_000_000) - start
    ids = rng.integers(0, customers, transactions)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("c", ids.astype(str)).astype(object),
            "occurred_at": pd.to_datetime(start + rng.integers(0, span, transactions), unit="us", utc=True),
            "amount_minor": rng.integers(100, 50_000, transactions).astype("int64"),
            "currency": "USD",
        }
    )


# -- cohort retention -------------------------------------------------------------------------------


def engine_cohorts(df: Any) -> int:
    from bizrel.analytics import cohort_retention

    return len(cohort_retention(df, as_of=AS_OF).cohorts)


DUCK_COHORTS = """
WITH months AS (SELECT DISTINCT customer_id, year(timezone('UTC', occurred_at)) * 12
                       + month(timezone('UTC', occurred_at)) - 1 AS m FROM df),
     cohorts AS (SELECT customer_id, MIN(m) AS cohort FROM months GROUP BY customer_id)
SELECT c.cohort, m.m - c.cohort AS k, COUNT(*) AS active
FROM months m JOIN cohorts c USING (customer_id) GROUP BY 1, 2
"""


def duckdb_cohorts(df: Any) -> int:
    import duckdb

    con = duckdb.connect()
    con.register("df", df)
    return int(con.sql(DUCK_COHORTS).to_arrow_table().num_rows)


def polars_cohorts(df: Any) -> int:
    import polars as pl

    at = pl.col("occurred_at")
    months = df.select("customer_id", (at.dt.year() * 12 + at.dt.month() - 1).alias("m")).unique()
    cohorts = months.group_by("customer_id").agg(pl.col("m").min().alias("cohort"))
    out = (
        months.join(cohorts, on="customer_id")
        .group_by("cohort", (pl.col("m") - pl.col("cohort")).alias("k"))
        .agg(pl.len().alias("active"))
    )
    return out.height


def pandas_cohorts(df: Any) -> int:
    at = df["occurred_at"]
    months = df[["customer_id"]].assign(m=at.dt.year * 12 + at.dt.month - 1).drop_duplicates()
    months["cohort"] = months.groupby("customer_id")["m"].transform("min")
    out = months.groupby(["cohort", months["m"] - months["cohort"]]).size()
    return len(out)


# -- value: ValueMetrics (AOV, frequency, repeat rate, churn, historical and predicted CLV) ----------


def engine_value(df: Any) -> int:
    from bizrel.analytics import value_metrics

    return value_metrics(df, as_of=AS_OF, margin="0.3").customers


def engine_historical(df: Any) -> int:
    from bizrel.analytics import historical_lifetime_value

    return len(historical_lifetime_value(df).customers)


DUCK_VALUE = """
WITH per AS (
  SELECT customer_id, COUNT(*) AS n, SUM(amount_minor) AS total,
         MAX(CASE WHEN occurred_at >= $1 AND occurred_at < $2 THEN 1 ELSE 0 END) AS in_prev,
         MAX(CASE WHEN occurred_at >= $2 AND occurred_at < $3 THEN 1 ELSE 0 END) AS in_cur,
         SUM(CASE WHEN occurred_at >= $2 AND occurred_at < $3 THEN amount_minor ELSE 0 END) AS spent
  FROM df GROUP BY customer_id)
SELECT COUNT(*), SUM(n), SUM(total), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END),
       SUM(in_prev), SUM(in_prev * in_cur), SUM(in_cur), SUM(spent) FROM per
"""


def duckdb_value(df: Any) -> int:
    import duckdb

    con = duckdb.connect()
    con.register("df", df)
    return int(con.execute(DUCK_VALUE, list(DEC_2025)).fetchall()[0][0])


def polars_value(df: Any) -> int:
    import polars as pl

    at, amount = pl.col("occurred_at"), pl.col("amount_minor")
    prev = (at >= DEC_2025[0]) & (at < DEC_2025[1])
    cur = (at >= DEC_2025[1]) & (at < DEC_2025[2])
    per = df.group_by("customer_id").agg(
        pl.len().alias("n"),
        amount.sum().alias("total"),
        prev.any().cast(pl.Int64).alias("in_prev"),
        cur.any().cast(pl.Int64).alias("in_cur"),
        pl.when(cur).then(amount).otherwise(0).sum().alias("spent"),
    )
    out = per.select(
        pl.len().alias("customers"),
        pl.col("n").sum(),
        pl.col("total").sum(),
        (pl.col("n") >= 2).sum().alias("repeat"),
        pl.col("in_prev").sum(),
        (pl.col("in_prev") * pl.col("in_cur")).sum().alias("retained"),
        pl.col("in_cur").sum(),
        pl.col("spent").sum(),
    )
    return int(out.item(0, 0))


def pandas_value(df: Any) -> int:
    at = df["occurred_at"]
    prev = (at >= DEC_2025[0]) & (at < DEC_2025[1])
    cur = (at >= DEC_2025[1]) & (at < DEC_2025[2])
    frame = df.assign(in_prev=prev, in_cur=cur, spent=df["amount_minor"].where(cur, 0))
    per = frame.groupby("customer_id").agg(
        n=("amount_minor", "size"),
        total=("amount_minor", "sum"),
        in_prev=("in_prev", "max"),
        in_cur=("in_cur", "max"),
        spent=("spent", "sum"),
    )
    figures = (len(per), per.n.sum(), per.total.sum(), (per.n >= 2).sum(), per.in_prev.sum(), per.spent.sum())
    return int(figures[0])


def polars_historical(df: Any) -> int:
    import polars as pl

    out = df.group_by("customer_id").agg(
        pl.len(),
        pl.col("amount_minor").sum(),
        pl.col("occurred_at").min().alias("first"),
        pl.col("occurred_at").max().alias("last"),
    )
    return out.sort("customer_id").height


# -- push-down on SQLite ----------------------------------------------------------------------------


def fill_store(path: str, df: Any) -> None:
    """Write the purchases as bizrel's SQLite adapter stores them (bulk-inserted with sqlite3)."""
    import bizrel

    bizrel.open_store(f"sqlite:///{path}").close()  # the schema
    con = sqlite3.connect(path)
    stamps = df["occurred_at"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00").tolist()
    rows = (
        (
            "t",
            f"p{i}",
            0,
            json.dumps(
                {
                    "tenant_id": "t",
                    "id": f"p{i}",
                    "version": 0,
                    "customer_id": c,
                    "occurred_at": at,
                    "amount": {"amount": f"{a / 100:.2f}", "currency": "USD"},
                    "order_ref": None,
                    "category": None,
                }
            ),
            c,
            at,
            a,
            "USD",
        )
        for i, (c, at, a) in enumerate(zip(df["customer_id"], stamps, df["amount_minor"].tolist(), strict=True))
    )
    con.executemany("INSERT INTO purchases VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()


def pulled(path: str) -> list[dict[str, Any]]:
    """The anchor: the tenant's rows pulled out with sqlite3, as the reference's records."""
    from bizrel.core import Money

    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT customer_id, occurred_at, amount_minor, currency FROM purchases WHERE tenant_id = 't'"
    ).fetchall()
    con.close()
    parse = datetime.fromisoformat
    return [{"customer_id": c, "occurred_at": parse(at), "amount": Money.from_minor(a, cur)} for c, at, a, cur in rows]


def best(fn: Callable[[Any], Any], data: Any, runs: int = 3) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn(data)
        times.append(time.perf_counter() - started)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--store-transactions", type=int, help="rows stored for push-down (default: all)")
    args = parser.parse_args()
    import polars as pl

    import bizrel
    from bizrel import analytics, customer

    df = make_frame(args.transactions, args.customers)
    data = {"pandas": df, "polars": pl.from_pandas(df)}
    print(f"{args.transactions:,} transactions over {args.customers:,} customers")
    groups: list[tuple[str, list[tuple[str, str, Callable[[Any], Any]]]]] = [
        (
            "cohort retention",
            [
                ("bizrel engine, typed CohortRetention", "pandas", engine_cohorts),
                ("hand-written DuckDB SQL", "pandas", duckdb_cohorts),
                ("hand-written polars", "polars", polars_cohorts),
                ("pandas groupby", "pandas", pandas_cohorts),
            ],
        ),
        (
            "value metrics (AOV, frequency, repeat, churn, CLV)",
            [
                ("bizrel engine, typed ValueMetrics", "pandas", engine_value),
                ("hand-written DuckDB SQL", "pandas", duckdb_value),
                ("hand-written polars", "polars", polars_value),
                ("pandas groupby", "pandas", pandas_value),
            ],
        ),
        (
            "historical lifetime value per customer",
            [
                ("bizrel engine, typed HistoricalValue", "pandas", engine_historical),
                ("hand-written polars (bare frame)", "polars", polars_historical),
            ],
        ),
    ]
    for title, contenders in groups:
        print(f"\n{title}")
        times: dict[str, float] = {}
        for name, kind, fn in contenders:
            seconds, out = best(fn, data[kind])
            times[name] = seconds
            print(f"  {name:46s} {seconds:7.3f} s  ({out})")
        engine = contenders[0][0]
        anchors = [n for n in times if n.startswith("hand-written")]
        fastest = min(anchors, key=lambda n: times[n])
        print(f"  ratio engine / {fastest}: {times[engine] / times[fastest]:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bizrel.sqlite")
        started = time.perf_counter()
        kept = df.iloc[: args.store_transactions or len(df)]
        fill_store(path, kept)
        filled = time.perf_counter() - started
        print(f"\nSQLite push-down over {len(kept):,} stored purchases (store filled in {filled:.1f} s)")
        store = bizrel.open_store(f"sqlite:///{path}")
        rows_seconds, rows = best(pulled, path, runs=1)
        print(f"  {'pull the rows into Python records':46s} {rows_seconds:7.3f} s  ({len(rows)})")
        checks = [
            (
                "cohort retention",
                lambda s: analytics.cohort_retention(s, as_of=AS_OF, tenant_id="t"),
                lambda r: customer.cohort_retention(r, as_of=AS_OF),
            ),
            (
                "value metrics",
                lambda s: analytics.value_metrics(s, as_of=AS_OF, margin="0.3", tenant_id="t"),
                lambda r: customer.value_metrics(r, as_of=AS_OF, margin="0.3"),
            ),
        ]
        for title, down, reference in checks:
            down_seconds, result = best(down, store, runs=1)
            ref_seconds, expected = best(reference, rows, runs=1)
            assert result == expected, title
            pulled_total = rows_seconds + ref_seconds
            print(f"  {title + ': push-down':46s} {down_seconds:7.3f} s")
            print(f"  {title + ': pulled rows + reference':46s} {pulled_total:7.3f} s")
            print(f"  ratio pulled / push-down: {pulled_total / down_seconds:.2f}x (results equal)")
        store.close()


if __name__ == "__main__":
    main()
