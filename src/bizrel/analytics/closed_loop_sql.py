"""The closed-loop report as one SQL formulation, the same definitions as bizrel.bridge.closed_loop.

Input: two relations.
  deals(opportunity_id, customer_id, rep, source, pipeline, amount_minor, currency, opened_us,
        closed_us, churned_us, nps, pos)   -- instants as microseconds since 1970; pos is the
                                          -- deal's input position (the last NPS of a customer wins)
  terms(opportunity_id, seq, amount_minor, currency)   -- the deal's terms in seq order; a deal
                                                      -- without terms has one: its amount

The result is one row per group (group, deals, retained, first-term, current, kept, lifetime,
booked and quality-booked minor units, NPS responders, promoters, detractors): the exact figures
bizrel.bridge.closed_loop.report_from_figures finishes. `store_relations` builds both relations
from a store's handoffs, the renewal chain of their subscriptions and the customers' "nps".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal

from bizrel.analytics.dialect import Dialect
from bizrel.bridge.closed_loop import band_labels
from bizrel.core.errors import ValidationError
from bizrel.core.money import Currency

__all__ = ["CURRENCIES", "closed_loop_query", "group_key", "store_relations"]

_DAY_US = 86_400_000_000

CURRENCIES = """
    WITH found AS (
        SELECT currency FROM deals WHERE currency IS NOT NULL
        UNION SELECT currency FROM terms WHERE currency IS NOT NULL
    )
    SELECT currency FROM found
"""
"""The distinct currencies of the deals and their terms (the caller refuses more than one)."""


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _banded(value: str, edges: Sequence[int], labels: list[str]) -> str:
    """CASE over the edges in the reference's order: the first edge the value is below."""
    whens = " ".join(f"WHEN {value} < {edge} THEN {_text(label)}" for edge, label in zip(edges, labels, strict=False))
    return f"CASE {whens} ELSE {_text(labels[-1])} END" if whens else _text(labels[-1])


def group_key(
    d: Dialect, by: str, currency: Currency | None, size_bands: Sequence[Decimal], cycle_bands: Sequence[int]
) -> str:
    """The group of a deal (a row of `deals`) as an SQL expression."""
    if by in ("rep", "source", "pipeline"):
        return by
    if by == "size":  # amount < edge  <=>  minor units < ceil(edge in minor units), exactly
        scale = Decimal(10) ** (currency.minor_units if currency is not None else 2)
        edges = [int((Decimal(edge) * scale).to_integral_value(ROUND_CEILING)) for edge in size_bands]
        return _banded("amount_minor", edges, band_labels(size_bands, ""))
    if by == "cycle":
        cycle = d.idiv(
            f"closed_us - opened_us - CASE WHEN closed_us < opened_us THEN {_DAY_US - 1} ELSE 0 END", str(_DAY_US)
        )
        return _banded(cycle, [int(c) for c in cycle_bands], band_labels([Decimal(c) for c in cycle_bands], "d"))
    raise ValidationError("by", by, "one of rep, source, pipeline, size, cycle")


