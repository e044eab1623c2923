"""Sales use cases. Each works inside the caller's unit of work and leaves the commit to the caller,
so several steps (or both contexts, in the bridge) can share one transaction. Every check runs
before anything is staged, so a refused call leaves nothing behind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from attrs import frozen

from bizrel.core.errors import PolicyViolation, ValidationError
from bizrel.core.identity import IdentityMatch, identity_rules
from bizrel.core.ids import check_id, new_id
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.core.uow import one_of
from bizrel.sales.accounts import Account, Contact
from bizrel.sales.activities import Activity, ActivityKind
from bizrel.sales.forecast import ForecastSnapshot, RateTable, build_forecast
from bizrel.sales.holding import FollowUpKind, Holding
from bizrel.sales.leads import (
    AssignmentRule,
    AssignmentStrategy,
    Lead,
    LeadScoring,
    LeadStatus,
    Qualification,
    ScoreCard,
    find_duplicates,
)
from bizrel.sales.pipeline import (
    ForecastCategory,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    PipelineKind,
    RollbackPolicy,
    Stage,
)
from bizrel.sales.pool import ClaimedFromPool, PoolMove, PoolPolicy, PoolReturnReminder, RecordKind, ReturnedToPool
from bizrel.sales.ports import SalesUnitOfWork

__all__ = [
    "Conversion",
    "SweepResult",
    "advance_opportunity",
    "approve_stage",
    "assign_lead",
    "capture_lead",
    "claim_from_pool",
    "complete_activity",
    "convert_lead",
    "create_assignment_rule",
    "create_pipeline",
    "create_pool",
    "lead_duplicates",
    "log_activity",
    "lose_opportunity",
    "merge_leads",
    "move_opportunity",
    "open_opportunity",
    "override_forecast_category",
    "qualify_lead",
    "release_to_pool",
    "set_contract_end",
    "sweep_pool",
    "take_forecast_snapshot",
    "win_opportunity",
]


def _id(id: str | None) -> str:
    return check_id("id", id) if id is not None else new_id()


# -- pipelines and opportunities -----------------------------------------------------------------


def create_pipeline(
    uow: SalesUnitOfWork,
    *,
    name: str,
    stages: Sequence[Stage | tuple[str, Decimal | str | int]],
    id: str | None = None,
    kind: PipelineKind | str = PipelineKind.NEW_BUSINESS,
    transitions: Mapping[str, Sequence[str]] | None = None,
    rollback: RollbackPolicy | str = RollbackPolicy.REASON,
    lost_reasons: Sequence[str] = (),
) -> Pipeline:
    """A pipeline from stages given as Stage objects or (name, win probability) pairs."""
    pipeline = Pipeline(
        tenant_id=uow.tenant_id,
        id=_id(id),
        name=name,
        stages=tuple(s if isinstance(s, Stage) else Stage(s[0], s[1]) for s in stages),
        kind=PipelineKind(kind),
        transitions={k: tuple(v) for k, v in (transitions or {}).items()},
        rollback=RollbackPolicy(rollback),
        lost_reasons=tuple(lost_reasons),
    )
    uow.pipelines.add(pipeline)
    return pipeline


def open_opportunity(
    uow: SalesUnitOfWork,
    *,
    pipeline_id: str,
    owner_id: str,
    account_name: str,
    amount: Money,
    expected_close: date,
    stage: str | None = None,
    id: str | None = None,
    source: str | None = None,
    segment: str | None = None,
    account_id: str | None = None,
    contact_id: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> Opportunity:
    """Open a deal in a pipeline, at its first stage unless `stage` is given; `id` is generated when omitted."""
    pipeline = uow.pipelines.get(pipeline_id)
    if account_id is not None:
        account = uow.accounts.get(account_id)
        if contact_id is not None:
            account.contact(contact_id)
    opportunity = Opportunity.open(
        tenant_id=uow.tenant_id,
        id=_id(id),
        pipeline=pipeline,
        owner_id=owner_id,
        account_name=account_name,
        amount=amount,
        expected_close=expected_close,
        at=uow.clock.now(),
        stage=stage,
        source=source,
        segment=segment,
        account_id=account_id,
        contact_id=contact_id,
        fields=fields,
    )
    uow.opportunities.add(opportunity)
    return opportunity


def _completed_kinds(uow: SalesUnitOfWork, opportunity_id: str) -> set[str]:
    return {a.kind.value for a in uow.activities.list(opportunity_id=opportunity_id) if a.is_done}


def _touch_account(uow: SalesUnitOfWork, opportunity: Opportunity, kind: FollowUpKind, at: datetime) -> None:
    if opportunity.account_id is not None:
        uow.accounts.get(opportunity.account_id).holding.touch(kind, at)


def advance_opportunity(uow: SalesUnitOfWork, opportunity_id: str, stage: str, *, by: str | None = None) -> Opportunity:
    """Forward, after the exit criteria of every stage left behind are met (PolicyViolation names the first missing)."""
    opportunity = uow.opportunities.get(opportunity_id)
    now = uow.clock.now()
    opportunity.advance(
        uow.pipelines.get(opportunity.pipeline_id),
        stage,
        now,
        completed_activities=_completed_kinds(uow, opportunity_id),
        by=by,
    )
    _touch_account(uow, opportunity, FollowUpKind.STAGE_CHANGE, now)
    return opportunity


def move_opportunity(
    uow: SalesUnitOfWork, opportunity_id: str, stage: str, *, reason: str | None = None, by: str | None = None
) -> Opportunity:
    """Any move the pipeline's transition graph allows, back moves under its rollback policy."""
    opportunity = uow.opportunities.get(opportunity_id)
    now = uow.clock.now()
    opportunity.move(
        uow.pipelines.get(opportunity.pipeline_id),
        stage,
        now,
        completed_activities=_completed_kinds(uow, opportunity_id),
        by=by,
        reason=reason,
    )
    _touch_account(uow, opportunity, FollowUpKind.STAGE_CHANGE, now)
    return opportunity


