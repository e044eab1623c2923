"""Customer management use cases. Each works inside the caller's unit of work and leaves the commit to
the caller; bad input is refused before anything is staged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from attrs import evolve

from bizrel.core.clock import utc, zone
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.identity import IdentityFacts, IdentityMatch, email_key, find_identity_matches, identity_rules
from bizrel.core.ids import check_id, new_id
from bizrel.core.money import Money
from bizrel.core.phones import phone_key
from bizrel.core.uow import le, lt, one_of
from bizrel.customer.care import CareOccasion, CarePlan, CareRule, ScheduledTouch
from bizrel.customer.contact_policy import (
    CONTACT_POLICY_ID,
    DEFAULT_CONTACT_POLICY,
    Allowed,
    ContactHistory,
    ContactLog,
    ContactNotAllowed,
    ContactPolicy,
    Decision,
    Deferred,
    TenantContactPolicy,
    Touch,
    decide,
)
from bizrel.customer.customers import (
    CUSTOMER_SETTINGS_ID,
    AttributeValue,
    Channel,
    Contact,
    Customer,
    CustomerKind,
    CustomerSettings,
    Lifecycle,
)
from bizrel.customer.health import DEFAULT_HEALTH_MODEL, HealthModel, HealthScore, HealthSignals, score_health
from bizrel.customer.interactions import Direction, Interaction, Outcome
from bizrel.customer.ports import CustomerUnitOfWork
from bizrel.customer.renewals import Referral, ReferralStatus, RenewalStatus, Subscription
from bizrel.customer.satisfaction import DETRACTOR_MAX, SurveyKind

__all__ = [
    "add_contact",
    "assign_owner",
    "change_stage",
    "churn_subscription",
    "complete_follow_up",
    "configure_lifecycle",
    "contact_history",
    "create_care_plan",
    "create_customer",
    "customer_duplicates",
    "customer_identity",
    "customer_settings",
    "health_signals",
    "log_interaction",
    "mark_renewal_pending",
    "match_customer",
    "note_nps_response",
    "overdue_follow_ups",
    "plan_standard_care",
    "record_health",
    "renew_subscription",
    "renewals_due",
    "request_touch",
    "reschedule_follow_up",
    "run_care_plan",
    "run_due_care",
    "set_attribute",
    "set_consent",
    "set_contact_policy",
    "start_subscription",
    "submit_referral",
    "tag_customer",
    "tenant_contact_policy",
    "update_referral",
]


def _id(id: str | None) -> str:
    return check_id("id", id) if id is not None else new_id()


# -- settings and lifecycle -------------------------------------------------------------------------


def customer_settings(uow: CustomerUnitOfWork) -> CustomerSettings:
    """The tenant's settings (defaults when never configured; not staged until changed)."""
    found = uow.customer_settings.find(CUSTOMER_SETTINGS_ID)
    return found if found is not None else CustomerSettings(tenant_id=uow.tenant_id, id=CUSTOMER_SETTINGS_ID)


def _stage(uow: CustomerUnitOfWork, settings: CustomerSettings) -> CustomerSettings:
    if uow.customer_settings.find(settings.id) is None:
        uow.customer_settings.add(settings)
    return settings


def configure_lifecycle(uow: CustomerUnitOfWork, lifecycle: Lifecycle) -> CustomerSettings:
    """Replace the tenant's lifecycle; refused while customers sit in a stage it drops."""
    if not isinstance(lifecycle, Lifecycle):
        raise ValidationError("lifecycle", lifecycle, "expected Lifecycle")
    current = customer_settings(uow).lifecycle
    dropped = [s for s in current.stages if s not in lifecycle.stages]
    if dropped:
        stranded = uow.customers.count(stage=one_of(*dropped))
        if stranded:
            raise InvariantViolation("stages", dropped, f"{stranded} customer(s) are still in a dropped stage")
    settings = _stage(uow, customer_settings(uow))
    settings.lifecycle = lifecycle
    return settings