def closed_loop_query(d: Dialect, group: str, quality_days: int) -> str:
    """The per-group figures; `group` from group_key."""
    wide = d.wide
    return f"""
    WITH tw AS (
        SELECT opportunity_id, amount_minor,
               ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY seq) AS k,
               COUNT(*) OVER (PARTITION BY opportunity_id) AS n
        FROM terms
    ),
    t AS (
        SELECT opportunity_id, SUM({wide("amount_minor")}) AS lifetime,
               MAX(CASE WHEN k = 1 THEN amount_minor END) AS first_minor,
               MAX(CASE WHEN k = n THEN amount_minor END) AS last_minor
        FROM tw GROUP BY opportunity_id
    ),
    dd AS (
        SELECT {group} AS grp, deals.customer_id, deals.nps, deals.pos, deals.churned_us, deals.amount_minor,
               COALESCE(t.first_minor, deals.amount_minor) AS first_minor,
               CASE WHEN deals.churned_us IS NOT NULL THEN 0
                    ELSE COALESCE(t.last_minor, deals.amount_minor) END AS current_minor,
               COALESCE(t.lifetime, {wide("deals.amount_minor")}) AS lifetime,
               CASE WHEN deals.churned_us IS NULL OR deals.churned_us > deals.closed_us + {quality_days * _DAY_US}
                    THEN deals.amount_minor ELSE 0 END AS quality_minor
        FROM deals LEFT JOIN t ON t.opportunity_id = deals.opportunity_id
    ),
    g AS (
        SELECT grp, COUNT(*) AS deals, SUM(CASE WHEN churned_us IS NULL THEN 1 ELSE 0 END) AS retained,
               SUM({wide("first_minor")}) AS start_minor, SUM({wide("current_minor")}) AS current_minor,
               SUM({wide("CASE WHEN current_minor < first_minor THEN current_minor ELSE first_minor END")})
                   AS kept_minor,
               SUM(lifetime) AS lifetime_minor, SUM({wide("amount_minor")}) AS bookings_minor,
               SUM({wide("quality_minor")}) AS quality_minor
        FROM dd GROUP BY grp
    ),
    latest AS (  -- each customer's NPS once per group: its last deal's (in input order) that has one
        SELECT grp, nps, ROW_NUMBER() OVER (PARTITION BY grp, customer_id ORDER BY pos DESC) AS r
        FROM dd WHERE nps IS NOT NULL
    ),
    s AS (
        SELECT grp, COUNT(*) AS responders, SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END) AS promoters,
               SUM(CASE WHEN nps <= 6 THEN 1 ELSE 0 END) AS detractors
        FROM latest WHERE r = 1 GROUP BY grp
    )
    SELECT g.grp, g.deals, g.retained, g.start_minor, g.current_minor, g.kept_minor, g.lifetime_minor,
           g.bookings_minor, g.quality_minor, s.responders, s.promoters, s.detractors
    FROM g LEFT JOIN s ON s.grp = g.grp
    """


def store_relations(d: Dialect, as_of_us: int) -> tuple[Mapping[str, tuple[str, str, str, tuple[object, ...]]], str]:
    """The views of a store's tables (for PushdownSession.query_tables) and the CTEs that derive
    `deals` and `terms` from them, as deal_outcomes() does: every handoff, the terms along its
    subscription's renewal chain (next_id), churned when a term churned by `as_of_us`, and the
    customer's integer "nps" attribute."""
    views: dict[str, tuple[str, str, str, tuple[object, ...]]] = {
        "h": (
            "opportunity_id, customer_id, subscription_id, closed_at, "
            f"{d.json_text('body', 'roles.sales_owner_id')} AS rep, {d.json_text('body', 'source')} AS source, "
            f"{d.json_text('body', 'pipeline_id')} AS pipeline, "
            f"CAST(REPLACE({d.json_text('body', 'amount.amount')}, '.', '') AS BIGINT) AS amount_minor, "
            f"{d.json_text('body', 'amount.currency')} AS currency, {d.json_instant('body', 'opened_at')} AS opened_at",
            "handoffs",
            "",
            (),
        ),
        "sub": (
            f"id, status, amount_minor, currency, {d.json_text('body', 'next_id')} AS next_id, "
            f"{d.json_instant('body', 'closed_at')} AS closed_at",
            "subscriptions",
            "",
            (),
        ),
        "cust": (f"id, {d.json_tagged_entry('body', 'attributes', 'nps', 'int')} AS nps", "customers", "", ()),
    }
    ctes = f"""
    chain AS (
        SELECT h.opportunity_id, 0 AS seq, sub.next_id, sub.status, sub.amount_minor, sub.currency,
               {d.epoch_us("sub.closed_at")} AS closed_us
        FROM h JOIN sub ON sub.id = h.subscription_id
        UNION ALL
        SELECT chain.opportunity_id, chain.seq + 1, sub.next_id, sub.status, sub.amount_minor, sub.currency,
               {d.epoch_us("sub.closed_at")}
        FROM chain JOIN sub ON sub.id = chain.next_id
    ),
    terms AS (SELECT opportunity_id, seq, amount_minor, currency FROM chain),
    churn AS (
        SELECT opportunity_id,
               MAX(CASE WHEN status = 'churned' AND closed_us <= {as_of_us} THEN closed_us END) AS churned_us
        FROM chain GROUP BY opportunity_id
    ),
    deals AS (
        SELECT h.opportunity_id, h.customer_id, h.rep, COALESCE(NULLIF(h.source, ''), 'unknown') AS source,
               h.pipeline, h.amount_minor, h.currency, {d.epoch_us("h.opened_at")} AS opened_us,
               {d.epoch_us("h.closed_at")} AS closed_us, churn.churned_us, cust.nps, 0 AS pos
        FROM h LEFT JOIN churn ON churn.opportunity_id = h.opportunity_id LEFT JOIN cust ON cust.id = h.customer_id
    )"""
    return views, ctes
