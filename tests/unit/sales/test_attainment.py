"""Attainment, pacing and leaderboards; scorecards and the periodic review; the services end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bizrel
from bizrel.core import FixedClock, Money, Period, ValidationError
from bizrel.sales import (
    Bracket,
    KpiSpec,
    Opportunity,
    Pipeline,
    Role,
    SalesOrganisation,
    Scorecard,
    SeasonalDistribution,
    Stage,
    attainment_report,
    bookings,
    compare_reviews,
    kpi_attainments,
)
from bizrel.sales import performance_services as svc

Q1 = Period.quarter(2026, 1)
PIPE = Pipeline(tenant_id="t", id="p", name="New", stages=(Stage("Open", "0.5"),))


def usd(x: str) -> Money:
    return Money(x, "USD")


def won(id: str, owner: str, amount: str, day: date) -> Opportunity:
    opp = Opportunity.open(
        tenant_id="t",
        id=id,
        pipeline=PIPE,
        owner_id=owner,
        account_name="A",
        amount=usd(amount),
        expected_close=date(2026, 12, 1),
        at=datetime(2025, 12, 1, tzinfo=UTC),
    )
    opp.win(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
    return opp


def test_attainment_gap_pacing_and_projection() -> None:
    report = attainment_report(
        {"ana": usd("90000.00"), "bo": usd("90000.00")},
        {"ana": usd("60000.00")},
        Q1,
        date(2026, 2, 15),  # 45 of 90 days
    )
    ana, bo = report.row("ana"), report.row("bo")
    assert ana.attainment == Decimal("0.6667") and ana.gap == usd("30000.00")
    assert ana.expected_to_date == usd("45000.00") and ana.pacing == Decimal("1.3333") and ana.on_track
    assert ana.projection == usd("120000.00") and ana.projected_attainment == Decimal("1.3333")
    assert bo.actual == usd("0.00") and not bo.on_track
    assert "pacing" in str(report) and "<table>" in report._repr_html_()


def test_seasonal_pacing_expects_less_in_a_slow_month() -> None:
    pct = SeasonalDistribution([10, 20, 30, *[5] * 8, 0])
    report = attainment_report(
        {"ana": usd("60000.00")}, {"ana": usd("10000.00")}, Q1, date(2026, 2, 1), distribution=pct
    )
    assert report.row("ana").expected_to_date == usd("10000.00")  # January holds 10 of the quarter's 60
    assert report.row("ana").pacing == Decimal(1)


def test_count_targets_are_exact_too() -> None:
    report = attainment_report({"ana": 40}, {"ana": 13}, Q1, date(2026, 3, 1))
    assert report.row("ana").attainment == Decimal("0.325") and report.row("ana").gap == 27


def test_leaderboard_ties_share_a_rank_and_order_deterministically() -> None:
    targets = {k: usd("100.00") for k in ("cy", "ana", "bo", "dee")}
    actuals = {"ana": usd("50.00"), "bo": usd("50.00"), "cy": usd("80.00")}
    board = attainment_report(targets, actuals, Q1, date(2026, 4, 1)).leaderboard()
    assert [(e.rank, e.owner_id) for e in board.entries] == [(1, "cy"), (2, "ana"), (2, "bo"), (4, "dee")]
    with pytest.raises(ValidationError):
        attainment_report(targets, actuals, Q1, date(2026, 4, 1)).leaderboard(by="mood")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), st.integers(min_value=0, max_value=10**6), min_size=1))
def test_leaderboard_is_independent_of_input_order(actual: dict[str, int]) -> None:
    targets = dict.fromkeys(actual, 1000)
    forward = attainment_report(targets, actual, Q1, date(2026, 2, 1)).leaderboard()
    backward = attainment_report(dict(reversed(targets.items())), actual, Q1, date(2026, 2, 1)).leaderboard()
    assert forward == backward


def test_bookings_from_opportunities_credit_the_team_of_the_day() -> None:
    org = SalesOrganisation.create(tenant_id="t", id="org", name="Acme", root_team="all", root_name="All")
    org.add_team("east", "East", "all")
    org.add_team("west", "West", "all")
    org.assign("ana", "east", date(2026, 1, 1))
    org.assign("ana", "west", date(2026, 2, 15))
    deals = [won("a", "ana", "100.00", date(2026, 2, 14)), won("b", "ana", "50.00", date(2026, 2, 15))]
    assert bookings(deals, Q1) == {"ana": usd("150.00")}
    assert bookings(deals, Q1, credit=org.team_of) == {"east": usd("100.00"), "west": usd("50.00")}


def test_scorecard_weights_thresholds_and_caps() -> None:
    card = Scorecard(
        "Q review",
        (KpiSpec("bookings", 50, cap="1.2"), KpiSpec("collections", 30, threshold="0.5"), KpiSpec("activities", 20)),
    )
    ana = card.score("ana", {"bookings": Decimal("1.5"), "collections": Decimal("0.4"), "activities": Decimal(1)})
    assert ana.score == Decimal("80.00")  # 50 x 1.2 + 30 x 0 + 20 x 1
    assert [line.points for line in ana.lines] == [Decimal("60.00"), Decimal("0.00"), Decimal("20.00")]
    with pytest.raises(ValidationError) as err:
        KpiSpec("x", 0)
    assert err.value.field == "kpis[x].weight"
    with pytest.raises(ValidationError):
        card.score("ana", {"mood": Decimal(1)})


def test_periodic_review_compares_two_periods() -> None:
    card = Scorecard("Review", (KpiSpec("bookings", 1),))
    q1 = card.review(Q1, {"ana": {"bookings": Decimal("0.9")}, "bo": {"bookings": Decimal("1.1")}})
    q2 = card.review(Q1.next(), {"ana": {"bookings": Decimal("1.2")}, "bo": {"bookings": Decimal("0.8")}, "cy": {}})
    rows = {r.owner_id: r for r in compare_reviews(q1, q2).rows}
    assert rows["ana"].change == Decimal("30.00") and rows["ana"].previous_rank == 2 and rows["ana"].current_rank == 1
    assert rows["cy"].previous_score is None and rows["cy"].current_score == Decimal("0.00")
    assert "Periodic review" in str(compare_reviews(q1, q2))
    reports = {"bookings": attainment_report({"ana": usd("10.00")}, {"ana": usd("5.00")}, Q1, date(2026, 4, 1))}
    assert kpi_attainments(reports) == {"ana": {"bookings": Decimal("0.5")}}


@pytest.mark.parametrize("url", ["memory://", "sqlite://"])
def test_services_from_org_target_to_rep_attainment(url: str) -> None:
    clock = FixedClock(datetime(2026, 1, 2, 9, tzinfo=UTC))
    with bizrel.open_store(url, clock=clock) as store:
        with store.unit_of_work("t") as uow:
            svc.create_organisation(uow, id="org", name="Acme", root_team="all", root_name="All")
            svc.add_team(uow, "org", "east", "East", "all")
            svc.add_team(uow, "org", "west", "West", "all")
            svc.assign_member(uow, "org", "ana", "east", date(2026, 1, 1))
            svc.assign_member(uow, "org", "bo", "east", date(2026, 2, 15))  # joins mid-quarter
            svc.assign_member(uow, "org", "cy", "west", date(2026, 1, 1))
            svc.assign_member(uow, "org", "mia", "east", date(2026, 1, 1), role=Role.MANAGER)
            svc.set_target(
                uow, id="q1", metric="bookings", owner_kind="org", owner_id="org", period=Q1, value=usd("300000.00")
            )
            teams = svc.allocate_target(uow, "q1", {"east": 2, "west": 1}, owner_kind="team")
            reps = svc.allocate_to_team_members(uow, teams[0].id, "org")
            uow.commit()
        assert {t.owner_id: t.value for t in reps} == {"ana": usd("133333.33"), "bo": usd("66666.67")}  # 90:45 days
        with store.unit_of_work("t") as uow:
            assert svc.roll_up_target(uow, "q1") == usd("300000.00")
            with pytest.raises(ValidationError):
                svc.allocate_target(uow, "q1", {"a": -1}, owner_kind="team")
            uow.commit()
        with store.unit_of_work("t") as uow:
            assert uow.targets.count() == 5
            pipe = uow.pipelines.find("p")
            assert pipe is None
            uow.pipelines.add(PIPE)
            uow.opportunities.add(won("d1", "ana", "66666.67", date(2026, 2, 1)))
            uow.commit()
        with store.unit_of_work("t") as uow:
            rep = svc.target_attainment(uow, metric="bookings", owner_kind="rep", period=Q1, as_of=date(2026, 2, 15))
            team = svc.target_attainment(
                uow, metric="bookings", owner_kind="team", period=Q1, as_of=date(2026, 2, 15), org_id="org"
            )
            org = svc.target_attainment(uow, metric="bookings", owner_kind="org", period=Q1, as_of=date(2026, 2, 15))
        assert rep.row("ana").attainment == Decimal("0.5") and rep.row("bo").actual == usd("0.00")
        assert team.row("east").actual == usd("66666.67") and team.row("west").actual == usd("0.00")
        assert org.row("org").actual == usd("66666.67")


@pytest.mark.parametrize("url", ["memory://", "sqlite://"])
def test_collections_attainment_and_a_plan_that_pays_on_collection(url: str) -> None:
    clock = FixedClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    with bizrel.open_store(url, clock=clock) as store:
        with store.unit_of_work("t") as uow:
            uow.pipelines.add(PIPE)
            uow.opportunities.add(won("d1", "ana", "9000.00", date(2026, 1, 5)))
            svc.create_contract(uow, id="c1", opportunity_id="d1", shares=[1, 1, 1], anchor=date(2026, 1, 31))
            svc.set_target(
                uow, id="col", metric="collections", owner_kind="rep", owner_id="ana", period=Q1, value=usd("6000.00")
            )
            svc.create_commission_plan(
                uow,
                id="cash",
                name="On cash",
                currency="USD",
                mode="marginal",
                brackets=[Bracket(0, 1, "0.02"), Bracket(1, None, "0.04")],
                payout_basis="collection",
            )
            uow.commit()
        for day, amount in (
            (date(2026, 2, 2), "3000.00"),
            (date(2026, 3, 3), "4000.00"),
            (date(2026, 4, 2), "2000.00"),
        ):
            clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))
            with store.unit_of_work("t") as uow:
                svc.receive_payment(uow, "c1", usd(amount), payment_id=f"p-{day}")
                uow.commit()
        with store.unit_of_work("t") as uow:
            report = svc.target_attainment(
                uow, metric="collections", owner_kind="rep", period=Q1, as_of=date(2026, 3, 15)
            )
            statement = svc.issue_statement(uow, plan_id="cash", rep_id="ana", period=Q1)
            uow.commit()
        assert report.row("ana").actual == usd("7000.00")
        # 6,000 at 2% + 1,000 above the collections target at 4%; April's payment is next quarter's credit
        assert statement.total == usd("160.00")
        assert [line.deal_id for line in statement.lines] == ["d1", "d1", "d1"]
