"""Attainment actuals (bookings, collections) as one SQL formulation, the rules of
bizrel.sales.attainment.

Input relations (the caller supplies them as views or as CTEs in `prelude`):
  cr(id, owner_id, at_us, amount_minor, currency)  -- the records that can count (won deals or
                                                   -- payments); at_us: microseconds since 1970 UTC
  sp(id, seq, owner_id, w)                         -- split credit: integer weights per deal id, ties
                                                   -- to the lowest seq (only when `split`)
  tm(person_id, span, lo_us, hi_us)                -- who was in a team when: disjoint [lo, hi) per
                                                   -- person, spans numbered in (person, lo) order
                                                   -- (only when `teams`; the caller knows each
                                                   -- span's team)

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
    rec AS MATERIALIZED (
        SELECT id, owner_id, at_us, amount_minor, currency FROM cr WHERE at_us >= {start_us} AND at_us < {end_us}
    )"""
    if split:
        split_ids = "(SELECT id FROM sp WHERE id IS NOT NULL)"  # an uncorrelated IN: one hash or index
        unsplit = f"WHERE rec.id IS NULL OR rec.id NOT IN {split_ids}"
        whole = d.idiv("a", "total_w")
        splitting = f""",
    shared AS MATERIALIZED (
        SELECT s.rid, s.id, s.at_us, sp.seq, sp.owner_id AS rep, sp.w,
               CASE WHEN s.amount_minor < 0 THEN -1 ELSE 1 END AS sgn, abs(s.amount_minor) AS a,
               NULLIF(SUM(sp.w) OVER (PARTITION BY s.rid), 0) AS total_w
        FROM (SELECT rec.*, ROW_NUMBER() OVER () AS rid FROM rec WHERE rec.id IN {split_ids}) s
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
        checks = """
    UNION ALL
    SELECT 'negative', rep, id, w FROM shared WHERE w < 0 OR w IS NULL
    UNION ALL
    SELECT 'zero', NULL, MIN(id), 0 FROM shared GROUP BY rid HAVING MAX(w) = 0
    UNION ALL
    SELECT 'duplicate', rep, MIN(id), COUNT(*) FROM shared GROUP BY rid, rep HAVING COUNT(*) > 1"""
    else:
        unsplit, splitting, split_parts, checks = "", "", "", ""
    if teams:
        # each part takes the latest span that started by its instant (a running maximum over the
        # person's spans and parts in time order: one sort, no range join, which SQLite would run
        # as nested loops) and counts if that span had not ended
        running = "OVER (PARTITION BY rep ORDER BY at_us, kind ROWS UNBOUNDED PRECEDING)"
        credited = f"""
        SELECT CAST(span AS TEXT) AS owner, part FROM (
            SELECT kind, at_us, part, MAX(span) {running} AS span, MAX(hi_us) {running} AS hi_us
            FROM (
                SELECT person_id AS rep, lo_us AS at_us, 0 AS kind, span, hi_us, CAST(NULL AS BIGINT) AS part
                FROM tm
                UNION ALL
                SELECT rep, at_us, 1, NULL, NULL, part FROM parts
            ) marks
        ) placed
        WHERE kind = 1 AND at_us < hi_us"""
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
