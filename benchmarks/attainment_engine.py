"""Bookings actuals at scale through the columnar engine and SQLite push-down, side by side with
hand-written DuckDB SQL, pandas and polars and the pure-Python reference (each measurement in its
own process, so the peak resident memory printed is that run's own).

    PYTHONPATH=src python benchmarks/attainment_engine.py [--deals 1000000] [--reps 500]
                                                          [--reference-deals N] [--store-deals 100000]

Won deals over the year 2026, bookings for 2026-Q2. Two questions:
  per rep:            the won amount per owner (no splits, no teams)
  split, per team:    10% of deals split between 2-3 reps (DECIMAL shares), credited to the team
                      each rep was in on the closing day (every rep moves team once in 2026)
bizrel's paths are exact (largest-remainder splits in integer minor units, as Money.allocate); the
hand-written anchors split with floating point, the way such a query is usually written. The
reference runs the split question on the first `--reference-deals` deals only: org.team_of scans
the membership list on every call, which makes the full run take hours. Inputs are read from
Parquet (or the store is filled) before timing starts; times are the analytic alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from harness import Comparison  # beside this script

YEAR_START_US = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
DAY_US = 86_400_000_000
TEAMS = 25
Q2 = ("2026-04-01", "2026-07-01")


def period() -> Any:
    from bizrel.core.periods import Period

    return Period.quarter(2026, 2)


def make_parquet(folder: str, deals: int, reps: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(11)
    owner = rng.integers(0, reps, deals)
    ts = pa.timestamp("us", tz="UTC")
    names = np.array([f"r{k:03d}" for k in range(reps)], dtype=object)
    ids = np.char.add("o", np.arange(deals).astype(str)).astype(object)
    table = pa.table(
        {
            "id": pa.array(ids),
            "status": pa.array(["won"] * deals),
            "owner_id": pa.array(names[owner]),
            "closed_at": pa.array(YEAR_START_US + rng.integers(0, 365 * DAY_US, deals), ts),
            "amount_minor": pa.array(rng.integers(1_000, 10_000_000, deals), pa.int64()),
            "currency": pa.array(["USD"] * deals),
        }
    )
    pq.write_table(table, os.path.join(folder, "deals.parquet"))
    split = np.flatnonzero(rng.random(deals) < 0.1)
    ways = rng.integers(2, 4, split.size)
    deal = np.repeat(split, ways)
    seq = np.arange(deal.size) - np.repeat(np.cumsum(ways) - ways, ways)
    shares = np.array([25, 50, 75, 100])[rng.integers(0, 4, deal.size)]
    pq.write_table(
        pa.table(
            {
                "opportunity_id": pa.array(ids[deal]),
                "seq": pa.array(seq, pa.int64()),
                "owner_id": pa.array(names[(owner[deal] + seq) % reps]),
                "share": pa.array([f"{s / 100:.2f}" for s in shares]).cast(pa.decimal128(6, 2)),
            }
        ),
        os.path.join(folder, "splits.parquet"),
    )
    moved = rng.integers(1, 365, reps)
    np.save(os.path.join(folder, "moves.npy"), moved)


def organisation(folder: str) -> Any:
    """Rep k in team k % TEAMS from 2025, moving to the next team on its own day of 2026."""
    from datetime import timedelta

    import numpy as np

    from bizrel.core.ids import tenant
    from bizrel.sales.teams import SalesOrganisation

    moved = np.load(os.path.join(folder, "moves.npy"))
    org = SalesOrganisation.create(tenant_id=tenant("bench"), id="org", name="Org", root_team="root", root_name="R")
    for t in range(TEAMS):
        org.add_team(f"t{t:02d}", f"Team {t}", "root")
    for k, day in enumerate(moved):
        rep = f"r{k:03d}"
        org.assign(rep, f"t{k % TEAMS:02d}", date(2025, 1, 1))
        org.assign(rep, f"t{(k + 1) % TEAMS:02d}", date(2026, 1, 1) + timedelta(days=int(day)))
    return org


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def members(folder: str) -> Any:
    """The organisation's memberships as a table, for the hand-written anchors."""
    import pyarrow as pa

    org = organisation(folder)
    far = datetime(9999, 1, 1, tzinfo=UTC)
    rows = [
        (m.person_id, m.team_id, midnight(m.start), far if m.end is None else midnight(m.end)) for m in org.memberships
    ]
    return pa.table({k: [r[i] for r in rows] for i, k in enumerate(("person_id", "team_id", "start_at", "end_at"))})


