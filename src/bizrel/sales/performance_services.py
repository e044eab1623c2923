"""Sales performance use cases. Each works inside the caller's unit of work and never commits.

Every check runs before anything is staged, so a refused call leaves the unit of work untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.ids import check_id, new_id
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.sales.attainment import (
    AttainmentReport,
    activities_done,
    attainment_report,
    bookings,
    collections_received,
    new_customers_won,
)
from bizrel.sales.collections import Application, Contract, InstalmentOverdue, Invoice, PaymentRecord
from bizrel.sales.commissions import (
    ClawbackApplied,
    ClawbackRequested,
    CommissionAdjustment,
    CommissionPlan,
    CommissionStatement,
    PayoutBasis,
    clawback_amount,
    clawback_key,
    commission_statement,
    credits_from_bookings,
    credits_from_payments,
)
from bizrel.sales.performance_ports import PerformanceUnitOfWork
from bizrel.sales.scorecards import PeriodReview, ScorecardReport
from bizrel.sales.targets import (
    Metric,
    OwnerKind,
    SeasonalDistribution,
    Target,
    TargetValue,
    Weight,
    allocate_value,
    check_value,
    check_weights,
    roll_up,
    spread,
)
from bizrel.sales.teams import Role, SalesOrganisation

__all__ = [
    "add_team",
    "allocate_target",
    "allocate_to_team_members",
    "apply_credit",
    "assign_member",
    "create_commission_plan",
    "create_contract",
    "create_organisation",
    "issue_invoice",
    "issue_statement",
    "member_leaves",
    "receive_payment",
    "request_clawback",
    "revise_target",
    "roll_up_target",
    "save_review",
    "saved_review",
    "send_overdue_reminders",
    "set_target",
    "spread_target",
    "target_attainment",
    "void_instalment",
]


# -- organisation ----------------------------------------------------------------------------------


def create_organisation(
    uow: PerformanceUnitOfWork, *, name: str, root_team: str, root_name: str, id: str | None = None
) -> SalesOrganisation:
    """Create a sales organisation with its root team."""
    org = SalesOrganisation.create(
        tenant_id=uow.tenant_id, id=id or new_id(), name=name, root_team=root_team, root_name=root_name
    )
    uow.organisations.add(org)
    return org


def add_team(uow: PerformanceUnitOfWork, org_id: str, team_id: str, name: str, parent_id: str) -> SalesOrganisation:
    """Add a team under `parent_id` in an organisation."""
    org = uow.organisations.get(org_id)
    org.add_team(team_id, name, parent_id)
    return org


def assign_member(
    uow: PerformanceUnitOfWork, org_id: str, person_id: str, team_id: str, start: date, *, role: Role = Role.REP
) -> SalesOrganisation:
    """Put a person in a team from `start` (attainment credits them from that day)."""
    org = uow.organisations.get(org_id)
    org.assign(person_id, team_id, start, role=role)
    return org


def member_leaves(
    uow: PerformanceUnitOfWork, org_id: str, person_id: str, end: date, *, role: Role = Role.REP
) -> SalesOrganisation:
    """Record that a person leaves their team on `end`."""
    org = uow.organisations.get(org_id)
    org.leave(person_id, end, role=role)
    return org


# -- targets ---------------------------------------------------------------------------------------


def set_target(
    uow: PerformanceUnitOfWork,
    *,
    metric: Metric | str,
    owner_kind: OwnerKind | str,
    owner_id: str,
    period: Period,
    value: TargetValue,
    parent_id: str | None = None,
    metric_name: str | None = None,
    id: str | None = None,
) -> Target:
    """Set a target for an owner (rep, team or organisation) on a metric for a period."""
    target = Target.set(
        tenant_id=uow.tenant_id,
        id=id or new_id(),
        metric=metric,
        owner_kind=owner_kind,
        owner_id=owner_id,
        period=period,
        value=value,
        at=uow.clock.now(),
        parent_id=parent_id,
        metric_name=metric_name,
    )
    _refuse_a_second_target(uow, target)
    uow.targets.add(target)
    return target


def _moved_share(uow: PerformanceUnitOfWork, org: SalesOrganisation, target: Target) -> bool:
    """A rep's day-prorated share of a team target for a team the rep was in for part of the period only."""
    parent = uow.targets.find(target.parent_id) if target.parent_id is not None else None
    if parent is None or parent.owner_kind is not OwnerKind.TEAM or target.owner_kind is not OwnerKind.REP:
        return False
    days = sum(org.days_in_team(target.owner_id, team, target.period) for team in org.subtree(parent.owner_id))
    return 0 < days < target.period.days


