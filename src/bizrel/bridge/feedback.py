"""What customer success tells sales: risk, upsell, referrals and clawbacks.

Each signal's id derives from what caused it (the event id, the referral id, the subscription id),
so a redelivered event finds its signal and does nothing twice.
"""

from __future__ import annotations

from bizrel.bridge.handoff import request_outreach
from bizrel.bridge.model import BridgeConfig, Handoff, SalesSignal, SignalKind
from bizrel.bridge.ports import BridgeUnitOfWork
from bizrel.core.uow import Repository
from bizrel.customer import Channel, HealthBand
from bizrel.sales import ClawbackReason, ClawbackRequested, capture_lead, open_opportunity

__all__ = [
    "AFTER_WIN",
    "CHURN_REASON",
    "on_health_band_changed",
    "on_referral_submitted",
    "on_subscription_churned",
    "on_subscription_renewed",
]

AFTER_WIN = "after_win"
"""Custom field of a won deal: "churned" once its customer churned."""
CHURN_REASON = "churn_reason"
"""Custom field of a won deal: why its customer churned."""

_RANK = {HealthBand.HEALTHY: 0, HealthBand.WATCH: 1, HealthBand.AT_RISK: 2}


def _latest_handoff(uow: BridgeUnitOfWork, customer_id: str) -> Handoff | None:
    found = uow.handoffs.list(customer_id=customer_id, order_by="-closed_at", limit=1)
    return found[0] if found else None


def _new(repo: Repository[SalesSignal], signal_id: str) -> bool:
    return repo.find(signal_id) is None


def on_health_band_changed(
    uow: BridgeUnitOfWork, *, event_id: str, customer_id: str, from_band: HealthBand | None, to_band: HealthBand
) -> SalesSignal | None:
    """A band that drops raises a risk alert for the account's sales owner."""
    if from_band is None or _RANK[to_band] <= _RANK[from_band]:
        return None
    handoff = _latest_handoff(uow, customer_id)
    sid = f"risk:{event_id}"
    if handoff is None or not _new(uow.sales_signals, sid):
        return None
    signal = SalesSignal.raise_(
        tenant_id=uow.tenant_id,
        id=sid,
        kind=SignalKind.RISK,
        customer_id=customer_id,
        sales_owner_id=handoff.roles.sales_owner_id,
        at=uow.clock.now(),
        detail=f"health {from_band.value} -> {to_band.value}",
    )
    uow.sales_signals.add(signal)
    return signal


def _nps(uow: BridgeUnitOfWork, customer_id: str) -> int | None:
    value = uow.customers.get(customer_id).attributes.get("nps")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def on_subscription_renewed(
    uow: BridgeUnitOfWork, config: BridgeConfig, *, subscription_id: str, customer_id: str
) -> SalesSignal | None:
    """A promoter (attribute "nps" at least the promoter score) whose spend rose raises an upsell."""
    term = uow.subscriptions.get(subscription_id)
    previous = uow.subscriptions.find(term.previous_id) if term.previous_id else None
    nps = _nps(uow, customer_id)
    if config.upsell_pipeline_id is None or previous is None or nps is None or nps < config.promoter_score:
        return None
    if term.amount.amount <= previous.amount.amount:
        return None
    handoff = _latest_handoff(uow, customer_id)
    sid = f"upsell:{subscription_id}"
    if handoff is None or not _new(uow.sales_signals, sid):
        return None
    owner = handoff.roles.sales_owner_id if config.upsell_opened_by == "sales" else handoff.roles.cs_owner_id
    customer = uow.customers.get(customer_id)
    now = uow.clock.now()
    signal = SalesSignal.raise_(
        tenant_id=uow.tenant_id,
        id=sid,
        kind=SignalKind.UPSELL,
        customer_id=customer_id,
        sales_owner_id=handoff.roles.sales_owner_id,
        at=now,
        detail=f"promoter (nps {nps}), spend {previous.amount} -> {term.amount}",
    )
    opportunity = open_opportunity(
        uow,
        id=f"{sid}:opportunity",
        pipeline_id=config.upsell_pipeline_id,
        owner_id=owner,
        account_name=customer.name,
        amount=term.amount - previous.amount,
        expected_close=max(term.end, now.date()),
        source="upsell",
        segment=handoff.segment,
        account_id=customer.external_id,
    )
    signal.opportunity_id = opportunity.id
    signal.outreach.append(
        request_outreach(uow, customer_id, purpose="upsell", channel=Channel.EMAIL, by=config.upsell_opened_by)
    )
    uow.sales_signals.add(signal)
    return signal