def approve_stage(uow: SalesUnitOfWork, opportunity_id: str, stage: str, *, approved_by: str) -> Opportunity:
    """Record the approval a stage requires before a deal may enter it."""
    opportunity = uow.opportunities.get(opportunity_id)
    opportunity.approve(stage, approved_by, uow.clock.now(), uow.pipelines.get(opportunity.pipeline_id))
    return opportunity


def win_opportunity(uow: SalesUnitOfWork, opportunity_id: str) -> Opportunity:
    """Win a deal (its pipeline's exit criteria must hold); the bridge hands it to customer success."""
    opportunity = uow.opportunities.get(opportunity_id)
    now = uow.clock.now()
    opportunity.win(
        now, uow.pipelines.get(opportunity.pipeline_id), completed_activities=_completed_kinds(uow, opportunity_id)
    )
    _touch_account(uow, opportunity, FollowUpKind.WON_DEAL, now)
    return opportunity


def lose_opportunity(uow: SalesUnitOfWork, opportunity_id: str, reason: str) -> Opportunity:
    """Lose a deal, with the reason the win-probability model and reports learn from."""
    opportunity = uow.opportunities.get(opportunity_id)
    opportunity.lose(reason, uow.clock.now(), uow.pipelines.get(opportunity.pipeline_id))
    return opportunity


def override_forecast_category(
    uow: SalesUnitOfWork, opportunity_id: str, category: ForecastCategory | str | None
) -> Opportunity:
    """Put a deal in a forecast category by hand (None: back to the stage's default)."""
    opportunity = uow.opportunities.get(opportunity_id)
    opportunity.override_forecast(None if category is None else ForecastCategory(category))
    return opportunity


def take_forecast_snapshot(
    uow: SalesUnitOfWork, *, period: Period, rates: RateTable, id: str | None = None
) -> ForecastSnapshot:
    """Record the forecast of `period` as it stands now, with the rates used, to measure accuracy later."""
    forecast = build_forecast(
        uow.opportunities.list(),
        uow.pipelines.list(),
        rates=rates,
        as_of=uow.clock.now(),
        period_kind=period.kind,
        start_month=period.start.month if period.kind.value in ("quarter", "half", "year") else 1,
    )
    snapshot = ForecastSnapshot.take(tenant_id=uow.tenant_id, id=_id(id), forecast=forecast, period=period)
    uow.forecast_snapshots.add(snapshot)
    return snapshot


# -- leads ---------------------------------------------------------------------------------------


