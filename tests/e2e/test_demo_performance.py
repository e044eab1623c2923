"""The demo's sales performance chapter runs after the sales chapter and prints its tables."""

from __future__ import annotations

import io
from pathlib import Path

from bizrel.adapters import open_store
from bizrel.cli import demo
from bizrel.core.clock import FixedClock
from bizrel.sales import AttainmentReport, CommissionStatement


def test_demo_prints_targets_attainment_statement_and_aging(tmp_path: Path) -> None:
    out = io.StringIO()
    clock = FixedClock(demo.START)
    with open_store(f"sqlite:///{tmp_path / 'demo.db'}", clock=clock) as store:
        story = demo.Story(store=store, clock=clock, out=out, seed=7, facts={})
        chapters = dict(demo.CHAPTERS)
        chapters["sales"](story)
        chapters["performance"](story)
    text = out.getvalue()
    for heading in ("seasonal distribution", "attainment and pacing per rep", "commission statement", "aging"):
        assert heading in text
    assert text.count("\nchen   rep") == 2  # moved teams mid-quarter: a prorated target in each
    statement = story.facts["performance.statement"]
    assert isinstance(statement, CommissionStatement)
    assert sum(line.amount.to_minor() for line in statement.lines) == statement.total.to_minor()
    assert isinstance(story.facts["performance.attainment"], AttainmentReport)
