"""Attainment actuals (bookings, collections) as one SQL formulation, the rules of
bizrel.sales.attainment.

Input relations (the caller supplies them as views or as CTEs in `prelude`):
  cr(id, owner_id, at_us, amount_minor, currency)  -- the records that can count (won deals or
                                                   -- payments); at_us: microseconds since 1970 UTC
  sp(id, seq, owner_id, w)                         -- split credit: integer weights per deal id, ties
                                                   -- to the lowest seq (only when `split`)
  tm(person_id, team_id, lo_us, hi_us)             -- who was in which team: disjoint [lo, hi) per
                                                   -- person (only when `teams`)

A record counts when start_us <= at_us < end_us: the period's UTC midnights, so a timestamp counts
on its UTC calendar day as the reference decides it. A split record is divided by largest
remainder exactly as Money.allocate: floor(a * w / D) per rep (computed as (a div D) * w +
((a mod D) * w) div D, so no product exceeds D * D), then the units left over one each to the
largest remainders, ties to the lowest seq; a negative amount is the mirror image of its absolute
value. Result rows (kind, owner, label, a):

  credit    owner              a = credited minor units
  currency         code        a = counting records in that currency
  negative  owner  deal id     a = the weight (a negative or missing share)
  zero             deal id     a = 0 (every share of the deal is zero)
  duplicate owner  deal id     a = how many shares the rep has in the deal
"""

from __future__ import annotations

from bizrel.analytics.dialect import Dialect

__all__ = ["credits_query"]


def credits_query(d: Dialect, *, prelude: tuple[str, ...], start_us: int, end_us: int, split: bool, teams: bool) -> str:
    """The SQL, starting WITH; `prelude` holds CTE definitions the relations above need."""
    counting = f"""
    rec AS (
        SELECT id, owner_id, at_us, amount_minor, currency FROM cr WHERE at_us >= {start_us} AND at_us < {end_us}
    )"""
    if split:
        unsplit = "WHERE NOT EXISTS (SELECT 1 FROM sp WHERE sp.id = rec.id)"
        whole = d.idiv("a", "total_w")
        splitting = f""",
    shared AS (
        SELECT s.rid, s.at_us, sp.seq, sp.owner_id AS rep, sp.w,
               CASE WHEN s.amount_minor < 0 THEN -1 ELSE 1 END AS sgn, abs(s.amount_minor) AS a,
               NULLIF(SUM(sp.w) OVER (PARTITION BY s.rid), 0) AS total_w
        FROM (SELECT rec.*, ROW_NUMBER() OVER () AS rid FROM rec WHERE EXISTS (SELECT 1 FROM sp WHERE sp.id = rec.id)) s
        JOIN sp ON sp.id = s.id
    ),
    products AS (
        SELECT rid, at_us, seq, rep, sgn, a, total_w, {d.wide(whole)} * w AS whole_part,
               {d.wide(f"(a - {whole} * total_w)")} * w AS x
        FROM shared
    ),
    floored AS (
        SELECT rid, at_us, seq, rep, sgn, a, whole_part + {d.idiv("x", "total_w")} AS q,
               x - total_w * {d.idiv("x", "total_w")} AS r
        FROM products
    ),
    ranked AS (
        SELECT rep, at_us, sgn, q,
               a - SUM(q) OVER (PARTITION BY rid) AS leftover,
               ROW_NUMBER() OVER (PARTITION BY rid ORDER BY r DESC, seq) AS place
        FROM floored
    )"""
        split_parts = (
            "UNION ALL SELECT rep, at_us, sgn * (q + CASE WHEN place <= leftover THEN 1 ELSE 0 END) FROM ranked"
        )
        hit = "(SELECT sp.* FROM sp WHERE sp.id IN (SELECT id FROM rec))"
        checks = f"""
    UNION ALL
    SELECT 'negative', owner_id, id, w FROM {hit} h WHERE w < 0 OR w IS NULL
    UNION ALL
    SELECT 'zero', NULL, id, 0 FROM {hit} h GROUP BY id HAVING MAX(w) = 0
    UNION ALL
    SELECT 'duplicate', owner_id, id, COUNT(*) FROM {hit} h GROUP BY id, owner_id HAVING COUNT(*) > 1"""
    else:
        unsplit, splitting, split_parts, checks = "", "", "", ""
    if teams:
        credited = (
            "SELECT tm.team_id AS owner, part FROM parts "
            "JOIN tm ON tm.person_id = parts.rep AND parts.at_us >= tm.lo_us AND parts.at_us < tm.hi_us"
        )
    else:
        credited = "SELECT rep AS owner, part FROM parts"
    return f"""
    WITH {", ".join((*prelude, counting.strip()))}{splitting},
    parts AS (
        SELECT owner_id AS rep, at_us, amount_minor AS part FROM rec {unsplit}
        {split_parts}
    ),
    credited AS ({credited})
    SELECT 'credit' AS kind, owner, CAST(NULL AS TEXT) AS label, SUM({d.wide("part")}) AS a FROM credited GROUP BY owner
    UNION ALL
    SELECT 'currency', NULL, currency, COUNT(*) FROM rec GROUP BY currency{checks}
    """