def capture_lead(
    uow: SalesUnitOfWork,
    *,
    name: str,
    source: str,
    email: str | None = None,
    phone: str | None = None,
    company: str | None = None,
    campaign: str | None = None,
    territory: str | None = None,
    level: str | None = None,
    pool_id: str | None = None,
    region: str | None = None,
    id: str | None = None,
) -> Lead:
    """A new lead; with a pool it waits there to be claimed or assigned. A phone number without '+'
    is read in `region`, else in the tenant's default region (`configure_identity`)."""
    if pool_id is not None:
        uow.pools.get(pool_id)
    lead = Lead.capture(
        tenant_id=uow.tenant_id,
        id=_id(id),
        name=name,
        source=source,
        at=uow.clock.now(),
        email=email,
        phone=phone,
        company=company,
        campaign=campaign,
        territory=territory,
        level=level,
        region=region if region is not None else identity_rules(uow).default_region,
    )
    lead.holding.pool_id = pool_id
    uow.leads.add(lead)
    return lead


def lead_duplicates(uow: SalesUnitOfWork, lead_id: str) -> list[IdentityMatch]:
    """Active leads sharing this lead's email or phone key, or whose company name scores at least
    the tenant's threshold, each with its score and reasons (bizrel.core.identity)."""
    lead = uow.leads.get(lead_id)
    candidates: dict[str, Lead] = {}
    for column in ("email_key", "phone_key"):
        key = getattr(lead, column)
        if key is not None:
            for other in uow.leads.list(**{column: key}):
                candidates[other.id] = other
    if lead.company_key is not None:  # a misspelt name has no equal key: every active lead with a company is scored
        for other in uow.leads.list(status=one_of(LeadStatus.NEW, LeadStatus.QUALIFIED)):
            if other.company_key is not None:
                candidates[other.id] = other
    return find_duplicates(lead, candidates.values(), threshold=identity_rules(uow).name_threshold)


def merge_leads(uow: SalesUnitOfWork, survivor_id: str, duplicate_id: str) -> Lead:
    """Merge a duplicate lead into the survivor: fields it lacks are filled in, both histories are kept."""
    survivor, duplicate = uow.leads.get(survivor_id), uow.leads.get(duplicate_id)
    survivor.absorb(duplicate, uow.clock.now())
    return survivor


def qualify_lead(
    uow: SalesUnitOfWork, lead_id: str, qualification: Qualification, scoring: LeadScoring | None = None
) -> ScoreCard:
    """Record a lead's qualification and, with `scoring`, its score."""
    return uow.leads.get(lead_id).qualify(qualification, scoring or LeadScoring(), uow.clock.now())


def create_assignment_rule(
    uow: SalesUnitOfWork,
    *,
    name: str,
    strategy: AssignmentStrategy | str,
    reps: Sequence[str],
    territories: Mapping[str, Sequence[str]] | None = None,
    capacities: Mapping[str, int] | None = None,
    id: str | None = None,
) -> AssignmentRule:
    """Create a rule that assigns new leads to reps (round robin, by territory or by capacity)."""
    rule = AssignmentRule(
        tenant_id=uow.tenant_id,
        id=_id(id),
        name=name,
        strategy=AssignmentStrategy(strategy),
        reps=tuple(reps),
        territories={k: tuple(v) for k, v in (territories or {}).items()},
        capacities=dict(capacities or {}),
    )
    uow.assignment_rules.add(rule)
    return rule


_ACTIVE = one_of(LeadStatus.NEW, LeadStatus.QUALIFIED)


def assign_lead(uow: SalesUnitOfWork, lead_id: str, rule_id: str) -> Lead:
    """Give an unowned lead an owner by the rule; capacity counts the active leads each rep holds."""
    lead = uow.leads.get(lead_id)
    rule = uow.assignment_rules.get(rule_id)
    lead.ensure_active()
    if lead.holding.owner_id is not None:
        raise PolicyViolation("assignment", f"lead {lead_id}", f"already owned by {lead.holding.owner_id}")
    held = {rep: uow.leads.count(owner_id=rep, status=_ACTIVE) for rep in rule.reps}
    rep = rule.choose(lead, held)
    now = uow.clock.now()
    lead.holding.take(rep, now, "assigned")
    lead.note(now, "assigned", f"to {rep} by rule {rule.name}")
    if lead.holding.pool_id is not None:
        _log_move(uow, lead.holding, RecordKind.LEAD, lead.id, "assigned", now, None)
    return lead


