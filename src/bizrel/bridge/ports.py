"""What the bridge needs from persistence: both contexts' repositories in one unit of work."""

from __future__ import annotations

from typing import Protocol

from bizrel.bridge.model import Handoff, OnboardingPlan, SalesSignal
from bizrel.core.events import MessageBus
from bizrel.core.uow import Repository
from bizrel.customer.loyalty import LoyaltyUnitOfWork
from bizrel.customer.ports import CustomerUnitOfWork
from bizrel.sales import PerformanceUnitOfWork

__all__ = ["BridgeStore", "BridgeUnitOfWork"]


class BridgeUnitOfWork(CustomerUnitOfWork, LoyaltyUnitOfWork, PerformanceUnitOfWork, Protocol):
    """The unit of work the bridge needs: both contexts' repositories plus handoffs and signals, in one transaction."""

    @property
    def handoffs(self) -> Repository[Handoff]: ...

    @property
    def onboarding_plans(self) -> Repository[OnboardingPlan]: ...

    @property
    def sales_signals(self) -> Repository[SalesSignal]: ...


class BridgeStore(Protocol):
    """A store whose bus the bridge subscribes to and whose units of work serve both contexts."""

    @property
    def bus(self) -> MessageBus: ...

    def unit_of_work(self, tenant_id: str) -> BridgeUnitOfWork: ...
