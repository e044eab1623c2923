"""The bridge's closed-loop report over any input: the pure-Python reference for DealOutcome
iterables, DuckDB for columnar deals plus their terms, and SQL push-down over a store's handoffs,
subscriptions and customers. All three return the same ClosedLoopReport.

Columnar input is two relations (DataFrames, Arrow tables or Parquet/CSV paths):

  deals: opportunity_id, customer_id, rep, source, pipeline, currency, amount_minor (integer minor
         units) or amount (DECIMAL), opened_at, closed_at, and optionally churned_at and nps (an
         integer column; a customer's last deal in input order that has one gives its NPS)
  terms: opportunity_id, seq (the term's position in the renewal chain), amount_minor or amount,
         and optionally currency (default: the deal's); a deal without terms has one term, its amount

Timestamps must be timezone-aware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bizrel.adapters import Store
from bizrel.analytics.closed_loop_sql import CURRENCIES, closed_loop_query, group_key, store_relations
from bizrel.analytics.columnar import _amount_minor, _single_currency, _source, connect, is_columnar
from bizrel.analytics.dialect import DUCKDB, Dialect
from bizrel.analytics.funnel import _columns
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown
from bizrel.bridge.closed_loop import (
    DIMENSIONS,
    ClosedLoopReport,
    DealOutcome,
    GroupFigures,
    report_from_figures,
    single_currency,
)
from bizrel.bridge.closed_loop import closed_loop_report as reference
from bizrel.core.clock import utc
from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import ValidationError
from bizrel.core.money import Money
from bizrel.core.progress import Progress

__all__ = ["closed_loop_report"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AWARE = "TIMESTAMP WITH TIME ZONE"
_DEAL_TEXT = ("opportunity_id", "customer_id", "rep", "source", "pipeline")


def closed_loop_report(
    deals: object,
    terms: object = None,
    *,
    by: str = "rep",
    quality_days: int = 90,
    costs: Mapping[str, Money] | None = None,
    size_bands: Sequence[Decimal] = (Decimal(10_000), Decimal(50_000)),
    cycle_bands: Sequence[int] = (30, 90),
    as_of: datetime | None = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> ClosedLoopReport:
    """bizrel.bridge.closed_loop_report for any input.

    `deals` is an iterable of DealOutcome (the reference path), a DataFrame, Arrow table or
    Parquet/CSV path with `terms` beside it (the DuckDB engine), or a Store with `tenant_id`
    (push-down over the stored handoffs, as bridge.deal_outcomes derives them as of `as_of`,
    default the store's clock; only one row per group comes back).
    """
    if by not in DIMENSIONS:
        raise ValidationError("by", by, f"one of {', '.join(DIMENSIONS)}")
    if terms is not None and not is_columnar(deals):
        raise ValidationError("terms", type(terms).__name__, "only columnar deals take them")
    if as_of is not None and not isinstance(deals, Store):
        raise ValidationError("as_of", as_of, "only the push-down derives churn as of an instant")
    options = {
        "by": by,
        "quality_days": quality_days,
        "costs": costs,
        "size_bands": size_bands,
        "cycle_bands": cycle_bands,
    }
    if isinstance(deals, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        phases = Phases(progress, 3)
        at = utc(as_of, "as_of") if as_of is not None else deals.clock.now()
        with pushdown(deals, tenant_id) as session:
            views, ctes = store_relations(session.dialect, (at - _EPOCH) // timedelta(microseconds=1))
            return _finish(
                session.dialect,
                lambda sql: session.query_tables(views, f"WITH RECURSIVE {ctes}, {sql.strip()[5:]}"),
                options,
                phases,
            )
    if is_columnar(deals):
        if terms is None:
            raise ValidationError("terms", None, "columnar deals need their terms beside them")
        phases = Phases(progress, 3)
        con = connect()
        _load(con, deals, terms, allow_float_amounts)
        return _finish(DUCKDB, lambda sql: list(con.execute(sql).fetchall()), options, phases)
    outcomes: Iterable[DealOutcome] = deals  # type: ignore[assignment]
    return reference(counted(outcomes, progress), **options)  # type: ignore[arg-type]


def _load(con: Any, deals: object, terms: object, allow_float_amounts: bool) -> None:
    """Create the views `deals` and `terms` the SQL expects over the two inputs."""
    _source(con, deals, "src", position="__position")  # as `src`, where the amount checks look
    timestamps = ("opened_at", "closed_at", "churned_at")
    types = _columns(con, "src", (*_DEAL_TEXT, "currency", "opened_at", "closed_at"), timestamps)
    exponent = 2 if "amount_minor" in types else MINOR_UNITS.get(_single_currency(con, "src") or "", 2)
    if "nps" in types and types["nps"] not in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", '"NULL"'):
        raise ValidationError("nps", types["nps"], "NPS scores must be an integer column")
    text = ", ".join(f"CAST({name} AS VARCHAR) AS {name}" for name in _DEAL_TEXT)
    churned = "epoch_us(churned_at)" if "churned_at" in types else "CAST(NULL AS BIGINT)"
    nps = "CAST(nps AS BIGINT)" if "nps" in types else "CAST(NULL AS BIGINT)"
    con.execute(
        f"CREATE TEMP VIEW deals AS SELECT {text}, "
        f"{_amount_minor(con, types, exponent, allow_float_amounts)} AS amount_minor, "
        "CAST(currency AS VARCHAR) AS currency, epoch_us(opened_at) AS opened_us, epoch_us(closed_at) AS closed_us, "
        f"{churned} AS churned_us, {nps} AS nps, __position AS pos FROM src"
    )
    _source(con, terms, "terms_src")
    types = _columns(con, "terms_src", ("opportunity_id", "seq"), ())
    exponent = MINOR_UNITS.get(_single_currency(con, "deals") or "", 2)
    currency = "CAST(currency AS VARCHAR)" if "currency" in types else "CAST(NULL AS VARCHAR)"
    con.execute(
        "CREATE TEMP VIEW terms AS SELECT CAST(opportunity_id AS VARCHAR) AS opportunity_id, "
        f"CAST(seq AS BIGINT) AS seq, {_amount_minor(con, types, exponent, allow_float_amounts, 'terms_src')} "
        f"AS amount_minor, {currency} AS currency FROM terms_src"
    )


def _finish(
    d: Dialect, read: Callable[[str], list[tuple[Any, ...]]], options: dict[str, Any], phases: Phases
) -> ClosedLoopReport:
    """Check the currency, aggregate per group in the database, and finish the figures with the
    reference's own code (`read` runs a query starting WITH over the relations deals and terms)."""
    currency = single_currency(str(r[0]) for r in read(CURRENCIES))
    phases.advance()
    group = group_key(d, options["by"], currency, options["size_bands"], options["cycle_bands"])
    rows = read(closed_loop_query(d, group, options["quality_days"]))
    phases.advance()
    figures = {
        str(r[0]): GroupFigures(
            deals=int(r[1]),
            retained=int(r[2]),
            start_minor=int(r[3]),
            current_minor=int(r[4]),
            kept_minor=int(r[5]),
            lifetime_minor=int(r[6]),
            bookings_minor=int(r[7]),
            quality_minor=int(r[8]),
            responders=int(r[9] or 0),
            promoters=int(r[10] or 0),
            detractors=int(r[11] or 0),
        )
        for r in rows
    }
    report = report_from_figures(options["by"], options["quality_days"], currency, figures, options["costs"])
    phases.advance()
    return report