@frozen
class Conversion:
    """What converting a lead gave: the lead, the account, its contact and the deal."""

    lead: Lead
    account: Account
    contact: Contact
    opportunity: Opportunity


def convert_lead(
    uow: SalesUnitOfWork,
    lead_id: str,
    *,
    pipeline_id: str,
    amount: Money,
    expected_close: date,
    account_id: str | None = None,
    segment: str | None = None,
    domain: str | None = None,
    opportunity_id: str | None = None,
    account_pool_id: str | None = None,
) -> Conversion:
    """A qualified (or new) lead becomes an opportunity with its account and contact.

    The account is `account_id`, else an existing account with the same normalized company name,
    else a new one, which joins `account_pool_id` (default: the lead's pool); the lead's person
    becomes a contact of it.
    """
    lead = uow.leads.get(lead_id)
    owner = lead.converting_owner()
    pipeline = uow.pipelines.get(pipeline_id)
    if account_pool_id is not None:
        uow.pools.get(account_pool_id)
    now = uow.clock.now()
    name = lead.company or lead.name
    account: Account | None = uow.accounts.get(account_id) if account_id is not None else None
    if account is None and lead.company_key is not None:
        account = next(iter(uow.accounts.list(name_key=lead.company_key)), None)
    new_account = account is None
    if account is None:
        account = Account.create(
            tenant_id=uow.tenant_id, id=new_id(), name=name, at=now, domain=domain, segment=segment
        )
        account.holding = Holding(pool_id=account_pool_id or lead.holding.pool_id, level=lead.holding.level)
        account.holding.take(owner, now, "converted")
    opportunity = Opportunity.open(
        tenant_id=uow.tenant_id,
        id=_id(opportunity_id),
        pipeline=pipeline,
        owner_id=owner,
        account_name=account.name,
        amount=amount,
        expected_close=expected_close,
        at=now,
        source=lead.source,
        segment=segment or account.segment,
        account_id=account.id,
        lead_id=lead.id,
    )
    contact = account.add_contact(Contact(new_id(), lead.name, lead.email, lead.phone))
    opportunity.contact_id = contact.id
    lead.convert(opportunity_id=opportunity.id, account_id=account.id, contact_id=contact.id, at=now)
    if new_account:
        uow.accounts.add(account)
    uow.opportunities.add(opportunity)
    return Conversion(lead, account, contact, opportunity)


# -- activities ----------------------------------------------------------------------------------


def _touch_for(uow: SalesUnitOfWork, activity: Activity) -> None:
    at = activity.done_at
    if at is None:
        return
    if activity.lead_id is not None:
        uow.leads.get(activity.lead_id).holding.touch(FollowUpKind.ACTIVITY, at)
    account_id = activity.account_id
    if account_id is None and activity.opportunity_id is not None:
        account_id = uow.opportunities.get(activity.opportunity_id).account_id
    if account_id is not None:
        uow.accounts.get(account_id).holding.touch(FollowUpKind.ACTIVITY, at)


def log_activity(
    uow: SalesUnitOfWork,
    *,
    kind: ActivityKind | str,
    subject: str,
    owner_id: str,
    lead_id: str | None = None,
    opportunity_id: str | None = None,
    account_id: str | None = None,
    due_at: datetime | None = None,
    done: bool = True,
    id: str | None = None,
) -> Activity:
    """A task, call, meeting or email; a completed one counts as a follow-up of its lead or account."""
    if lead_id is not None:
        uow.leads.get(lead_id)
    if opportunity_id is not None:
        uow.opportunities.get(opportunity_id)
    if account_id is not None:
        uow.accounts.get(account_id)
    activity = Activity.create(
        tenant_id=uow.tenant_id,
        id=_id(id),
        kind=kind,
        subject=subject,
        owner_id=owner_id,
        at=uow.clock.now(),
        lead_id=lead_id,
        opportunity_id=opportunity_id,
        account_id=account_id,
        due_at=due_at,
        done=done,
    )
    _touch_for(uow, activity)
    uow.activities.add(activity)
    return activity


