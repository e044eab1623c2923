"""`bizrel demo`: a seeded synthetic company told in chapters on one SQLite store and one clock.

The story: in 2025 leads move through the pipeline and every won deal is handed over to customer
success as it is won (the bridge listens on the store's bus from the first page). In 2026 those
customers onboard, buy, answer NPS, earn loyalty points, renew, expand or churn; renewals, upsells
and referrals flow back into the pipeline, and the closed-loop report ends the story.

Each chapter gets its own random stream derived from the seed, so adding a chapter never changes
what the earlier ones print. The clock only moves forward. The customer year runs one loop, and
calls the daily jobs other chapters registered (`Story.daily`: an hour of the day and a job).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from attrs import define, field

from bizrel.adapters import Store, open_store
from bizrel.cli import (
    demo_bridge,
    demo_customer,
    demo_insight,
    demo_loyalty,
    demo_performance,
    demo_report,
    demo_sales,
    demo_security,
)
from bizrel.core.clock import FixedClock
from bizrel.core.errors import BizrelError

TENANT = "demo-co"
START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
CUSTOMER_YEAR = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@define
class Story:
    """What chapters share: the store, its clock, the output, and facts earlier chapters left."""

    store: Store
    clock: FixedClock
    out: TextIO
    seed: int
    facts: dict[str, object]
    customer_year: datetime = CUSTOMER_YEAR
    report_path: str = "bizrel-demo.html"
    daily: list[tuple[int, Callable[[datetime], None]]] = field(factory=list)

    def rng(self, chapter: str) -> random.Random:
        return random.Random(f"{self.seed}:{chapter}")

    def run_daily(self, now: datetime) -> bool:
        """Run the jobs registered for this hour (UTC), in registration order; whether any ran."""
        jobs = [job for hour, job in self.daily if hour == now.hour]
        for job in jobs:
            job(now)
        return bool(jobs)

    def heading(self, title: str) -> None:
        self.out.write(f"\n== {title} ==\n\n")


class DemoExists(BizrelError):
    def __init__(self, db: str) -> None:
        super().__init__(
            "db", db, "already exists", f"{db} already exists: rerun with --fresh to rebuild it, or pick another --db"
        )


Chapter = Callable[[Story], None]

CHAPTERS: tuple[tuple[str, Chapter], ...] = (
    # loyalty: the program exists before the first deal is won (won customers join it at handover)
    ("loyalty program", demo_loyalty.setup),
    # bridge: wired on the store's bus before the first deal; registers its daily jobs
    ("handover", demo_bridge.setup),
    # sales process (2025)
    ("sales", demo_sales.run),
    # sales performance (FY2025)
    ("performance", demo_performance.run),
    # customer management (2026: runs the daily jobs of loyalty and the bridge)
    ("customer", demo_customer.run),
    ("insight", demo_insight.run),
    # loyalty
    ("loyalty", demo_loyalty.report),
    # bridge: the closed loop ends the story
    ("bridge", demo_bridge.run),
    # security
    ("security", demo_security.run),
    # the report on the whole story (bizrel report), written beside the database
    ("report", demo_report.run),
)


def run(*, db: str, seed: int, fresh: bool, out: TextIO, progress: TextIO | None = None) -> None:
    """Tell the story on `out`; name each chapter on `progress` (a terminal) as it starts."""
    if os.path.exists(db) and not fresh:
        raise DemoExists(db)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    clock = FixedClock(START)
    with open_store(f"sqlite:///{db}", clock=clock) as store:
        story = Story(store=store, clock=clock, out=out, seed=seed, facts={}, report_path=demo_report.report_path(db))
        out.write(
            f"bizrel demo: {TENANT} sells through {START.year} and hands every won deal to customer success; "
            f"{CUSTOMER_YEAR.year} is its customers' year (seed {seed}, database {db})\n"
        )
        for number, (name, chapter) in enumerate(CHAPTERS, start=1):
            if progress is not None:
                progress.write(f"bizrel demo: chapter {number}/{len(CHAPTERS)}: {name}\n")
                progress.flush()
            chapter(story)
