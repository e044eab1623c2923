"""Opportunities as the acting user may see them (core.access applied to the sales repositories)."""

from __future__ import annotations

from bizrel.core.access import Action, Actor, ObjectKind, check, visible
from bizrel.core.ids import check_id
from bizrel.sales.pipeline import Opportunity
from bizrel.sales.ports import SalesUnitOfWork

__all__ = ["reassign_opportunity", "visible_opportunities"]


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
