"""Retention and value over any input: the pure-Python reference for iterables, DuckDB for
columnar data, and SQL push-down for purchases stored by bizrel's SQLite or PostgreSQL adapters.

Each function returns the reference's own typed result: the database aggregates to a few integer
counts and sums per cohort, customer or base, and the reference's exact finishing steps (fractions,
half-even rounding, the lifetime-value prediction) run on those aggregates. The predicted lifetime
value is `value_metrics(...).predicted_clv`. `progress` reports the records consumed on the
reference path and three phases on the others: load and check, aggregate, finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from attrs import frozen

from bizrel.adapters import Store
from bizrel.analytics.columnar import connect, load_transactions
from bizrel.analytics.dialect import DUCKDB, Dialect
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown, sql_path
from bizrel.analytics.retention_sql import cohort_query, customer_query, totals_query
from bizrel.analytics.rfm import zone_name
from bizrel.core.clock import aware
from bizrel.core.errors import ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.periods import Period, PeriodKind
from bizrel.core.progress import Progress
from bizrel.customer import retention
from bizrel.customer.retention import (
    BaseTotals,
    ChurnResult,
    CohortRetention,
    CustomerValue,
    HistoricalValue,
    ValueMetrics,
    check_complete,
    churn_from_counts,
    cohort_retention_from_counts,
    last_complete_period,
    value_metrics_from_totals,
)

__all__ = [
    "average_order_value",
    "churn_rate",
    "cohort_retention",
    "historical_lifetime_value",
    "purchase_frequency",
    "repeat_purchase_rate",
    "value_metrics",
]

Rows = list[tuple[Any, ...]]
T = TypeVar("T")


@frozen
class _Transactions:
    """One input's transactions as the relation `tx`, wherever they live."""

    dialect: Dialect
    currency: Currency | None
    run: Callable[[str, tuple[Any, ...]], Rows]
    check_after: Callable[[datetime], None]


