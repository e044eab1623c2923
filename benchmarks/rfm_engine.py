"""RFM at scale through the columnar engine, against hand-written polars and DuckDB, pandas,
lifetimes and pymc-marketing, side by side (each measurement in its own process, so the peak
resident memory printed is that run's own).

    python benchmarks/rfm_engine.py [--sizes 1000000:100000,10000000:1000000] [--pymc-python PATH]

Classic RFM everywhere (recency days, frequency, total monetary, 1-5 scores by
1 + floor(5 * (rank - 1) / n) on min-rank, recency reversed), except lifetimes and pymc-marketing,
which compute the unscored lifetimes summary and are compared with bizrel's (scored=False).
Inputs are read from Parquet and each contender's libraries imported before timing starts (the
one-time import is printed beside the time); times are the analytic alone.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from harness import Comparison, in_process  # beside this script

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def make_parquet(path: str, transactions: int, customers: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(42)
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    span = int((AS_OF.timestamp() - 1) * 1_000_000) - start
    ids = rng.integers(0, customers, transactions)
    table = pa.table(
        {
            "customer_id": pa.array(np.char.add("c", ids.astype(str)).astype(object)),
            "occurred_at": pa.array(start + rng.integers(0, span, transactions), pa.timestamp("us", tz="UTC")),
            "amount_minor": pa.array(rng.integers(100, 50_000, transactions), pa.int64()),
            "currency": pa.array(["USD"] * transactions),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)


# -- the contenders: each takes the loaded input and returns something whose size can be checked --


def bizrel_summary(df: Any) -> int:
    from bizrel.analytics import rfm_summary

    return len(rfm_summary(df, as_of=AS_OF))


def bizrel_frame(df: Any) -> int:
    from bizrel.analytics import rfm_frame

    return int(rfm_frame(df, as_of=AS_OF).num_rows)


def bizrel_parquet(path: str) -> int:
    from bizrel.analytics import rfm_frame

    return int(rfm_frame(path, as_of=AS_OF).num_rows)


def bizrel_lifetimes(df: Any) -> int:
    """The summary lifetimes and pymc-marketing compute: frequency, recency, T, monetary, no scores."""
    from bizrel.analytics import rfm_frame

    return int(rfm_frame(df, as_of=AS_OF, convention="lifetimes", scored=False).num_rows)


def polars_hand(df: Any) -> int:
    import polars as pl

    day = pl.col("occurred_at").dt.date()
    g = df.group_by("customer_id").agg(
        ((pl.lit(AS_OF.date()) - day.max()).dt.total_days()).alias("recency"),
        pl.len().alias("frequency"),
        pl.col("amount_minor").sum().alias("monetary"),
    )
    n = g.height

    def score(expr: pl.Expr, descending: bool = False) -> pl.Expr:
        return 1 + (5 * (expr.rank("min", descending=descending) - 1)) // n

    out = g.with_columns(
        score(pl.col("recency"), descending=True).alias("r"),
        score(pl.col("frequency")).alias("f"),
        score(pl.col("monetary")).alias("m"),
    )
    return out.height


def polars_parquet(path: str) -> int:
    import polars as pl

    return polars_hand(pl.scan_parquet(path).collect())


DUCK_SQL = """
WITH g AS (
  SELECT customer_id, date_diff('day', MAX(CAST(timezone('UTC', occurred_at) AS DATE)), DATE '{as_of}') AS recency,
         COUNT(*) AS frequency, SUM(amount_minor) AS monetary
  FROM {src} GROUP BY customer_id)
SELECT *, 1 + (5 * (RANK() OVER (ORDER BY recency DESC) - 1)) // n AS r,
          1 + (5 * (RANK() OVER (ORDER BY frequency) - 1)) // n AS f,
          1 + (5 * (RANK() OVER (ORDER BY monetary) - 1)) // n AS m
