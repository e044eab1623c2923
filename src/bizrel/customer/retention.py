"""Retention and value: cohorts, churn, repeat purchases, order value and lifetime value.

All figures come from integer counts and integer minor units; ratios are exact fractions rounded
half-even once (four decimals), money is rounded half-even to the currency's minor unit.

Definitions
-----------
- cohort: the calendar month (in time zone `tz`) of a customer's first purchase; retention in
  month k = cohort customers who purchased in the k-th month after it / cohort size.
- churn rate of a period P: of the customers who purchased in the period before P, the share who
  did not purchase in P.
- repeat-purchase rate: customers with two or more purchases / customers.
- average order value (AOV): revenue / orders. Purchase frequency: orders / customers.
- historical lifetime value: what a customer has spent so far (its mean over customers is
  reported as `historical_clv`).
- predicted lifetime value, for the last complete period P before `as_of`:

      predicted_clv = AOV(P) x purchase frequency(P) x margin x expected lifetime
      expected lifetime = 1 / churn rate(P)   (in periods: a geometric survival model)

  AOV(P) x frequency(P) is revenue per active customer in P. The result is None when churn is 0
  or undefined (an infinite or unknown lifetime), instead of a made-up number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Final

from attrs import frozen

from bizrel.core.errors import ValidationError
from bizrel.core.money import EXACT, Currency, Money, to_decimal
from bizrel.core.numbers import ratio, round_fraction
from bizrel.core.periods import Period, PeriodKind
from bizrel.customer._analytics import Tabular, check_aware, pct
from bizrel.customer.segmentation import CustomerTransactions, read_transactions

__all__ = [
    "BaseTotals",
    "ChurnResult",
    "CohortRetention",
    "CohortRow",
    "CustomerValue",
    "HistoricalValue",
    "ValueMetrics",
    "average_order_value",
    "check_complete",
    "churn_from_counts",
    "churn_rate",
    "cohort_retention",
    "cohort_retention_from_counts",
    "historical_lifetime_value",
    "last_complete_period",
    "predicted_lifetime_value",
    "purchase_frequency",
    "repeat_purchase_rate",
    "value_metrics",
    "value_metrics_from_totals",
]


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


# -- cohorts ----------------------------------------------------------------------------------------


@frozen
class CohortRow:
    """One cohort's retention: its first-purchase month, size and the share active each later month."""

    cohort: str  # YYYY-MM of the first purchase
    size: int
    active: tuple[int, ...]  # active[k]: cohort customers purchasing k months after acquisition
    rates: tuple[Decimal, ...]


@frozen
class CohortRetention(Tabular):
    """Cohort retention: customers grouped by first-purchase month, the share still buying month by month."""

    cohorts: tuple[CohortRow, ...]

    def to_rows(self) -> list[dict[str, object]]:
        """Long form, one row per cohort and month offset: ready for a pivot in a DataFrame."""
        return [
            {"cohort": c.cohort, "month": k, "size": c.size, "active": a, "retention": r}
            for c in self.cohorts
            for k, (a, r) in enumerate(zip(c.active, c.rates, strict=True))
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        width = max((len(c.active) for c in self.cohorts), default=1)
        headers = ["cohort", "size"] + [f"M{k}" for k in range(width)]
        rows: list[list[object]] = [
            [c.cohort, c.size] + [pct(r) for r in c.rates] + [""] * (width - len(c.rates)) for c in self.cohorts
        ]
        return headers, rows, "Cohort retention by acquisition month"


def cohort_retention(
    transactions: Iterable[object], *, as_of: datetime | None = None, tz: tzinfo = UTC
) -> CohortRetention:
    """Retention matrix by acquisition month, up to the month of `as_of` (or of the last purchase)."""
    data = read_transactions(transactions, as_of=as_of, tz=tz, freq="M")
    months = data.by_period
    if as_of is not None:
        local = check_aware(as_of, "as_of").astimezone(tz)
        end = local.year * 12 + local.month - 1
    else:
        end = max((max(m) for m in months.values()), default=0)
    active: dict[tuple[int, int], int] = {}
    for sums in months.values():
        cohort = min(sums)
        for month in sums:
            active[cohort, month - cohort] = active.get((cohort, month - cohort), 0) + 1
    return cohort_retention_from_counts(active, end)


def cohort_retention_from_counts(active: Mapping[tuple[int, int], int], end: int) -> CohortRetention:
    """The matrix from customer counts by (cohort month index, months since acquisition), up to
    month index `end`; month index = year * 12 + month - 1. The SQL paths count in the database."""
    rows = []
    for cohort in sorted({c for c, _ in active}):
        size = active[cohort, 0]
        counts = tuple(active.get((cohort, k), 0) for k in range(end - cohort + 1))
        rates = tuple(round_fraction(Fraction(a, size)) for a in counts)
        rows.append(CohortRow(_month_start(cohort).strftime("%Y-%m"), size, counts, rates))
    return CohortRetention(tuple(rows))


# -- churn ------------------------------------------------------------------------------------------


@frozen
class ChurnResult(Tabular):
    """Churn over a period: customers active before it, how many did not buy in it, and the rate."""

    period: str
    customers_at_start: int  # purchased in the previous period
    retained: int
    churned: int
    rate: Decimal | None

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "period": self.period,
                "customers_at_start": self.customers_at_start,
                "retained": self.retained,
                "churned": self.churned,
                "churn_rate": self.rate,
            }
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        row = self.to_rows()[0]
        return list(row), [list(row.values())], f"Churn in {self.period}: {pct(self.rate)}"


