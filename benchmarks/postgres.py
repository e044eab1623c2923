"""PostgreSQL adapter throughput against raw psycopg, measured in the same run.

1. 100,000 opportunities with stage histories (opportunity rows, stage-change rows, one outbox
   row per recorded event), written and read back:
   - raw psycopg executemany and raw COPY, every row pre-built (the anchors);
   - the adapter's unit of work (executemany from domain objects: encoding, versions, outbox);
   - the adapter's bulk_load (COPY from domain objects);
   - the SQLite adapter with the same objects, for comparison.
2. 1,000,000 transaction-like rows (a ledger entry: account, signed Money, booking time, memo)
   through bulk_load (COPY) vs raw COPY and raw executemany of pre-built rows, and the unit of
   work on a slice (its rate is scaled to the full size).

Each part runs in a throwaway database created on the server named by BIZREL_TEST_PG_DSN (or the
first argument), dropped at the end.

    python benchmarks/postgres.py [DSN] [N_OPPORTUNITIES] [N_ENTRIES]
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from attrs import define
from psycopg import sql

from bizrel.adapters import open_store
from bizrel.adapters.postgres import bulk_load, pg_value
from bizrel.adapters.schema import AggregateTable, Column, table_ddl
from bizrel.adapters.tables import OPPORTUNITIES
from bizrel.adapters.unit_of_work import encode_body, outbox_record
from bizrel.core import FixedClock, Money
from bizrel.core.aggregate import Aggregate
from bizrel.sales import Opportunity
from harness import throwaway_postgres  # beside this script
from sqlite_persist import START, TENANT, build  # the same 100,000 opportunities as the SQLite benchmark

# -- data ------------------------------------------------------------------------------------------


@define(kw_only=True)
class LedgerEntry(Aggregate):
    """A transaction-like row: the shape of payments, invoices' lines or points movements."""

    account_id: str
    amount: Money
    booked_at: datetime
    memo: str


LEDGER = AggregateTable(
    name="ledger_entries",
    cls=LedgerEntry,
    kind="ledger entry",
    columns=(
        Column("account_id", "text", lambda e: e.account_id),
        Column("amount_minor", "int", lambda e: e.amount.to_minor()),
        Column("booked_at", "timestamp", lambda e: e.booked_at),
    ),
)


def entries(n: int, offset: int = 0) -> Iterator[LedgerEntry]:
    for i in range(offset, offset + n):
        yield LedgerEntry(
            tenant_id=TENANT,
            id=f"e{i:08d}",
            account_id=f"acct{i % 20_000}",
            amount=Money.from_minor((i % 997) * (1 if i % 5 else -1), "EUR"),
            booked_at=START + timedelta(seconds=i),
            memo=f"invoice {i % 100_000}",
        )


def row_of(table: AggregateTable, aggregate: Aggregate) -> tuple[Any, ...]:
    return (TENANT, aggregate.id, 1, encode_body(aggregate), *(pg_value(c.get(aggregate)) for c in table.columns))


# -- databases -------------------------------------------------------------------------------------


def clear(url: str, *tables: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(t) for t in tables)))


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def insert_sql(table: AggregateTable) -> str:
    names = ", ".join(["tenant_id", "id", "version", "body", *(c.name for c in table.columns)])
    return f"INSERT INTO {table.name} ({names}) VALUES ({', '.join(['%s'] * (4 + len(table.columns)))})"


def copy_sql(table: AggregateTable) -> str:
    names = ", ".join(["tenant_id", "id", "version", "body", *(c.name for c in table.columns)])
    return f"COPY {table.name} ({names}) FROM STDIN"


# -- part 1: opportunities -------------------------------------------------------------------------


def raw_opportunity_rows(opps: list[Opportunity]) -> tuple[list[Any], list[Any], list[Any]]:
    rows = [row_of(OPPORTUNITIES, o) for o in opps]
    children = [(TENANT, o.id, seq, c.stage, c.entered_at) for o in opps for seq, c in enumerate(o.history)]
    outbox = []
    for o in opps:
        for e in o.pending_events:
            r = outbox_record(e, dispatched=True)
            outbox.append((TENANT, r.event_id, r.type_name, r.payload, e.occurred_at, e.occurred_at, 0))
    return rows, children, outbox


def raw_opportunities(url: str, opps: list[Opportunity], copy: bool) -> float:
    rows, children, outbox = raw_opportunity_rows(opps)
    child_sql = "opportunity_stage_changes (tenant_id, parent_id, seq, stage, entered_at)"
    outbox_sql = "outbox (tenant_id, event_id, type_name, payload, occurred_at, dispatched_at, attempts)"

    def run() -> None:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            if copy:
                for statement, data in (
                    (copy_sql(OPPORTUNITIES), rows),
                    (f"COPY {child_sql} FROM STDIN", children),
                    (f"COPY {outbox_sql} FROM STDIN", outbox),
                ):
                    with cur.copy(statement) as c:
                        for row in data:
                            c.write_row(row)
            else:
                cur.executemany(insert_sql(OPPORTUNITIES), rows)
                cur.executemany(f"INSERT INTO {child_sql} VALUES (%s, %s, %s, %s, %s)", children)
                cur.executemany(f"INSERT INTO {outbox_sql} VALUES (%s, %s, %s, %s, %s, %s, %s)", outbox)

    return timed(run)