# -- customers --------------------------------------------------------------------------------------


def create_customer(
    uow: CustomerUnitOfWork,
    *,
    name: str,
    kind: CustomerKind | str,
    owner_id: str,
    timezone: str,
    contacts: Iterable[Contact] = (),
    tags: Iterable[str] = (),
    external_id: str | None = None,
    domain: str | None = None,
    birthday: date | None = None,
    stage: str | None = None,
    id: str | None = None,
) -> Customer:
    """Create a customer (organisation or person) owned by `owner_id`, in the lifecycle's first stage unless `stage`
    is given; `timezone` is where its care touches are scheduled, `id` is generated when omitted."""
    customer = Customer.create(
        tenant_id=uow.tenant_id,
        id=_id(id),
        name=name,
        kind=kind,
        owner_id=owner_id,
        timezone=timezone,
        at=uow.clock.now(),
        lifecycle=customer_settings(uow).lifecycle,
        stage=stage,
        contacts=contacts,
        tags=tags,
        external_id=external_id,
        domain=domain,
        birthday=birthday,
    )
    if external_id is not None and uow.customers.count(external_id=external_id):
        raise InvariantViolation("external_id", external_id, "another customer already has this external id")
    uow.customers.add(customer)
    return customer


def match_customer(
    uow: CustomerUnitOfWork, *, external_id: str | None = None, domain: str | None = None
) -> Customer | None:
    """The customer with this external id, else the only one with this domain (None if none or several)."""
    if external_id is not None:
        found = uow.customers.list(external_id=check_id("external_id", external_id), limit=1)
        if found:
            return found[0]
    if domain is not None:
        normalized = Customer.normalize_domain(domain)
        candidates = uow.customers.list(domain=normalized, limit=2)
        if len(candidates) == 1:
            return candidates[0]
    return None


def customer_identity(customer: Customer, region: str | None) -> IdentityFacts:
    """What identifies a customer: its contacts' email and phone keys (phones read in `region`; a
    number that cannot be keyed is left out) and, for an organisation, its name."""
    phones = (phone_key(c.phone, region).key for c in customer.contacts if c.phone)
    return IdentityFacts(
        id=customer.id,
        email_keys=tuple(sorted({k for c in customer.contacts if (k := email_key(c.email)) is not None})),
        phone_keys=tuple(sorted({k for k in phones if k is not None})),
        company=customer.name if customer.kind is CustomerKind.ORGANISATION else None,
    )


def customer_duplicates(uow: CustomerUnitOfWork, customer_id: str) -> list[IdentityMatch]:
    """Other customers that may be the same: a contact's email or phone key in common, or an
    organisation name scoring at least the tenant's threshold; the matcher leads use too."""
    rules = identity_rules(uow)
    subject = customer_identity(uow.customers.get(customer_id), rules.default_region)
    others = (customer_identity(c, rules.default_region) for c in uow.customers.list())
    return find_identity_matches(subject, others, threshold=rules.name_threshold)


def change_stage(uow: CustomerUnitOfWork, customer_id: str, stage: str, reason: str | None = None) -> Customer:
    """Move a customer to a lifecycle stage the tenant's lifecycle allows from where it is; `reason` is kept."""
    customer = uow.customers.get(customer_id)
    customer.move_to(stage, lifecycle=customer_settings(uow).lifecycle, at=uow.clock.now(), reason=reason)
    return customer


def assign_owner(uow: CustomerUnitOfWork, customer_id: str, owner_id: str) -> Customer:
    """Give a customer another owner in customer success."""
    customer = uow.customers.get(customer_id)
    customer.assign_owner(owner_id, uow.clock.now())
    return customer


def add_contact(uow: CustomerUnitOfWork, customer_id: str, contact: Contact) -> Customer:
    """Add a contact person to a customer."""
    customer = uow.customers.get(customer_id)
    customer.add_contact(contact)
    return customer