def _buyers(data: CustomerTransactions, period: Period) -> set[str]:
    """Customers with a purchase in `period` (their per-day sums are in data.by_period)."""
    first, end = period.start.toordinal(), period.end.toordinal()
    return {c for c, days in data.by_period.items() if any(first <= d < end for d in days)}


def _churn(data: CustomerTransactions, period: Period) -> ChurnResult:
    base = _buyers(data, period.previous())
    return churn_from_counts(period.label, len(base), len(base & _buyers(data, period)))


def churn_from_counts(period: str, customers_at_start: int, retained: int) -> ChurnResult:
    """Churn from the two counts it needs (what the SQL paths aggregate in the database)."""
    churned = customers_at_start - retained
    return ChurnResult(period, customers_at_start, retained, churned, ratio(churned, customers_at_start))


def check_complete(period: Period, as_of: datetime | None, tz: tzinfo) -> None:
    """Refuse a period that has not ended by `as_of` (in tz): its churn is not known yet, and every
    customer who has not bought again so far would count as churned (100% on the first of a month).
    Without `as_of` the caller states that the period is over."""
    if as_of is None:
        return
    day = check_aware(as_of, "as_of").astimezone(tz).date()
    if period.end > day:
        raise ValidationError(
            "period",
            period.label,
            f"has not ended by as_of {as_of.isoformat()}: churn is only known for a complete period",
        )


def churn_rate(
    transactions: Iterable[object], period: Period, *, as_of: datetime | None = None, tz: tzinfo = UTC
) -> ChurnResult:
    """Share of the previous period's buyers who did not buy in `period` (a complete one by `as_of`)."""
    check_complete(period, as_of, tz)
    return _churn(read_transactions(transactions, tz=tz, freq="D"), period)


# -- simple value figures ---------------------------------------------------------------------------


@frozen
class BaseTotals:
    """The integer aggregates every value figure is computed from: the reference counts them in
    one pass, the engine and push-down paths in the database, and both finish here, exactly.

    The `*_in_period` figures concern one period P: customers who bought in the period before P
    (`at_start`), those of them who bought in P again (`retained`), P's buyers and their spend."""

    currency: Currency | None
    customers: int
    orders: int
    revenue_minor: int
    repeat_customers: int
    at_start: int = 0
    retained: int = 0
    active_in_period: int = 0
    spent_in_period: int = 0

    def average_order_value(self) -> Money | None:
        if self.currency is None or not self.orders:
            return None
        return Money.from_minor(round(Fraction(self.revenue_minor, self.orders)), self.currency)

    def purchase_frequency(self) -> Decimal | None:
        return ratio(self.orders, self.customers)

    def repeat_purchase_rate(self) -> Decimal | None:
        return ratio(self.repeat_customers, self.customers)


