"""Activities: overdue work and stale deals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bizrel import sales
from bizrel.adapters import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import InvariantViolation, NotFound, ValidationError
from bizrel.core.money import Money


def test_overdue_and_stale(store: Store, clock: FixedClock) -> None:
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="New", stages=[("A", "0.2"), ("B", "0.6")])
        for i in range(4):
            sales.open_opportunity(
                uow,
                id=f"o{i}",
                pipeline_id="p",
                owner_id="ana",
                account_name="X",
                amount=Money(10, "USD"),
                expected_close=date(2026, 6, 1),
            )
        uow.commit()
    with store.unit_of_work("t") as uow:
        # three deals move on after 2 days: the usual time in A is 2 days
        clock.advance(days=2)
        for i in range(3):
            sales.advance_opportunity(uow, f"o{i}", "B")
        sales.log_activity(
            uow,
            id="late",
            kind="task",
            subject="send quote",
            owner_id="ana",
            opportunity_id="o0",
            due_at=clock.now() + timedelta(days=1),
            done=False,
        )
        sales.log_activity(
            uow,
            id="fine",
            kind="meeting",
            subject="demo",
            owner_id="ana",
            opportunity_id="o1",
            due_at=clock.now() + timedelta(days=30),
            done=False,
        )
        sales.log_activity(uow, kind="call", subject="c", owner_id="ana", opportunity_id="o1")
        uow.commit()
    clock.advance(days=5)
    with store.unit_of_work("t") as uow:
        acts = uow.activities.list()
        assert [a.id for a in sales.overdue_activities(acts, clock.now())] == ["late"]
        report = sales.stale_opportunities(uow.opportunities.list(), acts, clock.now(), no_activity_days=7)
        rows = {r["opportunity_id"]: r["reasons"] for r in report.to_rows()}
    assert set(rows) == {"o0", "o2", "o3"}  # o1 had a call 5 days ago
    assert "7 days in A (usual 2.0)" in str(rows["o3"])
    assert "no activity for 7 days" in str(rows["o0"])
    with store.unit_of_work("t") as uow:
        sales.complete_activity(uow, "late")
        with pytest.raises(InvariantViolation):
            sales.complete_activity(uow, "late")


def test_activity_bad_input(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        with pytest.raises(NotFound):
            sales.log_activity(uow, kind="call", subject="x", owner_id="ana", lead_id="nope")
        sales.capture_lead(uow, id="l", name="L", source="web")
        with pytest.raises(ValidationError, match="kind"):
            sales.log_activity(uow, kind="fax", subject="x", owner_id="ana", lead_id="l")
        with pytest.raises(ValidationError, match="linked"):
            sales.log_activity(uow, kind="call", subject="x", owner_id="ana")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert uow.activities.count() == 0