def tag_customer(uow: CustomerUnitOfWork, customer_id: str, *tags: str, remove: Sequence[str] = ()) -> Customer:
    """Add `tags` to a customer and remove those in `remove`."""
    customer = uow.customers.get(customer_id)
    customer.tag(*tags)
    customer.untag(*remove)
    return customer


def set_attribute(uow: CustomerUnitOfWork, customer_id: str, key: str, value: AttributeValue) -> Customer:
    """Set a custom attribute; its type is fixed tenant-wide by the first value ever set."""
    customer = uow.customers.get(customer_id)
    settings = customer_settings(uow)
    settings.attribute_type(key, value)  # refuses a wrong type before anything is staged
    if key not in settings.attribute_types:
        _stage(uow, settings)
    customer.set_attribute(key, value, settings)
    return customer


def set_consent(
    uow: CustomerUnitOfWork, customer_id: str, channel: Channel | str, purpose: str, *, granted: bool
) -> Customer:
    """Record that a customer granted or withdrew consent to be contacted on a channel for a purpose."""
    customer = uow.customers.get(customer_id)
    customer.set_consent(channel, purpose, granted=granted, at=uow.clock.now())
    return customer


# -- interactions -----------------------------------------------------------------------------------


def log_interaction(
    uow: CustomerUnitOfWork,
    *,
    customer_id: str,
    channel: Channel | str,
    direction: Direction | str,
    outcome: Outcome | str,
    summary: str,
    occurred_at: datetime | None = None,
    next_follow_up: datetime | None = None,
    owner_id: str | None = None,
    id: str | None = None,
    purpose: str = "care",
    source: str = "care:interaction",
) -> Interaction:
    """Log a contact (by default now, by the customer's owner); it may not lie in the future.

    An outbound contact goes through the tenant's contact policy first, at the time it happened, as
    a touch of `channel`, `purpose` and `source`: the decision is recorded in the contact log, an
    allowed one counts towards the caps, and a refused or deferred one raises ContactNotAllowed
    (with the reason) and logs no interaction. Inbound contacts are never refused.
    """
    now = uow.clock.now()
    when = now if occurred_at is None else utc(occurred_at, "occurred_at")
    if when > now:
        raise ValidationError("occurred_at", occurred_at, f"is after the clock's now ({now})")
    customer = uow.customers.get(customer_id)
    interaction = Interaction.log(
        tenant_id=uow.tenant_id,
        id=_id(id),
        customer_id=customer.id,
        owner_id=customer.owner_id if owner_id is None else owner_id,
        channel=channel,
        direction=direction,
        outcome=outcome,
        summary=summary,
        occurred_at=when,
        next_follow_up=next_follow_up,
    )
    if interaction.direction is Direction.OUTBOUND:
        touch = Touch(channel=interaction.channel, purpose=purpose, source=source)
        decision = _decide_and_record(uow, customer, touch, when)
        if not isinstance(decision, Allowed):
            raise ContactNotAllowed(customer.id, touch, decision)
    uow.interactions.add(interaction)
    return interaction


def complete_follow_up(uow: CustomerUnitOfWork, interaction_id: str) -> Interaction:
    """Mark the follow-up an interaction asked for as done."""
    interaction = uow.interactions.get(interaction_id)
    interaction.complete_follow_up(uow.clock.now())
    return interaction


def reschedule_follow_up(uow: CustomerUnitOfWork, interaction_id: str, to: datetime) -> Interaction:
    """Move an open follow-up to another time (not before the interaction itself)."""
    interaction = uow.interactions.get(interaction_id)
    interaction.reschedule_follow_up(to)
    return interaction


def overdue_follow_ups(
    uow: CustomerUnitOfWork, as_of: datetime | None = None, *, owner_id: str | None = None
) -> list[Interaction]:
    """Open follow-ups whose time has passed, oldest first (one indexed query)."""
    when = uow.clock.now() if as_of is None else utc(as_of, "as_of")
    owner: dict[str, Any] = {} if owner_id is None else {"owner_id": check_id("owner_id", owner_id)}
    return uow.interactions.list(order_by="next_follow_up", follow_up_open=True, next_follow_up=lt(when), **owner)


