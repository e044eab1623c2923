"""NPS and CSAT breakdowns as one SQL formulation: score counts per group.

Input: the relation `rs(score, responded_at, ...)`. The database counts responses per group and
score; the reference turns each group's counts into its exact result (bizrel.customer.satisfaction).
Grouping by period counts per local day ordinal: a day maps to one period of any kind, so the
calendar logic stays the reference's, on a few thousand aggregated rows.
"""

from __future__ import annotations

from bizrel.analytics.dialect import Dialect

__all__ = ["by_day", "score_counts_query"]


def by_day(d: Dialect, tz: str) -> str:
    """The group expression of period breakdowns: date.toordinal() of the local response day."""
    return d.day_ordinal("responded_at", tz)


def score_counts_query(group: str) -> str:
    """Output: group, score, responses; `group` is an expression over `rs` (a column or by_day)."""
    return f"""
        WITH grouped AS (SELECT {group} AS grp, score FROM rs)
        SELECT grp, score, COUNT(*) AS responses FROM grouped GROUP BY grp, score
    """
