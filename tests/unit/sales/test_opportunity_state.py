"""A stateful test of opportunity transitions: terminal states absorb, history only grows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from bizrel.core.errors import BizrelError
from bizrel.core.ids import tenant
from bizrel.core.money import Money
from bizrel.sales import ExitCriteria, Opportunity, OpportunityStatus, Pipeline, Stage

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PIPELINE = Pipeline(
    tenant_id=tenant("t"),
    id="p",
    name="P",
    stages=(
        Stage("A", "0.1"),
        Stage("B", "0.4", ExitCriteria(activities=("call",))),
        Stage("C", "0.7"),
        Stage("D", "0.9", ExitCriteria(approval=True)),
    ),
    transitions={"C": ("D", "B")},
    lost_reasons=("price", "timing"),
)
STAGES = [s.name for s in PIPELINE.stages]


class OpportunityMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.opp = Opportunity.open(
            tenant_id=tenant("t"),
            id="o",
            pipeline=PIPELINE,
            owner_id="r",
            account_name="X",
            amount=Money(10, "USD"),
            expected_close=date(2026, 2, 1),
            at=T0,
        )
        self.seen = list(self.opp.history)
        self.terminal: OpportunityStatus | None = None

    def _tick(self, hours: int) -> datetime:
        self.now += timedelta(hours=hours)
        return self.now

    @rule(
        stage=st.sampled_from(STAGES),
        calls=st.booleans(),
        reason=st.sampled_from([None, "re-scope"]),
        hours=st.integers(0, 48),
    )
    def move(self, stage: str, calls: bool, reason: str | None, hours: int) -> None:
        try:
            self.opp.move(
                PIPELINE, stage, self._tick(hours), completed_activities={"call"} if calls else set(), reason=reason
            )
        except BizrelError:
            return
        assert self.terminal is None

    @rule(stage=st.sampled_from(STAGES))
    def approve(self, stage: str) -> None:
        try:
            self.opp.approve(stage, "boss", self.now, PIPELINE)
        except BizrelError:
            assert self.terminal is not None

    @rule(calls=st.booleans())
    def win(self, calls: bool) -> None:
        try:
            self.opp.win(self._tick(1), PIPELINE, completed_activities={"call"} if calls else set())
        except BizrelError:
            return
        assert self.terminal is None
        self.terminal = OpportunityStatus.WON

    @rule(reason=st.sampled_from(["price", "timing", "aliens"]))
    def lose(self, reason: str) -> None:
        try:
            self.opp.lose(reason, self._tick(1), PIPELINE)
        except BizrelError:
            return
        assert self.terminal is None and reason != "aliens"
        self.terminal = OpportunityStatus.LOST

    @invariant()
    def history_is_append_only_and_terminal_states_absorb(self) -> None:
        history = self.opp.history
        assert history[: len(self.seen)] == self.seen
        assert all(a.entered_at <= b.entered_at for a, b in pairwise(history))
        assert self.opp.stage == history[-1].stage
        if self.terminal is not None:
            assert self.opp.status is self.terminal
            assert len(history) == len(self.seen)
        self.seen = list(history)


OpportunityMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
TestOpportunityMachine = OpportunityMachine.TestCase
