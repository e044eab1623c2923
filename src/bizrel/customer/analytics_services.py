"""Customer analytics use cases. Each works inside the caller's unit of work and leaves the commit
to the caller; every input is validated before anything is staged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bizrel.core.clock import utc
from bizrel.core.errors import ValidationError
from bizrel.core.ids import check_id, new_id
from bizrel.customer.analytics_ports import CustomerAnalyticsUnitOfWork
from bizrel.customer.satisfaction import Survey, SurveyKind, SurveyResponse
from bizrel.customer.segmentation import Predicate, RfmSummary, SegmentDefinition, SegmentSnapshot

__all__ = ["create_survey", "record_response", "save_segment", "snapshot_segment"]


def create_survey(
    uow: CustomerAnalyticsUnitOfWork, *, name: str, kind: SurveyKind | str, question: str, id: str | None = None
) -> Survey:
    """Create a survey (NPS, CSAT or CES) that responses are recorded against; `id` is generated when omitted."""
    try:
        survey_kind = SurveyKind(kind)
    except ValueError:
        raise ValidationError("kind", kind, f"expected one of {[k.value for k in SurveyKind]}") from None
    survey = Survey(
        tenant_id=uow.tenant_id,
        id=check_id("id", id) if id is not None else new_id(),
        name=name,
        kind=survey_kind,
        question=question,
        created_at=uow.clock.now(),
    )
    uow.surveys.add(survey)
    return survey


def record_response(
    uow: CustomerAnalyticsUnitOfWork,
    *,
    survey_id: str,
    customer_id: str,
    score: int,
    comment: str | None = None,
    at: datetime | None = None,
    id: str | None = None,
) -> SurveyResponse:
    """Store one answer to a survey (NotFound for an unknown survey, ValidationError for a bad score).

    `at` defaults to the clock's now and may not lie in its future.
    """
    now = uow.clock.now()
    when = utc(at, "at") if at is not None else now
    if when > now:
        raise ValidationError("at", at, f"a response cannot be dated after now ({now.isoformat()})")
    survey = uow.surveys.get(survey_id)
    response = survey.respond(
        id=id if id is not None else new_id(), customer_id=customer_id, score=score, at=when, comment=comment
    )
    uow.survey_responses.add(response)
    return response


def save_segment(
    uow: CustomerAnalyticsUnitOfWork, *, name: str, rule: Predicate, description: str = "", id: str | None = None
) -> SegmentDefinition:
    """Save a segment: a named rule over customers whose membership can be snapshotted and compared."""
    segment = SegmentDefinition(
        tenant_id=uow.tenant_id,
        id=check_id("id", id) if id is not None else new_id(),
        name=name,
        rule=rule,
        description=description,
        created_at=uow.clock.now(),
    )
    uow.segments.add(segment)
    return segment


def snapshot_segment(
    uow: CustomerAnalyticsUnitOfWork,
    segment_id: str,
    records: Iterable[object],
    *,
    rfm: RfmSummary | None = None,
    id_field: str = "id",
    id: str | None = None,
) -> SegmentSnapshot:
    """Evaluate a stored segment over customer records now, and store who is in it."""
    segment = uow.segments.get(segment_id)
    snapshot = segment.snapshot(
        records, id=id if id is not None else new_id(), as_of=uow.clock.now(), rfm=rfm, id_field=id_field
    )
    uow.segment_snapshots.add(snapshot)
    return snapshot
