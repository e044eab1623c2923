"""RFM as one SQL formulation, the same definitions as bizrel.customer.rfm_summary.

Input: a relation named `tx` with customer_id, occurred_at, amount_minor (integer minor units).
Output columns, in order: customer_id, recency, frequency, monetary (integer minor units, rounded
half-even like the reference), t (lifetimes convention), m_num and m_den (the exact monetary value
as a fraction), r_measure (what the R score ranks), then, when scored, r_score, f_score, m_score
and segment.

Scores follow the reference exactly: 1 + floor(5 * below / n), where below counts customers with a
strictly worse value, which is RANK() - 1 when customers are ordered from worst to best. A mean
monetary value is ranked as the reference ranks it: rounded half-even to the minor unit (the value
people see), so two means that round to the same amount score the same.
"""

from __future__ import annotations

from bizrel.analytics.dialect import Dialect
from bizrel.customer.segmentation import SEGMENT_RULES

__all__ = ["rfm_query"]


def _segment_case(d: Dialect) -> str:
    fm = d.idiv("f_score + m_score + 1", "2")
    whens = " ".join(
        f"WHEN r_score BETWEEN {rl} AND {rh} AND {fm} BETWEEN {fl} AND {fh} THEN '{name}'"
        for name, (rl, rh), (fl, fh) in SEGMENT_RULES
    )
    return f"CASE {whens} END"


def rfm_query(d: Dialect, *, convention: str, mean: bool, freq: str, tz: str, as_of_day: int, scored: bool) -> str:
    """The SQL; `as_of_day` is the period index of as_of (day ordinal, or ISO week index for W)."""
    if convention == "lifetimes":
        # one grouping by customer and period: the day's ordinal is needed per row anyway, and a
        # second grouping of near-unique customer-days costs as much as the first
        day = d.day_ordinal("occurred_at", tz)
        k = day if freq == "D" else d.idiv(f"{day} - 1", "7")
        base = f"""
        periods AS (
            SELECT customer_id, {k} AS k, SUM(amount_minor) AS s FROM tx GROUP BY 1, 2
        ),
        spans AS (
            SELECT customer_id, MIN(k) AS first_k, MAX(k) AS last_k, COUNT(*) - 1 AS frequency,
                   SUM(s) AS total
            FROM periods GROUP BY customer_id
        ),
        figures AS (
            SELECT s.customer_id, s.last_k - s.first_k AS recency, s.frequency,
                   {as_of_day} - s.first_k AS t, {as_of_day} - s.last_k AS r_measure,
                   s.total - p.s AS m_num, s.frequency AS m_den
            FROM spans s JOIN periods p ON p.customer_id = s.customer_id AND p.k = s.first_k
        )"""
    else:
        # the local day is monotonic in time: convert each customer's latest purchase only
        last_day = d.day_ordinal("last_at", tz)
        base = f"""
        totals AS (
            SELECT customer_id, MAX(occurred_at) AS last_at, COUNT(*) AS frequency,
                   SUM(amount_minor) AS m_num, {"COUNT(*)" if mean else "1"} AS m_den
            FROM tx GROUP BY customer_id
        ),
        figures AS (
            SELECT customer_id, {as_of_day} - {last_day} AS recency, frequency, NULL AS t,
                   {as_of_day} - {last_day} AS r_measure, m_num, m_den
            FROM totals
        )"""
    monetary = "m_num"  # the classic total: nothing to divide or round
    if mean or convention == "lifetimes":
        monetary = f"CASE WHEN m_den = 0 THEN 0 ELSE {d.half_even_div('m_num', 'm_den')} END"
    scores = ""
    select_scores = ""
    if scored:
        scores = f""",
        scored AS (
            SELECT *,
                1 + {d.idiv("5 * (RANK() OVER (ORDER BY r_measure DESC) - 1)", "n")} AS r_score,
                1 + {d.idiv("5 * (RANK() OVER (ORDER BY frequency) - 1)", "n")} AS f_score,
                1 + {d.idiv("5 * (RANK() OVER (ORDER BY m_key) - 1)", "n")} AS m_score
            FROM (SELECT *, {monetary} AS m_key, COUNT(*) OVER () AS n FROM figures) ranked
        )"""
        select_scores = f", r_score, f_score, m_score, {_segment_case(d)} AS segment"
    source = "scored" if scored else "figures"
    return f"""
        WITH {base.strip()}{scores}
        SELECT customer_id, recency, frequency, {monetary} AS monetary, t, m_num, m_den, r_measure{select_scores}
        FROM {source} ORDER BY customer_id
    """