# -- health -----------------------------------------------------------------------------------------


def health_signals(
    uow: CustomerUnitOfWork,
    customer_id: str,
    *,
    latest_nps: int | None = None,
    usage_trend: Decimal | int | str | None = None,
    open_issues: int = 0,
    late_payments: int = 0,
) -> HealthSignals:
    """Signals for a customer: days since the last interaction come from the log, the rest from the caller."""
    customer = uow.customers.get(customer_id)
    now = uow.clock.now()
    last = uow.interactions.list(customer_id=customer.id, order_by="-occurred_at", limit=1)
    days = None if not last else max(0, (now - last[0].occurred_at).days)
    return HealthSignals(
        days_since_last_interaction=days,
        latest_nps=latest_nps,
        usage_trend=usage_trend,
        open_issues=open_issues,
        late_payments=late_payments,
    )


def record_health(
    uow: CustomerUnitOfWork, customer_id: str, signals: HealthSignals, model: HealthModel = DEFAULT_HEALTH_MODEL
) -> HealthScore:
    """Score and keep the result on the customer (HealthBandChanged when the band moves)."""
    customer = uow.customers.get(customer_id)
    score = score_health(signals, model)
    customer.record_health(score, uow.clock.now())
    return score


# -- care and contact policy ------------------------------------------------------------------------


def _contact_log(uow: CustomerUnitOfWork, customer_id: str) -> ContactLog:
    log = uow.contact_logs.find(customer_id)
    if log is None:
        log = ContactLog.start(tenant_id=uow.tenant_id, customer_id=customer_id)
        uow.contact_logs.add(log)
    return log


def contact_history(uow: CustomerUnitOfWork, customer_id: str) -> ContactHistory:
    """What the contact policy knows about earlier contact with a customer.

    The last detractor answer is the later of the one noted on the contact log
    (`note_nps_response`) and the latest stored NPS survey response of 0-6 given by now: the
    cool-down follows from the recorded response itself, however it was stored.
    """
    log = uow.contact_logs.find(customer_id)
    history = log.history() if log is not None else ContactHistory()
    latest = uow.survey_responses.list(
        customer_id=customer_id,
        kind=SurveyKind.NPS.value,
        score=le(DETRACTOR_MAX),
        responded_at=le(uow.clock.now()),
        order_by="-responded_at",
        limit=1,
    )
    if latest and (history.last_detractor_at is None or latest[0].responded_at > history.last_detractor_at):
        return evolve(history, last_detractor_at=latest[0].responded_at)
    return history


def tenant_contact_policy(uow: CustomerUnitOfWork) -> ContactPolicy:
    """The tenant's stored contact policy (DEFAULT_CONTACT_POLICY when never configured)."""
    stored = uow.contact_policies.find(CONTACT_POLICY_ID)
    return stored.policy if stored is not None else DEFAULT_CONTACT_POLICY


def set_contact_policy(uow: CustomerUnitOfWork, policy: ContactPolicy) -> TenantContactPolicy:
    """Configure the tenant's one contact policy; every later decision, in any process, uses it."""
    stored = uow.contact_policies.find(CONTACT_POLICY_ID)
    if stored is None:
        stored = TenantContactPolicy.configure(tenant_id=uow.tenant_id, policy=policy, at=uow.clock.now())
        uow.contact_policies.add(stored)
    else:
        stored.replace(policy, uow.clock.now())
    return stored


def _decide_and_record(uow: CustomerUnitOfWork, customer: Customer, touch: Touch, at: datetime) -> Decision:
    decision = decide(
        customer, touch, contact_history(uow, customer.id), at, tenant_contact_policy(uow), stage=customer.stage
    )
    _contact_log(uow, customer.id).record_decision(touch, decision, at)
    return decision


