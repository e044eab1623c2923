"""Demo chapter: a sales team works a year of opportunities through one pipeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bizrel import sales
from bizrel.core.money import Money

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

REPS = ("ana", "bo", "chen", "dara", "eli", "fay")
STAGES = (("Qualification", "0.10"), ("Discovery", "0.25"), ("Proposal", "0.50"), ("Negotiation", "0.75"))
LOST_REASONS = ("price", "timing", "competitor", "no decision")
ACCOUNTS = ("Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Soylent", "Acme")


def run(story: Story) -> None:
    rng = story.rng("sales")
    start = story.clock.now()
    # Plan every step of every deal first, then replay them in time order on the shared clock.
    steps: list[tuple[datetime, int, str, str]] = []  # (when, order, opportunity id, action)
    deals: dict[str, tuple[str, Money, int]] = {}
    for n in range(320):
        opp_id = f"opp-{n:04d}"
        opened = start + timedelta(days=rng.randrange(0, 330), hours=rng.randrange(0, 8))
        amount = Money(rng.randrange(20, 400) * 250, "USD")
        deals[opp_id] = (REPS[n % len(REPS)], amount, rng.randrange(30, 120))
        steps.append((opened, n, opp_id, "open"))
        when = opened
        for stage, _ in STAGES[1:]:
            if rng.random() > 0.68:
                break
            when += timedelta(days=rng.randrange(3, 25))
            steps.append((when, n, opp_id, f"advance:{stage}"))
        else:
            when += timedelta(days=rng.randrange(3, 20))
            steps.append((when, n, opp_id, "win" if rng.random() < 0.62 else "lose"))
            continue
        if rng.random() < 0.8:
            steps.append((when + timedelta(days=rng.randrange(5, 40)), n, opp_id, "lose"))
    steps.sort(key=lambda s: (s[0], s[1]))

    store = story.store
    tenant = "demo-co"
    with store.unit_of_work(tenant) as uow:
        sales.create_pipeline(uow, name="New business", stages=STAGES, id="new-business")
        uow.commit()
    for when, _, opp_id, action in steps:
        story.clock.set(when)
        with store.unit_of_work(tenant) as uow:
            if action == "open":
                owner, amount, horizon = deals[opp_id]
                sales.open_opportunity(
                    uow,
                    id=opp_id,
                    pipeline_id="new-business",
                    owner_id=owner,
                    account_name=rng.choice(ACCOUNTS),
                    amount=amount,
                    expected_close=story.clock.now().date() + timedelta(days=horizon),
                )
            elif action.startswith("advance:"):
                sales.advance_opportunity(uow, opp_id, action.split(":", 1)[1])
            elif action == "win":
                sales.win_opportunity(uow, opp_id)
            else:
                sales.lose_opportunity(uow, opp_id, rng.choice(LOST_REASONS))
            uow.commit()

    story.heading("Sales: the year's funnel")
    with store.unit_of_work(tenant) as uow:
        report = sales.funnel(uow.pipelines.get("new-business"), uow.opportunities.list(pipeline_id="new-business"))
    story.out.write(f"{report}\n")
    story.facts["sales.funnel"] = report