def on_referral_submitted(uow: BridgeUnitOfWork, *, referral_id: str) -> SalesSignal | None:
    """A referral becomes a lead with source "referral", owned by the referrer's sales owner (so it can
    be converted at once), the referrer attributed on the signal."""
    referral = uow.referrals.get(referral_id)
    lead_id = f"referral:{referral_id}:lead"
    sid = f"referral-lead:{lead_id}"
    if not _new(uow.sales_signals, sid):
        return None
    handoff = _latest_handoff(uow, referral.referrer_id)
    owner = handoff.roles.sales_owner_id if handoff else uow.customers.get(referral.referrer_id).owner_id
    now = uow.clock.now()
    lead = capture_lead(
        uow,
        id=lead_id,
        name=referral.referred_name,
        source="referral",
        email=referral.referred_email,
        campaign=f"referrer:{referral.referrer_id}",
    )
    lead.holding.take(owner, now, "assigned")
    lead.note(now, "assigned", f"to {owner}, the sales owner of referrer {referral.referrer_id}")
    signal = SalesSignal.raise_(
        tenant_id=uow.tenant_id,
        id=sid,
        kind=SignalKind.REFERRAL,
        customer_id=referral.referrer_id,
        sales_owner_id=owner,
        at=now,
        detail=referral.id,
    )
    signal.lead_id = lead_id
    uow.sales_signals.add(signal)
    return signal


def on_subscription_churned(uow: BridgeUnitOfWork, config: BridgeConfig, *, subscription_id: str) -> SalesSignal | None:
    """Churn writes "after_win" = "churned" and the "churn_reason" on the won deal (attributes the
    win-probability model can learn from); churn within `clawback_days` of the close also raises
    ClawbackRequested, which commission plans consume."""
    term = uow.subscriptions.get(subscription_id)
    first = term
    while first.previous_id is not None:
        first = uow.subscriptions.get(first.previous_id)
    handoffs = uow.handoffs.list(subscription_id=first.id, limit=1)
    if not handoffs or term.closed_at is None:
        return None
    handoff = handoffs[0]
    won = uow.opportunities.get(handoff.opportunity_id)
    won.annotate(AFTER_WIN, "churned")
    won.annotate(CHURN_REASON, term.churn_reason or "unknown")
    sid = f"clawback:{subscription_id}"
    if (term.closed_at - handoff.closed_at).days > config.clawback_days or not _new(uow.sales_signals, sid):
        return None
    signal = SalesSignal.raise_(
        tenant_id=uow.tenant_id,
        id=sid,
        kind=SignalKind.CLAWBACK,
        customer_id=handoff.customer_id,
        sales_owner_id=handoff.roles.sales_owner_id,
        at=term.closed_at,
        detail=f"churned {(term.closed_at - handoff.closed_at).days} days after close: {term.churn_reason}",
    )
    signal.opportunity_id = handoff.opportunity_id
    signal.record(
        ClawbackRequested(
            tenant_id=uow.tenant_id,
            occurred_at=term.closed_at,
            event_id=f"{sid}:requested",
            deal_id=handoff.opportunity_id,
            reason=ClawbackReason.CHURN,
            won_at=handoff.closed_at,
            deal_amount=handoff.amount,
        )
    )
    uow.sales_signals.add(signal)
    return signal