def request_touch(uow: CustomerUnitOfWork, customer_id: str, touch: Touch) -> Decision:
    """Ask the tenant's stored contact policy whether `touch` may go out now, and record the decision.

    Allowed touches count towards the caps of every later decision, in any process: the log is one
    versioned aggregate per customer, so concurrent decisions conflict instead of both passing.
    """
    if not isinstance(touch, Touch):
        raise ValidationError("touch", touch, "expected Touch")
    customer = uow.customers.get(customer_id)
    return _decide_and_record(uow, customer, touch, uow.clock.now())


def note_nps_response(uow: CustomerUnitOfWork, customer_id: str, score: int, at: datetime | None = None) -> None:
    """Tell the contact policy about an NPS answer; a detractor (0-6) starts the cool-down."""
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
        raise ValidationError("score", score, "an NPS answer is an int 0-10")
    when = uow.clock.now() if at is None else utc(at, "at")
    customer = uow.customers.get(customer_id)
    if score <= DETRACTOR_MAX:
        _contact_log(uow, customer.id).note_detractor(when)


def create_care_plan(
    uow: CustomerUnitOfWork, customer_id: str, rules: Sequence[CareRule], id: str | None = None
) -> CarePlan:
    """Give a customer a care plan: the recurring touches (reviews, anniversaries) its rules schedule."""
    customer = uow.customers.get(customer_id)
    plan = CarePlan.create(
        tenant_id=uow.tenant_id,
        id=_id(id),
        customer_id=customer.id,
        rules=list(rules),
        at=uow.clock.now(),
        timezone=customer.timezone,
    )
    uow.care_plans.add(plan)
    return plan


def plan_standard_care(
    uow: CustomerUnitOfWork,
    customer_id: str,
    *,
    local_time: time = time(10, 0),
    channel: Channel | str = Channel.EMAIL,
    onboarding_check_in_days: Sequence[int] = (30,),
    id: str | None = None,
) -> CarePlan:
    """A care plan from what is known about the customer: quarterly reviews from onboarding (or
    creation), anniversaries of the first subscription, the birthday, and check-ins after onboarding."""
    customer = uow.customers.get(customer_id)
    tz = zone(customer.timezone)
    onboarded = customer.entered("onboarding")
    anchor = (onboarded or customer.created_at).astimezone(tz).date()
    rules = [
        CareRule(
            occasion=CareOccasion.QUARTERLY_BUSINESS_REVIEW,
            anchor=anchor + timedelta(days=90),
            local_time=local_time,
            channel=Channel.MEETING,
            purpose="care",
        )
    ]
    first = uow.subscriptions.list(customer_id=customer.id, order_by="starts_on", limit=1)
    if first:
        rules.append(
            CareRule(
                occasion=CareOccasion.CONTRACT_ANNIVERSARY,
                anchor=first[0].start,
                local_time=local_time,
                channel=channel,
            )
        )
    if customer.birthday is not None:
        rules.append(
            CareRule(occasion=CareOccasion.BIRTHDAY, anchor=customer.birthday, local_time=local_time, channel=channel)
        )
    if onboarded is not None:
        rules += [
            CareRule(
                occasion=CareOccasion.AFTER_ONBOARDING,
                anchor=anchor,
                days_after=days,
                local_time=local_time,
                channel=channel,
            )
            for days in onboarding_check_in_days
        ]
    return create_care_plan(uow, customer.id, rules, id=id)


def run_care_plan(uow: CustomerUnitOfWork, plan_id: str) -> list[tuple[ScheduledTouch, Decision]]:
    """Request every touch the plan has due by now through the policy; keep deferred ones for later."""
    plan = uow.care_plans.get(plan_id)
    customer = uow.customers.get(plan.customer_id)
    results = []
    for due in plan.due(customer.timezone, uow.clock.now()):
        decision = request_touch(uow, customer.id, due.touch)
        if isinstance(decision, Deferred):
            plan.defer(due, decision.until)
        results.append((due, decision))
    return results


