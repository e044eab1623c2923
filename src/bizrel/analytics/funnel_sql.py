"""The funnel as one SQL formulation, the same definitions as bizrel.sales.funnel.

Input: two relations.
  opp(id, pipeline_id, status, amount_minor, currency, created_at, closed_at, lost_reason)
  sc(opportunity_id, seq, stage, entered_at)  -- one row per stage change; a deal's history is its
                                              -- rows ordered by seq, then entered_at, then stage order

Every timestamp becomes integer microseconds since 1970 first (Dialect.epoch_us), so the range and
as-of bounds are integer literals and every duration is exact. The database aggregates; the result
is a handful of rows in one layout (kind, k, label, a, b, c, d, e, f):

  reached   k            a = deals reaching stage k (k = stage count: "won"), b = their amount_minor
  entered   k            a = deals whose first entry into stage k (a stage they were in, not one
                         they skipped) is in the range, b = of those, deals that went further
  duration  k            a = count, b/c = sum in whole seconds / leftover microseconds (exact in
                         64 bits), d/e = the lower and upper middle values; k = -1 is the sales cycle
  totals                 a = deals created in the range, b = of those, open, c = won, d = lost (closed in
                         the range), e = won amount, f = lost amount
  reason    label        a = deals lost for that reason
  currency  label        a = deals in that currency (more than one row is a currency mismatch)
  stage     label        a = stage changes to a stage the pipeline does not have
  pipeline  label        a = opportunities of another pipeline

Means and medians are finished exactly in Python from these sums and middle values.
"""

from __future__ import annotations

from bizrel.analytics.dialect import Dialect

__all__ = ["CYCLE", "funnel_query"]

