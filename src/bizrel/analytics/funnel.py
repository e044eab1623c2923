"""The sales funnel over any input: the pure-Python reference for iterables of opportunities, DuckDB
for columnar opportunities plus stage changes, and SQL push-down over the opportunities a SQLite or
PostgreSQL store holds. All three return the same FunnelReport, and the property tests prove it.

Columnar input is two relations (DataFrames, Arrow tables or Parquet/CSV paths):

  opportunities: id, status ("open" | "won" | "lost"), created_at, closed_at (null while open),
                 currency, amount_minor (integer minor units) or amount (DECIMAL), and optionally
                 pipeline_id (checked against the pipeline) and lost_reason
  stage_changes: opportunity_id, stage, entered_at, and optionally seq (the position in the deal's
                 history; without it, the history is ordered by entered_at, then stage order)

Timestamps must be timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from bizrel.adapters import Store
from bizrel.analytics.columnar import _amount_minor, _single_currency, _source, connect, is_columnar
from bizrel.analytics.dialect import DUCKDB, Dialect
from bizrel.analytics.funnel_sql import CYCLE, funnel_query
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown
from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.numbers import ratio
from bizrel.core.periods import Period
from bizrel.core.progress import Progress
from bizrel.sales import funnel as reference
from bizrel.sales.funnel import FunnelReport, FunnelStage, _days, _instant, report_from_figures
from bizrel.sales.pipeline import Pipeline

__all__ = ["funnel_report"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_AWARE = "TIMESTAMP WITH TIME ZONE"


def funnel_report(
    pipeline: Pipeline,
    opportunities: object,
    stage_changes: object = None,
    currency: str | Currency | None = None,
    *,
    start: date | datetime | Period | None = None,
    end: date | datetime | None = None,
    as_of: datetime | None = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> FunnelReport:
    """bizrel.sales.funnel for any input.

    `opportunities` is an iterable of Opportunity objects or records (the reference path), a
    DataFrame, Arrow table or Parquet/CSV path with `stage_changes` beside it (the DuckDB engine), or
    a Store with `tenant_id` (SQL push-down over the pipeline's stored opportunities and their
    stage changes; only aggregates come back). `progress` is called with the opportunities consumed
    (reference) or the phases passed: load and check, aggregate, finish (engine, push-down).
    """
    if stage_changes is not None and not is_columnar(opportunities):
        raise ValidationError("stage_changes", type(stage_changes).__name__, "only columnar opportunities take them")
    if isinstance(opportunities, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        lo, hi, at = _bounds(start, end, as_of)
        phases = Phases(progress, 3)
        with pushdown(opportunities, tenant_id) as session:
            phases.advance()  # the session is open; the data checks run inside the aggregate query
            d = session.dialect
            views = {
                "opp": (
                    "id, pipeline_id, status, amount_minor, currency, created_at, closed_at, "
                    f"{d.json_text('body', 'lost_reason')} AS lost_reason",
                    "opportunities",
                    f"pipeline_id = {d.param}",
                    (pipeline.id,),
                ),
                "sc": ("parent_id AS opportunity_id, seq, stage, entered_at", "opportunity_stage_changes", "", ()),
            }
            rows = session.query_tables(views, _sql(d, pipeline, lo, hi, at))
        phases.advance()
        return _finished(_report(pipeline, rows, currency, lo, hi, at), phases)
    if is_columnar(opportunities):
        if stage_changes is None:
            raise ValidationError("stage_changes", None, "columnar opportunities need their stage changes beside them")
        lo, hi, at = _bounds(start, end, as_of)
        phases = Phases(progress, 3)
        con = connect()
        _load(con, opportunities, stage_changes, allow_float_amounts)
        phases.advance()
        rows = con.execute(_sql(DUCKDB, pipeline, lo, hi, at)).fetchall()
        phases.advance()
        return _finished(_report(pipeline, rows, currency, lo, hi, at), phases)
    return reference(
        pipeline,
        counted(opportunities, progress),  # type: ignore[arg-type]
        currency,
        start=start,
        end=end,
        as_of=as_of,
    )


def _finished(report: FunnelReport, phases: Phases) -> FunnelReport:
    phases.advance()
    return report


def _bounds(
    start: date | datetime | Period | None, end: date | datetime | None, as_of: datetime | None
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """The range and as-of instants, read and checked as the reference reads them."""
    if isinstance(start, Period):
        lo, hi = _instant(start.start, "start"), _instant(start.end, "end")
    else:
        lo, hi = _instant(start, "start"), _instant(end, "end")
    if lo is not None and hi is not None and hi <= lo:
        raise ValidationError("end", end, f"must be after start {start}")
    return lo, hi, _instant(as_of, "as_of")


def _micros(at: datetime | None) -> int | None:
    return None if at is None else (at - _EPOCH) // _US


def _sql(d: Dialect, pipeline: Pipeline, lo: datetime | None, hi: datetime | None, at: datetime | None) -> str:
    return funnel_query(
        d,
        pipeline_id=pipeline.id,
        stages=tuple(s.name for s in pipeline.stages),
        start_us=_micros(lo),
        end_us=_micros(hi),
        as_of_us=_micros(at),
    )


def _columns(con: Any, relation: str, required: tuple[str, ...], timestamps: tuple[str, ...]) -> dict[str, str]:
    types = {name: str(kind).upper() for name, kind, *_ in con.execute(f"DESCRIBE {relation}").fetchall()}
    for name in required:
        if name not in types:
            raise ValidationError(name, sorted(types), f"the input needs a {name!r} column")
    for name in timestamps:
        if name in types and types[name] != _AWARE:
            raise ValidationError(name, types[name], "needs timezone-aware timestamps (e.g. pandas tz_localize('UTC'))")
    return types


def _load(con: Any, opportunities: object, stage_changes: object, allow_float_amounts: bool) -> None:
    """Create the views `opp` and `sc` the SQL expects over the two inputs."""
    _source(con, opportunities)  # as `src`, where the amount checks look
    types = _columns(con, "src", ("id", "status", "created_at", "currency"), ("created_at", "closed_at"))
    exponent = 2 if "amount_minor" in types else MINOR_UNITS.get(_single_currency(con, "src") or "", 2)

    def optional(name: str, kind: str) -> str:
        return f"CAST({name} AS {kind})" if name in types else f"CAST(NULL AS {kind})"

    con.execute(
        "CREATE TEMP VIEW opp AS SELECT CAST(id AS VARCHAR) AS id, "
        f"{optional('pipeline_id', 'VARCHAR')} AS pipeline_id, CAST(status AS VARCHAR) AS status, "
        f"{_amount_minor(con, types, exponent, allow_float_amounts)} AS amount_minor, "
        f"CAST(currency AS VARCHAR) AS currency, created_at, {optional('closed_at', _AWARE)} AS closed_at, "
        f"{optional('lost_reason', 'VARCHAR')} AS lost_reason FROM src"
    )
    _source(con, stage_changes, "sc_src")
    types = _columns(con, "sc_src", ("opportunity_id", "stage", "entered_at"), ("entered_at",))
    seq = "CAST(seq AS BIGINT)" if "seq" in types else "0"
    con.execute(
        "CREATE TEMP VIEW sc AS SELECT CAST(opportunity_id AS VARCHAR) AS opportunity_id, "
        f"{seq} AS seq, CAST(stage AS VARCHAR) AS stage, entered_at FROM sc_src"
    )


def _currency(rows: list[tuple[Any, ...]], currency: str | Currency | None) -> Currency:
    found = sorted(str(r[2]) for r in rows if r[0] == "currency")
    wanted = Currency.of(currency) if currency is not None else None
    if len(found) > 1:
        raise CurrencyMismatch("amount", found[0], found[1])
    if found and wanted is not None and wanted.code != found[0]:
        raise CurrencyMismatch("amount", wanted.code, found[0])
    if found:
        return Currency.of(found[0])
    return wanted or Currency.of("USD")


def _report(
    pipeline: Pipeline,
    rows: list[tuple[Any, ...]],
    currency: str | Currency | None,
    lo: datetime | None,
    hi: datetime | None,
    at: datetime | None,
) -> FunnelReport:
    """The reference's FunnelReport from the SQL aggregates, means and medians finished exactly."""
    for kind, _, label, *_rest in rows:
        if kind == "pipeline":
            raise ValidationError("pipeline_id", label, f"an opportunity is not in {pipeline.id}")
        if kind == "stage":
            raise ValidationError("stage", label, f"not a stage of pipeline {pipeline.name!r}")
    cur = _currency(rows, currency)
    n = len(pipeline.stages)
    reached = {int(r[1]): (int(r[3]), int(r[4])) for r in rows if r[0] == "reached"}
    entered = {int(r[1]): (int(r[3]), int(r[4])) for r in rows if r[0] == "entered"}
    durations = {int(r[1]): [int(x) for x in r[3:8]] for r in rows if r[0] == "duration"}
    totals = next(r for r in rows if r[0] == "totals")
    total, open_count, won, lost, won_minor, lost_minor = (int(x or 0) for x in totals[3:9])

    def mean(k: int) -> Fraction:
        count, seconds, micros = durations[k][:3]
        return Fraction(seconds * 1_000_000 + micros, count)

    def median(k: int) -> Fraction:
        return Fraction(durations[k][3] + durations[k][4], 2)

    names = [s.name for s in pipeline.stages] + ["won"]
    count = [reached.get(k, (0, 0))[0] for k in range(n + 1)]
    stages = tuple(
        FunnelStage(
            stage=names[k],
            reached=count[k],
            amount=Money.from_minor(reached.get(k, (0, 0))[1], cur),
            conversion_to_next=ratio(count[k + 1], count[k]) if k < n else None,
            entered=entered.get(k, (0, 0))[0] if k < n else count[n],
            advanced=entered.get(k, (0, 0))[1] if k < n else 0,
            cohort_conversion=ratio(entered.get(k, (0, 0))[1], entered.get(k, (0, 0))[0]) if k < n else None,
            average_days_in_stage=_days(mean(k)) if k in durations else None,
            median_days_in_stage=_days(median(k)) if k in durations else None,
        )
        for k in range(n + 1)
    )
    cycle = (mean(CYCLE), median(CYCLE)) if CYCLE in durations else None
    reasons = [(str(r[2]), int(r[3])) for r in rows if r[0] == "reason"]
    return report_from_figures(
        pipeline,
        stages,
        cur,
        counts=(total, open_count, won, lost),
        won_minor=won_minor,
        lost_minor=lost_minor,
        cycle=cycle,
        reasons=reasons,
        bounds=(lo, hi, at),
    )
