"""Demo chapter: leads arrive from several sources into the public pool (公海); reps claim them,
follow up or let them go stale (the pool takes those back), convert the good ones, and work the
deals through a standardized pipeline whose exit criteria they must meet. The year ends with the
funnel, the pool's report and next quarter's forecast."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from attrs import define, field

from bizrel import sales
from bizrel.core.errors import PolicyViolation
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.core.report import text_table
from bizrel.sales import ExitCriteria, Stage

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
REPS = ("ana", "bo", "chen", "dara", "eli", "fay")
MANAGERS = {
    "ana": "mia",
    "bo": "mia",
    "chen": "mia",
    "dara": "raj",
    "eli": "raj",
    "fay": "raj",
    "mia": "vp",
    "raj": "vp",
}
STAGES = (
    Stage("Qualification", "0.10", ExitCriteria(activities=("call",))),
    Stage("Discovery", "0.25", ExitCriteria(activities=("meeting",))),
    Stage("Proposal", "0.50"),
    Stage("Negotiation", "0.75"),
)
LOST_REASONS = ("price", "timing", "competitor", "no decision")
SOURCES = ("web", "referral", "event", "partner", "cold call")
SEGMENTS = ("smb", "mid", "enterprise")
ACCOUNTS = ("Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Soylent", "Acme")
LEADS = 420

Step = tuple[datetime, int, str, str]  # (when, order, action, lead or opportunity id)


@define
class Plan:
    rng: random.Random
    steps: list[Step] = field(factory=list)
    leads: dict[str, tuple[str, str, str]] = field(factory=dict)  # source, first owner, second owner
    deals: dict[str, tuple[Money, int, str]] = field(factory=dict)  # amount, days to close, segment


def _plan(story: Story) -> Plan:
    """Every step of the year, decided up front from the chapter's random stream, then sorted."""
    rng = story.rng("sales")
    start = story.clock.now()
    plan = Plan(rng)
    steps = plan.steps
    for n in range(LEADS):
        lead = f"lead-{n:04d}"
        captured = start + timedelta(days=rng.randrange(0, 320), hours=rng.randrange(0, 8))
        rep = REPS[rng.randrange(len(REPS))]
        plan.leads[lead] = (SOURCES[rng.randrange(len(SOURCES))], rep, REPS[(REPS.index(rep) + 1) % len(REPS)])
        steps += [(captured, n, "capture", lead), (captured + timedelta(hours=rng.randrange(1, 48)), n, "claim", lead)]
        kind = rng.random()
        when = captured + timedelta(days=rng.randrange(1, 5))
        if kind < 0.25:  # goes stale; half are claimed again by a colleague after the pool takes them back
            if rng.random() < 0.5:
                steps.append((captured + timedelta(days=rng.randrange(24, 40)), n, "reclaim", lead))
                when = captured + timedelta(days=rng.randrange(41, 46))
            else:
                continue
        elif kind < 0.42:
            steps.append((when, n, "call", lead))
            steps.append((when + timedelta(days=rng.randrange(2, 9)), n, "disqualify", lead))
            continue
        steps.append((when, n, "call", lead))
        when += timedelta(days=rng.randrange(2, 10))
        opp = f"opp-{n:04d}"
        plan.deals[opp] = (Money(rng.randrange(20, 400) * 250, "USD"), rng.randrange(30, 120), SEGMENTS[n % 3])
        steps.append((when, n, "convert", lead))
        when += timedelta(hours=1)
        steps.append((when, n, "opp-call", opp))
        for stage in STAGES[1:]:
            if rng.random() > 0.7:
                break
            when += timedelta(days=rng.randrange(3, 25))
            steps.append((when, n, f"advance:{stage.name}", opp))
        else:
            when += timedelta(days=rng.randrange(3, 20))
            steps.append((when, n, "win" if rng.random() < 0.6 else "lose", opp))
            continue
        if rng.random() < 0.75:
            steps.append((when + timedelta(days=rng.randrange(5, 40)), n, "lose", opp))
    year_end = start + timedelta(days=364)
    steps.extend((start + timedelta(days=d, hours=14), 10**6, "sweep", "") for d in range(364))
    plan.steps = sorted((s for s in steps if s[0] < year_end), key=lambda s: (s[0], s[1]))
    return plan


