"""Demo chapter: the year's won deals are handed over to customer success, customers answer NPS,
renew, expand or churn, the signals flow back to sales, and the closed-loop report ends the story."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bizrel import bridge, customer, sales
from bizrel.core.report import text_table
from bizrel.customer import loyalty

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
CONFIG = bridge.BridgeConfig(
    csm_candidates=(
        bridge.CsmCandidate(id="cs-kim", capacity=40),
        bridge.CsmCandidate(id="cs-lee", capacity=40),
        bridge.CsmCandidate(id="cs-max", capacity=20),
    ),
    collections_owner_id="ar-noor",
    renewal_pipeline_id="renewals",
    upsell_pipeline_id="upsell",
    renewal_lead_days=60,
    clawback_days=120,
    loyalty_program_id="bridge-club",
)


def _pipelines(story: Story) -> None:
    with story.store.unit_of_work(TENANT) as uow:
        for pid, kind, stages in (
            ("renewals", "renewal", (("Due", "0.5"), ("Agreed", "0.9"))),
            ("upsell", "upsell", (("Pitch", "0.3"), ("Proposal", "0.6"))),
        ):
            if uow.pipelines.find(pid) is None:
                sales.create_pipeline(uow, id=pid, name=pid.title(), kind=kind, stages=stages)
        if uow.loyalty_programs.find("bridge-club") is None:
            loyalty.create_program(
                uow, id="bridge-club", name="Business club", currency="USD", signup_bonus=500, referral_bonus=2_000
            )
        uow.commit()


def run(story: Story) -> None:
    rng = story.rng("bridge")
    store = story.store
    _pipelines(story)
    bridge.wire_bridge(store, CONFIG)
    with store.unit_of_work(TENANT) as uow:
        won = uow.opportunities.list(status=sales.OpportunityStatus.WON, order_by="closed_at")
    for opportunity in won:  # the sales chapter ran before the bridge was wired: hand over now (idempotent)
        with store.unit_of_work(TENANT) as uow:
            bridge.hand_over(uow, opportunity.id, CONFIG)
            uow.commit()
    story.clock.advance(timedelta(days=30))
    with store.unit_of_work(TENANT) as uow:
        handoffs = uow.handoffs.list(order_by="closed_at")
    for handoff in handoffs:  # a month on: NPS answers, a few renewals (some larger), some churn
        with store.unit_of_work(TENANT) as uow:
            score = rng.choice((3, 6, 7, 8, 9, 9, 10, 10))
            customer.set_attribute(uow, handoff.customer_id, "nps", score)
            if rng.random() < 0.6:
                customer.set_consent(uow, handoff.customer_id, customer.Channel.CALL, "renewal", granted=True)
            roll = rng.random()
            if roll < 0.12:
                customer.churn_subscription(uow, handoff.subscription_id, rng.choice(("price", "fit", "budget")))
            elif roll < 0.4:
                term = uow.subscriptions.get(handoff.subscription_id)
                grow = rng.choice((90, 100, 110, 125, 150))
                customer.renew_subscription(
                    uow,
                    term.id,
                    end=term.end + timedelta(days=365),
                    amount=term.amount.multiply(Decimal(grow) / 100),
                    next_id=f"{term.id}:2",
                )
            uow.commit()
    story.clock.advance(timedelta(days=300))
    with store.unit_of_work(TENANT) as uow:
        renewals = bridge.open_due_renewals(uow, CONFIG)
        uow.commit()

    story.heading("Bridge: won deals handed over to customer success")
    with store.unit_of_work(TENANT) as uow:
        handoffs = uow.handoffs.list(order_by="closed_at")
        signals = uow.sales_signals.list()
        customers = uow.customers.count()
        outcomes = bridge.deal_outcomes(uow)
        members = uow.loyalty_accounts.count(program_id="bridge-club")
        clawbacks = len([a for a in uow.commission_adjustments.list() if a.reason.startswith("clawback")])
    rows = [
        (h.opportunity_id, h.customer_id.removeprefix("handoff:"), h.customer_rule, h.roles.sales_owner_id,
         h.roles.cs_owner_id, h.amount, h.renewal_due_on)
        for h in handoffs[:8]
    ]  # fmt: skip
    story.out.write(
        text_table(
            ("deal", "customer", "customer rule", "sales owner", "cs owner", "amount", "renewal opens"),
            rows,
            title=f"{len(handoffs)} handoffs into {customers} customers (first 8)",
        )
        + "\n\n"
    )
    by_kind: dict[str, int] = {}
    for s in signals:
        by_kind[s.kind.value] = by_kind.get(s.kind.value, 0) + 1
    outreach = [o.outcome for h in handoffs for o in h.outreach] + [o.outcome for s in signals for o in s.outreach]
    story.out.write(
        text_table(
            ("what", "count"),
            [
                *[(f"signal: {k}", n) for k, n in sorted(by_kind.items())],
                ("renewal opportunities opened", len(renewals)),
                ("loyalty members enrolled", members),
                ("commission clawback adjustments", clawbacks),
                *[(f"outreach {o}", outreach.count(o)) for o in sorted(set(outreach))],
            ],
            title="Feedback to sales (every touch decided by the contact policy)",
        )
        + "\n\n"
    )
    for by in ("rep", "size"):
        report = bridge.closed_loop_report(outcomes, by=by, quality_days=90, size_bands=(Decimal(25_000),))
        story.out.write(f"{report}\n\n")
    story.facts["bridge.handoffs"] = len(handoffs)