def raw_read(url: str) -> float:
    def run() -> None:
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT id, version, body FROM opportunities WHERE tenant_id = %s ORDER BY id", (TENANT,)
            ).fetchall()
            assert rows

    return timed(run)


def adapter_opportunities(url: str, n: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    pipeline, opps = build(n)
    with open_store(url, clock=FixedClock(START)) as store:

        def write() -> None:
            with store.unit_of_work(TENANT) as uow:
                uow.pipelines.add(pipeline)
                uow.opportunities.add_many(opps)
                uow.commit()

        figures["uow write"] = timed(write)

        def read() -> None:
            with store.unit_of_work(TENANT) as uow:
                loaded = uow.opportunities.list()
                assert len(loaded) == n
                assert loaded[-1] == opps[-1]

        figures["uow read"] = timed(read)
    clear(url, "opportunity_stage_changes", "opportunities", "outbox")
    _, opps = build(n)
    with open_store(url, clock=FixedClock(START)) as store:
        figures["bulk_load"] = timed(lambda: bulk_load(store, TENANT, "opportunity", opps))
    clear(url, "opportunity_stage_changes", "opportunities", "outbox")
    figures["raw executemany"] = raw_opportunities(url, build(n)[1], copy=False)
    figures["raw read"] = raw_read(url)
    clear(url, "opportunity_stage_changes", "opportunities", "outbox")
    figures["raw COPY"] = raw_opportunities(url, build(n)[1], copy=True)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline, opps = build(n)
        with open_store(f"sqlite:///{Path(tmp) / 'bench.db'}", clock=FixedClock(START)) as store:

            def sqlite_write() -> None:
                with store.unit_of_work(TENANT) as uow:
                    uow.pipelines.add(pipeline)
                    uow.opportunities.add_many(opps)
                    uow.commit()

            def sqlite_read() -> None:
                with store.unit_of_work(TENANT) as uow:
                    assert len(uow.opportunities.list()) == n

            figures["sqlite uow write"] = timed(sqlite_write)
            figures["sqlite uow read"] = timed(sqlite_read)
    return figures


# -- part 2: transaction-like rows -----------------------------------------------------------------


def ledger(url: str, n: int, uow_slice: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        for statement in table_ddl(LEDGER, "postgres"):
            conn.execute(statement)
    built = list(entries(n))  # every path starts from objects (or rows) built before the clock starts
    with open_store(url, clock=FixedClock(START)) as store:
        figures["bulk_load"] = timed(lambda: bulk_load(store, TENANT, LEDGER, built))
    clear(url, LEDGER.name)
    rows: list[tuple[Any, ...]] = []
    figures["(encoding rows alone)"] = timed(lambda: rows.extend(row_of(LEDGER, e) for e in built))
    built.clear()

    def raw_copy() -> None:
        with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(copy_sql(LEDGER)) as copy:
            for row in rows:
                copy.write_row(row)

    figures["raw COPY"] = timed(raw_copy)
    clear(url, LEDGER.name)

    def raw_executemany() -> None:
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            cur.executemany(insert_sql(LEDGER), rows)

    figures["raw executemany"] = timed(raw_executemany)
    rows.clear()
    clear(url, LEDGER.name)
    sample = list(entries(uow_slice))
    with open_store(url, clock=FixedClock(START)) as store:

        def uow_write() -> None:
            with store.unit_of_work(TENANT) as uow:
                uow.repository(LEDGER).add_many(sample)
                uow.commit()

        figures["uow write (scaled)"] = timed(uow_write) * n / uow_slice
    return figures


# -- report ----------------------------------------------------------------------------------------


def report(title: str, figures: dict[str, float], anchor: str) -> None:
    print(title)
    base = figures[anchor]
    for name, seconds in figures.items():
        print(f"  {name:<22} {seconds:9.3f} s   {seconds / base:6.2f}x {anchor}")


def main() -> None:
    admin = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BIZREL_TEST_PG_DSN", "")
    if not admin:
        sys.exit("give a PostgreSQL DSN (argument or BIZREL_TEST_PG_DSN)")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    m = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with throwaway_postgres(admin) as url:
        open_store(url).close()
        figures = adapter_opportunities(url, n)
    stage_rows = sum(len(o.history) for o in build(min(n, 1000))[1]) * n // min(n, 1000)
    write = {k: v for k, v in figures.items() if "read" not in k}
    read = {k: v for k, v in figures.items() if "read" in k}
    report(
        f"{n:,} opportunities (~{stage_rows:,} stage changes, events in the outbox): write", write, "raw executemany"
    )
    report(f"{n:,} opportunities: read back all", read, "raw read")
    print(
        f"  PostgreSQL / SQLite adapter: write {figures['uow write'] / figures['sqlite uow write']:.2f}x, "
        f"read {figures['uow read'] / figures['sqlite uow read']:.2f}x"
    )
    with throwaway_postgres(admin) as url:
        open_store(url).close()
        report(f"{m:,} ledger entries", ledger(url, m, min(m, 100_000)), "raw COPY")


if __name__ == "__main__":
    main()
