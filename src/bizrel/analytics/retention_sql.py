"""Retention and value as SQL formulations, the same definitions as bizrel.customer.retention.

Input: the relation `tx(customer_id, occurred_at, amount_minor, currency)`. The database does the
per-customer aggregation; the exact last steps (ratios, half-even rounding, the prediction) are
done by the reference's own functions on the handful of aggregated figures.
"""

from __future__ import annotations

from bizrel.analytics.dialect import Dialect

__all__ = ["cohort_query", "customer_query", "totals_query"]


def cohort_query(d: Dialect, *, tz: str) -> str:
    """Output: cohort month index, months since acquisition, customers active then."""
    # a window, not a join back to per-customer minima: SQLite would nest-loop the join
    return f"""
        WITH months AS (
            SELECT DISTINCT customer_id, {d.month_index("occurred_at", tz)} AS m FROM tx
        ),
        firsts AS (
            SELECT m, MIN(m) OVER (PARTITION BY customer_id) AS cohort FROM months
        )
        SELECT cohort, m - cohort AS k, COUNT(*) AS active FROM firsts GROUP BY 1, 2
    """


def totals_query(d: Dialect, *, period: bool) -> str:
    """Output: one row of bizrel.customer.retention.BaseTotals' counts (after the currency).

    With `period`, three timestamp parameters bound the period before P and P: [start of the
    previous period, start of P, end of P), each bound twice (six parameters, in order)."""
    p = d.param
    if period:
        in_prev = f"MAX(CASE WHEN occurred_at >= {p} AND occurred_at < {p} THEN 1 ELSE 0 END)"
        in_cur = f"MAX(CASE WHEN occurred_at >= {p} AND occurred_at < {p} THEN 1 ELSE 0 END)"
        spent = f"SUM(CASE WHEN occurred_at >= {p} AND occurred_at < {p} THEN amount_minor ELSE 0 END)"
    else:
        in_prev = in_cur = spent = "0"
    return f"""
        WITH per_customer AS (
            SELECT customer_id, COUNT(*) AS n, SUM(amount_minor) AS total,
                   {in_prev} AS in_prev, {in_cur} AS in_cur, {spent} AS spent
            FROM tx GROUP BY customer_id
        )
        SELECT COUNT(*), COALESCE(SUM(n), 0), COALESCE(SUM(total), 0),
               COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(in_prev), 0), COALESCE(SUM(in_prev * in_cur), 0),
               COALESCE(SUM(in_cur), 0), COALESCE(SUM(spent), 0)
        FROM per_customer
    """


def customer_query(d: Dialect) -> str:
    """Output, per customer: customer_id, orders, revenue (minor units), first and last purchase."""
    return f"""
        WITH per_customer AS (
            SELECT customer_id, COUNT(*) AS n, SUM(amount_minor) AS total,
                   MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at
            FROM tx GROUP BY customer_id
        )
        SELECT customer_id, n, total, {d.instant_out("first_at")}, {d.instant_out("last_at")} FROM per_customer
    """
