"""NPS and CSAT by period and by segment over any input: the pure-Python reference for iterables,
DuckDB for columnar responses, and push-down over the survey responses a Store holds.

Columnar inputs have `score` (integer) and `responded_at` (timezone-aware) columns, plus the
segment column. In a store, the responses of the metric's survey kind are counted (NPS responses
for NPS), and a segment is a stored column: `customer_id` or `survey_id`. `progress` reports the responses consumed
on the reference path and three phases on the others: load and check, count, finish.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, tzinfo
from typing import Any

from bizrel.adapters import Store
from bizrel.analytics.columnar import connect, load_responses
from bizrel.analytics.dialect import DUCKDB
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown, sql_path
from bizrel.analytics.rfm import zone_name
from bizrel.analytics.satisfaction_sql import by_day, score_counts_query
from bizrel.core.errors import ValidationError
from bizrel.core.periods import Period, PeriodKind
from bizrel.core.progress import Progress
from bizrel.customer import satisfaction
from bizrel.customer.satisfaction import SCALES, SatisfactionBreakdown, SurveyKind, breakdown_from_counts, check_score

__all__ = ["csat_by_period", "csat_by_segment", "nps_by_period", "nps_by_segment"]

STORED_SEGMENTS = ("customer_id", "survey_id")

Segment = str | Callable[[Any], object]
GroupKey = Callable[[Any], tuple[Any, str]]


def _counted(
    data: object, kind: SurveyKind, *, segment: str | None, tz: tzinfo, tenant_id: str | None, phases: Phases
) -> list[tuple[Any, ...]]:
    """(group, score, responses) rows: grouped by `segment`, or by local day when it is None."""
    if isinstance(data, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        if segment is not None and segment not in STORED_SEGMENTS:
            raise ValidationError("segment", segment, f"push-down groups stored responses by one of {STORED_SEGMENTS}")
        with pushdown(data, tenant_id) as session:
            group = segment if segment is not None else by_day(session.dialect, zone_name(tz))
            phases.advance()
            return session.query_responses(kind.value, score_counts_query(group))
    con = connect()
    try:
        load_responses(con, data, segment=segment)
        phases.advance()
        group = "segment" if segment is not None else by_day(DUCKDB, zone_name(tz))
        rows: list[tuple[Any, ...]] = con.execute(score_counts_query(group)).fetchall()
        return rows
    finally:
        con.close()


def _finish(kind: SurveyKind, by: str, rows: list[tuple[Any, ...]], key_of: GroupKey) -> SatisfactionBreakdown:
    high = SCALES[kind][1]
    counts: dict[tuple[Any, str], list[int]] = {}
    for group, score, responses in rows:
        key = key_of(group)
        slot = counts.get(key)
        if slot is None:
            slot = counts[key] = [0] * (high + 1)
        slot[check_score(kind, score)] += int(responses)
    return breakdown_from_counts(kind, by, counts)


def _period_of(kind: PeriodKind | str) -> GroupKey:
    period_kind = PeriodKind(kind)
    seen: dict[int, tuple[Any, str]] = {}

    def key(day: Any) -> tuple[Any, str]:
        found = seen.get(day)
        if found is None:
            period = Period.containing(date.fromordinal(int(day)), period_kind)
            found = seen[day] = (period.start, period.label)
        return found

    return key


def _segment_label(value: Any) -> tuple[Any, str]:
    label = "" if value is None else str(value)
    return label, label


def _by_period(
    data: object,
    metric: SurveyKind,
    kind: PeriodKind | str,
    tz: tzinfo,
    tenant_id: str | None,
    progress: Progress | None,
) -> SatisfactionBreakdown:
    key_of = _period_of(kind)  # refuses an unknown period kind before any work
    phases = Phases(progress, 3)
    rows = _counted(data, metric, segment=None, tz=tz, tenant_id=tenant_id, phases=phases)
    phases.advance()
    breakdown = _finish(metric, "period", rows, key_of)
    phases.advance()
    return breakdown


def _by_segment(
    data: object, metric: SurveyKind, segment: Segment, tenant_id: str | None, progress: Progress | None
) -> SatisfactionBreakdown:
    if not isinstance(segment, str):
        raise ValidationError("segment", segment, "the engine and push-down group by a column name")
    phases = Phases(progress, 3)
    rows = _counted(data, metric, segment=segment, tz=UTC, tenant_id=tenant_id, phases=phases)
    phases.advance()
    breakdown = _finish(metric, "segment", rows, _segment_label)
    phases.advance()
    return breakdown


def nps_by_period(
    data: object,
    kind: PeriodKind | str = PeriodKind.MONTH,
    *,
    tz: tzinfo = UTC,
    tenant_id: str | None = None,
    progress: Progress | None = None,
) -> SatisfactionBreakdown:
    """bizrel.customer.nps_by_period for an iterable, a DataFrame/Arrow table/file, or a Store."""
    if not sql_path(data):
        return satisfaction.nps_by_period(counted(data, progress), kind, tz=tz)  # type: ignore[arg-type]
    return _by_period(data, SurveyKind.NPS, kind, tz, tenant_id, progress)


def nps_by_segment(
    data: object, segment: Segment, *, tenant_id: str | None = None, progress: Progress | None = None
) -> SatisfactionBreakdown:
    """bizrel.customer.nps_by_segment for any input (a column name on the SQL paths)."""
    if not sql_path(data):
        return satisfaction.nps_by_segment(counted(data, progress), segment)  # type: ignore[arg-type]
    return _by_segment(data, SurveyKind.NPS, segment, tenant_id, progress)


def csat_by_period(
    data: object,
    kind: PeriodKind | str = PeriodKind.MONTH,
    *,
    tz: tzinfo = UTC,
    tenant_id: str | None = None,
    progress: Progress | None = None,
) -> SatisfactionBreakdown:
    """bizrel.customer.csat_by_period for an iterable, a DataFrame/Arrow table/file, or a Store."""
    if not sql_path(data):
        return satisfaction.csat_by_period(counted(data, progress), kind, tz=tz)  # type: ignore[arg-type]
    return _by_period(data, SurveyKind.CSAT, kind, tz, tenant_id, progress)


def csat_by_segment(
    data: object, segment: Segment, *, tenant_id: str | None = None, progress: Progress | None = None
) -> SatisfactionBreakdown:
    """bizrel.customer.csat_by_segment for any input (a column name on the SQL paths)."""
    if not sql_path(data):
        return satisfaction.csat_by_segment(counted(data, progress), segment)  # type: ignore[arg-type]
    return _by_segment(data, SurveyKind.CSAT, segment, tenant_id, progress)
