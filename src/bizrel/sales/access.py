"""Sales records as the acting user may see them (core.access applied to the sales repositories).

Figures (pipeline value, commission totals) are computed over the visible records only.
"""

from __future__ import annotations

from bizrel.core.access import Action, Actor, ObjectKind, check, visible
from bizrel.core.ids import check_id
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.sales.commissions import CommissionStatement
from bizrel.sales.performance_ports import PerformanceUnitOfWork
from bizrel.sales.pipeline import Opportunity, OpportunityStatus
from bizrel.sales.ports import SalesUnitOfWork
from bizrel.sales.targets import Target

__all__ = [
    "commission_total",
    "pipeline_value",
    "reassign_opportunity",
    "visible_opportunities",
    "visible_statements",
    "visible_targets",
]


def visible_opportunities(uow: SalesUnitOfWork, actor: Actor, action: Action = Action.LIST) -> list[Opportunity]:
    """Every opportunity the actor may `action`; compute pipeline figures over this list, not the table."""
    return visible(actor, ObjectKind.OPPORTUNITY, action, uow.opportunities.list(), lambda o: o.owner_id or None)


def reassign_opportunity(uow: SalesUnitOfWork, actor: Actor, opportunity_id: str, new_owner_id: str) -> Opportunity:
    """Give the opportunity to another rep; access moves with it in this same unit of work."""
    check_id("new_owner_id", new_owner_id)
    opportunity = uow.opportunities.get(opportunity_id)
    check(actor, ObjectKind.OPPORTUNITY, Action.REASSIGN, opportunity.owner_id or None)
    opportunity.owner_id = new_owner_id
    return opportunity


def visible_targets(uow: PerformanceUnitOfWork, actor: Actor, action: Action = Action.LIST) -> list[Target]:
    """Rep targets by their rep; team and organisation targets (owned by a team id) only with scope ALL."""
    return visible(actor, ObjectKind.TARGET, action, uow.targets.list(order_by="id"), lambda t: t.owner_id)


def visible_statements(
    uow: PerformanceUnitOfWork, actor: Actor, action: Action = Action.LIST
) -> list[CommissionStatement]:
    """Commission statements by their rep: a rep sees only their own lines."""
    return visible(
        actor,
        ObjectKind.COMMISSION_STATEMENT,
        action,
        uow.commission_statements.list(order_by="id"),
        lambda s: s.rep_id,
    )


def commission_total(uow: PerformanceUnitOfWork, actor: Actor, period: Period, currency: str) -> Money:
    """Commissions of a period over the statements the actor may aggregate: for a rep, a "team total"
    is the total of their own statements and reveals nothing about anyone else's."""
    check(actor, ObjectKind.COMMISSION_STATEMENT, Action.AGGREGATE, actor.user_id)
    statements = visible_statements(uow, actor, Action.AGGREGATE)
    return Money.total((s.total for s in statements if s.period == period), currency)


def pipeline_value(uow: SalesUnitOfWork, actor: Actor, currency: str) -> Money:
    """The open pipeline the actor may aggregate, unweighted."""
    check(actor, ObjectKind.OPPORTUNITY, Action.AGGREGATE, actor.user_id)
    open_deals = visible_opportunities(uow, actor, Action.AGGREGATE)
    return Money.total((o.amount for o in open_deals if o.status is OpportunityStatus.OPEN), currency)
