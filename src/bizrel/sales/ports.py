"""What the sales context needs from persistence."""

from __future__ import annotations

from typing import Protocol

from bizrel.core.clock import Clock
from bizrel.core.uow import Repository, UnitOfWork
from bizrel.sales.pipeline import Opportunity, Pipeline

__all__ = ["SalesUnitOfWork"]


class SalesUnitOfWork(UnitOfWork, Protocol):
    @property
    def clock(self) -> Clock: ...

    @property
    def pipelines(self) -> Repository[Pipeline]: ...

    @property
    def opportunities(self) -> Repository[Opportunity]: ...
