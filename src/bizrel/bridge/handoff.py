"""Handing a won deal over to customer success, once, whatever the number of deliveries.

Everything happens in the caller's unit of work; the Handoff keyed by the opportunity id is the
idempotency record: if it exists the deal was handed over and nothing is done again.
"""

from __future__ import annotations

from datetime import timedelta

from attrs import evolve

from bizrel.bridge.model import (
    ROLES,
    AccountRoles,
    BridgeConfig,
    CsmCandidate,
    Handoff,
    OnboardingPlan,
    OutreachRecord,
    handoff_id,
)
from bizrel.bridge.ports import BridgeUnitOfWork
from bizrel.core.company_names import company_key
from bizrel.core.errors import InvariantViolation, PolicyViolation, ValidationError
from bizrel.core.uow import le
from bizrel.customer import (
    Channel,
    Customer,
    CustomerKind,
    Deferred,
    ReferralStatus,
    Touch,
    change_stage,
    create_customer,
    match_customer,
    plan_standard_care,
    request_touch,
    start_subscription,
    update_referral,
)
from bizrel.customer.loyalty import BonusKind, award_bonus, enroll
from bizrel.sales import Opportunity, OpportunityStatus, PipelineKind, open_opportunity

__all__ = [
    "hand_over",
    "on_opportunity_won",
    "open_due_renewals",
    "pick_csm",
    "request_outreach",
    "retry_deferred_outreach",
]


def _match(uow: BridgeUnitOfWork, opportunity: Opportunity) -> tuple[Customer | None, str]:
    domain = None
    if opportunity.account_id is not None:
        account = uow.accounts.find(opportunity.account_id)
        domain = account.domain if account is not None else None
        found = match_customer(uow, external_id=opportunity.account_id, domain=domain)
        if found is not None:
            rule = "external id" if found.external_id == opportunity.account_id else "domain"
            return found, f"matched by {rule}"
    key = company_key(opportunity.account_name)
    same_name = uow.customers.list(name=opportunity.account_name)
    if not same_name and key is not None:
        same_name = [c for c in uow.customers.list() if company_key(c.name) == key]
    if len(same_name) == 1:
        return same_name[0], "matched by normalized name"
    return None, "created (no match)" if not same_name else "created (name ambiguous)"