CYCLE = -1  # the `k` of the sales-cycle durations
_SECOND = 1_000_000


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def funnel_query(
    d: Dialect,
    *,
    pipeline_id: str,
    stages: tuple[str, ...],
    start_us: int | None,
    end_us: int | None,
    as_of_us: int | None,
) -> str:
    """The SQL; the bounds are microseconds since 1970 (None: unbounded)."""
    n = len(stages)

    def in_range(x: str) -> str:
        tests = [f"{x} >= {start_us}"] if start_us is not None else []
        tests += [f"{x} < {end_us}"] if end_us is not None else []
        return " AND ".join(tests) or "1 = 1"

    stage_index = "CASE stage " + " ".join(f"WHEN {_text(s)} THEN {k}" for k, s in enumerate(stages)) + " END"
    if as_of_us is None:
        closed, status, known = "closed_us", "status", ""
    else:  # as of an instant: later closes are still open, later deals and changes unknown
        closed = f"CASE WHEN closed_us > {as_of_us} THEN NULL ELSE closed_us END"
        status = f"CASE WHEN closed_us > {as_of_us} THEN 'open' ELSE status END"
        known = f"WHERE created_us <= {as_of_us} AND entered_us <= {as_of_us}"
    closed_in_range = f"closed_us IS NOT NULL AND {in_range('closed_us')}"
    created_in_range = in_range("created_us")
    won = f"status = 'won' AND {closed_in_range}"
    lost = f"status NOT IN ('open', 'won') AND {closed_in_range}"
    order = "ORDER BY seq, entered_us, k"
    whole_partition = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"  # one sort for all windows
    ks = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(n + 1))
    whole = d.idiv("us", str(_SECOND))
    reason = "COALESCE(NULLIF(lost_reason, ''), 'unknown')"
    # one join (each stage change with its deal, the lost reason carried along), then windows per
    # deal: no join of large intermediate results, which SQLite would run as nested loops and
    # PostgreSQL, before its statistics exist, as a nested loop over the deals
    return f"""
    WITH h AS (
        SELECT id, stage, k, seq, entered_us, currency, amount_minor, created_us,
               {closed} AS closed_us, {status} AS status, lost_reason
        FROM (
            SELECT sc.opportunity_id AS id, sc.stage, {stage_index} AS k, sc.seq,
                   {d.epoch_us("sc.entered_at")} AS entered_us, opp.currency, opp.amount_minor,
                   COALESCE(opp.status, '') AS status, {d.epoch_us("opp.created_at")} AS created_us,
                   {d.epoch_us("opp.closed_at")} AS closed_us,
                   CASE WHEN opp.status NOT IN ('open', 'won') THEN opp.lost_reason END AS lost_reason
            FROM sc JOIN opp ON opp.id = sc.opportunity_id
        ) x {known}
    ),
    e AS MATERIALIZED (
        SELECT *,
               LEAD(entered_us) OVER (PARTITION BY id {order}) AS next_us,
               ROW_NUMBER() OVER (PARTITION BY id, k ORDER BY seq, entered_us) AS visit,
               CASE WHEN status = 'won' AND closed_us IS NOT NULL THEN {n}
                    ELSE MAX(k) OVER (PARTITION BY id {order} {whole_partition}) END AS furthest
        FROM h
    ),
    deals AS MATERIALIZED (
        SELECT id, currency, amount_minor, created_us, closed_us, status, furthest,
               k AS last_k, entered_us AS last_us, lost_reason
        FROM e WHERE next_us IS NULL
    ),
    durations AS (
        SELECT k, next_us - entered_us AS us FROM e WHERE next_us IS NOT NULL AND {in_range("next_us")}
        UNION ALL
        SELECT last_k, closed_us - last_us FROM deals WHERE {closed_in_range}
        UNION ALL
        SELECT {CYCLE}, closed_us - created_us FROM deals WHERE {won}
    ),
    ranked AS (
        SELECT k, us, ROW_NUMBER() OVER (PARTITION BY k ORDER BY us) AS rn, COUNT(*) OVER (PARTITION BY k) AS cnt
        FROM durations
    ),
    firsts AS (
        SELECT k, furthest, COUNT(*) AS c FROM e WHERE visit = 1 AND k IS NOT NULL AND {in_range("entered_us")}
        GROUP BY k, furthest
    ),
    far AS (
        SELECT furthest, COUNT(*) AS c, SUM(amount_minor) AS s FROM deals WHERE {in_range("created_us")}
        GROUP BY furthest
    ),
    ks AS ({ks})
    SELECT 'reached' AS kind, ks.k, CAST(NULL AS TEXT) AS label, SUM(far.c) AS a, SUM(far.s) AS b,
           CAST(NULL AS BIGINT) AS c, CAST(NULL AS BIGINT) AS d, CAST(NULL AS BIGINT) AS e,
           CAST(NULL AS BIGINT) AS f
    FROM ks JOIN far ON far.furthest >= ks.k GROUP BY ks.k
    UNION ALL
    SELECT 'entered', k, NULL, SUM(c), SUM(CASE WHEN k < furthest THEN c ELSE 0 END), NULL, NULL, NULL, NULL
    FROM firsts GROUP BY k
    UNION ALL
    SELECT 'duration', k, NULL, MAX(cnt), SUM({whole}), SUM(us - {_SECOND} * {whole}),
           SUM(CASE WHEN rn = {d.idiv("cnt + 1", "2")} THEN us END),
           SUM(CASE WHEN rn = {d.idiv("cnt", "2")} + 1 THEN us END), NULL
    FROM ranked GROUP BY k
    UNION ALL
    SELECT 'totals', NULL, NULL, SUM(CASE WHEN {created_in_range} THEN 1 ELSE 0 END),
           SUM(CASE WHEN status = 'open' AND {created_in_range} THEN 1 ELSE 0 END),
           SUM(CASE WHEN {won} THEN 1 ELSE 0 END), SUM(CASE WHEN {lost} THEN 1 ELSE 0 END),
           SUM(CASE WHEN {won} THEN amount_minor ELSE 0 END), SUM(CASE WHEN {lost} THEN amount_minor ELSE 0 END)
    FROM deals
    UNION ALL
    SELECT 'reason', NULL, {reason}, COUNT(*), NULL, NULL, NULL, NULL, NULL
    FROM deals WHERE {lost} GROUP BY {reason}
    UNION ALL
    SELECT 'currency', NULL, currency, COUNT(*), NULL, NULL, NULL, NULL, NULL FROM deals GROUP BY currency
    UNION ALL
    SELECT 'stage', NULL, MIN(stage), COUNT(*), NULL, NULL, NULL, NULL, NULL FROM e WHERE k IS NULL HAVING COUNT(*) > 0
    UNION ALL
    SELECT 'pipeline', NULL, MIN(pipeline_id), COUNT(*), NULL, NULL, NULL, NULL, NULL
    FROM opp WHERE pipeline_id <> {_text(pipeline_id)} HAVING COUNT(*) > 0
    """
