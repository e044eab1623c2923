"""Persist 100,000 opportunities with stage histories: the SQLite adapter vs raw sqlite3.

Both write the same rows to the same schema on the same kind of file: the opportunity rows (JSON
body plus indexed columns), their stage-change rows, and one outbox row per recorded event. The
raw anchor gets every row pre-built and only runs executemany in one transaction; the adapter
starts from domain objects and includes encoding, version bookkeeping and the outbox.

    python benchmarks/sqlite_persist.py [N]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bizrel.adapters import open_store
from bizrel.adapters.codec import encode, encode_event
from bizrel.adapters.schema import portable_value
from bizrel.adapters.sqlite import SqliteBackend
from bizrel.adapters.tables import OPPORTUNITIES
from bizrel.core import FixedClock, Money, TenantId
from bizrel.sales import Opportunity, Pipeline, Stage

TENANT = TenantId("bench")
START = datetime(2025, 1, 1, tzinfo=UTC)


def build(n: int) -> tuple[Pipeline, list[Opportunity]]:
    pipeline = Pipeline(
        tenant_id=TENANT,
        id="p",
        name="New",
        stages=tuple(Stage(name, p) for name, p in [("A", "0.1"), ("B", "0.3"), ("C", "0.6"), ("D", "0.8")]),
    )
    opps = []
    for i in range(n):
        at = START + timedelta(minutes=i)
        opp = Opportunity.open(
            tenant_id=TENANT,
            id=f"o{i:07d}",
            pipeline=pipeline,
            owner_id=f"rep{i % 50}",
            account_name=f"Account {i % 5000}",
            amount=Money.from_minor(10_000 + i, "USD"),
            expected_close=date(2026, 6, 30),
            at=at,
        )
        for k, stage in enumerate(pipeline.stages[1 : 1 + i % 4], 1):
            opp.advance(pipeline, stage.name, at + timedelta(days=k))
        if i % 3 == 0:
            opp.win(at + timedelta(days=10))
        opps.append(opp)
    return pipeline, opps


def raw_rows(
    opps: list[Opportunity],
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    rows, children, outbox = [], [], []
    for o in opps:
        body = encode(o)
        del body["version"]
        rows.append(
            (
                TENANT,
                o.id,
                1,
                json.dumps(body, separators=(",", ":")),
                *(portable_value(c.get(o)) for c in OPPORTUNITIES.columns),
            )
        )
        children += [(TENANT, o.id, seq, c.stage, portable_value(c.entered_at)) for seq, c in enumerate(o.history)]
        for e in o.pending_events:
            name, payload = encode_event(e)
            outbox.append(
                (
                    TENANT,
                    e.event_id,
                    name,
                    json.dumps(payload),
                    portable_value(e.occurred_at),
                    portable_value(e.occurred_at),
                    0,
                )
            )
    return rows, children, outbox


def time_raw(path: Path, opps: list[Opportunity]) -> float:
    SqliteBackend(str(path)).close()  # same schema, created by the migrations
    rows, children, outbox = raw_rows(opps)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    cols = ", ".join(c.name for c in OPPORTUNITIES.columns)
    marks = ", ".join("?" * (4 + len(OPPORTUNITIES.columns)))
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO opportunities (tenant_id, id, version, body, {cols}) VALUES ({marks})", rows)
    conn.executemany(
        "INSERT INTO opportunity_stage_changes (tenant_id, parent_id, seq, stage, entered_at) VALUES (?, ?, ?, ?, ?)",
        children,
    )
    conn.executemany(
        "INSERT INTO outbox (tenant_id, event_id, type_name, payload, occurred_at, dispatched_at, attempts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        outbox,
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def time_adapter(path: Path, pipeline: Pipeline, opps: list[Opportunity]) -> tuple[float, float]:
    with open_store(f"sqlite:///{path}", clock=FixedClock(START)) as store:
        started = time.perf_counter()
        with store.unit_of_work(TENANT) as uow:
            uow.pipelines.add(pipeline)
            uow.opportunities.add_many(opps)
            uow.commit()
        write = time.perf_counter() - started
        started = time.perf_counter()
        with store.unit_of_work(TENANT) as uow:
            loaded = uow.opportunities.list()
        read = time.perf_counter() - started
        assert len(loaded) == len(opps) and loaded[-1] == opps[-1]
    return write, read


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    pipeline, opps = build(n)
    _, raw_opps = build(n)  # a second copy: the adapter consumes the recorded events of its own
    stage_rows = sum(len(o.history) for o in opps)
    with tempfile.TemporaryDirectory() as tmp:
        raw = time_raw(Path(tmp) / "raw.db", raw_opps)
        write, read = time_adapter(Path(tmp) / "adapter.db", pipeline, opps)
    print(f"{n:,} opportunities, {stage_rows:,} stage changes, {n + n // 3 + stage_rows - n:,} events")
    print(f"raw sqlite3 executemany (rows pre-built): {raw:8.3f} s")
    ratio = write / raw
    print(f"bizrel SQLite adapter (from objects):     {write:8.3f} s   ratio {ratio:5.2f}x  (target <= 2x)")
    print(f"bizrel SQLite adapter read back all:      {read:8.3f} s")


if __name__ == "__main__":
    main()