FROM (SELECT *, COUNT(*) OVER () AS n FROM g) x
"""


def duckdb_hand(df: Any) -> int:
    import duckdb

    con = duckdb.connect()
    con.register("df", df)
    return int(con.sql(DUCK_SQL.format(as_of=AS_OF.date(), src="df")).to_arrow_table().num_rows)


def duckdb_parquet(path: str) -> int:
    import duckdb

    src = f"read_parquet('{path}')"
    return int(duckdb.connect().sql(DUCK_SQL.format(as_of=AS_OF.date(), src=src)).to_arrow_table().num_rows)


def pandas_hand(df: Any) -> int:
    import pandas as pd

    g = df.groupby("customer_id").agg(
        last=("occurred_at", "max"), frequency=("occurred_at", "size"), monetary=("amount_minor", "sum")
    )
    last_day = g["last"].dt.tz_convert(None).dt.normalize()
    g["recency"] = (pd.Timestamp(AS_OF.date()) - last_day).dt.days
    n = len(g)
    for col, asc, name in (("recency", False, "r"), ("frequency", True, "f"), ("monetary", True, "m")):
        g[name] = 1 + (5 * (g[col].rank(method="min", ascending=asc).astype("int64") - 1)) // n
    return len(g)


def lifetimes_summary(df: Any) -> int:
    from lifetimes.utils import summary_data_from_transaction_data

    frame = df.assign(occurred_at=df["occurred_at"].dt.tz_convert(None), amount=df["amount_minor"] / 100)
    out = summary_data_from_transaction_data(
        frame,
        "customer_id",
        "occurred_at",
        monetary_value_col="amount",
        observation_period_end=AS_OF.replace(tzinfo=None),
    )
    return len(out)


BIZREL = ("bizrel.analytics", "duckdb", "pyarrow")
DUCKDB = ("duckdb", "pyarrow")
CONTENDERS: dict[str, tuple[str, Callable[[Any], int], tuple[str, ...]]] = {
    "bizrel engine, typed RfmSummary": ("pandas", bizrel_summary, BIZREL),
    "bizrel engine, rfm_frame (Arrow)": ("pandas", bizrel_frame, BIZREL),
    "hand-written DuckDB SQL": ("pandas", duckdb_hand, DUCKDB),
    "hand-written polars": ("polars", polars_hand, ("polars",)),
    "pandas groupby": ("pandas", pandas_hand, ("pandas",)),
    "bizrel engine, lifetimes convention": ("pandas", bizrel_lifetimes, BIZREL),
    "lifetimes summary_data_from_transaction_data": ("pandas", lifetimes_summary, ("lifetimes.utils",)),
}
PARQUET: dict[str, tuple[Callable[[str], int], tuple[str, ...]]] = {
    "bizrel engine from Parquet (rfm_frame)": (bizrel_parquet, BIZREL),
    "hand-written DuckDB SQL from Parquet": (duckdb_parquet, DUCKDB),
    "hand-written polars from Parquet": (polars_parquet, ("polars",)),
}


def _load(kind: str, path: str) -> Any:
    if kind == "polars":
        import polars as pl

        return pl.read_parquet(path)
    import pandas as pd

    return pd.read_parquet(path)


def _run(name: str, path: str) -> tuple[float, int, str]:
    if name in PARQUET:
        (fn, modules), data = PARQUET[name], path
    else:
        kind, fn, modules = CONTENDERS[name]
        data = _load(kind, path)
    started = time.perf_counter()
    for module in modules:
        importlib.import_module(module)
    imported = time.perf_counter() - started
    started = time.perf_counter()
    rows = fn(data)
    return time.perf_counter() - started, rows, f"({rows} rows, imports {imported:.2f} s)"


def pymc(python: str, path: str) -> tuple[float | None, Any]:
    code = (
        "import time, pandas as pd\n"
        "from pymc_marketing.clv.utils import rfm_summary\n"
        f"df = pd.read_parquet({path!r})\n"
        "df = df.assign(occurred_at=df.occurred_at.dt.tz_convert(None), amount=df.amount_minor / 100)\n"
        "t = time.perf_counter()\n"
        "out = rfm_summary(df, 'customer_id', 'occurred_at', monetary_value_col='amount',"
        f" observation_period_end=pd.Timestamp('{AS_OF.replace(tzinfo=None).isoformat()}'))\n"
        "print(time.perf_counter() - t, len(out))\n"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None, done.stderr.strip().splitlines()[-1][:90] if done.stderr else "failed"
    seconds, rows = done.stdout.split()
    return float(seconds), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000:100000,10000000:1000000")
    parser.add_argument("--pymc-python", default=os.environ.get("BIZREL_PYMC_PYTHON"))
    args = parser.parse_args()
    for size in args.sizes.split(","):
        transactions, customers = (int(x) for x in size.split(":"))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tx.parquet")
            in_process(make_parquet, path, transactions, customers)
            print(f"\n{transactions:,} transactions over {customers:,} customers")
            board = Comparison(46)
            for name in [*(CONTENDERS if transactions <= 2_000_000 else ()), *PARQUET]:
                board.run(name, _run, name, path)
            if args.pymc_python and transactions <= 2_000_000:
                seconds, rows = pymc(args.pymc_python, path)
                shown = f"{seconds:7.3f} s" if seconds is not None else "   n/a   "
                print(f"  {'pymc-marketing rfm_summary':46s} {shown}  ({rows})")
                if seconds is not None:
                    board.seconds["pymc-marketing rfm_summary"] = seconds
            _ratios(board)


def _ratios(board: Comparison) -> None:
    ratio = board.ratio
    best = board.fastest("hand-written DuckDB SQL", "hand-written polars")
    ratio("bizrel engine, rfm_frame (Arrow)", best)
    ratio("bizrel engine, typed RfmSummary", best)
    ratio(
        "bizrel engine from Parquet (rfm_frame)",
        board.fastest("hand-written DuckDB SQL from Parquet", "hand-written polars from Parquet"),
    )
    ratio("lifetimes summary_data_from_transaction_data", "bizrel engine, lifetimes convention")
    ratio("pymc-marketing rfm_summary", "bizrel engine, lifetimes convention")


if __name__ == "__main__":
    sys.exit(main())
