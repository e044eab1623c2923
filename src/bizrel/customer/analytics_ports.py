"""What customer analytics needs from persistence: surveys, responses, segments and snapshots."""

from __future__ import annotations

from typing import Protocol

from bizrel.core.clock import Clock
from bizrel.core.uow import Repository, UnitOfWork
from bizrel.customer.satisfaction import Survey, SurveyResponse
from bizrel.customer.segmentation import SegmentDefinition, SegmentSnapshot

__all__ = ["CustomerAnalyticsUnitOfWork"]


class CustomerAnalyticsUnitOfWork(UnitOfWork, Protocol):
    """The unit of work of customer analytics: surveys, responses, segments and their snapshots."""

    @property
    def clock(self) -> Clock: ...

    @property
    def surveys(self) -> Repository[Survey]: ...

    @property
    def survey_responses(self) -> Repository[SurveyResponse]: ...

    @property
    def segments(self) -> Repository[SegmentDefinition]: ...

    @property
    def segment_snapshots(self) -> Repository[SegmentSnapshot]: ...
