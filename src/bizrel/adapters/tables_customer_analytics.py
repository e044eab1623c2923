"""Tables of customer analytics: surveys, survey responses, segment definitions and snapshots."""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, ChildTable, Column
from bizrel.customer import SegmentDefinition, SegmentSnapshot, Survey, SurveyResponse

SURVEYS = AggregateTable(
    name="surveys",
    cls=Survey,
    kind="survey",
    columns=(Column("name", "text", lambda s: s.name), Column("kind", "text", lambda s: s.kind)),
)

SURVEY_RESPONSES = AggregateTable(
    name="survey_responses",
    cls=SurveyResponse,
    kind="survey response",
    columns=(
        Column("survey_id", "text", lambda r: r.survey_id),
        Column("kind", "text", lambda r: r.kind),
        Column("customer_id", "text", lambda r: r.customer_id),
        Column("score", "int", lambda r: r.score),
        Column("responded_at", "timestamp", lambda r: r.responded_at),
    ),
)

SEGMENT_DEFINITIONS = AggregateTable(
    name="segment_definitions",
    cls=SegmentDefinition,
    kind="segment",
    columns=(Column("name", "text", lambda s: s.name),),
)

SEGMENT_SNAPSHOTS = AggregateTable(
    name="segment_snapshots",
    cls=SegmentSnapshot,
    kind="segment snapshot",
    columns=(
        Column("segment_id", "text", lambda s: s.segment_id),
        Column("as_of", "timestamp", lambda s: s.as_of),
        Column("size", "int", lambda s: s.size),
    ),
    children=(
        ChildTable(
            name="segment_snapshot_members",
            columns=(("customer_id", "text"),),
            rows=lambda s: [(m,) for m in s.member_ids],
        ),
    ),
)