def records(folder: str, limit: int | None = None, split: bool = False) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    from bizrel.core import Money

    rows = pq.read_table(os.path.join(folder, "deals.parquet")).to_pylist()[:limit]
    shares: dict[str, dict[str, Any]] = {}
    if split:
        for s in pq.read_table(os.path.join(folder, "splits.parquet")).to_pylist():
            shares.setdefault(s["opportunity_id"], {})[s["owner_id"]] = s["share"]
    return [
        {
            **{k: r[k] for k in ("id", "status", "owner_id", "closed_at")},
            "amount": Money.from_minor(r["amount_minor"], r["currency"]),
            "splits": shares.get(r["id"]),
        }
        for r in rows
    ]


def minor(result: dict[str, Any]) -> dict[str, int]:
    return {k: v.to_minor() for k, v in result.items()}


# -- the contenders: each takes its loaded input and returns {owner: minor units} --


def bizrel_plain(data: Any) -> dict[str, int]:
    from bizrel.analytics import bookings

    return minor(bookings(data, period()))


def bizrel_split(data: tuple[Any, Any, Any]) -> dict[str, int]:
    from bizrel.analytics import bookings

    deals, splits, org = data
    return minor(bookings(deals, period(), splits=splits, credit=org))


def reference_plain(data: list[dict[str, Any]]) -> dict[str, int]:
    from bizrel.sales import attainment

    return minor(attainment.bookings(data, period()))


def reference_split(data: tuple[list[dict[str, Any]], Any]) -> dict[str, int]:
    from bizrel.sales import attainment

    rows, org = data
    return minor(attainment.bookings(rows, period(), credit=org.team_of))


def subset(folder: str, limit: int) -> tuple[Any, Any]:
    """The first `limit` deals and their splits, as Arrow tables."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    deals = pq.read_table(os.path.join(folder, "deals.parquet")).slice(0, limit)
    splits = pq.read_table(os.path.join(folder, "splits.parquet"))
    return deals, splits.filter(pc.is_in(splits["opportunity_id"], value_set=deals["id"]))


PLAIN_SQL = f"""
SELECT owner_id, SUM(amount_minor) FROM deals
WHERE status = 'won' AND closed_at >= TIMESTAMPTZ '{Q2[0]} 00:00:00+00'
  AND closed_at < TIMESTAMPTZ '{Q2[1]} 00:00:00+00'
GROUP BY owner_id
"""

SPLIT_SQL = f"""
WITH d AS (
  SELECT id, owner_id, amount_minor, closed_at FROM deals
  WHERE status = 'won' AND closed_at >= TIMESTAMPTZ '{Q2[0]} 00:00:00+00'
    AND closed_at < TIMESTAMPTZ '{Q2[1]} 00:00:00+00'),
s AS (SELECT opportunity_id, owner_id, CAST(share AS DOUBLE) / SUM(CAST(share AS DOUBLE))
        OVER (PARTITION BY opportunity_id) AS f FROM splits),
p AS (SELECT COALESCE(s.owner_id, d.owner_id) AS rep, d.closed_at, d.amount_minor * COALESCE(s.f, 1) AS part
      FROM d LEFT JOIN s ON s.opportunity_id = d.id)
SELECT m.team_id, SUM(part) FROM p JOIN members m
  ON m.person_id = p.rep AND p.closed_at >= m.start_at AND p.closed_at < m.end_at