def run(story: Story) -> None:
    store = story.store
    plan = _plan(story)
    with store.unit_of_work(TENANT) as uow:
        sales.create_pipeline(uow, name="New business", stages=STAGES, id="new-business", lost_reasons=LOST_REASONS)
        sales.create_pool(
            uow,
            id="public",
            name="Public pool",
            follow_up_days=14,
            remind_days_before=3,
            max_held=40,
            daily_claim_limit=8,
            cooldown_days=30,
        )
        sales.create_pool(
            uow,
            id="accounts",
            name="Account pool",
            follow_up_days=60,
            no_open_opportunity_days=90,
            max_held=200,
        )
        uow.commit()
    refused: Counter[str] = Counter()
    # One unit of work per day. A refused step stages nothing (services check before they change
    # anything), so the rest of the day's work goes on in the same transaction.
    # The pool's sweep runs at the end of every day in its own unit of work, as a scheduler would.
    by_day: dict[object, list[Step]] = {}
    for step in plan.steps:
        by_day.setdefault(step[0].date(), []).append(step)
    for steps in by_day.values():
        with store.unit_of_work(TENANT) as uow:
            for when, _, action, key in steps[:-1]:
                story.clock.set(when)
                try:
                    _act(uow, action, key, plan)
                except PolicyViolation as refusal:
                    refused[refusal.policy] += 1
            uow.commit()
        story.clock.set(steps[-1][0])
        with store.unit_of_work(TENANT) as uow:
            sales.sweep_pool(uow, "public")
            if steps[-1][0].weekday() == 6:  # the account pool is swept weekly
                sales.sweep_pool(uow, "accounts")
            uow.commit()

    story.heading("Sales: the year's funnel")
    with store.unit_of_work(TENANT) as uow:
        pipeline = uow.pipelines.get("new-business")
        opportunities = uow.opportunities.list(pipeline_id="new-business")
        report = sales.funnel(pipeline, opportunities)
        leads = uow.leads.list()
        moves = uow.pool_moves.list()
        forecast = sales.build_forecast(
            opportunities, [pipeline], rates=sales.RateTable("USD"), as_of=story.clock.now()
        )
        next_quarter = Period.containing(story.clock.now(), "quarter").next()
        sales.take_forecast_snapshot(
            uow, id=f"forecast-{next_quarter.label}", period=next_quarter, rates=sales.RateTable("USD")
        )
        uow.commit()
    out = story.out
    out.write(f"{report}\n\n{report.lost_reasons_table()}\n")
    out.write(
        f"\nSales velocity: {report.open} open deals x win rate {report.win_rate} x average won "
        f"{report.average_won_amount} / {report.average_cycle_days} days = {report.velocity_per_day} per day.\n"
    )

    story.heading("Sales: the public lead pool (公海)")
    by_source = Counter(lead.source for lead in leads)
    converted = Counter(lead.source for lead in leads if lead.status is sales.LeadStatus.CONVERTED)
    out.write(
        text_table(
            ["source", "leads", "converted"],
            [[s, by_source[s], converted[s]] for s in SOURCES],
            "Leads by source",
        )
        + "\n"
    )
    returns = Counter((m.record_kind.value, m.reason) for m in moves if m.action == "returned")
    in_pool = sum(1 for lead in leads if lead.is_active and lead.holding.owner_id is None)
    out.write(
        f"\nPool now holds {in_pool} leads; {sum(returns.values())} returns "
        f"({', '.join(f'{n} {k}s: {r}' for (k, r), n in sorted(returns.items()))}), "
        f"{sum(1 for m in moves if m.action == 'claimed')} claims. Refused by policy: "
        f"{', '.join(f'{p} {n}' for p, n in sorted(refused.items())) or 'nothing'}.\n"
    )

    story.heading(f"Sales: forecast for {next_quarter.label}")
    rolled = forecast.rollup(MANAGERS)
    rows = [
        [who, t.won.format(), t.commit.format(), t.best_case.format(), t.pipeline.format(), t.weighted.format()]
        for (who, period), t in sorted(rolled.items())
        if period == next_quarter
    ]
    out.write(text_table(["owner / manager", "won", "commit", "best case", "pipeline", "weighted"], rows) + "\n")
    story.facts["sales.funnel"] = report
    story.facts["sales.forecast"] = forecast


def _act(uow: sales.SalesUnitOfWork, action: str, key: str, plan: Plan) -> None:
    if action == "capture":
        source = plan.leads[key][0]
        n = int(key.split("-")[1])
        sales.capture_lead(
            uow,
            id=key,
            name=f"Buyer {n}",
            source=source,
            company=f"{ACCOUNTS[n % len(ACCOUNTS)]} {n // 10}",
            email=f"buyer{n}@example.com",
            pool_id="public",
        )
    elif action in ("claim", "reclaim"):
        owner = plan.leads[key][1 if action == "claim" else 2]
        sales.claim_from_pool(uow, "lead", key, owner_id=owner)
    elif action == "call":
        lead = uow.leads.get(key)
        if lead.holding.owner_id is not None and lead.is_active:
            sales.log_activity(uow, kind="call", subject="first call", owner_id=lead.holding.owner_id, lead_id=key)
    elif action == "disqualify":
        uow.leads.get(key).disqualify("no budget", uow.clock.now())
    elif action == "convert":
        opp = "opp-" + key.split("-")[1]
        amount, horizon, segment = plan.deals[opp]
        sales.convert_lead(
            uow,
            key,
            pipeline_id="new-business",
            amount=amount,
            segment=segment,
            opportunity_id=opp,
            account_pool_id="accounts",
            expected_close=uow.clock.now().date() + timedelta(days=horizon),
        )
    elif uow.opportunities.find(key) is None:
        return  # the lead never converted
    elif action == "opp-call":
        sales.log_activity(
            uow, kind="call", subject="discovery call", owner_id=uow.opportunities.get(key).owner_id, opportunity_id=key
        )
    elif action.startswith("advance:"):
        opportunity = uow.opportunities.get(key)
        if not opportunity.is_open:
            return
        if action.endswith("Proposal"):
            sales.log_activity(
                uow, kind="meeting", subject="solution demo", owner_id=opportunity.owner_id, opportunity_id=key
            )
        sales.advance_opportunity(uow, key, action.split(":", 1)[1])
    elif uow.opportunities.get(key).is_open:
        if action == "win":
            sales.win_opportunity(uow, key)
        else:
            sales.lose_opportunity(uow, key, plan.rng.choice(LOST_REASONS))