def _refuse_a_second_target(uow: PerformanceUnitOfWork, target: Target, org: SalesOrganisation | None = None) -> None:
    """One owner has one target per metric and period: a second one would be added to the first
    without anyone having said so. The exception is explicit: with the organisation, the shares a
    rep who moved between teams gets from each team (prorated by days) add up."""
    for other in uow.targets.list(
        metric=target.metric, owner_kind=target.owner_kind, owner_id=target.owner_id, period_start=target.period.start
    ):
        if other.id == target.id or other.period != target.period or other.metric_name != target.metric_name:
            continue
        if org is not None and _moved_share(uow, org, target) and _moved_share(uow, org, other):
            continue
        raise InvariantViolation(
            "parent_id",
            target.parent_id,
            f"{target.owner_kind.value} {target.owner_id} already has the {target.metric_name} target {other.id} "
            f"(parent {other.parent_id}) for {target.period.label}; target {target.id} (parent {target.parent_id}) "
            "would be silently added to it",
        )


def _children(
    uow: PerformanceUnitOfWork,
    parent: Target,
    parts: Sequence[tuple[str, OwnerKind, Period, TargetValue]],
    org: SalesOrganisation | None = None,
) -> list[Target]:
    now = uow.clock.now()
    children = [
        Target.set(
            tenant_id=uow.tenant_id,
            id=f"{parent.id}/{owner}@{period.label}",
            metric=parent.metric,
            owner_kind=kind,
            owner_id=owner,
            period=period,
            value=value,
            at=now,
            parent_id=parent.id,
            metric_name=parent.metric_name,
        )
        for owner, kind, period, value in parts
    ]
    for child in children:
        if uow.targets.find(child.id) is not None:
            raise InvariantViolation("id", child.id, "this target was allocated already")
        _refuse_a_second_target(uow, child, org)
    uow.targets.add_many(children)
    return children


def allocate_target(
    uow: PerformanceUnitOfWork, parent_id: str, weights: Mapping[str, Weight], *, owner_kind: OwnerKind | str
) -> list[Target]:
    """Top-down: split a target over owners by weights (equal, capacity or last year's share).

    The children sum exactly to the parent's value and name it as their parent.
    """
    parent = uow.targets.get(parent_id)
    kind = OwnerKind(owner_kind)
    parts = allocate_value(parent.value, weights)
    return _children(uow, parent, [(owner, kind, parent.period, v) for owner, v in parts.items()])


def allocate_to_team_members(
    uow: PerformanceUnitOfWork, parent_id: str, org_id: str, *, weights: Mapping[str, Weight] | None = None
) -> list[Target]:
    """Split a team's target over the reps who were in it during the period, weighted by the days
    each was a member (times an optional per-rep weight): a rep who joined mid-period gets a
    prorated share, and the shares still sum exactly to the team's target. A rep who moved between
    teams gets one such share from each team, and those shares add up."""
    parent = uow.targets.get(parent_id)
    if parent.owner_kind is not OwnerKind.TEAM:
        raise ValidationError("parent_id", parent_id, "is not a team target")
    org = uow.organisations.get(org_id)
    reps = org.members(parent.owner_id, parent.period)
    base = check_weights(weights, "weights") if weights is not None else {r: Decimal(1) for r in reps}
    teams = org.subtree(parent.owner_id)
    by_days = {r: base.get(r, Decimal(0)) * sum(org.days_in_team(r, t, parent.period) for t in teams) for r in reps}
    parts = allocate_value(parent.value, by_days)
    return _children(uow, parent, [(r, OwnerKind.REP, parent.period, v) for r, v in parts.items()], org)


def spread_target(uow: PerformanceUnitOfWork, target_id: str, distribution: SeasonalDistribution) -> list[Target]:
    """Over time: one child target per month of the period, by the seasonal distribution."""
    parent = uow.targets.get(target_id)
    parts = spread(parent.value, parent.period, distribution)
    return _children(uow, parent, [(parent.owner_id, parent.owner_kind, m, v) for m, v in parts])


def revise_target(
    uow: PerformanceUnitOfWork, target_id: str, value: TargetValue, *, effective_from: date, reason: str
) -> Target:
    """Change a target from `effective_from`, keeping the history and the reason."""
    target = uow.targets.get(target_id)
    target.revise(value, effective_from=effective_from, at=uow.clock.now(), reason=reason)
    return target


def roll_up_target(uow: PerformanceUnitOfWork, target_id: str) -> TargetValue:
    """Bottom-up: the sum of the target's children (its own value when it has none)."""
    target = uow.targets.get(target_id)
    children = uow.targets.list(parent_id=target_id)
    if not children:
        return target.value
    return roll_up((roll_up_target(uow, c.id) for c in children), target.zero())


