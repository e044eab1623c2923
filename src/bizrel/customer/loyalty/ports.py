"""What the loyalty program needs from persistence."""

from __future__ import annotations

from typing import Protocol

from bizrel.core.clock import Clock
from bizrel.core.uow import Repository, UnitOfWork
from bizrel.customer.loyalty.ledger import LoyaltyAccount
from bizrel.customer.loyalty.program import LoyaltyProgram

__all__ = ["LoyaltyUnitOfWork"]


class LoyaltyUnitOfWork(UnitOfWork, Protocol):
    """The unit of work of loyalty: programs and member accounts."""

    @property
    def clock(self) -> Clock: ...

    @property
    def loyalty_programs(self) -> Repository[LoyaltyProgram]: ...

    @property
    def loyalty_accounts(self) -> Repository[LoyaltyAccount]: ...
