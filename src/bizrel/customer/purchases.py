"""Purchases: what customers bought, the facts that RFM, retention and lifetime value are built on.

A Purchase is itself a transaction record as the analytics read them (`customer_id`,
`occurred_at`, `amount`), so stored purchases can be passed straight to `rfm_summary`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import Clock, utc
from bizrel.core.errors import ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id, new_id
from bizrel.core.money import Money
from bizrel.core.uow import Repository, UnitOfWork

__all__ = ["Purchase", "PurchaseRecorded", "PurchasesUnitOfWork", "record_purchase"]


@frozen(kw_only=True)
class PurchaseRecorded(DomainEvent):
    """Event: a customer's purchase was recorded."""

    purchase_id: str
    customer_id: str
    amount: Money


@define(kw_only=True)
class Purchase(Aggregate):
    """One transaction of a customer; a negative amount is a refund."""

    customer_id: str
    occurred_at: datetime
    amount: Money
    order_ref: str | None = None
    category: str | None = None

    @classmethod
    def record_new(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        customer_id: str,
        occurred_at: datetime,
        amount: Money,
        order_ref: str | None = None,
        category: str | None = None,
    ) -> Purchase:
        """A validated new purchase that records PurchaseRecorded."""
        check_id("id", id)
        check_id("customer_id", customer_id)
        if not isinstance(amount, Money):
            raise ValidationError("amount", amount, "expected Money")
        at = utc(occurred_at, "occurred_at")
        purchase = cls(
            tenant_id=tenant_id,
            id=id,
            customer_id=customer_id,
            occurred_at=at,
            amount=amount,
            order_ref=order_ref,
            category=category,
        )
        purchase.record(
            PurchaseRecorded(
                tenant_id=tenant_id, occurred_at=at, purchase_id=id, customer_id=customer_id, amount=amount
            )
        )
        return purchase


class PurchasesUnitOfWork(UnitOfWork, Protocol):
    """The unit of work of purchases (the transactions RFM, retention and lifetime value read)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def purchases(self) -> Repository[Purchase]: ...


def record_purchase(
    uow: PurchasesUnitOfWork,
    *,
    customer_id: str,
    amount: Money,
    occurred_at: datetime | None = None,
    order_ref: str | None = None,
    category: str | None = None,
    id: str | None = None,
) -> Purchase:
    """Record a purchase (by default at the clock's now); a purchase in the future is refused."""
    now = uow.clock.now()
    at = now if occurred_at is None else utc(occurred_at, "occurred_at")
    if at > now:
        raise ValidationError("occurred_at", occurred_at, f"is after the clock's now {now.isoformat()}")
    purchase = Purchase.record_new(
        tenant_id=uow.tenant_id,
        id=id if id is not None else new_id(),
        customer_id=customer_id,
        occurred_at=at,
        amount=amount,
        order_ref=order_ref,
        category=category,
    )
    uow.purchases.add(purchase)
    return purchase