def _booking_records(
    uow: PerformanceUnitOfWork, splits: Mapping[str, Mapping[str, Decimal | int | str]]
) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "status": o.status,
            "closed_at": o.closed_at,
            "amount": o.amount,
            "owner_id": o.owner_id,
            "splits": splits.get(o.id),
            "product": getattr(o, "product", None),
        }
        for o in uow.opportunities.list(status="won")
    ]


def _payment_records(uow: PerformanceUnitOfWork) -> list[PaymentRecord]:
    return [r for c in uow.contracts.list() for r in c.payment_records()]


def target_attainment(
    uow: PerformanceUnitOfWork,
    *,
    metric: Metric | str,
    owner_kind: OwnerKind | str,
    period: Period,
    as_of: date,
    org_id: str | None = None,
    distribution: SeasonalDistribution | None = None,
    splits: Mapping[str, Mapping[str, Decimal | int | str]] | None = None,
    metric_name: str | None = None,
    actuals: Mapping[str, TargetValue] | None = None,
) -> AttainmentReport:
    """Attainment of the stored targets of one metric, kind and period.

    Actuals count what happened before `as_of`, from the store: bookings from won opportunities,
    collections from payments on contracts, new customers from accounts whose first won
    new-business deal closed in the period, activities from activities completed in the period.
    A custom metric (named by `metric_name`) is not something the store records: its actuals per
    rep come with `actuals`. A rep's day-prorated shares from the teams they moved between add up
    (no other second target can be stored). Team targets are credited through the organisation: a
    deal, payment, new customer or activity counts for the team the rep was in on its day, and for
    every team above it.
    """
    metric, kind = Metric(metric), OwnerKind(owner_kind)
    if metric is Metric.CUSTOM and (not metric_name or actuals is None):
        raise ValidationError("actuals", actuals, "a custom metric needs its metric_name and its actuals per rep")
    if metric is not Metric.CUSTOM and actuals is not None:
        raise ValidationError("actuals", actuals, f"{metric.value} actuals are derived from the store")
    targets = _targets_by_owner(uow, metric, kind, period, metric_name=metric_name)
    org = uow.organisations.get(org_id) if org_id is not None else None
    if kind is OwnerKind.TEAM and org is None:
        raise ValidationError("org_id", org_id, "team attainment needs the organisation")
    credit = org.team_of if kind is OwnerKind.TEAM and org is not None else None
    currency = next((v.currency for v in targets.values() if isinstance(v, Money)), None)
    found: dict[str, TargetValue]
    if as_of <= period.start:
        found = {}
    else:
        so_far = Period(period.start, min(as_of, period.end), period.kind)  # what happened before as_of
        if metric is Metric.BOOKINGS:
            found = dict(bookings(_booking_records(uow, splits or {}), so_far, credit=credit, currency=currency))
        elif metric is Metric.COLLECTIONS:
            found = dict(collections_received(_payment_records(uow), so_far, credit=credit, currency=currency))
        elif metric is Metric.NEW_CUSTOMERS:
            found = dict(new_customers_won(uow.opportunities.list(status="won"), so_far, credit=credit))
        elif metric is Metric.ACTIVITIES:
            found = dict(activities_done(uow.activities.list(), so_far, credit=credit))
        else:
            found = {owner: check_value(metric, value, f"actuals[{owner}]") for owner, value in (actuals or {}).items()}
            if credit is not None:
                found = _credit_by_team(found, credit, min(as_of, period.end) - timedelta(days=1))
    if org is not None and kind is OwnerKind.TEAM:
        rolled: dict[str, TargetValue] = {}
        for team_id, amount in found.items():
            for team in org.ancestors(team_id):
                rolled[team.id] = roll_up([rolled[team.id], amount], amount) if team.id in rolled else amount
        found = rolled
    if kind is OwnerKind.ORG:
        zero: TargetValue = Money.zero(currency) if currency is not None else 0
        total = roll_up(found.values(), zero)
        found = dict.fromkeys(targets, total)
    return attainment_report(
        targets,
        found,
        period,
        as_of,
        distribution=distribution,
        title=f"{metric_name or metric.value} attainment ({kind.value})",
    )


def _credit_by_team(
    actuals: Mapping[str, TargetValue], credit: Callable[[str, date], str | None], day: date
) -> dict[str, TargetValue]:
    """Reps' custom actuals credited to the team each rep was in on the last day counted."""
    out: dict[str, TargetValue] = {}
    for rep, value in actuals.items():
        team = credit(rep, day)
        if team is not None:
            out[team] = roll_up([out[team], value], value) if team in out else value
    return out