def pick_csm(
    uow: BridgeUnitOfWork, config: BridgeConfig, *, segment: str | None, region: str | None, sales_owner_id: str
) -> tuple[CsmCandidate, str]:
    """Segment and region first, then spare capacity, then the least loaded (round-robin by load)."""
    eligible = [c for c in config.csm_candidates if c.id != sales_owner_id or config.allow_sales_as_csm]
    if not eligible:
        raise PolicyViolation("csm assignment", sales_owner_id, "the only candidate is the deal's sales owner")
    matching = [c for c in eligible if c.serves(segment, region)]
    rule = f"segment={segment or '-'} region={region or '-'}"
    if not matching:
        matching, rule = eligible, "no segment/region match, any manager"
    loads = {c.id: uow.customers.count(owner_id=c.id) for c in matching}
    spare = [c for c in matching if loads[c.id] < c.capacity]
    if spare:
        matching, rule = spare, rule + ", within capacity"
    else:
        rule += ", all at capacity"
    best = min(matching, key=lambda c: (loads[c.id] * 1000 // max(c.capacity, 1), loads[c.id], c.id))
    return best, f"{rule}, least loaded ({loads[best.id]} customers)"


def request_outreach(
    uow: BridgeUnitOfWork, customer_id: str, *, purpose: str, channel: Channel, by: str
) -> OutreachRecord:
    """Ask the tenant's stored contact policy for a touch by `by` ("sales" or "cs"); the bridge never
    sends around it, it records the answer (a deferred touch waits for `retry_deferred_outreach`)."""
    if by not in ROLES:
        raise ValidationError("by", by, "either 'sales' or 'cs'")
    return _ask(uow, customer_id, Touch(channel=channel, purpose=purpose, source=f"{by}:bridge:{purpose}"))


def _ask(uow: BridgeUnitOfWork, customer_id: str, touch: Touch) -> OutreachRecord:
    decision = request_touch(uow, customer_id, touch)
    return OutreachRecord(
        purpose=touch.purpose,
        channel=touch.channel.value,
        outcome=decision.outcome,
        at=uow.clock.now(),
        detail=str(decision),
        source=touch.source,
        until=decision.until if isinstance(decision, Deferred) else None,
    )


def _retry(uow: BridgeUnitOfWork, customer_id: str, outreach: list[OutreachRecord]) -> int:
    """Ask again for every deferred touch whose deferral has ended; the old record is marked retried."""
    now = uow.clock.now()
    asked = 0
    for i, record in enumerate(list(outreach)):
        if record.awaiting_retry and record.until is not None and record.until <= now:
            outreach[i] = evolve(record, retried=True)
            touch = Touch(channel=Channel(record.channel), purpose=record.purpose, source=record.source)
            outreach.append(_ask(uow, customer_id, touch))
            asked += 1
    return asked


def retry_deferred_outreach(uow: BridgeUnitOfWork) -> int:
    """The retry job (run it like run_due_care): every deferred bridge touch whose deferral has
    ended goes to the contact policy again; returns how many were asked for."""
    now = uow.clock.now()
    asked = 0
    for handoff in uow.handoffs.list(retry_due=le(now), order_by="retry_due"):
        asked += _retry(uow, handoff.customer_id, handoff.outreach)
    for signal in uow.sales_signals.list(retry_due=le(now), order_by="retry_due"):
        asked += _retry(uow, signal.customer_id, signal.outreach)
    return asked


def on_opportunity_won(uow: BridgeUnitOfWork, opportunity_id: str, config: BridgeConfig) -> Handoff | None:
    """Hand a won deal over, except a renewal: its customer exists and the renewed term lives on the
    customer side (renew_subscription), so winning it creates nothing twice."""
    if uow.opportunities.get(opportunity_id).kind is PipelineKind.RENEWAL:
        return None
    return hand_over(uow, opportunity_id, config)


def hand_over(uow: BridgeUnitOfWork, opportunity_id: str, config: BridgeConfig) -> Handoff:
    """Hand a won deal over (or return the earlier handoff of the same deal)."""
    hid = handoff_id(opportunity_id)
    done = uow.handoffs.find(hid)
    if done is not None:
        return done
    opportunity = uow.opportunities.get(opportunity_id)
    if opportunity.status is not OpportunityStatus.WON or opportunity.closed_at is None:
        raise InvariantViolation("status", opportunity.status.value, f"opportunity {opportunity_id} is not won")
    close_date = opportunity.closed_at.date()
    account = uow.accounts.find(opportunity.account_id) if opportunity.account_id else None
    region = opportunity.fields.get("region")
    customer, customer_rule = _match(uow, opportunity)
    created = customer is None
    notes: list[str] = []
    if customer is None or customer.owner_id == opportunity.owner_id:
        csm, csm_rule = pick_csm(
            uow, config, segment=opportunity.segment, region=region, sales_owner_id=opportunity.owner_id
        )
        cs_owner = csm.id
        if customer is not None:
            customer.assign_owner(cs_owner, uow.clock.now())
            notes.append(f"customer owner was the sales owner {opportunity.owner_id}; reassigned to {cs_owner}")
    else:
        cs_owner, csm_rule = customer.owner_id, "existing customer-success owner kept"
    roles = AccountRoles(
        sales_owner_id=opportunity.owner_id, cs_owner_id=cs_owner, collections_owner_id=config.collections_owner_id
    )
    roles.check(allow_sales_as_csm=config.allow_sales_as_csm)
    if customer is None:
        customer = create_customer(
            uow,
            id=f"{hid}:customer",
            name=opportunity.account_name,
            kind=CustomerKind.ORGANISATION,
            owner_id=cs_owner,
            timezone=config.timezone,
            external_id=opportunity.account_id,
            domain=account.domain if account is not None else None,
        )
    if customer.stage in ("prospect", "won_back"):
        change_stage(uow, customer.id, "onboarding", reason=f"won {opportunity.id}")
    contract_end = close_date + timedelta(days=config.term_days)
    if account is not None and account.contract_end is not None and account.contract_end > close_date:
        contract_end = account.contract_end
    subscription = start_subscription(
        uow,
        id=f"{hid}:subscription",
        customer_id=customer.id,
        plan=opportunity.kind.value,
        amount=opportunity.amount,
        start=close_date,
        end=contract_end,
    )
    plan = OnboardingPlan.start(
        tenant_id=uow.tenant_id,
        id=f"{hid}:onboarding",
        customer_id=customer.id,
        opportunity_id=opportunity.id,
        template=config.template,
        roles=roles,
        close_date=close_date,
    )
    uow.onboarding_plans.add(plan)
    care_plan_id = None
    if config.start_care_plan and not uow.care_plans.count(customer_id=customer.id):
        care_plan_id = plan_standard_care(uow, customer.id, id=f"{hid}:care").id
    handoff = Handoff(
        tenant_id=uow.tenant_id,
        id=hid,
        opportunity_id=opportunity.id,
        customer_id=customer.id,
        customer_rule=customer_rule,
        created_customer=created,
        roles=roles,
        csm_rule=csm_rule,
        onboarding_plan_id=plan.id,
        subscription_id=subscription.id,
        care_plan_id=care_plan_id,
        amount=opportunity.amount,
        source=opportunity.source,
        pipeline_id=opportunity.pipeline_id,
        segment=opportunity.segment,
        opened_at=opportunity.created_at,
        closed_at=opportunity.closed_at,
        contract_end=contract_end,
        renewal_due_on=contract_end - timedelta(days=config.renewal_lead_days),
        notes=notes,
    )
    if config.loyalty_program_id is not None:
        handoff.loyalty_account_id = enroll(uow, config.loyalty_program_id, customer.id).id
    _credit_referral(uow, config, opportunity, handoff)
    uow.handoffs.add(handoff)
    handoff.complete()
    open_due_renewals(uow, config, handoff=handoff)
    return handoff


def _credit_referral(uow: BridgeUnitOfWork, config: BridgeConfig, opportunity: Opportunity, handoff: Handoff) -> None:
    """A deal from a referral lead converts the referral: the referrer earns the reward."""
    if opportunity.lead_id is None:
        return
    signal = uow.sales_signals.find(f"referral-lead:{opportunity.lead_id}")
    if signal is None or signal.lead_id != opportunity.lead_id:
        return
    referral = uow.referrals.get(signal.detail)
    if referral.status is ReferralStatus.SUBMITTED:
        update_referral(uow, referral.id, ReferralStatus.QUALIFIED, note=f"deal {opportunity.id}")
    if referral.status is ReferralStatus.QUALIFIED:
        update_referral(uow, referral.id, ReferralStatus.CONVERTED, note=f"won {opportunity.id}")
    # the bonus of every program the referrer belongs to (and the bridge's own program, which
    # enrols them), once per referral: the ledger refuses a second entry with the same key
    programs = {a.program_id for a in uow.loyalty_accounts.list(customer_id=referral.referrer_id)}
    if config.loyalty_program_id is not None:
        enroll(uow, config.loyalty_program_id, referral.referrer_id)
        programs.add(config.loyalty_program_id)
    rewards = []
    for program_id in sorted(programs):
        if uow.loyalty_programs.get(program_id).bonus(BonusKind.REFERRAL):
            entry = award_bonus(
                uow,
                program_id,
                referral.referrer_id,
                BonusKind.REFERRAL,
                key=f"referral:{referral.id}",
                reference=opportunity.id,
            )
            rewards.append(f"{entry.points} points" + ("" if len(programs) == 1 else f" in {program_id}"))
    reward = ", ".join(rewards) or "no loyalty program with a referral bonus"
    handoff.notes.append(f"referred by customer {referral.referrer_id} (referral {referral.id}): reward {reward}")


CHURNED_STAGE = "churned"
"""The lifecycle stage of a customer who left: no renewal is opened while the customer is in it."""


def open_due_renewals(uow: BridgeUnitOfWork, config: BridgeConfig, *, handoff: Handoff | None = None) -> list[str]:
    """Open the renewal opportunity of every handoff whose renewal date has come (once each).

    A customer in the `churned` lifecycle stage gets none: the handoff stays due, so once the
    customer is reactivated (moved on to `won_back`, say) the next run opens it.
    """
    today = uow.clock.now().date()
    due = [handoff] if handoff is not None else uow.handoffs.list(renewal_due_on=le(today), renewal_open=False)
    opened = []
    for h in due:
        if h.renewal_opportunity_id is not None or h.renewal_due_on > today:
            continue
        customer = uow.customers.get(h.customer_id)
        if customer.stage == CHURNED_STAGE:
            continue
        owner = h.roles.cs_owner_id if config.renewal_owned_by == "cs" else h.roles.sales_owner_id
        renewal = open_opportunity(
            uow,
            id=f"{h.id}:renewal",
            pipeline_id=config.renewal_pipeline_id,
            owner_id=owner,
            account_name=customer.name,
            amount=h.amount,
            expected_close=max(h.contract_end, today),
            source="renewal",
            segment=h.segment,
            account_id=customer.external_id,
        )
        h.renewal_opportunity_id = renewal.id
        h.outreach.append(
            request_outreach(uow, h.customer_id, purpose="renewal", channel=Channel.CALL, by=config.renewal_owned_by)
        )
        opened.append(renewal.id)
    return opened
