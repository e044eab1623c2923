"""Demo chapter: the bridge. Wired on the store's bus before the first deal, it hands every won deal
over to customer success as it is won (2025). In the customer year (2026) its daily job opens
renewal opportunities, retries deferred touches, and sales works what flows back: renewals are won
or lost as the customer renews or churns, upsells are pitched, referral leads are converted and
won (the referrer earns points). The closed-loop report ends the story."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bizrel import bridge, customer, sales
from bizrel.adapters.unit_of_work import StoreUnitOfWork
from bizrel.cli.demo_sales import REPS
from bizrel.core.money import Money
from bizrel.core.report import text_table
from bizrel.customer import ReferralStatus, RenewalStatus

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
CONFIG = bridge.BridgeConfig(
    csm_candidates=(
        bridge.CsmCandidate(id="csm-amy", capacity=20, segments=frozenset({"enterprise"})),
        bridge.CsmCandidate(id="csm-ben", capacity=25, segments=frozenset({"mid", "enterprise"})),
        bridge.CsmCandidate(id="csm-cai", capacity=25, segments=frozenset({"smb", "mid"})),
        bridge.CsmCandidate(id="csm-dev", capacity=25, segments=frozenset({"smb"})),
        bridge.CsmCandidate(id="csm-eva", capacity=30),
    ),
    collections_owner_id="ar-noor",
    renewal_pipeline_id="renewals",
    upsell_pipeline_id="upsell",
    renewal_lead_days=60,
    clawback_days=120,
    loyalty_program_id="circle",
)
REP_COST = Money(90_000, "USD")  # a rep's yearly cost: what acquiring their customers cost
SOURCE_COST = {  # marketing spend per lead source over the year
    "web": Money(60_000, "USD"),
    "referral": Money(10_000, "USD"),
    "event": Money(140_000, "USD"),
    "partner": Money(80_000, "USD"),
    "cold call": Money(50_000, "USD"),
}


def setup(story: Story) -> None:
    """Renewal and upsell pipelines, the bridge on the bus, and its daily job for the customer year."""
    with story.store.unit_of_work(TENANT) as uow:
        sales.create_pipeline(uow, id="renewals", name="Renewals", kind="renewal", stages=(("Due", "0.5"),))
        sales.create_pipeline(uow, id="upsell", name="Upsell", kind="upsell", stages=(("Pitch", "0.3"),))
        customer.set_contact_policy(uow, bridge.BRIDGE_CONTACT_POLICY)  # the tenant's one policy, set once
        uow.commit()
    bridge.wire_bridge(story.store, CONFIG)
    rng = story.rng("bridge")
    handed = [0]  # handoffs seen when the book was last topped up
    settled: set[str] = set()  # referral signals whose lead was disqualified or whose deal closed

    def day(now: datetime) -> None:
        with story.store.unit_of_work(TENANT) as uow:
            bridge.open_due_renewals(uow, CONFIG)
            bridge.retry_deferred_outreach(uow)
            _resolve_renewals(uow)
            for deal in uow.opportunities.list(pipeline_id="upsell", status=sales.OpportunityStatus.OPEN):
                if now - deal.created_at > timedelta(days=21):
                    _close(uow, deal.id, won=rng.random() < 0.5, reason="timing")
            _work_referrals(uow, rng.random, now, settled)
            uow.commit()
        with story.store.unit_of_work(TENANT) as uow:  # customers handed over this year join the book
            ids = story.facts.get("customer.ids")
            if isinstance(ids, list) and uow.handoffs.count() != handed[0]:
                handed[0] = uow.handoffs.count()
                known = set(ids)
                ids += [h.customer_id for h in uow.handoffs.list(order_by="closed_at") if h.customer_id not in known]

    story.daily.append((10, day))  # business hours for the customers' calls


def _close(uow: StoreUnitOfWork, opportunity_id: str, *, won: bool, reason: str) -> None:
    if won:
        sales.win_opportunity(uow, opportunity_id)
    else:
        sales.lose_opportunity(uow, opportunity_id, reason)


def _resolve_renewals(uow: StoreUnitOfWork) -> None:
    """A renewal deal is won when the customer's term renews, lost when it churns."""
    for deal in uow.opportunities.list(pipeline_id="renewals", status=sales.OpportunityStatus.OPEN):
        handoff = uow.handoffs.get(deal.id.removesuffix(":renewal"))
        term = uow.subscriptions.get(handoff.subscription_id)
        if term.status is RenewalStatus.RENEWED:
            _close(uow, deal.id, won=True, reason="")
        elif term.status is RenewalStatus.CHURNED:
            _close(uow, deal.id, won=False, reason=f"churned: {term.churn_reason}")