# -- reviews ---------------------------------------------------------------------------------------


def save_review(uow: PerformanceUnitOfWork, report: ScorecardReport) -> PeriodReview:
    """Keep a period's review as computed (one per scorecard and period; saving it again is refused)."""
    review_id = PeriodReview.id_for(report.scorecard.name, report.period)
    if uow.period_reviews.find(review_id) is not None:
        raise InvariantViolation("id", review_id, "this period's review was saved already")
    review = PeriodReview(tenant_id=uow.tenant_id, id=review_id, report=report, saved_at=uow.clock.now())
    uow.period_reviews.add(review)
    return review


def saved_review(uow: PerformanceUnitOfWork, scorecard: str, period: Period) -> ScorecardReport:
    """The review saved for the scorecard and period (NotFound if none was saved)."""
    return uow.period_reviews.get(PeriodReview.id_for(scorecard, period)).report


# -- commissions -----------------------------------------------------------------------------------


def create_commission_plan(uow: PerformanceUnitOfWork, *, id: str | None = None, **terms: Any) -> CommissionPlan:
    """A plan from the terms CommissionPlan.create takes (name, currency, mode, rate or brackets, ...)."""
    plan = CommissionPlan.create(tenant_id=uow.tenant_id, id=id or new_id(), **terms)
    uow.commission_plans.add(plan)
    return plan


def _targets_by_owner(
    uow: PerformanceUnitOfWork,
    metric: Metric,
    kind: OwnerKind,
    period: Period,
    owner_id: str | None = None,
    *,
    metric_name: str | None = None,
) -> dict[str, TargetValue]:
    """Stored targets of a period per owner; a rep who moved teams has a share per team, and they add up."""
    filters: dict[str, Any] = {} if owner_id is None else {"owner_id": owner_id}
    out: dict[str, TargetValue] = {}
    for t in uow.targets.list(metric=metric, owner_kind=kind, period_start=period.start, order_by="id", **filters):
        if t.period == period and (metric_name is None or t.metric_name == metric_name):
            out[t.owner_id] = roll_up([out[t.owner_id], t.value], t.zero()) if t.owner_id in out else t.value
    return dict(sorted(out.items()))


def _plan_target(uow: PerformanceUnitOfWork, plan: CommissionPlan, rep_id: str, period: Period) -> Money | None:
    metric = Metric.BOOKINGS if plan.payout_basis is PayoutBasis.BOOKING else Metric.COLLECTIONS
    value = _targets_by_owner(uow, metric, OwnerKind.REP, period, rep_id).get(rep_id)
    return value if isinstance(value, Money) else None


def issue_statement(
    uow: PerformanceUnitOfWork,
    *,
    plan_id: str,
    rep_id: str,
    period: Period,
    target: Money | None = None,
    splits: Mapping[str, Mapping[str, Decimal | int | str]] | None = None,
) -> CommissionStatement:
    """Compute and store the rep's statement for the period under the plan.

    Credit comes from won deals (booking plans) or from payments received (collection plans);
    the target defaults to the rep's stored bookings or collections target for the period. Every
    clawback of the rep and plan not deducted yet and dated before the period's end is deducted as
    a line (one from an earlier period names it), and marked as deducted by this statement.
    """
    check_id("rep_id", rep_id)
    plan = uow.commission_plans.get(plan_id)
    if plan.payout_basis is PayoutBasis.BOOKING:
        credits = credits_from_bookings(rep_id, _booking_records(uow, splits or {}), period)
    else:
        credits = credits_from_payments(rep_id, _payment_records(uow), period)
    adjustments = sorted(
        (
            a
            for a in uow.commission_adjustments.list(rep_id=rep_id, plan_id=plan_id)
            if a.deducted_in is None and a.effective_on < period.end
        ),
        key=lambda a: (a.effective_on, a.id),
    )
    statement = commission_statement(
        plan,
        rep_id,
        period,
        credits,
        target=target if target is not None else _plan_target(uow, plan, rep_id, period),
        adjustments=adjustments,
    )
    if uow.commission_statements.find(statement.id) is not None:
        raise InvariantViolation("id", statement.id, "this statement was issued already")
    uow.commission_statements.add(statement)
    for adjustment in adjustments:
        adjustment.deducted_in = statement.id
    return statement


