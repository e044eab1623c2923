"""Purchases: what a customer bought, when and for how much (the raw material of RFM and lifetime value)."""

from __future__ import annotations

from datetime import datetime

from attrs import define

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money

__all__ = ["Purchase"]


@define(kw_only=True)
class Purchase(Aggregate):
    """One transaction of a customer; a negative amount is a refund."""

    customer_id: str
    occurred_at: datetime
    amount: Money

    @classmethod
    def record_new(
        cls, *, tenant_id: TenantId, id: str, customer_id: str, occurred_at: datetime, amount: Money
    ) -> Purchase:
        check_id("id", id)
        check_id("customer_id", customer_id)
        if not isinstance(amount, Money):
            raise ValidationError("amount", amount, "expected Money")
        return cls(
            tenant_id=tenant_id,
            id=id,
            customer_id=customer_id,
            occurred_at=utc(occurred_at, "occurred_at"),
            amount=amount,
        )