def complete_activity(uow: SalesUnitOfWork, activity_id: str) -> Activity:
    """Mark a sales activity as done."""
    activity = uow.activities.get(activity_id)
    activity.complete(uow.clock.now())
    _touch_for(uow, activity)
    return activity


# -- the public pool (公海) -----------------------------------------------------------------------


def create_pool(
    uow: SalesUnitOfWork,
    *,
    name: str,
    follow_up_days: int,
    days_by_level: Mapping[str, int] | None = None,
    follow_up_kinds: Sequence[FollowUpKind | str] = tuple(FollowUpKind),
    remind_days_before: int = 0,
    no_open_opportunity_days: int | None = None,
    contract_end_days: int | None = None,
    max_held: int = 50,
    daily_claim_limit: int = 10,
    cooldown_days: int = 0,
    id: str | None = None,
) -> PoolPolicy:
    """Create a public pool (公海) that leads or accounts return to when not followed up in time."""
    pool = PoolPolicy(
        tenant_id=uow.tenant_id,
        id=_id(id),
        name=name,
        follow_up_days=follow_up_days,
        days_by_level=dict(days_by_level or {}),
        follow_up_kinds=tuple(FollowUpKind(k) for k in follow_up_kinds),
        remind_days_before=remind_days_before,
        no_open_opportunity_days=no_open_opportunity_days,
        contract_end_days=contract_end_days,
        max_held=max_held,
        daily_claim_limit=daily_claim_limit,
        cooldown_days=cooldown_days,
    )
    uow.pools.add(pool)
    return pool


def _record(uow: SalesUnitOfWork, kind: RecordKind | str, record_id: str) -> Lead | Account:
    kind = RecordKind(kind)
    if kind is RecordKind.LEAD:
        lead = uow.leads.get(record_id)
        lead.ensure_active()
        return lead
    return uow.accounts.get(record_id)


def _log_move(
    uow: SalesUnitOfWork,
    holding: Holding,
    kind: RecordKind,
    record_id: str,
    action: str,
    at: datetime,
    reason: str | None,
) -> None:
    last = holding.log[-1]
    uow.pool_moves.add(
        PoolMove(
            tenant_id=uow.tenant_id,
            id=new_id(),
            pool_id=holding.pool_id or "",
            record_kind=kind,
            record_id=record_id,
            action=action,
            owner_id=last.owner_id,
            previous_owner_id=last.previous_owner_id,
            at=at,
            day=at.date(),
            reason=reason,
        )
    )


def claim_from_pool(uow: SalesUnitOfWork, kind: RecordKind | str, record_id: str, *, owner_id: str) -> Lead | Account:
    """A rep takes a record from the pool, within the pool's maximum held, daily limit and cool-down."""
    check_id("owner_id", owner_id)
    kind = RecordKind(kind)
    record = _record(uow, kind, record_id)
    holding = record.holding
    subject = f"{kind.value} {record_id} for {owner_id}"
    if holding.pool_id is None:
        raise PolicyViolation("pool", subject, "the record belongs to no pool")
    if holding.owner_id is not None:
        raise PolicyViolation("pool.claim", subject, f"already held by {holding.owner_id}")
    pool = uow.pools.get(holding.pool_id)
    now = uow.clock.now()
    held = uow.leads.count(owner_id=owner_id, pool_id=pool.id, status=_ACTIVE) + uow.accounts.count(
        owner_id=owner_id, pool_id=pool.id
    )
    if held >= pool.max_held:
        raise PolicyViolation("pool.max_held", subject, f"already holds {held} of at most {pool.max_held}")
    today = uow.pool_moves.count(pool_id=pool.id, owner_id=owner_id, action="claimed", day=now.date())
    if today >= pool.daily_claim_limit:
        raise PolicyViolation(
            "pool.daily_claim_limit", subject, f"claimed {today} today, the limit is {pool.daily_claim_limit}"
        )
    if holding.previous_owner_id == owner_id and holding.returned_at is not None:
        until = holding.returned_at + timedelta(days=pool.cooldown_days)
        if now < until:
            raise PolicyViolation(
                "pool.cooldown", subject, f"the previous owner may claim it again from {until.isoformat()}"
            )
    holding.take(owner_id, now, "claimed")
    record.record(
        ClaimedFromPool(
            tenant_id=uow.tenant_id,
            occurred_at=now,
            record_kind=kind,
            record_id=record_id,
            pool_id=pool.id,
            owner_id=owner_id,
            last_return_reason=holding.return_reason,
        )
    )
    _log_move(uow, holding, kind, record_id, "claimed", now, holding.return_reason)
    return record


