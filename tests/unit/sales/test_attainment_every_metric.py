"""Issue 19 item 7: attainment from a store covered bookings and collections only; new customers,
activities and custom metrics were refused ("actuals are derived for bookings and collections only")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

import bizrel
from bizrel import sales
from bizrel.adapters import Store
from bizrel.core import FixedClock, Money, Period, ValidationError
from bizrel.sales import performance_services as svc

Q1 = Period.quarter(2026, 1)


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    clock = FixedClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    with bizrel.open_store(request.param, clock=clock) as store:
        with store.unit_of_work("t") as uow:
            svc.create_organisation(uow, id="org", name="Acme", root_team="all", root_name="All")
            svc.add_team(uow, "org", "east", "East", "all")
            svc.assign_member(uow, "org", "ana", "east", date(2026, 1, 1))
            svc.assign_member(uow, "org", "bo", "east", date(2026, 1, 1))
            sales.create_pipeline(uow, id="nb", name="New", stages=[("Open", "0.5")])
            sales.create_pipeline(uow, id="up", name="Upsell", kind="upsell", stages=[("Pitch", "0.5")])
            for rep, metric, value, name in (
                ("ana", "new_customers", 4, None),
                ("bo", "new_customers", 2, None),
                ("ana", "activities", 10, None),
                ("bo", "activities", 5, None),
                ("ana", "custom", 20, "demos"),
                ("bo", "custom", 10, "demos"),
                ("ana", "custom", 3, "webinars"),  # another custom metric: not mixed in
            ):
                svc.set_target(
                    uow, metric=metric, owner_kind="rep", owner_id=rep, period=Q1, value=value, metric_name=name
                )
            svc.set_target(uow, metric="new_customers", owner_kind="team", owner_id="east", period=Q1, value=8)
            uow.commit()
        #  deal  owner  account  pipeline  won on     new customer?
        #  d1    ana    Globex   nb        10 Jan     yes: Globex's first win
        #  d2    ana    Globex   nb        20 Jan     no: Globex again
        #  d3    ana    Initech  nb        12 Feb     yes
        #  d4    bo     Hooli    nb        3 Mar      no: after as_of (1 Mar)
        #  d5    bo     Umbrella up        15 Jan     no: an upsell
        #  d6    bo     Stark    nb        2 Jan 2025 then Stark again d7 won 5 Feb: no, not its first win
        deals = [
            ("d1", "ana", "Globex", "nb", datetime(2026, 1, 10, 12, tzinfo=UTC)),
            ("d2", "ana", "Globex", "nb", datetime(2026, 1, 20, 12, tzinfo=UTC)),
            ("d3", "ana", "Initech", "nb", datetime(2026, 2, 12, 12, tzinfo=UTC)),
            ("d4", "bo", "Hooli", "nb", datetime(2026, 3, 3, 12, tzinfo=UTC)),
            ("d5", "bo", "Umbrella", "up", datetime(2026, 1, 15, 12, tzinfo=UTC)),
            ("d6", "bo", "Stark", "nb", datetime(2025, 1, 2, 12, tzinfo=UTC)),
            ("d7", "bo", "Stark", "nb", datetime(2026, 2, 5, 12, tzinfo=UTC)),
        ]
        for deal_id, owner, account, pipeline, won_at in sorted(deals, key=lambda d: d[4]):
            clock.set(won_at)
            with store.unit_of_work("t") as uow:
                sales.open_opportunity(
                    uow,
                    id=deal_id,
                    pipeline_id=pipeline,
                    owner_id=owner,
                    account_name=account,
                    amount=Money(1000, "EUR"),
                    expected_close=won_at.date(),
                )
                sales.win_opportunity(uow, deal_id)
                uow.commit()
        # activities: ana did 3 in Q1 before as_of and planned 1 (not done); bo did 1, and 1 after as_of
        for day, owner, done in ((5, "ana", True), (6, "ana", True), (40, "ana", True), (41, "ana", False),
                                 (7, "bo", True), (65, "bo", True)):  # fmt: skip
            clock.set(datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=day - 1))
            with store.unit_of_work("t") as uow:
                sales.log_activity(uow, kind="call", subject="call", owner_id=owner, done=done, opportunity_id="d1")
                uow.commit()
        yield store


AS_OF = date(2026, 3, 1)


@pytest.mark.rule(
    "Actuals come from the store for every metric a target can have: won opportunities (bookings), "
    "payments on contracts (collections), accounts whose first won new-business deal closed in the "
    "period (new customers, credited to that deal's owner; a second deal of the same account, a "
    "renewal or an upsell is not a new customer) and activities completed in the period (activities)."
)
def test_new_customers_and_activities_come_from_the_store(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        new = svc.target_attainment(uow, metric="new_customers", owner_kind="rep", period=Q1, as_of=AS_OF)
        team = svc.target_attainment(
            uow, metric="new_customers", owner_kind="team", period=Q1, as_of=AS_OF, org_id="org"
        )
        done = svc.target_attainment(uow, metric="activities", owner_kind="rep", period=Q1, as_of=AS_OF)
    assert [(r.owner_id, r.actual, r.attainment) for r in new.rows] == [
        ("ana", 2, Decimal("0.5000")),  # Globex (d1), Initech (d3)
        ("bo", 0, Decimal(0)),  # Hooli after as_of, Umbrella an upsell, Stark won before
    ]
    assert team.row("east").actual == 2
    assert [(r.owner_id, r.actual) for r in done.rows] == [("ana", 3), ("bo", 1)]


@pytest.mark.rule(
    "A custom metric's actuals are not recorded by bizrel: `target_attainment` takes them per rep with "
    "`metric_name` and `actuals`, and refuses a custom metric without them."
)
def test_a_custom_metric_takes_its_actuals_and_is_refused_without_them(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        demos = svc.target_attainment(
            uow, metric="custom", metric_name="demos", owner_kind="rep", period=Q1, as_of=AS_OF,
            actuals={"ana": 15, "bo": 12},
        )  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            svc.target_attainment(uow, metric="custom", metric_name="demos", owner_kind="rep", period=Q1, as_of=AS_OF)
        assert refused.value.field == "actuals"
        with pytest.raises(ValidationError):
            svc.target_attainment(
                uow, metric="activities", owner_kind="rep", period=Q1, as_of=AS_OF, actuals={"ana": 1}
            )
        with pytest.raises(ValidationError) as bad:
            svc.target_attainment(
                uow, metric="custom", metric_name="demos", owner_kind="rep", period=Q1, as_of=AS_OF,
                actuals={"ana": -1},
            )  # fmt: skip
        assert bad.value.field == "actuals[ana]"
    assert [(r.owner_id, r.target, r.actual, r.attainment) for r in demos.rows] == [
        ("ana", 20, 15, Decimal("0.7500")),
        ("bo", 10, 12, Decimal("1.2000")),
    ]