@contextmanager
def _transactions(
    data: object, tenant_id: str | None, allow_float_amounts: bool, phases: Phases
) -> Iterator[_Transactions]:
    """The transactions loaded and checked (the first of the three phases)."""
    if isinstance(data, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        with pushdown(data, tenant_id) as session:
            code = session.single_currency()
            phases.advance()
            yield _Transactions(
                session.dialect, Currency.of(code) if code else None, session.query, session.check_after
            )
        return
    con = connect()
    try:
        stats = load_transactions(con, data, allow_float_amounts=allow_float_amounts)
        phases.advance()

        def check_after(as_of: datetime) -> None:
            if stats.latest is not None and stats.latest > as_of:
                raise ValidationError("occurred_at", stats.latest, f"a purchase is after as_of {as_of.isoformat()}")

        def run(sql: str, params: tuple[Any, ...]) -> Rows:
            rows: Rows = con.execute(sql, list(params)).fetchall()
            return rows

        yield _Transactions(DUCKDB, Currency.of(stats.currency) if stats.currency else None, run, check_after)
    finally:
        con.close()


def _finished(value: T, phases: Phases) -> T:
    """The result, once the last phase (finishing in Python) is reported."""
    phases.advance()
    return value


def _start(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local calendar day: the SQL compares stored instants, no conversion per row."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _totals(tx: _Transactions, period: Period | None, tz: tzinfo) -> BaseTotals:
    params: tuple[Any, ...] = ()
    if period is not None:
        before = period.previous()
        bounds = (before.start, before.end, period.start, period.end, period.start, period.end)
        params = tuple(_start(day, tz) for day in bounds)
    row = tx.run(totals_query(tx.dialect, period=period is not None), params)[0]
    return BaseTotals(tx.currency, *(int(v) for v in row))


def cohort_retention(
    data: object,
    *,
    as_of: datetime | None = None,
    tz: tzinfo = UTC,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> CohortRetention:
    """bizrel.customer.cohort_retention for an iterable, a DataFrame/Arrow table/file, or a Store."""
    if not sql_path(data):
        return retention.cohort_retention(counted(data, progress), as_of=as_of, tz=tz)  # type: ignore[arg-type]
    zone = zone_name(tz)
    end = None
    if as_of is not None:
        local = aware(as_of, "as_of").astimezone(tz)
        end = local.year * 12 + local.month - 1
    phases = Phases(progress, 3)
    with _transactions(data, tenant_id, allow_float_amounts, phases) as tx:
        if as_of is not None:
            tx.check_after(as_of)
        rows = tx.run(cohort_query(tx.dialect, tz=zone), ())
    phases.advance()
    active = {(int(cohort), int(k)): int(n) for cohort, k, n in rows}
    if end is None:
        end = max((cohort + k for cohort, k in active), default=0)
    return _finished(cohort_retention_from_counts(active, end), phases)


def churn_rate(
    data: object,
    period: Period,
    *,
    as_of: datetime | None = None,
    tz: tzinfo = UTC,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> ChurnResult:
    """bizrel.customer.churn_rate for any input: the previous period's buyers who did not buy in
    `period`, a period that must be complete by `as_of` when it is given."""
    if not sql_path(data):
        return retention.churn_rate(counted(data, progress), period, as_of=as_of, tz=tz)  # type: ignore[arg-type]
    check_complete(period, as_of, tz)
    phases = Phases(progress, 3)
    with _transactions(data, tenant_id, allow_float_amounts, phases) as tx:
        totals = _totals(tx, period, tz)
    phases.advance()
    return _finished(churn_from_counts(period.label, totals.at_start, totals.retained), phases)


def value_metrics(
    data: object,
    *,
    as_of: datetime,
    period: PeriodKind | str = PeriodKind.MONTH,
    margin: Decimal | int | str = 1,
    tz: tzinfo = UTC,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> ValueMetrics:
    """bizrel.customer.value_metrics for any input: AOV, frequency, repeat rate, historical and
    predicted lifetime value, churn over the last complete period, from one aggregation."""
    if not sql_path(data):
        return retention.value_metrics(
            counted(data, progress),  # type: ignore[arg-type]
            as_of=as_of,
            period=period,
            margin=margin,
            tz=tz,
        )
    as_of = aware(as_of, "as_of")
    last = last_complete_period(as_of, period, tz)
    phases = Phases(progress, 3)
    with _transactions(data, tenant_id, allow_float_amounts, phases) as tx:
        tx.check_after(as_of)
        totals = _totals(tx, last, tz)
    phases.advance()
    return _finished(value_metrics_from_totals(totals, as_of=as_of, period=last, margin=margin), phases)


def _base_figure(
    data: object,
    reference: Callable[[Any], T],
    figure: Callable[[BaseTotals], T],
    tenant_id: str | None,
    allow_float_amounts: bool,
    progress: Progress | None,
) -> T:
    """One whole-history figure: the reference over records, else read off the SQL totals."""
    if not sql_path(data):
        return reference(counted(data, progress))  # type: ignore[arg-type]
    phases = Phases(progress, 3)
    with _transactions(data, tenant_id, allow_float_amounts, phases) as tx:
        totals = _totals(tx, None, UTC)
    phases.advance()
    return _finished(figure(totals), phases)


def repeat_purchase_rate(
    data: object,
    *,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> Decimal | None:
    """bizrel.customer.repeat_purchase_rate for any input."""
    return _base_figure(
        data, retention.repeat_purchase_rate, BaseTotals.repeat_purchase_rate, tenant_id, allow_float_amounts, progress
    )


def average_order_value(
    data: object,
    *,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> Money | None:
    """bizrel.customer.average_order_value for any input."""
    return _base_figure(
        data, retention.average_order_value, BaseTotals.average_order_value, tenant_id, allow_float_amounts, progress
    )


def purchase_frequency(
    data: object,
    *,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> Decimal | None:
    """bizrel.customer.purchase_frequency for any input."""
    return _base_figure(
        data, retention.purchase_frequency, BaseTotals.purchase_frequency, tenant_id, allow_float_amounts, progress
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(value: Any) -> datetime:
    """A timestamp as Dialect.instant_out returns it: epoch microseconds, SQLite's UTC text, or a datetime."""
    if isinstance(value, int):
        return _EPOCH + timedelta(microseconds=value)
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def historical_lifetime_value(
    data: object,
    *,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> HistoricalValue:
    """bizrel.customer.historical_lifetime_value for any input: per customer, aggregated in the database."""
    if not sql_path(data):
        return retention.historical_lifetime_value(counted(data, progress))  # type: ignore[arg-type]
    phases = Phases(progress, 3)
    with _transactions(data, tenant_id, allow_float_amounts, phases) as tx:
        rows = tx.run(customer_query(tx.dialect), ())
        cur = tx.currency
    phases.advance()
    if cur is None:
        return _finished(HistoricalValue(()), phases)
    return _finished(
        HistoricalValue(
            tuple(
                CustomerValue(str(c), int(n), Money.from_minor(int(total), cur), _instant(first), _instant(last))
                for c, n, total, first, last in sorted(rows, key=lambda r: str(r[0]))
            )
        ),
        phases,
    )
