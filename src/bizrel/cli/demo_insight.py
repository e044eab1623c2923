"""Demo chapter: what the customers' purchases and answers say: RFM segments (computed inside
SQLite by push-down), NPS with its margin of error, and cohort retention."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING

from bizrel import analytics
from bizrel import customer as cm
from bizrel.core.money import Money
from bizrel.core.report import text_table

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
RHYTHMS = (14, 30, 45, 90)  # days between purchases, per customer


def run(story: Story) -> None:
    rng = story.rng("insight")
    now = story.clock.now()
    ids = story.facts.get("customer.ids") or [f"cust-{n:04d}" for n in range(150)]
    assert isinstance(ids, list)
    with story.store.unit_of_work(TENANT) as uow:
        if uow.purchases.count() == 0:  # earlier chapters recorded none: a year of buying
            for i, customer_id in enumerate(ids):
                rhythm = rng.choice(RHYTHMS)
                at = now - timedelta(days=rng.randrange(20, 365), hours=rng.randrange(0, 10))
                stops = at + timedelta(days=rng.randrange(30, 500))  # some customers lapse
                for n in range(60):
                    if at >= now or at >= stops:
                        break
                    cm.record_purchase(
                        uow,
                        id=f"pur-{i:04d}-{n:02d}",
                        customer_id=customer_id,
                        occurred_at=at,
                        amount=Money.from_minor(rng.randrange(2_000, 80_000), "USD"),
                    )
                    at += timedelta(days=max(1, rhythm + rng.randrange(-7, 8)))
        if uow.survey_responses.count() == 0:
            survey = cm.create_survey(
                uow,
                id="nps-relationship",
                name="Relationship NPS",
                kind="nps",
                question="How likely are you to recommend us to a friend or colleague?",
            )
            for i, customer_id in enumerate(ids):
                if rng.random() < 0.7:
                    score = rng.choices(range(11), weights=(1, 1, 1, 2, 2, 3, 5, 8, 12, 14, 11))[0]
                    cm.record_response(
                        uow,
                        id=f"nps-{i:04d}",
                        survey_id=survey.id,
                        customer_id=customer_id,
                        score=score,
                        at=now - timedelta(days=rng.randrange(0, 90)),
                    )
        uow.commit()

    story.heading("Customer insight: segments, satisfaction and retention")
    rfm = analytics.rfm_summary(story.store, tenant_id=TENANT, as_of=now)  # runs inside SQLite
    sizes = Counter(r.segment for r in rfm)
    rows = [[name, sizes.get(name, 0)] for name, _, _ in cm.SEGMENT_RULES]
    story.out.write(text_table(["RFM segment", "customers"], rows, f"RFM segments of {len(rfm)} buyers") + "\n\n")
    with story.store.unit_of_work(TENANT) as uow:
        responses = uow.survey_responses.list()
        purchases = uow.purchases.list()
    story.out.write(f"{cm.nps(responses)}\n\n")
    story.out.write(f"{cm.cohort_retention(purchases, as_of=now)}\n")
    story.facts["insight.rfm"] = rfm