def request_clawback(uow: PerformanceUnitOfWork, request: ClawbackRequested) -> list[CommissionAdjustment]:
    """Turn a refund or churn into negative adjustments for every statement that paid on the deal,
    when it falls within the plan's clawback window.

    A request is handled once by its business key (deal, reason, date, refunded amount), however
    many event objects carry it; the clawbacks of a deal never take back more than a statement paid
    on it.
    """
    if request.tenant_id != uow.tenant_id:
        raise ValidationError("tenant_id", request.tenant_id, f"this unit of work is for {uow.tenant_id}")
    day = request.occurred_at.date()
    key = clawback_key(request)
    earlier = uow.commission_adjustments.list(deal_id=request.deal_id)
    out = []
    for statement in uow.commission_statements.list(order_by="id"):
        paid = statement.paid_by_deal().get(request.deal_id)
        if paid is None:
            continue
        plan = uow.commission_plans.get(statement.plan_id)
        if (day - request.won_at.date()).days > plan.clawback_days:
            continue
        adjustment_id = f"clawback:{key}:{statement.id}"
        if uow.commission_adjustments.find(adjustment_id) is not None:
            continue
        taken = Money.total((a.amount for a in earlier if a.source_statement_id == statement.id), paid.currency)
        amount = clawback_amount(paid, request, taken)
        if amount.is_zero():
            continue
        adjustment = CommissionAdjustment(
            tenant_id=uow.tenant_id,
            id=adjustment_id,
            rep_id=statement.rep_id,
            plan_id=plan.id,
            deal_id=request.deal_id,
            amount=amount,
            effective_on=day,
            reason=f"clawback ({request.reason.value})",
            source_statement_id=statement.id,
        )
        adjustment.record(
            ClawbackApplied(
                tenant_id=uow.tenant_id,
                occurred_at=request.occurred_at,
                adjustment_id=adjustment_id,
                rep_id=statement.rep_id,
                deal_id=request.deal_id,
                amount=amount,
            )
        )
        out.append(adjustment)
    uow.commission_adjustments.add_many(out)
    return out


# -- contracts and collections ---------------------------------------------------------------------


def create_contract(
    uow: PerformanceUnitOfWork,
    *,
    opportunity_id: str,
    shares: Sequence[Decimal | int | str],
    anchor: date,
    every_months: int = 1,
    id: str | None = None,
) -> Contract:
    """Create the payment plan of a won deal: instalments in the given shares from `anchor`."""
    opportunity = uow.opportunities.get(opportunity_id)
    contract = Contract.from_opportunity(
        opportunity,
        tenant_id=uow.tenant_id,
        id=id or new_id(),
        shares=shares,
        anchor=anchor,
        every_months=every_months,
    )
    if uow.contracts.count(opportunity_id=opportunity_id):
        raise InvariantViolation("opportunity_id", opportunity_id, "has a contract already")
    uow.contracts.add(contract)
    return contract


def issue_invoice(
    uow: PerformanceUnitOfWork, contract_id: str, instalment: int, *, invoice_id: str | None = None
) -> Invoice:
    """Issue the invoice of an instalment."""
    contract = uow.contracts.get(contract_id)
    return contract.issue_invoice(invoice_id or new_id(), instalment, uow.clock.now().date())


def receive_payment(
    uow: PerformanceUnitOfWork,
    contract_id: str,
    amount: Money,
    *,
    instalment: int | None = None,
    payment_id: str | None = None,
    reference: str = "",
) -> list[Application]:
    """Record a payment on a contract, applied to the instalment named or the oldest open ones (excess is held
    as credit)."""
    contract = uow.contracts.get(contract_id)
    return contract.receive_payment(
        payment_id or new_id(), amount, uow.clock.now(), instalment=instalment, reference=reference
    )


def apply_credit(uow: PerformanceUnitOfWork, contract_id: str, instalment: int) -> Application | None:
    """Apply a contract's unapplied credit to an instalment; None when there is none."""
    return uow.contracts.get(contract_id).apply_credit(instalment, uow.clock.now())


def void_instalment(uow: PerformanceUnitOfWork, contract_id: str, instalment: int, reason: str) -> Contract:
    """Void an instalment (it will not be collected), with the reason."""
    contract = uow.contracts.get(contract_id)
    contract.void_instalment(instalment, uow.clock.now(), reason)
    return contract


def send_overdue_reminders(uow: PerformanceUnitOfWork, as_of: date | None = None) -> list[InstalmentOverdue]:
    """Record overdue reminder events on every contract not yet fully paid (published on commit)."""
    day = as_of if as_of is not None else uow.clock.now().date()
    events: list[InstalmentOverdue] = []
    for contract in uow.contracts.list(fully_paid=False, order_by="id"):
        events.extend(contract.remind_overdue(day))
    return events
