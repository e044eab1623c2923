"""Invoices as the acting user may see them: the sales owner of the deal, and, once the deal is
handed over, the customer-success and collections owners the handoff named."""

from __future__ import annotations

from bizrel.bridge.ports import BridgeUnitOfWork
from bizrel.core.access import Action, Actor, ObjectKind, allowed, check
from bizrel.core.money import Money
from bizrel.sales.collections import Contract

__all__ = ["invoiced_total", "visible_invoices"]


def visible_invoices(uow: BridgeUnitOfWork, actor: Actor, action: Action = Action.LIST) -> list[Contract]:
    """Contracts (with their invoices and payments) the actor may `action`."""
    roles = {h.opportunity_id: h.roles for h in uow.handoffs.list()}

    def owners(contract: Contract) -> tuple[str, ...]:
        r = roles.get(contract.opportunity_id)
        return (contract.owner_id,) if r is None else (contract.owner_id, r.cs_owner_id, r.collections_owner_id)

    return [
        c
        for c in uow.contracts.list(order_by="id")
        if any(allowed(actor, ObjectKind.INVOICE, action, owner) for owner in owners(c))
    ]


def invoiced_total(uow: BridgeUnitOfWork, actor: Actor, currency: str) -> Money:
    """Everything invoiced on the contracts the actor may aggregate."""
    check(actor, ObjectKind.INVOICE, Action.AGGREGATE, actor.user_id)
    contracts = visible_invoices(uow, actor, Action.AGGREGATE)
    return Money.total((i.amount for c in contracts for i in c.invoices), currency)
