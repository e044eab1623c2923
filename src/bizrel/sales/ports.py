"""What the sales process needs from persistence."""

from __future__ import annotations

from typing import Protocol

from bizrel.core.clock import Clock
from bizrel.core.identity import IdentityUnitOfWork
from bizrel.core.uow import Repository
from bizrel.sales.accounts import Account
from bizrel.sales.activities import Activity
from bizrel.sales.forecast import ForecastSnapshot
from bizrel.sales.leads import AssignmentRule, Lead
from bizrel.sales.pipeline import Opportunity, Pipeline
from bizrel.sales.pool import PoolMove, PoolPolicy

__all__ = ["SalesUnitOfWork"]


class SalesUnitOfWork(IdentityUnitOfWork, Protocol):
    """The unit of work of the sales process: pipelines, deals, leads, accounts, activities and pools."""

    @property
    def clock(self) -> Clock: ...

    @property
    def pipelines(self) -> Repository[Pipeline]: ...

    @property
    def opportunities(self) -> Repository[Opportunity]: ...

    @property
    def leads(self) -> Repository[Lead]: ...

    @property
    def accounts(self) -> Repository[Account]: ...

    @property
    def activities(self) -> Repository[Activity]: ...

    @property
    def pools(self) -> Repository[PoolPolicy]: ...

    @property
    def pool_moves(self) -> Repository[PoolMove]: ...

    @property
    def assignment_rules(self) -> Repository[AssignmentRule]: ...

    @property
    def forecast_snapshots(self) -> Repository[ForecastSnapshot]: ...
