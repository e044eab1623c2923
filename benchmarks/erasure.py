"""Erasure at scale: `erase_customer` on a SQLite file holding N customers, each with two
interactions, a sales account and an opportunity on it (its external id), and their events.

Anchor, measured in the same run on a copy of the same file: a hand-written raw-sqlite3 erasure
that knows the schema: it finds the customer's interactions by index and its opportunities by
scanning and decoding every opportunity body (as erase_customer must: account_id is not an
indexed column), rewrites the name fields with json_set and commits. The ratio is what the
registry-driven, validated, all-tables erasure costs over that.

    python benchmarks/erasure.py [N]
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import bizrel
from bizrel.bridge import erase_customer
from bizrel.core.clock import FixedClock
from bizrel.core.money import Money
from bizrel.customer import Contact, create_customer, log_interaction
from bizrel.sales import Account, create_pipeline, open_opportunity

TENANT = "bench"
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
ERASE = 25


def build(path: Path, n: int) -> None:
    with bizrel.open_store(f"sqlite:///{path}", clock=FixedClock(NOW)) as store, store.unit_of_work(TENANT) as uow:
        create_pipeline(uow, id="nb", name="New", stages=[("Qualify", "0.2")])
        for i in range(n):
            name = f"Person {i:05d}"
            uow.accounts.add(Account.create(tenant_id=uow.tenant_id, id=f"acc-{i}", name=name, at=NOW))
            create_customer(
                uow,
                id=f"c-{i}",
                name=name,
                kind="person",
                owner_id="cs-1",
                timezone="UTC",
                external_id=f"acc-{i}",
                contacts=[Contact(name=name, email=f"p{i}@example.com")],
            )
            for k in range(2):
                log_interaction(
                    uow,
                    customer_id=f"c-{i}",
                    channel="call",
                    direction="inbound",
                    outcome="completed",
                    summary=f"{name} called ({k})",
                    id=f"i-{i}-{k}",
                )
            open_opportunity(
                uow,
                id=f"o-{i}",
                pipeline_id="nb",
                owner_id="rep-1",
                account_name=name,
                account_id=f"acc-{i}",
                amount=Money(1000, "EUR"),
                expected_close=date(2026, 9, 30),
            )
        uow.commit()


def bizrel_erasure(path: Path, ids: list[str]) -> float:
    with bizrel.open_store(f"sqlite:///{path}", clock=FixedClock(NOW)) as store:
        start = time.perf_counter()
        for cid in ids:
            with store.unit_of_work(TENANT) as uow:
                erase_customer(uow, cid)
                uow.commit()
        return time.perf_counter() - start


def raw_erasure(path: Path, ids: list[str]) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    start = time.perf_counter()
    for cid in ids:
        conn.execute("BEGIN IMMEDIATE")
        (body,) = conn.execute("SELECT body FROM customers WHERE tenant_id = ? AND id = ?", (TENANT, cid)).fetchone()
        account = json.loads(body)["external_id"]
        conn.execute(
            "UPDATE customers SET body = json_set(body, '$.name', 'erased'), name = 'erased', version = version + 1 "
            "WHERE tenant_id = ? AND id = ?",
            (TENANT, cid),
        )
        conn.execute(
            "UPDATE interactions SET body = json_set(body, '$.summary', 'erased'), version = version + 1 "
            "WHERE tenant_id = ? AND customer_id = ?",
            (TENANT, cid),
        )
        for oid, obody in conn.execute("SELECT id, body FROM opportunities WHERE tenant_id = ?", (TENANT,)).fetchall():
            if json.loads(obody).get("account_id") == account:
                conn.execute(
                    "UPDATE opportunities SET body = json_set(body, '$.account_name', 'erased') "
                    "WHERE tenant_id = ? AND id = ?",
                    (TENANT, oid),
                )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    with tempfile.TemporaryDirectory() as tmp:
        path, copy = Path(tmp) / "erasure.db", Path(tmp) / "anchor.db"
        t0 = time.perf_counter()
        build(path, n)
        print(f"built {n} customers with interactions, accounts and opportunities in {time.perf_counter() - t0:.2f} s")
        shutil.copy(path, copy)
        ids = [f"c-{i}" for i in range(0, n, max(1, n // ERASE))][:ERASE]
        ours, anchor = bizrel_erasure(path, ids), raw_erasure(copy, ids)
        again = bizrel_erasure(path, ids)
        per = 1000 / len(ids)
        print(f"erase_customer:            {ours * per:8.2f} ms per customer ({len(ids)} customers, {n} in the tenant)")
        print(f"erase again (idempotent):  {again * per:8.2f} ms per customer")
        print(f"raw sqlite3 anchor:        {anchor * per:8.2f} ms per customer")
        print(f"ratio erase_customer / anchor: {ours / anchor:.1f}x")


if __name__ == "__main__":
    main()
