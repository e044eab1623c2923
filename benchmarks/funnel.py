"""Funnel analytics for 200,000 opportunities with about 1,000,000 stage-change events.

The pure-Python reference (bizrel.sales.funnel over plain records) against the same computation in
pandas and in duckdb SQL, on the same data in the same run: reached per stage, conversion, win rate
by count and amount, average and median cycle, average and median time in stage, velocity and the
lost reasons. The script checks that the three agree, then prints times, ratios and peak memory
(tracemalloc: Python and numpy allocations; duckdb's own native memory is not visible to it).

    PYTHONPATH=src python benchmarks/funnel.py [N_OPPORTUNITIES]
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from bizrel.core import Money, TenantId
from bizrel.core.numbers import round_fraction
from bizrel.sales import Pipeline, Stage, funnel

T0 = datetime(2025, 1, 1, tzinfo=UTC)
STAGES = 8
REASONS = ("price", "timing", "competitor", "no decision", "budget")
US_PER_DAY = 86_400_000_000


def generate(n: int, seed: int = 7) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    ev_opp: list[int] = []
    ev_k: list[int] = []
    ev_t: list[int] = []
    op_rows: list[tuple[int, int, int, int, int | None, str | None]] = []
    for i in range(n):
        created = rng.randrange(0, 365 * 86400) * 1_000_000
        t = created
        k = 0
        path = [(0, t)]
        for _ in range(rng.choice((1, 2, 3, 4, 4, 5, 6, 7, 8))):
            step = rng.choice((1, 1, 1, 2, -1))
            k2 = min(STAGES - 1, max(0, k + step))
            if k2 == k:
                continue
            t += rng.randrange(3600, 30 * 86400) * 1_000_000
            k = k2
            path.append((k, t))
        r = rng.random()
        status = "open" if r < 0.3 else ("won" if r < 0.55 else "lost")
        closed = t + rng.randrange(3600, 20 * 86400) * 1_000_000 if status != "open" else None
        reason = rng.choice(REASONS) if status == "lost" else None
        minor = rng.randrange(1_000, 5_000_000)
        records.append(
            {
                "id": str(i),
                "status": status,
                "amount": Money.from_minor(minor, "USD"),
                "created_at": T0 + timedelta(microseconds=created),
                "closed_at": None if closed is None else T0 + timedelta(microseconds=closed),
                "lost_reason": reason,
                "history": [(f"S{s}", T0 + timedelta(microseconds=at)) for s, at in path],
            }
        )
        for s, at in path:
            ev_opp.append(i)
            ev_k.append(s)
            ev_t.append(at)
        op_rows.append((i, ("open", "won", "lost").index(status), minor, created, closed, reason))
    events = pd.DataFrame(
        {"opp": np.array(ev_opp, np.int64), "k": np.array(ev_k, np.int64), "t": np.array(ev_t, np.int64)}
    )
    opps = pd.DataFrame(op_rows, columns=["opp", "status", "minor", "created", "closed", "reason"])
    opps["closed"] = opps["closed"].astype("Int64")
    return records, events, opps


def _summary(
    reached: list[int],
    won: int,
    lost: int,
    won_minor: int,
    lost_minor: int,
    stay_mean_us: list[float | None],
    stay_median_us: list[float | None],
    cycle_median_us: float,
    reasons: list[tuple[str, int]],
) -> dict[str, Any]:
    return {
        "reached": reached,
        "won_lost": (won, lost, won_minor, lost_minor),
        "stay_days": [None if s is None else round(s / US_PER_DAY, 2) for s in stay_mean_us],
        "median_stay_days": [None if s is None else round(s / US_PER_DAY, 2) for s in stay_median_us],
        "median_cycle_days": round(cycle_median_us / US_PER_DAY, 2),
        "lost_reasons": reasons,
    }


def run_python(pipeline: Pipeline, records: list[dict[str, Any]]) -> dict[str, Any]:
    r = funnel(pipeline, records)
    return _summary(
        [s.reached for s in r.stages],
        r.won,
        r.lost,
        r.won_amount.to_minor(),
        r.lost_amount.to_minor(),
        [
            None if s.average_days_in_stage is None else float(s.average_days_in_stage) * US_PER_DAY
            for s in r.stages[:-1]
        ],
        [None if s.median_days_in_stage is None else float(s.median_days_in_stage) * US_PER_DAY for s in r.stages[:-1]],
        float(r.median_cycle_days or 0) * US_PER_DAY,
        list(r.lost_reasons),
    ) | {"velocity": r.velocity_per_day}


def _velocity(open_: int, won: int, lost: int, won_minor: int, cycle_sum_us: int) -> Money:
    per_day = (
        Fraction(open_)
        * Fraction(won, won + lost)
        * Fraction(won_minor, won)
        / (Fraction(cycle_sum_us, won) / US_PER_DAY)
    )
    return Money.from_minor(round(per_day), "USD")


def run_pandas(events: pd.DataFrame, opps: pd.DataFrame) -> dict[str, Any]:
    n = STAGES
    furthest = events.groupby("opp", sort=True)["k"].max().to_numpy()
    status = opps["status"].to_numpy()
    minor = opps["minor"].to_numpy()
    furthest = np.where(status == 1, n, furthest)
    counts = np.bincount(furthest, minlength=n + 1)
    reached = counts[::-1].cumsum()[::-1].tolist()
    nxt = events["t"].shift(-1)
    same = events["opp"].shift(-1) == events["opp"]
    closed = opps["closed"].to_numpy(dtype="float64", na_value=np.nan)
    last_end = pd.Series(closed[events["opp"].to_numpy()], index=events.index)
    end = nxt.where(same, last_end)
    stays = (end - events["t"]).dropna()
    by_stage = stays.groupby(events.loc[stays.index, "k"])
    stay_mean = by_stage.mean().reindex(range(n))
    stay_median = by_stage.median().reindex(range(n))
    won_mask, lost_mask = status == 1, status == 2
    cycles = opps["closed"][won_mask].astype("int64") - opps["created"][won_mask]
    reasons = opps.loc[lost_mask, "reason"].value_counts()
    ranked = sorted(((str(k), int(v)) for k, v in reasons.items()), key=lambda kv: (-kv[1], kv[0]))
    won, lost = int(won_mask.sum()), int(lost_mask.sum())
    won_minor = int(minor[won_mask].sum())
    return _summary(
        [int(x) for x in reached],
        won,
        lost,
        won_minor,
        int(minor[lost_mask].sum()),
        [None if pd.isna(x) else float(x) for x in stay_mean.tolist()],
        [None if pd.isna(x) else float(x) for x in stay_median.tolist()],
        float(cycles.median()),
        ranked,
    ) | {"velocity": _velocity(int((status == 0).sum()), won, lost, won_minor, int(cycles.sum()))}


SQL = {
    "reached": f"""
        WITH f AS (
            SELECT e.opp, CASE WHEN o.status = 1 THEN {STAGES} ELSE max(e.k) END AS furthest
            FROM events e JOIN opps o USING (opp) GROUP BY e.opp, o.status)
        SELECT s.k, count(f.opp) FROM range(0, {STAGES + 1}) s(k) LEFT JOIN f ON f.furthest >= s.k
        GROUP BY s.k ORDER BY s.k""",
    "closed": """
        SELECT count(*) FILTER (WHERE status = 1), count(*) FILTER (WHERE status = 2),
               coalesce(sum(minor) FILTER (WHERE status = 1), 0), coalesce(sum(minor) FILTER (WHERE status = 2), 0),
               median(closed - created) FILTER (WHERE status = 1), sum(closed - created) FILTER (WHERE status = 1),
               count(*) FILTER (WHERE status = 0)
        FROM opps""",
    "stays": """
        WITH x AS (
            SELECT e.k, coalesce(lead(e.t) OVER (PARTITION BY e.opp ORDER BY e.t), o.closed) - e.t AS stay
            FROM events e JOIN opps o USING (opp))
        SELECT k, avg(stay), median(stay) FROM x WHERE stay IS NOT NULL GROUP BY k ORDER BY k""",
    "reasons": "SELECT reason, count(*) AS c FROM opps WHERE status = 2 GROUP BY reason ORDER BY c DESC, reason",
}


def run_duckdb(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    reached = [int(c) for _, c in con.execute(SQL["reached"]).fetchall()]
    won, lost, won_minor, lost_minor, median_cycle, cycle_sum, open_ = con.execute(SQL["closed"]).fetchone()  # type: ignore[misc]
    stays = {k: (mean, median) for k, mean, median in con.execute(SQL["stays"]).fetchall()}
    reasons = [(str(r), int(c)) for r, c in con.execute(SQL["reasons"]).fetchall()]
    return _summary(
        reached,
        int(won),
        int(lost),
        int(won_minor),
        int(lost_minor),
        [float(stays[k][0]) if k in stays else None for k in range(STAGES)],
        [float(stays[k][1]) if k in stays else None for k in range(STAGES)],
        float(median_cycle),
        reasons,
    ) | {"velocity": _velocity(int(open_), int(won), int(lost), int(won_minor), int(cycle_sum))}


def timed(fn: Callable[[], dict[str, Any]], repeat: int = 3) -> tuple[float, dict[str, Any]]:
    best = float("inf")
    result: dict[str, Any] = {}
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    pipeline = Pipeline(
        tenant_id=TenantId("bench"),
        id="p",
        name="Bench",
        stages=tuple(Stage(f"S{k}", Decimal(k + 1) / (STAGES + 1)) for k in range(STAGES)),
    )
    t = time.perf_counter()
    records, events, opps = generate(n)
    print(f"generated {n:,} opportunities, {len(events):,} stage-change events in {time.perf_counter() - t:.1f} s")
    con = duckdb.connect()
    con.register("events", events)
    con.register("opps", opps)

    t_py, r_py = timed(lambda: run_python(pipeline, records))
    t_pd, r_pd = timed(lambda: run_pandas(events, opps))
    t_db, r_db = timed(lambda: run_duckdb(con))
    agree = r_py == r_pd == r_db
    if not agree:
        for key in r_py:
            if not (r_py[key] == r_pd[key] == r_db[key]):
                print(f"  mismatch in {key}:\n    python {r_py[key]}\n    pandas {r_pd[key]}\n    duckdb {r_db[key]}")
    m_py = peak(lambda: run_python(pipeline, records))
    m_pd = peak(lambda: run_pandas(events, opps))
    m_db = peak(lambda: run_duckdb(con))
    print(f"results agree across the three paths: {agree}")
    won, lost = r_py["won_lost"][:2]
    print(f"win rate {round_fraction(Fraction(won, won + lost))}, velocity {r_py['velocity']}/day")
    print(f"{'path':<14}{'time (s)':>10}{'vs pandas':>11}{'peak MiB':>10}")
    for name, secs, mem in (("pure Python", t_py, m_py), ("pandas", t_pd, m_pd), ("duckdb SQL", t_db, m_db)):
        print(f"{name:<14}{secs:>10.3f}{secs / t_pd:>10.1f}x{mem / 2**20:>10.1f}")
    print(
        f"target: pure Python within 15x of pandas -> {'met' if t_py / t_pd <= 15 else 'NOT met'} ({t_py / t_pd:.1f}x)"
    )


if __name__ == "__main__":
    main()
