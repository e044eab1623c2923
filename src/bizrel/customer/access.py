"""Customers and interactions as the acting user may see them (core.access over the customer repositories).

A customer belongs to its owner (the customer-success manager after the handoff); an interaction
is visible to whoever may see its customer and to the person who logged it.
"""

from __future__ import annotations

from bizrel.core.access import Action, Actor, ObjectKind, allowed, visible
from bizrel.customer.customers import Customer
from bizrel.customer.interactions import Interaction
from bizrel.customer.ports import CustomerUnitOfWork

__all__ = ["visible_customers", "visible_interactions"]


def visible_customers(uow: CustomerUnitOfWork, actor: Actor, action: Action = Action.LIST) -> list[Customer]:
    """Every customer the actor may `action`; count and segment over this list, not the table."""
    return visible(actor, ObjectKind.CUSTOMER, action, uow.customers.list(order_by="id"), lambda c: c.owner_id)


def visible_interactions(uow: CustomerUnitOfWork, actor: Actor, action: Action = Action.LIST) -> list[Interaction]:
    owners = {c.id: c.owner_id for c in uow.customers.list()}
    kind = ObjectKind.INTERACTION
    return [
        i
        for i in uow.interactions.list(order_by="id")
        if allowed(actor, kind, action, i.owner_id)
        or allowed(actor, kind, action, owners.get(i.customer_id, i.owner_id))
    ]