def _work_referrals(uow: StoreUnitOfWork, roll: Callable[[], float], now: datetime, settled: set[str]) -> None:
    """Referral leads are owned by the referrer's sales owner: converted after a week (unless the
    referral was rejected), and the deal closed a month later."""
    for signal in uow.sales_signals.list(kind=bridge.SignalKind.REFERRAL, order_by="raised_at"):
        if signal.id in settled or now - signal.raised_at <= timedelta(days=7):
            continue
        lead = uow.leads.get(signal.lead_id or "")
        deal_id = f"{lead.id}:deal"
        if lead.is_active:
            if uow.referrals.get(signal.detail).status is ReferralStatus.REJECTED:
                lead.disqualify("referral rejected", now)
                settled.add(signal.id)
                continue
            sales.convert_lead(
                uow,
                lead.id,
                pipeline_id="new-business",
                amount=Money(20_000 + 250 * int(roll() * 200), "USD"),
                expected_close=now.date() + timedelta(days=30),
                segment="smb",
                opportunity_id=deal_id,
            )
            owner = uow.opportunities.get(deal_id).owner_id
            for kind in ("call", "meeting"):
                sales.log_activity(uow, kind=kind, subject=f"referral {kind}", owner_id=owner, opportunity_id=deal_id)
        deal = uow.opportunities.find(deal_id)
        if deal is not None and deal.is_open and now - deal.created_at > timedelta(days=30):
            _close(uow, deal_id, won=roll() < 0.6, reason="timing")
            settled.add(signal.id)


def run(story: Story) -> None:
    store = story.store
    with store.unit_of_work(TENANT) as uow:
        handoffs = uow.handoffs.list(order_by="closed_at")
        signals = uow.sales_signals.list()
        names = {h.customer_id: uow.customers.get(h.customer_id).name for h in handoffs}
        outcomes = bridge.deal_outcomes(uow)
        members = uow.loyalty_accounts.count(program_id=CONFIG.loyalty_program_id)
        clawbacks = [a for a in uow.commission_adjustments.list() if a.reason.startswith("clawback")]
        flowed = {
            p: Counter(o.status.value for o in uow.opportunities.list(pipeline_id=p)) for p in ("renewals", "upsell")
        }
        referral_deals = Counter(
            o.status.value for o in uow.opportunities.list(pipeline_id="new-business")
            if o.id.startswith("referral:")
        )  # fmt: skip
        churned = [o for o in uow.opportunities.list(pipeline_id="new-business", status="won") if o.fields]
        pipeline = uow.pipelines.get("new-business")
        history = uow.opportunities.list(pipeline_id="new-business")

    story.heading("Bridge: 2025's won deals handed over to customer success")
    rows = [
        (h.opportunity_id, names[h.customer_id], h.customer_rule, h.roles.sales_owner_id, h.roles.cs_owner_id,
         h.amount.format(), h.renewal_due_on)
        for h in handoffs[:8]
    ]  # fmt: skip
    story.out.write(
        text_table(
            ("deal", "customer", "customer rule", "sales owner", "cs owner", "amount", "renewal opens"),
            rows,
            title=f"{len(handoffs)} handoffs into {len(names)} customers (first 8)",
        )
        + "\n\n"
    )
    story.out.write(_feedback_table(handoffs, signals, flowed, referral_deals, members, len(clawbacks)) + "\n\n")
    reasons = Counter(o.fields.get(bridge.CHURN_REASON, "") for o in churned)
    model = sales.WinProbabilityModel.learn(
        pipeline, history, attributes=("source", bridge.AFTER_WIN, bridge.CHURN_REASON), min_samples=1
    )
    learned = ", ".join(f"{r}: {model.counts.get((bridge.CHURN_REASON, r), (0, 0))[0]}" for r in sorted(reasons))
    story.out.write(
        f"Churn fed back to sales: {len(churned)} won deals now carry after_win=churned and their churn_reason, "
        f"attributes the win-probability model learns from ({learned}).\n\n"
    )
    reps = {d.rep: REP_COST for d in outcomes if d.rep in REPS}  # referral deals CS brought in cost no rep
    for by, costs in (("rep", reps), ("source", SOURCE_COST)):
        report = bridge.closed_loop_report(outcomes, by=by, quality_days=365, costs=costs)
        story.out.write(f"{report}\n\n")
    story.facts["bridge.handoffs"] = len(handoffs)


def _feedback_table(
    handoffs: list[bridge.Handoff],
    signals: list[bridge.SalesSignal],
    flowed: dict[str, Counter[str]],
    referral_deals: Counter[str],
    members: int,
    clawbacks: int,
) -> str:
    by_kind = Counter(s.kind.value for s in signals)
    outreach = Counter(o.outcome for h in handoffs for o in h.outreach) + Counter(
        o.outcome for s in signals for o in s.outreach
    )
    retried = sum(1 for h in handoffs for o in h.outreach if o.retried) + sum(
        1 for s in signals for o in s.outreach if o.retried
    )
    rows: list[tuple[str, object]] = [(f"signal: {k}", n) for k, n in sorted(by_kind.items())]
    for pipeline, counts in flowed.items():
        rows.append((f"{pipeline} opportunities (open/won/lost)", f"{counts['open']}/{counts['won']}/{counts['lost']}"))
    rows.append(
        ("referral deals (open/won/lost)", f"{referral_deals['open']}/{referral_deals['won']}/{referral_deals['lost']}")
    )
    rows += [("loyalty members enrolled", members), ("commission clawback adjustments", clawbacks)]
    rows += [(f"outreach {o}", n) for o, n in sorted(outreach.items())]
    rows.append(("deferred outreach retried", retried))
    return text_table(("what", "count"), rows, title="Feedback to sales (every touch decided by the contact policy)")
