"""`bizrel demo`: a seeded synthetic company told in chapters on one SQLite store.

Each chapter gets its own random stream derived from the seed, so adding a chapter never changes
what the earlier ones print. Chapters share the store and the clock: the story moves through time.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from attrs import define

from bizrel.adapters import Store, open_store
from bizrel.cli import demo_customer, demo_loyalty, demo_performance, demo_sales
from bizrel.core.clock import FixedClock
from bizrel.core.errors import BizrelError

TENANT = "demo-co"
START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


@define
class Story:
    """What chapters share: the store, its clock, the output, and facts earlier chapters left."""

    store: Store
    clock: FixedClock
    out: TextIO
    seed: int
    facts: dict[str, object]

    def rng(self, chapter: str) -> random.Random:
        return random.Random(f"{self.seed}:{chapter}")

    def heading(self, title: str) -> None:
        self.out.write(f"\n== {title} ==\n\n")


class DemoExists(BizrelError):
    def __init__(self, db: str) -> None:
        super().__init__(f"{db} already exists: rerun with --fresh to rebuild it, or pick another --db")


Chapter = Callable[[Story], None]

CHAPTERS: tuple[tuple[str, Chapter], ...] = (
    # sales process
    ("sales", demo_sales.run),
    # sales performance
    ("performance", demo_performance.run),
    # customer management
    ("customer", demo_customer.run),
    # loyalty
    ("loyalty", demo_loyalty.run),
    # bridge
)


def run(*, db: str, seed: int, fresh: bool, out: TextIO) -> None:
    if os.path.exists(db) and not fresh:
        raise DemoExists(db)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    clock = FixedClock(START)
    with open_store(f"sqlite:///{db}", clock=clock) as store:
        story = Story(store=store, clock=clock, out=out, seed=seed, facts={})
        out.write(f"bizrel demo: a synthetic year at {TENANT} (seed {seed}, database {db})\n")
        for _, chapter in CHAPTERS:
            chapter(story)
