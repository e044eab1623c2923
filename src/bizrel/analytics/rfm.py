"""RFM over any input: the pure-Python reference for iterables, DuckDB for columnar data, and SQL
push-down for purchases stored by bizrel's SQLite or PostgreSQL adapters. All three return the
same RfmSummary, and the property tests prove they agree."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from bizrel.adapters import Store
from bizrel.analytics.columnar import TxStats, connect, is_columnar, load_transactions, python_values
from bizrel.analytics.dialect import DUCKDB
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown
from bizrel.analytics.rfm_sql import rfm_query
from bizrel.core.clock import aware
from bizrel.core.errors import ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.progress import Progress
from bizrel.customer import segmentation
from bizrel.customer.segmentation import RfmRow, RfmSummary

__all__ = ["rfm_frame", "rfm_summary"]

Convention = Literal["classic", "lifetimes"]
_SHOWN = ("customer_id", "recency", "frequency", "monetary", "t")  # the typed result's columns
_SCORES = ("r_score", "f_score", "m_score", "segment")


def zone_name(tz: tzinfo) -> str:
    """The IANA name the SQL needs for a time zone (UTC or a zoneinfo.ZoneInfo)."""
    if tz is UTC:
        return "UTC"
    key = getattr(tz, "key", None)
    if not isinstance(key, str):
        raise ValidationError("tz", tz, "SQL paths need a zoneinfo.ZoneInfo time zone or UTC")
    return key


def _check(convention: str, monetary: str, freq: str) -> None:
    if convention not in ("classic", "lifetimes"):
        raise ValidationError("convention", convention, "expected 'classic' or 'lifetimes'")
    if monetary not in ("total", "mean"):
        raise ValidationError("monetary", monetary, "expected 'total' or 'mean'")
    if freq not in ("D", "W"):
        raise ValidationError("freq", freq, "expected 'D' (days) or 'W' (ISO weeks)")


def _as_of_index(as_of: datetime, tz: tzinfo, convention: str, freq: str) -> int:
    """The period index of as_of: its day ordinal, or its ISO week index for weekly lifetimes."""
    day = as_of.astimezone(tz).toordinal()
    return (day - 1) // 7 if convention == "lifetimes" and freq == "W" else day


def rfm_summary(
    data: object,
    *,
    as_of: datetime,
    convention: Convention = "classic",
    monetary: Literal["total", "mean"] = "total",
    freq: Literal["D", "W"] = "D",
    tz: tzinfo = UTC,
    scored: bool = True,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> RfmSummary:
    """bizrel.customer.rfm_summary for any input.

    `data` is an iterable of transaction records (the reference path), a pandas/polars DataFrame,
    an Arrow table or a Parquet/CSV path (the DuckDB engine), or a Store with `tenant_id` (SQL
    push-down over its stored purchases, no rows pulled into Python). `progress` is called with
    the records consumed (reference) or the phases passed (engine, push-down).
    """
    if isinstance(data, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        return _sql_summary(
            data,
            None,
            as_of=as_of,
            convention=convention,
            monetary=monetary,
            freq=freq,
            tz=tz,
            scored=scored,
            tenant_id=tenant_id,
            progress=progress,
        )
    if is_columnar(data):
        return _sql_summary(
            None,
            data,
            as_of=as_of,
            convention=convention,
            monetary=monetary,
            freq=freq,
            tz=tz,
            scored=scored,
            allow_float_amounts=allow_float_amounts,
            progress=progress,
        )
    return segmentation.rfm_summary(
        counted(data, progress),  # type: ignore[arg-type]
        as_of=as_of,
        convention=convention,
        monetary=monetary,
        freq=freq,
        tz=tz,
        scored=scored,
    )


def rfm_frame(
    data: object,
    *,
    as_of: datetime,
    convention: Convention = "classic",
    monetary: Literal["total", "mean"] = "total",
    freq: Literal["D", "W"] = "D",
    tz: tzinfo = UTC,
    scored: bool = True,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> Any:
    """The RFM table of a columnar input as an Arrow table, never leaving the engine.

    Same figures as rfm_summary, with `monetary` in integer minor units: for notebooks that go on
    in pandas or polars (`.to_pandas()`, `polars.from_arrow`) with millions of customers. Without
    scores (`scored=False`) it is the bare summary lifetimes-style models start from.
    """
    _check(convention, monetary, freq)
    phases = Phases(progress, 2)  # load and check, aggregate: the Arrow table needs no finishing
    con, sql, _ = _engine_query(
        data,
        aware(as_of, "as_of"),
        convention,
        monetary,
        freq,
        tz,
        scored=scored,
        allow_float_amounts=allow_float_amounts,
    )
    phases.advance()
    table = con.sql(sql).to_arrow_table()
    phases.advance()
    return table


def _engine_query(
    data: object,
    as_of: datetime,
    convention: Convention,
    monetary: str,
    freq: str,
    tz: tzinfo,
    *,
    scored: bool,
    allow_float_amounts: bool,
) -> tuple[Any, str, TxStats]:
    """A DuckDB cursor over the checked columnar input and the RFM query to run on it."""
    con = connect()
    stats = load_transactions(con, data, allow_float_amounts=allow_float_amounts)
    _validate(stats, as_of)
    sql = rfm_query(
        DUCKDB,
        convention=convention,
        mean=monetary == "mean",
        freq=freq,
        tz=zone_name(tz),
        as_of_day=_as_of_index(as_of, tz, convention, freq),
        scored=scored,
    )
    return con, sql, stats


def _validate(stats: TxStats, as_of: datetime) -> None:
    if stats.latest is not None and stats.latest > as_of:
        raise ValidationError("occurred_at", stats.latest, f"a purchase is after as_of {as_of.isoformat()}")


def _sql_summary(
    store: Store | None,
    data: object,
    *,
    as_of: datetime,
    convention: Convention,
    monetary: str,
    freq: str,
    tz: tzinfo,
    scored: bool,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> RfmSummary:
    """Three phases: load and check, aggregate, build the typed result."""
    _check(convention, monetary, freq)
    as_of = aware(as_of, "as_of")
    mean = monetary == "mean"
    zone = zone_name(tz)
    as_of_day = _as_of_index(as_of, tz, convention, freq)
    phases = Phases(progress, 3)
    if store is None:
        con, sql, stats = _engine_query(
            data, as_of, convention, monetary, freq, tz, scored=scored, allow_float_amounts=allow_float_amounts
        )
        phases.advance()
        shown = _SHOWN + (_SCORES if scored else ())
        table = con.sql(sql).select(", ".join(shown)).to_arrow_table()
        phases.advance()
        figures = zip(*map(python_values, table.columns), strict=True)
        summary = _summary(convention, as_of, stats.currency, figures, scored)
        phases.advance()
        return summary
    assert tenant_id is not None
    with pushdown(store, tenant_id) as session:
        currency = session.single_currency()
        session.check_after(as_of)
        phases.advance()
        sql = rfm_query(
            session.dialect, convention=convention, mean=mean, freq=freq, tz=zone, as_of_day=as_of_day, scored=scored
        )
        rows = session.query(sql)
    phases.advance()
    summary = _summary(convention, as_of, currency, ((*row[:5], *row[8:]) for row in rows), scored)
    phases.advance()
    return summary


def _summary(
    convention: Convention, as_of: datetime, currency: str | None, rows: Iterable[Sequence[Any]], scored: bool
) -> RfmSummary:
    """The typed result from rows of the _SHOWN columns, then the _SCORES ones when scored."""
    cur = Currency.of(currency) if currency is not None else None
    out = []
    for row in rows:
        customer_id, recency, frequency, monetary, t = row[:5]
        amount = Money.from_minor(int(monetary), cur) if cur is not None else Money.zero("USD")
        scores = (int(row[5]), int(row[6]), int(row[7]), row[8]) if scored else (None, None, None, None)
        out.append(RfmRow(customer_id, int(recency), int(frequency), amount, None if t is None else int(t), *scores))
    return RfmSummary(convention, as_of, cur, tuple(out))