def run_due_care(uow: CustomerUnitOfWork) -> list[tuple[str, ScheduledTouch, Decision]]:
    """The care job: run every plan with a touch due by now (one indexed query finds them)."""
    now = uow.clock.now()
    return [
        (plan.customer_id, due, decision)
        for plan in uow.care_plans.list(next_due=le(now), order_by="next_due")
        for due, decision in run_care_plan(uow, plan.id)
    ]


# -- renewals and referrals -------------------------------------------------------------------------


def start_subscription(
    uow: CustomerUnitOfWork,
    *,
    customer_id: str,
    plan: str,
    amount: Money,
    start: date,
    end: date,
    id: str | None = None,
) -> Subscription:
    """Start a subscription term for a customer; renewals are tracked from its end date."""
    customer = uow.customers.get(customer_id)
    subscription = Subscription.begin(
        tenant_id=uow.tenant_id,
        id=_id(id),
        customer_id=customer.id,
        plan=plan,
        amount=amount,
        start=start,
        end=end,
        at=uow.clock.now(),
    )
    uow.subscriptions.add(subscription)
    return subscription


def mark_renewal_pending(uow: CustomerUnitOfWork, subscription_id: str) -> Subscription:
    """Mark a subscription as up for renewal (its renewal window opened)."""
    subscription = uow.subscriptions.get(subscription_id)
    subscription.mark_pending()
    return subscription


def renew_subscription(
    uow: CustomerUnitOfWork,
    subscription_id: str,
    *,
    end: date,
    amount: Money | None = None,
    next_id: str | None = None,
) -> Subscription:
    """Renew a term; returns the new term (the old one is closed as renewed)."""
    subscription = uow.subscriptions.get(subscription_id)
    next_term = subscription.renew(next_id=_id(next_id), at=uow.clock.now(), end=end, amount=amount)
    uow.subscriptions.add(next_term)
    return next_term


def churn_subscription(uow: CustomerUnitOfWork, subscription_id: str, reason: str) -> Subscription:
    """Record that a subscription churned, with the reason sales learns from."""
    subscription = uow.subscriptions.get(subscription_id)
    subscription.churn(reason, uow.clock.now())
    return subscription


def renewals_due(uow: CustomerUnitOfWork, within_days: int, as_of: date | None = None) -> list[Subscription]:
    """Open terms (active or pending) ending within `within_days` of `as_of` (default: today in UTC)."""
    if not isinstance(within_days, int) or isinstance(within_days, bool) or within_days < 0:
        raise ValidationError("within_days", within_days, "must be an int >= 0")
    today = uow.clock.now().date() if as_of is None else as_of
    return uow.subscriptions.list(
        status=one_of(RenewalStatus.ACTIVE, RenewalStatus.PENDING),
        ends_on=le(today + timedelta(days=within_days)),
        order_by="ends_on",
    )


def submit_referral(
    uow: CustomerUnitOfWork,
    *,
    referrer_id: str,
    referred_name: str,
    referred_email: str | None = None,
    id: str | None = None,
) -> Referral:
    """Record that a customer referred someone (a name and e-mail for sales)."""
    referrer = uow.customers.get(referrer_id)
    referral = Referral.submit(
        tenant_id=uow.tenant_id,
        id=_id(id),
        referrer_id=referrer.id,
        referred_name=referred_name,
        referred_email=referred_email,
        at=uow.clock.now(),
    )
    uow.referrals.add(referral)
    return referral


def update_referral(
    uow: CustomerUnitOfWork, referral_id: str, status: ReferralStatus | str, note: str | None = None
) -> Referral:
    """Move a referral to another status, with an optional note."""
    referral = uow.referrals.get(referral_id)
    referral.move_to(status, uow.clock.now(), note)
    return referral