def _totals(data: CustomerTransactions, period: Period | None = None) -> BaseTotals:
    at_start = retained = active = spent = 0
    if period is not None:
        previous, buyers = _buyers(data, period.previous()), _buyers(data, period)
        first, end = period.start.toordinal(), period.end.toordinal()
        at_start, retained, active = len(previous), len(previous & buyers), len(buyers)
        with localcontext(EXACT):  # exact Decimal sums, never the global context
            in_period = sum((m for c in buyers for d, m in data.by_period[c].items() if first <= d < end), Decimal(0))
        spent = int(in_period.scaleb(data.currency.minor_units if data.currency else 0, context=EXACT))
    return BaseTotals(
        data.currency,
        len(data.count),
        sum(data.count.values()),
        sum(data.total_minor.values()),
        sum(1 for n in data.count.values() if n >= 2),
        at_start,
        retained,
        active,
        spent,
    )


def repeat_purchase_rate(transactions: Iterable[object]) -> Decimal | None:
    """Customers with at least two purchases / customers (None without customers)."""
    return _totals(read_transactions(transactions)).repeat_purchase_rate()


def average_order_value(transactions: Iterable[object]) -> Money | None:
    """Revenue / orders, rounded half-even to minor units (None without orders)."""
    return _totals(read_transactions(transactions)).average_order_value()


def purchase_frequency(transactions: Iterable[object]) -> Decimal | None:
    """Orders / customers (None without customers)."""
    return _totals(read_transactions(transactions)).purchase_frequency()


def predicted_lifetime_value(
    average_order_value: Money,
    purchase_frequency: Decimal | int | str,
    churn_rate: Decimal | int | str,
    *,
    margin: Decimal | int | str = 1,
) -> Money | None:
    """AOV x purchase frequency x margin / churn rate, rounded half-even; None when churn is 0."""
    frequency = Fraction(to_decimal(purchase_frequency, "purchase_frequency"))
    churn = Fraction(to_decimal(churn_rate, "churn_rate"))
    gross = Fraction(to_decimal(margin, "margin"))
    if frequency < 0:
        raise ValidationError("purchase_frequency", purchase_frequency, "cannot be negative")
    if not 0 <= churn <= 1:
        raise ValidationError("churn_rate", churn_rate, "must be between 0 and 1")
    if not 0 <= gross <= 1:
        raise ValidationError("margin", margin, "must be between 0 and 1")
    return _predict(Fraction(average_order_value.to_minor()) * frequency, churn, gross, average_order_value.currency)


def _predict(per_customer_minor: Fraction, churn: Fraction, margin: Fraction, cur: Currency) -> Money | None:
    """The one place the prediction formula lives: value per period x margin / churn, rounded once."""
    if churn == 0:
        return None
    return Money.from_minor(round(per_customer_minor * margin / churn), cur)


# -- per customer and all together ------------------------------------------------------------------


@frozen
class CustomerValue:
    """One customer's historical value: purchases, revenue and average order."""

    customer_id: str
    orders: int
    revenue: Money
    first_purchase: datetime
    last_purchase: datetime


@frozen
class HistoricalValue(Tabular):
    """Historical lifetime value: what each customer has spent so far, by customer id."""

    customers: tuple[CustomerValue, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "customer_id": c.customer_id,
                "orders": c.orders,
                "revenue": c.revenue.amount,
                "first_purchase": c.first_purchase,
                "last_purchase": c.last_purchase,
            }
            for c in self.customers
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [c.customer_id, c.orders, c.revenue.format(), c.first_purchase.date(), c.last_purchase.date()]
            for c in self.customers[:20]
        ]
        headers = ["customer", "orders", "revenue", "first", "last"]
        return headers, rows, f"Historical lifetime value ({len(self.customers)} customers)"


def historical_lifetime_value(transactions: Iterable[object]) -> HistoricalValue:
    """What each customer has spent so far, and the average: lifetime value from history, no model."""
    data = read_transactions(transactions)
    cur = data.currency
    return HistoricalValue(
        tuple(
            CustomerValue(c, data.count[c], Money.from_minor(data.total_minor[c], cur), data.first[c], data.last[c])
            for c in sorted(data.count)
            if cur is not None
        )
    )


_PLACES: Final = 4