GROUP BY m.team_id
"""


def duckdb_hand(sql: str, tables: dict[str, Any]) -> dict[str, int]:
    con = HAND_WRITTEN_DUCKDB[0].cursor()
    for name, source in tables.items():
        if isinstance(source, str):
            con.read_parquet(source).create_view(name)
        else:
            con.register(name, source)
    return {str(k): round(v) for k, v in con.execute(sql).fetchall()}


def duckdb_plain(folder: str) -> dict[str, int]:
    return duckdb_hand(PLAIN_SQL, {"deals": os.path.join(folder, "deals.parquet")})


def duckdb_split(data: tuple[str, Any]) -> dict[str, int]:
    folder, table = data
    files = {n: os.path.join(folder, f"{n}.parquet") for n in ("deals", "splits")}
    return duckdb_hand(SPLIT_SQL, {**files, "members": table})


def _in_q2(deals: Any) -> Any:
    import pandas as pd

    lo, hi = (pd.Timestamp(x, tz="UTC") for x in Q2)
    return deals[(deals.status == "won") & (deals.closed_at >= lo) & (deals.closed_at < hi)]


def pandas_plain(deals: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in _in_q2(deals).groupby("owner_id").amount_minor.sum().items()}


def pandas_split(data: tuple[Any, Any, Any]) -> dict[str, int]:
    deals, splits, team = data
    d = _in_q2(deals)
    s = splits.assign(
        f=splits.share.astype(float) / splits.groupby("opportunity_id").share.transform("sum").astype(float)
    )
    p = d.merge(s[["opportunity_id", "owner_id", "f"]], left_on="id", right_on="opportunity_id", how="left")
    p = p.assign(rep=p.owner_id_y.fillna(p.owner_id_x), part=p.amount_minor * p.f.fillna(1.0))
    m = p.merge(team, left_on="rep", right_on="person_id")
    m = m[(m.closed_at >= m.start_at) & (m.closed_at < m.end_at)]
    return {str(k): round(v) for k, v in m.groupby("team_id").part.sum().items()}


def polars_plain(deals: Any) -> dict[str, int]:
    import polars as pl

    lo, hi = (datetime.fromisoformat(x).replace(tzinfo=UTC) for x in Q2)
    won = deals.filter((pl.col("status") == "won") & (pl.col("closed_at") >= lo) & (pl.col("closed_at") < hi))
    return {str(k): int(v) for k, v in won.group_by("owner_id").agg(pl.col("amount_minor").sum()).iter_rows()}


def _load(kind: str, folder: str, args: argparse.Namespace) -> Any:
    deals_file = os.path.join(folder, "deals.parquet")
    if kind == "records":
        return records(folder)
    if kind == "records-split":
        return records(folder, args.reference_deals, split=True), organisation(folder)
    if kind == "arrow-subset":
        return (*subset(folder, args.reference_deals), organisation(folder))
    if kind in ("pandas", "arrow", "polars"):
        import pandas as pd
        import polars as pl
        import pyarrow.parquet as pq

        return {"pandas": pd.read_parquet, "arrow": pq.read_table, "polars": pl.read_parquet}[kind](deals_file)
    if kind == "parquet-split":
        return deals_file, os.path.join(folder, "splits.parquet"), organisation(folder)
    if kind == "arrow-split":
        import pyarrow.parquet as pq

        return pq.read_table(deals_file), pq.read_table(os.path.join(folder, "splits.parquet")), organisation(folder)
    if kind == "pandas-split":
        import pandas as pd

        return (
            pd.read_parquet(deals_file),
            pd.read_parquet(os.path.join(folder, "splits.parquet")),
            members(folder).to_pandas(),
        )
    if kind == "duckdb-split":
        return folder, members(folder)
    return deals_file if kind == "parquet" else folder


PLAIN: dict[str, tuple[str, Callable[[Any], dict[str, int]]]] = {
    "bizrel engine, Parquet file": ("parquet", bizrel_plain),
    "bizrel engine, Arrow input": ("arrow", bizrel_plain),
    "bizrel engine, pandas input": ("pandas", bizrel_plain),
    "hand-written DuckDB SQL, Parquet file": ("folder", duckdb_plain),
    "hand-written pandas": ("pandas", pandas_plain),
    "hand-written polars": ("polars", polars_plain),
    "bizrel pure-Python reference (records)": ("records", reference_plain),
}
SPLIT: dict[str, tuple[str, Callable[[Any], dict[str, int]]]] = {
    "bizrel engine, Parquet files": ("parquet-split", bizrel_split),
    "bizrel engine, Arrow input": ("arrow-split", bizrel_split),
    "hand-written DuckDB SQL (float split)": ("duckdb-split", duckdb_split),
    "hand-written pandas (float split)": ("pandas-split", pandas_split),
    "bizrel engine, Arrow input, first deals": ("arrow-subset", bizrel_split),
    "bizrel pure-Python reference, first deals": ("records-split", reference_split),
}


def fill_store(folder: str, url: str, limit: int) -> float:
    from bizrel.adapters import open_store
    from bizrel.core import FixedClock
    from bizrel.sales import Opportunity, OpportunityStatus

    started = time.perf_counter()
    store = open_store(url, clock=FixedClock(datetime(2027, 1, 1, tzinfo=UTC)))
    rows = records(folder, limit)
    for chunk in range(0, len(rows), 20_000):
        with store.unit_of_work("bench") as uow:
            uow.opportunities.add_many(
                [
                    Opportunity(
                        tenant_id=uow.tenant_id,
                        id=r["id"],
                        pipeline_id="p",
                        owner_id=r["owner_id"],
                        account_name="Acme",
                        amount=r["amount"],
                        expected_close=date(2027, 1, 1),
                        created_at=datetime(2025, 6, 1, tzinfo=UTC),
                        stage="Won",
                        history=[],
                        status=OpportunityStatus(r["status"]),
                        closed_at=r["closed_at"],
                    )
                    for r in rows[chunk : chunk + 20_000]
                ]
            )
            uow.commit()
    store.close()
    return time.perf_counter() - started


def bizrel_pushdown(url: str) -> dict[str, int]:
    from bizrel.adapters import open_store
    from bizrel.analytics import bookings

    with open_store(url) as store:
        return minor(bookings(store, period(), tenant_id="bench"))


def bizrel_pushdown_split(data: tuple[str, Any, Any]) -> dict[str, int]:
    from bizrel.adapters import open_store
    from bizrel.analytics import bookings

    url, splits, org = data
    with open_store(url) as store:
        return minor(bookings(store, period(), tenant_id="bench", splits=splits, credit=org))


def bizrel_pull(url: str) -> dict[str, int]:
    """Load every won opportunity through the repository, then the reference."""
    from bizrel.adapters import open_store
    from bizrel.sales import attainment

    with open_store(url) as store, store.unit_of_work("bench") as uow:
        return minor(attainment.bookings(uow.opportunities.list(status="won"), period()))


STORE: dict[str, Callable[[Any], dict[str, int]]] = {
    "bizrel push-down into SQLite, per rep": bizrel_pushdown,
    "pull rows from SQLite + pure-Python reference, per rep": bizrel_pull,
    "bizrel push-down into SQLite, split per team": bizrel_pushdown_split,
}


def _store_input(name: str, url: str, folder: str, limit: int) -> Any:
    if not name.endswith("split per team"):
        return url
    import pyarrow.parquet as pq

    ids = {f"o{i}" for i in range(limit)}
    splits: dict[str, dict[str, Any]] = {}
    for s in pq.read_table(os.path.join(folder, "splits.parquet")).to_pylist():
        if s["opportunity_id"] in ids:
            splits.setdefault(s["opportunity_id"], {})[s["owner_id"]] = s["share"]
    return url, splits, organisation(folder)


HAND_WRITTEN_DUCKDB: list[Any] = []  # opened before timing, as bizrel's own database is


def _warm_up() -> None:
    """Import what every contender needs and open DuckDB before timing: the times are the work."""
    import duckdb
    import pandas
    import polars

    import bizrel.analytics
    from bizrel.analytics.columnar import connect

    assert pandas and polars and bizrel.analytics
    connect().execute("SELECT 1")
    HAND_WRITTEN_DUCKDB.append(duckdb.connect())


def _run(group: str, name: str, source: str, args: argparse.Namespace) -> tuple[float, dict[str, int]]:
    _warm_up()
    if group == "store":
        fn: Callable[[Any], dict[str, int]] = STORE[name]
        data: Any = _store_input(name, source, args.folder, args.store_deals)
    else:
        kind, fn = (PLAIN if group == "plain" else SPLIT)[name]
        data = _load(kind, source, args)
    started = time.perf_counter()
    out = fn(data)
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--reference-deals", type=int, default=None)
    parser.add_argument("--store-deals", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        args.folder = tmp
        args.reference_deals = args.reference_deals or args.deals
        make_parquet(tmp, args.deals, args.reps)
        print(f"\n{args.deals:,} won deals of 2026 over {args.reps} reps, bookings for 2026-Q2")
        board = Comparison(63)

        def show(group: str, name: str, source: str) -> dict[str, int] | None:
            board.run(f"{group}: {name}", _run, group, name, source, args)
            return board.answers.get(f"{group}: {name}")  # type: ignore[no-any-return]

        print("\nper rep")
        plain = {name: show("plain", name, tmp) for name in PLAIN}
        print(f"  every contender gives the same totals: {len({same(v) for v in plain.values() if v}) == 1}")
        print("\nsplit between reps, credited per team on the closing day")
        split = {name: show("split", name, tmp) for name in SPLIT}
        exact = [v for n, v in split.items() if n.startswith("bizrel engine") and "first" not in n and v]
        floats = [v for n, v in split.items() if "float" in n and v]
        off = max((abs(a[k] - b.get(k, 0)) for a in floats for b in exact[:1] for k in a), default=0)
        firsts = [v for n, v in split.items() if "first" in n]
        print(f"  bizrel engines agree: {len({same(v) for v in exact}) == 1}")
        print(f"  on the first {args.reference_deals:,} deals, the engine == the reference: {firsts[0] == firsts[1]}")
        print(f"  the float anchors are off by up to {off} minor units per team")
        url = f"sqlite:///{os.path.join(tmp, 'store.db')}"
        filled = fill_store(tmp, url, args.store_deals)
        stored_deals = min(args.store_deals, args.deals)
        print(f"\nSQLite store with {stored_deals:,} won deals (filled in {filled:.1f} s, not timed)")
        stored = {name: show("store", name, url) for name in STORE}
        pair = list(stored.values())[:2]
        print(f"  push-down == pull + reference: {pair[0] == pair[1]}")
        _ratios(board)


def same(result: dict[str, int]) -> str:
    return str(sorted(result.items()))


def _ratios(board: Comparison) -> None:
    ratio = board.ratio
    print()
    ratio("plain: bizrel engine, Parquet file", "plain: hand-written DuckDB SQL, Parquet file")
    ratio("plain: bizrel engine, pandas input", "plain: hand-written pandas")
    ratio("plain: bizrel engine, Arrow input", "plain: hand-written polars")
    ratio("plain: bizrel pure-Python reference (records)", "plain: bizrel engine, Arrow input")
    ratio("split: bizrel engine, Parquet files", "split: hand-written DuckDB SQL (float split)")
    ratio("split: bizrel engine, Arrow input", "split: hand-written pandas (float split)")
    ratio("split: bizrel pure-Python reference, first deals", "split: bizrel engine, Arrow input, first deals")
    ratio(
        "store: pull rows from SQLite + pure-Python reference, per rep", "store: bizrel push-down into SQLite, per rep"
    )


if __name__ == "__main__":
    sys.exit(main())