def _give_back(
    uow: SalesUnitOfWork, record: Lead | Account, kind: RecordKind, reason: str, action: str, at: datetime
) -> None:
    holding = record.holding
    previous = holding.give_back(at, reason, action)
    record.record(
        ReturnedToPool(
            tenant_id=uow.tenant_id,
            occurred_at=at,
            record_kind=kind,
            record_id=record.id,
            pool_id=holding.pool_id or "",
            previous_owner_id=previous,
            reason=reason,
        )
    )
    _log_move(uow, holding, kind, record.id, action, at, reason)


def release_to_pool(uow: SalesUnitOfWork, kind: RecordKind | str, record_id: str, *, reason: str) -> Lead | Account:
    """The owner gives a record back on purpose; the reason goes with it to the next owner."""
    kind = RecordKind(kind)
    record = _record(uow, kind, record_id)
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("reason", reason, "say why the record goes back to the pool")
    if record.holding.pool_id is None or record.holding.owner_id is None:
        raise PolicyViolation(
            "pool.release", f"{kind.value} {record_id}", "only a held record of a pool can be released"
        )
    _give_back(uow, record, kind, reason, "released", uow.clock.now())
    return record


def set_contract_end(uow: SalesUnitOfWork, account_id: str, contract_end: date | None) -> Account:
    """The account's contract end, which a pool with `contract_end_days` reclaims after."""
    account = uow.accounts.get(account_id)
    account.contract_end = contract_end
    return account


@frozen
class SweepResult:
    """What a pool sweep did: the records returned (with why) and those reminded (with when they return)."""

    returned: tuple[tuple[RecordKind, str, str], ...]  # (kind, id, reason)
    reminded: tuple[tuple[RecordKind, str, datetime], ...]  # (kind, id, returns at)


def sweep_pool(uow: SalesUnitOfWork, pool_id: str | None = None) -> SweepResult:
    """Return every held record whose pool says so now (uow.clock), and remind owners before that."""
    now = uow.clock.now()
    pools = [uow.pools.get(pool_id)] if pool_id is not None else uow.pools.list()
    open_accounts: set[str] | None = None  # loaded once, only when a pool reclaims accounts without deals
    returned: list[tuple[RecordKind, str, str]] = []
    reminded: list[tuple[RecordKind, str, datetime]] = []
    for pool in pools:
        records: list[tuple[RecordKind, Lead | Account]] = [
            (RecordKind.LEAD, lead)
            for lead in uow.leads.list(pool_id=pool.id, held=True, status=_ACTIVE, order_by="id")
        ]
        accounts = uow.accounts.list(pool_id=pool.id, held=True, order_by="id")
        records += [(RecordKind.ACCOUNT, a) for a in accounts]
        if accounts and pool.no_open_opportunity_days is not None and open_accounts is None:
            open_accounts = {
                o.account_id for o in uow.opportunities.list(status=OpportunityStatus.OPEN) if o.account_id
            }
        for kind, record in records:
            holding = record.holding
            if holding.owner_id is None:
                continue
            account = record if isinstance(record, Account) else None
            reason = pool.return_reason(
                holding,
                now,
                has_open_opportunity=(record.id in open_accounts) if account and open_accounts is not None else None,
                contract_end=account.contract_end if account else None,
            )
            if reason is not None:
                _give_back(uow, record, kind, reason, "returned", now)
                returned.append((kind, record.id, reason))
                continue
            due = pool.reminder_due(holding, now)
            if due is not None:
                holding.reminded_at = now
                record.record(
                    PoolReturnReminder(
                        tenant_id=uow.tenant_id,
                        occurred_at=now,
                        record_kind=kind,
                        record_id=record.id,
                        pool_id=pool.id,
                        owner_id=holding.owner_id,
                        returns_at=due,
                    )
                )
                reminded.append((kind, record.id, due))
    return SweepResult(tuple(returned), tuple(reminded))
