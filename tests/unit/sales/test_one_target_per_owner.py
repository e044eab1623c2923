"""Issue 19 item 7: targets for one rep and period from two parents were silently added together."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

import bizrel
from bizrel.adapters import Store
from bizrel.core import FixedClock, InvariantViolation, Money, Period
from bizrel.sales import performance_services as svc

Q1 = Period.quarter(2026, 1)


def usd(x: str) -> Money:
    return Money(x, "USD")


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    with bizrel.open_store(request.param, clock=FixedClock(datetime(2026, 1, 2, 9, tzinfo=UTC))) as store:
        with store.unit_of_work("t") as uow:
            svc.create_organisation(uow, id="org", name="Acme", root_team="all", root_name="All")
            svc.add_team(uow, "org", "east", "East", "all")
            svc.add_team(uow, "org", "west", "West", "all")
            svc.assign_member(uow, "org", "ana", "east", date(2026, 1, 1))
            svc.assign_member(uow, "org", "bo", "east", date(2026, 1, 1))
            svc.assign_member(uow, "org", "bo", "west", date(2026, 2, 15))  # moves mid-quarter
            svc.set_target(
                uow, id="q1", metric="bookings", owner_kind="org", owner_id="org", period=Q1, value=usd("300000.00")
            )
            svc.allocate_target(uow, "q1", {"east": 2, "west": 1}, owner_kind="team")
            uow.commit()
        yield store


@pytest.mark.rule("An owner has one target per metric and period.")
@pytest.mark.rule(
    "A second one from another parent is refused with "
    "`InvariantViolation` naming both targets and both parents, and nothing is stored."
)
def test_a_direct_target_and_a_team_share_for_the_same_rep_are_refused_naming_both(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        svc.set_target(
            uow, id="ana-own", metric="bookings", owner_kind="rep", owner_id="ana", period=Q1, value=usd("50000.00")
        )
        uow.commit()
    with store.unit_of_work("t") as uow:
        with pytest.raises(InvariantViolation) as refused:
            svc.allocate_to_team_members(uow, "q1/east@2026-Q1", "org")
        assert refused.value.field == "parent_id"
        assert refused.value.value == "q1/east@2026-Q1"
        assert "ana-own" in str(refused.value) and "q1/east@2026-Q1/ana@2026-Q1" in str(refused.value)
        assert "parent None" in str(refused.value)
    with store.unit_of_work("t") as uow:
        assert [t.id for t in uow.targets.list(owner_id="ana")] == ["ana-own"]
        assert uow.targets.list(parent_id="q1/east@2026-Q1") == []


@pytest.mark.rule("An owner has one target per metric and period.")
def test_a_second_target_set_directly_is_refused(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        svc.set_target(uow, id="a1", metric="activities", owner_kind="rep", owner_id="ana", period=Q1, value=30)
        with pytest.raises(InvariantViolation, match="a1"):
            svc.set_target(
                uow, id="a2", metric="activities", owner_kind="rep", owner_id="ana", period=Q1, value=20, parent_id="q1"
            )
        # another metric, another period, another owner: each its own target
        svc.set_target(uow, id="b1", metric="bookings", owner_kind="rep", owner_id="ana", period=Q1, value=usd("1"))
        svc.set_target(uow, id="a3", metric="activities", owner_kind="rep", owner_id="ana", period=Q1.next(), value=20)
        svc.set_target(uow, id="a4", metric="activities", owner_kind="rep", owner_id="bo", period=Q1, value=20)
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert sorted(t.id for t in uow.targets.list()) == [
            "a1",
            "a3",
            "a4",
            "b1",
            "q1",
            "q1/east@2026-Q1",
            "q1/west@2026-Q1",
        ]


@pytest.mark.rule(
    "The one exception is explicit: a rep who moved between teams mid-period gets a day-prorated share "
    "from each team through `allocate_to_team_members`, and attainment and commissions add those shares up."
)
def test_the_shares_of_a_rep_who_moved_teams_add_up_explicitly(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        east = svc.allocate_to_team_members(uow, "q1/east@2026-Q1", "org")
        west = svc.allocate_to_team_members(uow, "q1/west@2026-Q1", "org")
        uow.commit()
    # east 200,000.00 over ana 90 days : bo 45 days; west 100,000.00 all to bo (the only member, 45 days)
    assert {t.owner_id: t.value for t in east} == {"ana": usd("133333.33"), "bo": usd("66666.67")}
    assert {t.owner_id: t.value for t in west} == {"bo": usd("100000.00")}
    with store.unit_of_work("t") as uow:
        report = svc.target_attainment(uow, metric="bookings", owner_kind="rep", period=Q1, as_of=date(2026, 2, 1))
    assert report.row("bo").target == usd("166666.67")