@frozen
class ValueMetrics(Tabular):
    """The retention and value figures of one customer base, as of one instant (see module doc)."""

    as_of: datetime
    currency: Currency | None
    customers: int
    orders: int
    revenue: Money | None
    average_order_value: Money | None
    purchase_frequency: Decimal | None
    repeat_purchase_rate: Decimal | None
    historical_clv: Money | None
    period: str  # the last complete period, where churn and the prediction are measured
    churn_rate: Decimal | None
    expected_lifetime: Decimal | None  # in periods
    margin: Decimal
    predicted_clv: Money | None

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "metric": name,
                "value": value.amount if isinstance(value, Money) else value,
            }
            for name, value in self._figures()
        ]

    def _figures(self) -> list[tuple[str, object]]:
        return [
            ("customers", self.customers),
            ("orders", self.orders),
            ("revenue", self.revenue),
            ("average_order_value", self.average_order_value),
            ("purchase_frequency", self.purchase_frequency),
            ("repeat_purchase_rate", self.repeat_purchase_rate),
            ("historical_clv", self.historical_clv),
            (f"churn_rate ({self.period})", self.churn_rate),
            ("expected_lifetime (periods)", self.expected_lifetime),
            ("margin", self.margin),
            ("predicted_clv", self.predicted_clv),
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [name, value.format() if isinstance(value, Money) else value] for name, value in self._figures()
        ]
        return ["metric", "value"], rows, f"Retention and value as of {self.as_of.date()}"


def value_metrics(
    transactions: Iterable[object],
    *,
    as_of: datetime,
    period: PeriodKind | str = PeriodKind.MONTH,
    margin: Decimal | int | str = 1,
    tz: tzinfo = UTC,
) -> ValueMetrics:
    """All figures from one pass; churn and the prediction use the last complete `period` before as_of."""
    as_of = check_aware(as_of, "as_of")
    gross = _margin(margin)
    data = read_transactions(transactions, as_of=as_of, tz=tz, freq="D")
    last_complete = last_complete_period(as_of, period, tz)
    return value_metrics_from_totals(_totals(data, last_complete), as_of=as_of, period=last_complete, margin=gross)


def _margin(margin: Decimal | int | str) -> Decimal:
    gross = to_decimal(margin, "margin")
    if not 0 <= gross <= 1:
        raise ValidationError("margin", margin, "must be between 0 and 1")
    return gross


def last_complete_period(as_of: datetime, period: PeriodKind | str, tz: tzinfo) -> Period:
    """The last complete period of `kind` before as_of, in time zone tz."""
    return Period.containing(check_aware(as_of, "as_of").astimezone(tz), PeriodKind(period)).previous()


def value_metrics_from_totals(
    totals: BaseTotals, *, as_of: datetime, period: Period, margin: Decimal | int | str = 1
) -> ValueMetrics:
    """ValueMetrics from aggregates counted over `period` (the last complete one before as_of)."""
    gross = _margin(margin)
    t, cur = totals, totals.currency
    churn = churn_from_counts(period.label, t.at_start, t.retained)
    predicted = None
    if cur is not None and t.active_in_period and churn.customers_at_start:
        # AOV(P) x frequency(P) = revenue(P) / active customers(P); churn kept as an exact fraction
        churned = Fraction(churn.churned, churn.customers_at_start)
        predicted = _predict(Fraction(t.spent_in_period, t.active_in_period), churned, Fraction(gross), cur)
    revenue = None if cur is None else Money.from_minor(t.revenue_minor, cur)
    return ValueMetrics(
        as_of=as_of,
        currency=cur,
        customers=t.customers,
        orders=t.orders,
        revenue=revenue,
        average_order_value=t.average_order_value(),
        purchase_frequency=t.purchase_frequency(),
        repeat_purchase_rate=t.repeat_purchase_rate(),
        historical_clv=None
        if cur is None or not t.customers
        else Money.from_minor(round(Fraction(t.revenue_minor, t.customers)), cur),
        period=period.label,
        churn_rate=churn.rate,
        expected_lifetime=ratio(churn.customers_at_start, churn.churned, _PLACES) if churn.churned else None,
        margin=gross,
        predicted_clv=predicted,
    )
