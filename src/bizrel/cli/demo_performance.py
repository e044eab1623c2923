"""Demo chapter: targets, attainment, a commission statement and the collection aging table.

It runs after the sales chapter and reads its won opportunities from the store. The year's target
is spread over months by a seasonal distribution; Q3 goes to the teams by their first-half share
and to the reps by the days each spent in the team (chen moves team mid-quarter). Every won deal
gets a contract of three monthly instalments, and customers pay on time, late, or partly.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bizrel import analytics, sales
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.core.report import text_table

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
YEAR = Period.year(2025)
Q3 = Period.quarter(2025, 3)
AS_OF = date(2025, 8, 20)  # the mid-quarter review
BOOKS_CLOSE = date(2025, 12, 31)
SEASONAL = sales.SeasonalDistribution(["6", "6", "8", "8", "8", "9", "7", "6", "10", "9", "10", "13"])
TEAMS = {"north": ("North", ("ana", "bo", "chen")), "south": ("South", ("dara", "eli", "fay"))}
MANAGERS = {"all": "lee", "north": "mia", "south": "raj"}


def _setup_organisation(uow: sales.PerformanceUnitOfWork) -> sales.SalesOrganisation:
    org = sales.create_organisation(uow, id="demo-org", name="Demo Co", root_team="all", root_name="Sales")
    for team_id, (name, reps) in TEAMS.items():
        org.add_team(team_id, name, "all")
        for rep in reps:
            org.assign(rep, team_id, YEAR.start)
    for team_id, manager in MANAGERS.items():
        org.assign(manager, team_id, YEAR.start, role=sales.Role.MANAGER)
    org.assign("chen", "south", date(2025, 8, 16))  # moves mid-quarter: credit follows the date
    return org


def run(story: Story) -> None:
    rng = story.rng("performance")
    store = story.store
    with store.unit_of_work(TENANT) as uow:
        won = uow.opportunities.list(status="won", order_by="closed_at")
        org = _setup_organisation(uow)
        h1 = Period(YEAR.start, Q3.start, YEAR.kind)
        first_half = sales.bookings(won, h1, credit=org.team_of)
        year_value = Money.total((o.amount for o in won), "USD").multiply("1.1")
        year = sales.set_target(
            uow, id="fy2025", metric="bookings", owner_kind="org", owner_id="demo-org", period=YEAR, value=year_value
        )
        months = sales.spread_target(uow, year.id, SEASONAL)
        q3_value = Money.total((m.value for m in months if Q3.contains(m.period.start)), "USD")  # type: ignore[misc]
        q3 = sales.set_target(
            uow,
            id="q3",
            metric="bookings",
            owner_kind="org",
            owner_id="demo-org",
            period=Q3,
            value=q3_value,
            parent_id=year.id,
        )
        teams = sales.allocate_target(uow, q3.id, sales.share_weights(first_half), owner_kind="team")
        reps = [r for t in teams for r in sales.allocate_to_team_members(uow, t.id, org.id)]
        plan = sales.create_commission_plan(
            uow,
            id="q-plan",
            name="Quarterly marginal",
            currency="USD",
            mode="marginal",
            brackets=[sales.Bracket(0, 1, "0.05"), sales.Bracket(1, "1.5", "0.08"), sales.Bracket("1.5", None, "0.10")],
            decelerator=sales.Decelerator("0.5", "0.5"),
            clawback_days=90,
        )
        uow.commit()

    story.heading("Sales performance: FY2025 bookings target by month (seasonal distribution)")
    rows = [[m.period.label, f"{SEASONAL.percentage(m.period.start)}%", m.value] for m in months]
    story.out.write(text_table(["month", "share", "target"], [[a, b, _fmt(c)] for a, b, c in rows]) + "\n")
    story.out.write(f"\nQ3 target {_fmt(q3.value)} allocated by first-half share, then by days in the team:\n")
    story.out.write(
        text_table(
            ["owner", "kind", "target"],
            [[t.owner_id, t.owner_kind.value, _fmt(t.value)] for t in (*teams, *reps)],
        )
        + "\n"
    )

    with store.unit_of_work(TENANT) as uow:
        report = sales.target_attainment(
            uow, metric="bookings", owner_kind="rep", period=Q3, as_of=AS_OF, distribution=SEASONAL
        )
        teams_report = sales.target_attainment(
            uow, metric="bookings", owner_kind="team", period=Q3, as_of=AS_OF, org_id=org.id, distribution=SEASONAL
        )
    story.heading(f"Sales performance: Q3 attainment and pacing per rep (as of {AS_OF})")
    story.out.write(f"{report}\n\n{teams_report}\n\n{report.leaderboard()}\n")

    top = report.leaderboard().entries[0].owner_id
    with store.unit_of_work(TENANT) as uow:
        statement = sales.issue_statement(uow, plan_id=plan.id, rep_id=top, period=Q3)
        uow.commit()
    story.heading(f"Sales performance: commission statement for {top}, Q3")
    story.out.write(f"{statement}\n")

    _collections(story, rng, won)
    story.facts["performance.attainment"] = report
    story.facts["performance.statement"] = statement


def _collections(story: Story, rng: random.Random, won: list[sales.Opportunity]) -> None:
    with story.store.unit_of_work(TENANT) as uow:
        for opp in won:
            if opp.closed_at is None or opp.closed_at.date() > BOOKS_CLOSE:
                continue
            won_day = opp.closed_at.date()
            contract = sales.create_contract(
                uow, id=f"ct-{opp.id}", opportunity_id=opp.id, shares=[1, 1, 1], anchor=won_day + timedelta(days=30)
            )
            habit = rng.random()
            for inst in contract.instalments:
                contract.issue_invoice(f"inv-{opp.id}-{inst.number}", inst.number, inst.due - timedelta(days=10))
                if habit < 0.65:
                    delay, part = rng.randrange(-5, 15), Decimal(1)
                elif habit < 0.9:
                    delay, part = rng.randrange(20, 110), Decimal(1)
                else:
                    delay, part = rng.randrange(0, 60), Decimal("0.5")
                paid_on = inst.due + timedelta(days=delay)
                if paid_on > BOOKS_CLOSE:
                    continue
                amount = inst.amount.allocate([part, 1 - part])[0] if part < 1 else inst.amount
                contract.receive_payment(f"pay-{opp.id}-{inst.number}", amount, _noon(paid_on), instalment=inst.number)
        uow.commit()
    with story.store.unit_of_work(TENANT) as uow:
        reminders = sales.send_overdue_reminders(uow, BOOKS_CLOSE)
        contracts = uow.contracts.count()
        uow.commit()
    q4 = Period.quarter(2025, 4)
    store = story.store  # the receivables figures are computed inside the database (push-down)
    story.heading(f"Sales performance: collections (回款) as of {BOOKS_CLOSE}")
    story.out.write(f"{analytics.aging(store, BOOKS_CLOSE, tenant_id=TENANT)}\n\n")
    story.out.write(f"{analytics.collection_performance(store, q4, tenant_id=TENANT)}\n\n")
    cycle = analytics.collection_cycle(store, tenant_id=TENANT)
    standard = analytics.dso(store, q4, tenant_id=TENANT)
    count_back = analytics.dso(store, q4, method="count-back", tenant_id=TENANT)
    story.out.write(
        f"Q4 DSO: {standard} days (standard), {count_back} days (count-back); average collection cycle "
        f"{cycle.average_days} days over {len(cycle.rows)} fully paid contracts; {len(reminders)} overdue "
        "reminders sent.\n"
    )
    story.facts["performance.contracts"] = contracts


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _fmt(value: object) -> str:
    return value.format() if isinstance(value, Money) else str(value)
