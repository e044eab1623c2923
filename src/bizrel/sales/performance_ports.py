"""What sales performance (targets, commissions, collections) needs from persistence."""

from __future__ import annotations

from typing import Protocol

from bizrel.core.uow import Repository
from bizrel.sales.collections import Contract
from bizrel.sales.commissions import CommissionAdjustment, CommissionPlan, CommissionStatement
from bizrel.sales.ports import SalesUnitOfWork
from bizrel.sales.scorecards import PeriodReview
from bizrel.sales.targets import Target
from bizrel.sales.teams import SalesOrganisation

__all__ = ["PerformanceUnitOfWork"]


class PerformanceUnitOfWork(SalesUnitOfWork, Protocol):
    """The unit of work of sales performance: organisations, targets, plans, statements and contracts."""

    @property
    def organisations(self) -> Repository[SalesOrganisation]: ...

    @property
    def targets(self) -> Repository[Target]: ...

    @property
    def commission_plans(self) -> Repository[CommissionPlan]: ...

    @property
    def commission_statements(self) -> Repository[CommissionStatement]: ...

    @property
    def commission_adjustments(self) -> Repository[CommissionAdjustment]: ...

    @property
    def contracts(self) -> Repository[Contract]: ...

    @property
    def period_reviews(self) -> Repository[PeriodReview]: ...
