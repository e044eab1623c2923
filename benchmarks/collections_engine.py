"""Receivables aging and DSO at scale through the columnar engine and SQLite push-down, side by side
with hand-written DuckDB SQL and pandas and the pure-Python reference (each measurement in its own
process, so the peak resident memory printed is that run's own).

    PYTHONPATH=src python benchmarks/collections_engine.py [--contracts 200000] [--instalments 1000000]
                                                           [--store-contracts 200000]

Aging by owner as of one day (open receivables: live instalments invoiced or due, less what was
applied up to that day, in five buckets by days past due), and, measured apart, the quarter's
standard DSO. bizrel's paths return the exact typed AgingReport and Decimal DSO; the hand-written
anchors compute the same aging in integer minor units. Every contender must report the same total per bucket. Inputs are
read from Parquet (or the store is filled) before timing starts; times are the analytic alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from harness import in_process, measure  # beside this script

AS_OF = date(2026, 6, 30)
Q2 = (date(2026, 4, 1), date(2026, 7, 1))
DAY0 = date(2025, 1, 1)
OWNERS = 200
FILES = ("contracts", "instalments", "applications", "invoices")


def make_parquet(folder: str, contracts: int, instalments: int) -> None:
    """Contracts with 1 + a share of the remaining instalments each, monthly from an anchor in the
    18 months to the as-of day; 3% voided; 60% paid in full and 15% half paid, from 10 days early
    to 40 days late; 30% invoiced 10 days before due."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(11)
    n = contracts
    counts = 1 + np.bincount(rng.integers(0, n, instalments - n), minlength=n)
    owner = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    number = np.arange(instalments) - starts[owner] + 1
    anchor = rng.integers(0, 540, n)
    due = np.datetime64(DAY0) + (anchor[owner] + 30 * (number - 1)).astype("timedelta64[D]")
    amount = rng.integers(1_000, 5_000_000, instalments)
    voided = rng.random(instalments) < 0.03
    draw = rng.random(instalments)
    paid = np.where(draw < 0.6, amount, np.where(draw < 0.75, amount // 2, 0))
    paid[voided] = 0
    ts = pa.timestamp("us", tz="UTC")
    due_us = due.astype("datetime64[us]").astype(np.int64)
    at = due_us + rng.integers(-10, 40, instalments) * 86_400_000_000 + rng.integers(0, 86_400_000_000, instalments)
    ids = np.char.add("c", np.arange(n).astype(str)).astype(object)
    invoiced = (rng.random(instalments) < 0.3) & ~voided
    pq.write_table(
        pa.table(
            {
                "id": pa.array(ids),
                "owner_id": pa.array(np.char.add("rep", (np.arange(n) % OWNERS).astype(str)).astype(object)),
                "currency": pa.array(["USD"] * n),
            }
        ),
        os.path.join(folder, "contracts.parquet"),
    )
    pq.write_table(
        pa.table(
            {
                "contract_id": pa.array(ids[owner]),
                "number": pa.array(number, pa.int64()),
                "due": pa.array(due, pa.date32()),
                "amount_minor": pa.array(amount, pa.int64()),
                "voided_at": pa.array(due_us - 86_400_000_000, ts, mask=~voided),
            }
        ),
        os.path.join(folder, "instalments.parquet"),
    )
    applied = paid > 0
    pq.write_table(
        pa.table(
            {
                "contract_id": pa.array(ids[owner][applied]),
                "instalment": pa.array(number[applied], pa.int64()),
                "amount_minor": pa.array(paid[applied], pa.int64()),
                "at": pa.array(at[applied], ts),
            }
        ),
        os.path.join(folder, "applications.parquet"),
    )
    pq.write_table(
        pa.table(
            {
                "contract_id": pa.array(ids[owner][invoiced]),
                "instalment": pa.array(number[invoiced], pa.int64()),
                "issued_on": pa.array(due[invoiced] - np.timedelta64(10, "D"), pa.date32()),
            }
        ),
        os.path.join(folder, "invoices.parquet"),
    )


def contracts_of(folder: str) -> list[Any]:
    """The Parquet files as the reference's Contracts (one payment per application)."""
    import pyarrow.parquet as pq

    from bizrel.core import Money
    from bizrel.core.ids import tenant
    from bizrel.sales import Application, Contract, Instalment, Invoice, Payment

    def rows(name: str) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = {}
        for r in pq.read_table(os.path.join(folder, f"{name}.parquet")).to_pylist():
            grouped.setdefault(r["contract_id"], []).append(r)
        return grouped

    ins, apps, invs = rows("instalments"), rows("applications"), rows("invoices")
    usd = lambda minor: Money.from_minor(minor, "USD")  # noqa: E731
    won = datetime(2024, 12, 1, tzinfo=UTC)
    out = []
    for c in pq.read_table(os.path.join(folder, "contracts.parquet")).to_pylist():
        plan = [Instalment(r["number"], r["due"], usd(r["amount_minor"]), r["voided_at"]) for r in ins[c["id"]]]
        applied = [
            Application(f"p{k}", r["instalment"], usd(r["amount_minor"]), r["at"])
            for k, r in enumerate(apps.get(c["id"], []))
        ]
        out.append(
            Contract(
                tenant_id=tenant("bench"),
                id=c["id"],
                opportunity_id="o" + c["id"],
                owner_id=c["owner_id"],
                account_name="Acme",
                amount=usd(sum(r["amount_minor"] for r in ins[c["id"]])),
                won_at=won,
                instalments=plan,
                invoices=[
                    Invoice(f"i{k}", r["instalment"], r["issued_on"], usd(1))
                    for k, r in enumerate(invs.get(c["id"], []))
                ],
                payments=[Payment(a.payment_id, a.at, a.amount) for a in applied],
                applications=applied,
                reminders=[],
            )
        )
    return out


def fill_store(folder: str, url: str, limit: int) -> None:
    from bizrel.adapters import open_store

    store = open_store(url)
    items = contracts_of(folder)[:limit]
    for chunk in range(0, len(items), 20_000):
        with store.unit_of_work("bench") as uow:
            uow.contracts.add_many(items[chunk : chunk + 20_000])
            uow.commit()
    store.close()


# -- the contenders: each takes its loaded input and returns the aging totals per bucket (minor units) --


def totals(report: Any) -> list[int]:
    return [m.to_minor() for m in report.total.buckets]


def bizrel_engine(data: dict[str, Any]) -> list[int]:
    from bizrel.analytics import aging

    return totals(aging(data["contracts"], AS_OF, **{k: data[k] for k in FILES[1:]}))


def bizrel_engine_dso(data: dict[str, Any]) -> str:
    from bizrel.analytics import dso

    return str(dso(data["contracts"], _quarter(), **{k: data[k] for k in FILES[1:]}))


def bizrel_reference(data: list[Any]) -> list[int]:
    from bizrel.sales import aging

    return totals(aging(data, AS_OF))


def bizrel_reference_dso(data: list[Any]) -> str:
    from bizrel.sales import dso

    return str(dso(data, _quarter()))


def bizrel_pushdown(url: str) -> list[int]:
    from bizrel.adapters import open_store
    from bizrel.analytics import aging

    with open_store(url) as store:
        return totals(aging(store, AS_OF, tenant_id="bench"))


def bizrel_pushdown_dso(url: str) -> str:
    from bizrel.adapters import open_store
    from bizrel.analytics import dso

    with open_store(url) as store:
        return str(dso(store, _quarter(), tenant_id="bench"))


def bizrel_pull(url: str) -> list[int]:
    """Load every contract through the repository, then the reference."""
    from bizrel.adapters import open_store

    with open_store(url) as store, store.unit_of_work("bench") as uow:
        return bizrel_reference(uow.contracts.list())


def _quarter() -> Any:
    from bizrel.core import Period

    return Period.containing(Q2[0], "quarter")


DUCK_SQL = f"""
WITH paid AS (
  SELECT contract_id, instalment, SUM(amount_minor) AS paid FROM app
  WHERE "at" < TIMESTAMPTZ '{AS_OF + timedelta(days=1)} 00:00:00+00' GROUP BY ALL),
invoiced AS (SELECT contract_id, instalment, MIN(issued_on) AS issued_on FROM inv GROUP BY ALL),
open AS (
  SELECT ct.owner_id, ins.due, ins.amount_minor - COALESCE(paid.paid, 0) AS left_minor
  FROM ins JOIN ct ON ct.id = ins.contract_id
  LEFT JOIN paid ON paid.contract_id = ins.contract_id AND paid.instalment = ins.number
  LEFT JOIN invoiced ON invoiced.contract_id = ins.contract_id AND invoiced.instalment = ins.number
  WHERE ins.voided_at IS NULL AND LEAST(ins.due, COALESCE(invoiced.issued_on, ins.due)) <= DATE '{AS_OF}')
SELECT owner_id, CASE WHEN age <= 0 THEN 0 WHEN age <= 30 THEN 1 WHEN age <= 60 THEN 2 WHEN age <= 90 THEN 3
       ELSE 4 END AS bucket, SUM(left_minor) AS open_minor
FROM (SELECT *, DATE '{AS_OF}' - due AS age FROM open WHERE left_minor > 0) GROUP BY ALL
"""


def duckdb_hand(data: dict[str, Any]) -> list[int]:
    import duckdb

    con = duckdb.connect()
    for name, view in zip(FILES, ("ct", "ins", "app", "inv"), strict=True):
        if isinstance(data[name], str):
            con.read_parquet(data[name]).create_view(view)
        else:
            con.register(view, data[name])
    out = [0] * 5
    for _, bucket, minor in con.execute(DUCK_SQL).fetchall():
        out[bucket] += int(minor)
    return out


def pandas_hand(data: dict[str, Any]) -> list[int]:
    import numpy as np
    import pandas as pd

    ct, ins, app, inv = (data[name] for name in FILES)
    until = pd.Timestamp(AS_OF + timedelta(days=1), tz="UTC")
    keys = ["contract_id", "instalment"]
    paid = app[app["at"] < until].groupby(keys, as_index=False)["amount_minor"].sum()
    issued = inv.assign(issued_on=pd.to_datetime(inv["issued_on"]))  # datetime64: a vectorised min
    first = issued.groupby(keys, as_index=False)["issued_on"].min()
    live = ins[ins["voided_at"].isna()].rename(columns={"number": "instalment"})
    live = live.merge(paid, on=keys, how="left", suffixes=("", "_paid")).merge(first, on=keys, how="left")
    due = pd.to_datetime(live["due"])
    billed = np.minimum(due, live["issued_on"].fillna(due))
    left = live["amount_minor"] - live["amount_minor_paid"].fillna(0).astype("int64")
    keep = (billed <= pd.Timestamp(AS_OF)) & (left > 0)
    age = (pd.Timestamp(AS_OF) - due[keep]).dt.days
    bucket = np.select([age <= 0, age <= 30, age <= 60, age <= 90], [0, 1, 2, 3], 4)
    frame = pd.DataFrame({"contract_id": live["contract_id"][keep], "bucket": bucket, "left": left[keep]})
    frame = frame.merge(ct[["id", "owner_id"]], left_on="contract_id", right_on="id")
    per_owner = frame.groupby(["owner_id", "bucket"])["left"].sum()
    return [int(per_owner.xs(b, level="bucket").sum()) if b in per_owner.index.levels[1] else 0 for b in range(5)]


def _load(kind: str, folder: str) -> Any:
    files = {name: os.path.join(folder, f"{name}.parquet") for name in FILES}
    if kind == "records":
        return contracts_of(folder)
    if kind == "pandas":
        import pandas as pd

        return {name: pd.read_parquet(path) for name, path in files.items()}
    if kind == "arrow":
        import pyarrow.parquet as pq

        return {name: pq.read_table(path) for name, path in files.items()}
    return files


CONTENDERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "bizrel engine, pandas input": ("pandas", bizrel_engine),
    "bizrel engine, Arrow input": ("arrow", bizrel_engine),
    "bizrel engine, Parquet files": ("files", bizrel_engine),
    "hand-written DuckDB SQL, Arrow input": ("arrow", duckdb_hand),
    "hand-written DuckDB SQL, Parquet files": ("files", duckdb_hand),
    "hand-written pandas": ("pandas", pandas_hand),
    "bizrel pure-Python reference (Contracts)": ("records", bizrel_reference),
    "DSO: bizrel engine, Arrow input": ("arrow", bizrel_engine_dso),
    "DSO: bizrel pure-Python reference (Contracts)": ("records", bizrel_reference_dso),
}
STORE: dict[str, Callable[[str], Any]] = {
    "bizrel push-down into SQLite": bizrel_pushdown,
    "pull rows from SQLite + pure-Python reference": bizrel_pull,
    "DSO: bizrel push-down into SQLite": bizrel_pushdown_dso,
}


def _run(name: str, source: str) -> tuple[float, Any]:
    """One contender, its input loaded before the clock starts."""
    if name in STORE:
        fn: Callable[[Any], Any] = STORE[name]
        data: Any = source
    else:
        kind, fn = CONTENDERS[name]
        data = _load(kind, source)
    started = time.perf_counter()
    out = fn(data)
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=200_000)
    parser.add_argument("--instalments", type=int, default=1_000_000)
    parser.add_argument("--store-contracts", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        in_process(make_parquet, tmp, args.contracts, args.instalments)
        print(f"\n{args.contracts:,} contracts, {args.instalments:,} instalments; aging as of {AS_OF} + Q2 DSO")
        results: dict[str, float] = {}
        answers: dict[str, Any] = {}

        def show(name: str, source: str) -> None:
            seconds, out, rss, _ = measure(_run, name, source)
            shown = f"{seconds:7.3f} s" if seconds is not None else "   n/a   "
            print(f"  {name:46s} {shown}  peak RSS {rss:7.0f} MiB" + ("" if seconds is not None else f"  ({out})"))
            if seconds is not None:
                results[name], answers[name] = seconds, out

        for name in CONTENDERS:
            show(name, tmp)
        url = f"sqlite:///{os.path.join(tmp, 'store.db')}"
        started = time.perf_counter()
        in_process(fill_store, tmp, url, args.store_contracts)
        filled = time.perf_counter() - started
        stored = min(args.store_contracts, args.contracts)
        print(f"\nSQLite store with {stored:,} contracts (filled in {filled:.1f} s, not timed below)")
        for name in STORE:
            show(name, url)
        for what, prefix in (("aging bucket totals", False), ("DSO", True)):
            same = {
                str(a)
                for n, a in answers.items()
                if n.startswith("DSO") == prefix and (n not in STORE or stored == args.contracts)
            }
            print(f"\n  every contender reports the same {what}: {len(same) == 1}  {sorted(same)[0] if same else ''}")
        _ratios(results)


def _ratios(r: dict[str, float]) -> None:
    def ratio(a: str, b: str) -> None:
        if a in r and b in r:
            print(f"  ratio {a} / {b}: {r[a] / r[b]:.2f}x")

    ratio("bizrel engine, Arrow input", "hand-written DuckDB SQL, Arrow input")
    ratio("bizrel engine, Parquet files", "hand-written DuckDB SQL, Parquet files")
    ratio("bizrel engine, pandas input", "hand-written pandas")
    ratio("bizrel pure-Python reference (Contracts)", "bizrel engine, Arrow input")
    ratio("pull rows from SQLite + pure-Python reference", "bizrel push-down into SQLite")


if __name__ == "__main__":
    sys.exit(main())
