"""Stateful: recording responses and taking snapshots through the services keeps the store equal to a model.

Valid responses are stored, refused ones leave no trace, NPS over the stored responses equals NPS
over the model, and each snapshot's members are exactly the customers matching the rule then.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import bizrel
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ValidationError
from bizrel.customer import (
    HasTag,
    InLifecycleStage,
    create_survey,
    nps,
    record_response,
    save_segment,
    snapshot_segment,
)

CUSTOMERS = [f"c{i}" for i in range(6)]
RULE = HasTag("vip") & ~InLifecycleStage(("churned",))


class AnalyticsMachine(RuleBasedStateMachine):
    url = "memory://"

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.store = bizrel.open_store(self.url, clock=self.clock)
        self.scores: list[int] = []
        self.records = {c: {"id": c, "tags": [], "lifecycle_stage": "active"} for c in CUSTOMERS}
        self.snapshots: list[tuple[str, tuple[str, ...]]] = []
        with self.store.unit_of_work("t") as uow:
            create_survey(uow, id="s", name="NPS", kind="nps", question="Recommend us?")
            save_segment(uow, id="vip", name="Active VIPs", rule=RULE)
            uow.commit()

    def teardown(self) -> None:
        self.store.close()

    @rule(customer=st.sampled_from(CUSTOMERS), score=st.integers(0, 10), hours=st.integers(0, 48))
    def respond(self, customer: str, score: int, hours: int) -> None:
        self.clock.advance(hours=hours)
        with self.store.unit_of_work("t") as uow:
            record_response(uow, survey_id="s", customer_id=customer, score=score)
            uow.commit()
        self.scores.append(score)

    @rule(customer=st.sampled_from(CUSTOMERS), score=st.one_of(st.integers(11, 100), st.integers(-100, -1)))
    def respond_out_of_range(self, customer: str, score: int) -> None:
        with self.store.unit_of_work("t") as uow:
            with pytest.raises(ValidationError):
                record_response(uow, survey_id="s", customer_id=customer, score=score)
            uow.commit()  # committing after a refusal stores nothing

    @rule(customer=st.sampled_from(CUSTOMERS), vip=st.booleans(), churned=st.booleans())
    def change_customer(self, customer: str, vip: bool, churned: bool) -> None:
        self.records[customer]["tags"] = ["vip"] if vip else []
        self.records[customer]["lifecycle_stage"] = "churned" if churned else "active"

    @rule()
    def snapshot(self) -> None:
        self.clock.advance(days=1)
        expected = tuple(
            sorted(c for c, r in self.records.items() if "vip" in r["tags"] and r["lifecycle_stage"] != "churned")  # type: ignore[operator]
        )
        with self.store.unit_of_work("t") as uow:
            taken = snapshot_segment(uow, "vip", list(self.records.values()))
            uow.commit()
        assert taken.member_ids == expected
        self.snapshots.append((taken.id, expected))

    @invariant()
    def store_matches_model(self) -> None:
        with self.store.unit_of_work("t") as uow:
            stored = uow.survey_responses.list(order_by="responded_at")
            assert sorted(r.score for r in stored) == sorted(self.scores)
            assert nps(stored) == nps(self.scores)
            snaps = uow.segment_snapshots.list(segment_id="vip", order_by="as_of")
            assert [(s.id, s.member_ids) for s in snaps] == self.snapshots


class SqliteAnalyticsMachine(AnalyticsMachine):
    url = "sqlite://"


TestMemoryAnalytics = AnalyticsMachine.TestCase
TestMemoryAnalytics.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
TestSqliteAnalytics = SqliteAnalyticsMachine.TestCase
TestSqliteAnalytics.settings = settings(max_examples=15, stateful_step_count=15, deadline=None)
