"""The forecast as one SQL formulation: the lines of bizrel.sales.forecast, every value computed in
the database with exact integer arithmetic.

Input relation:
  opp(ord, id, owner_id, pipeline_id, stage, status, amount_minor, currency, expected_close (a date),
      closed_at, forecast_override)  -- ord: the reference's input order
  and, when deals carry their own probability, probability (its text) and pl0..plN (its limbs)

The rate table, the pipelines' stages and the pipelines become small constant relations. A decimal
factor (a rate times 10**(base minor units - currency minor units), a probability) is stored as
the integer factor * 10**(6 * shift) split into base-10**6 limbs, low first, so that every database
multiplies exactly with 64-bit integers only (SQLite has no wider type): an amount is split into
limbs too, the partial products (each below 10**13) are summed per limb, the carries propagated,
and the quotient by 10**(6 * shift) rounded half-even from the remainder limbs: exactly
Money.of(amount * factor, rounding=ROUND_HALF_EVEN).

One row comes back per open deal and per won deal with a close time, in input order:
  (ord, id, owner_id, status, period_start, period_end, category, probability, amount, weighted,
   problem, pipeline_id, stage, currency)
period_start/end are month indexes (year * 12 + month - 1) for month-based kinds, date ordinals for
days and weeks; `problem` names the field the reference would refuse for that deal (else NULL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from bizrel.analytics.dialect import Dialect
from bizrel.core.money import EXACT
from bizrel.core.periods import PeriodKind

__all__ = ["LIMB", "MONTHS", "Factors", "factors", "forecast_query", "limbs", "product"]

LIMB = 10**6
_AMOUNT_LIMBS = 4  # |amount_minor| < 2**63 < 10**24
MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF: 6, PeriodKind.YEAR: 12}
CATEGORIES = ("commit", "best_case", "pipeline", "omitted")

Factors = tuple[int, int]  # (shift in limbs, limbs per factor)


def factors(values: Iterable[Decimal], *, decimals: int = 0) -> Factors:
    """The shared scale of some decimal factors (and of `decimals` more digits) and how many limbs
    the largest of them needs at that scale."""
    values = list(values)
    digits = max([decimals, *(max(0, -_exponent(v)) for v in values)])
    shift = -(-digits // 6)
    largest = max([1, *(abs(_scaled(v, shift)) for v in values)])
    return shift, max(shift + 1, -(-len(str(largest)) // 6))


def limbs(value: Decimal, scale: Factors) -> list[int]:
    scaled = _scaled(value, scale[0])
    return [scaled // LIMB**j % LIMB for j in range(scale[1])]


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite by construction
    return exponent


def _scaled(value: Decimal, shift: int) -> int:
    return int(value.scaleb(6 * shift, context=EXACT))


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _relation(columns: tuple[str, ...], rows: list[tuple[str, ...]], types: tuple[str, ...]) -> str:
    """A constant relation as typed SELECTs (a typed empty one for no rows)."""
    if not rows:
        return (
            "SELECT "
            + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in zip(columns, types, strict=True))
            + (" WHERE 1 = 0")
        )
    return " UNION ALL ".join(
        "SELECT " + ", ".join(f"CAST({v} AS {t}) AS {c}" for v, c, t in zip(row, columns, types, strict=True))
        for row in rows
    )


def product(d: Dialect, source: str, a: str, factor: list[str], shift: int, out: str) -> tuple[list[str], str]:
    """CTEs that add the column `out` = a * factor / 10**(6 * shift) rounded half-even, exactly, to
    the columns of `source`; `factor` names its limbs (low first, non-negative), at least shift + 1
    of them. Returns the CTEs and the name of the last. Each step is materialized: inlined, the
    databases would repeat the earlier steps' expressions wherever a later one uses them."""
    magnitude = f"abs({a})"
    x = [f"{out}_x{i}" for i in range(_AMOUNT_LIMBS)]
    split = ", ".join(
        f"{d.mod(magnitude if i == 0 else d.idiv(magnitude, str(LIMB**i)), str(LIMB))} AS {x[i]}"
        for i in range(_AMOUNT_LIMBS)
    )
    sums = [
        " + ".join(f"{x[i]} * {factor[k - i]}" for i in range(_AMOUNT_LIMBS) if 0 <= k - i < len(factor))
        for k in range(_AMOUNT_LIMBS + len(factor) - 1)
    ]
    c = [f"{out}_c{k}" for k in range(len(sums))]
    carry: str | None = None
    low = []
    for k in range(shift):
        total = c[k] if carry is None else f"({c[k]} + {carry})"
        low.append(d.mod(total, str(LIMB)))
        carry = d.idiv(total, str(LIMB))
    high = c[-1]
    for k in range(len(c) - 2, shift - 1, -1):  # Horner: overflows only if the result does
        high = f"({high} * {LIMB} + {c[k]})"
    quotient = high if carry is None else f"({high} + {carry})"
    top = low[-1] if low else "0"
    rest = " + ".join(low[:-1]) or "0"
    q, half = f"{out}_q", LIMB // 2
    round_up = f"{out}_top > {half} OR ({out}_top = {half} AND ({d.mod(q, '2')} = 1 OR {out}_rest > 0))"
    steps = [
        f"SELECT {source}.*, {split}, CASE WHEN {a} < 0 THEN -1 ELSE 1 END AS {out}_sign FROM {source}",
        f"SELECT {out}_1.*, " + ", ".join(f"{s} AS {name}" for s, name in zip(sums, c, strict=True)) + f" FROM {out}_1",
        f"SELECT {out}_2.*, {quotient} AS {q}, {top} AS {out}_top, {rest} AS {out}_rest FROM {out}_2",
        f"SELECT {out}_3.*, ({q} + CASE WHEN {round_up} THEN 1 ELSE 0 END) * {out}_sign AS {out} FROM {out}_3",
    ]
    return [f"{out}_{n + 1} AS MATERIALIZED ({step})" for n, step in enumerate(steps)], f"{out}_4"


def _period(d: Dialect, kind: PeriodKind, start_month: int) -> tuple[str, str, str]:
    """(anchor of the day, period start, period end) as integer expressions over `day`/`anchor`."""
    if kind is PeriodKind.DAY:
        return d.ordinal("day"), "anchor", "anchor + 1"
    if kind is PeriodKind.WEEK:
        start = f"(anchor - {d.mod('anchor - 1', '7')})"  # ordinal 1 is a Monday
        return d.ordinal("day"), start, f"{start} + 7"
    length = MONTHS[kind]
    offset = d.mod(d.mod(f"anchor - {start_month - 1}", "12"), str(length))
    return d.date_month_index("day"), f"(anchor - {offset})", f"(anchor - {offset} + {length})"


def forecast_query(
    d: Dialect,
    *,
    rates: Mapping[str, Decimal],
    stages: list[tuple[str, str, Decimal, str]],
    kind: PeriodKind,
    start_month: int,
    probability: Factors,
    own_probability: bool,
) -> str:
    """The SQL. `rates`: currency -> factor to the base in base minor units per minor unit (the base
    itself included); `stages`: (pipeline id, stage, probability, category) of every given
    pipeline; `probability`: the probabilities' scale (the input's pl0..plN use it when
    `own_probability`)."""
    rate_scale = factors(rates.values())
    rate_columns = tuple(f"r{j}" for j in range(rate_scale[1]))
    rate_rows = [(_text(code), *map(str, limbs(rate, rate_scale))) for code, rate in sorted(rates.items())]
    rate_relation = _relation(("currency", *rate_columns), rate_rows, ("TEXT",) + ("BIGINT",) * len(rate_columns))
    p_columns = tuple(f"q{j}" for j in range(probability[1]))
    stage_rows = [
        (_text(pipeline), _text(name), _text(str(p)), _text(category), *map(str, limbs(p, probability)))
        for pipeline, name, p, category in stages
    ]
    stage_relation = _relation(
        ("pipeline_id", "name", "probability", "category", *p_columns),
        stage_rows,
        ("TEXT",) * 4 + ("BIGINT",) * len(p_columns),
    )
    pipeline_ids = sorted({s[0] for s in stages})
    pipeline_relation = _relation(("id",), [(_text(p),) for p in pipeline_ids], ("TEXT",))
    own = ", probability" + "".join(f", pl{j}" for j in range(probability[1])) if own_probability else ""
    if own_probability:
        p_text = "COALESCE(deal.probability, stages.probability)"
        p_limbs = ", ".join(f"COALESCE(deal.pl{j}, stages.q{j}) AS f{j}" for j in range(probability[1]))
    else:
        p_text = "stages.probability"
        p_limbs = ", ".join(f"stages.q{j} AS f{j}" for j in range(probability[1]))
    anchor, start, end = _period(d, kind, start_month)
    rate_limbs = ", ".join(f"rates.{c}" for c in rate_columns)
    categories = ", ".join(_text(c) for c in CATEGORIES)
    converted, last = product(d, "joined", "amount_minor", list(rate_columns), rate_scale[0], "amount")
    weighing, last = product(d, last, "amount", [f"f{j}" for j in range(probability[1])], probability[0], "weighted")
    steps = ",\n    ".join(converted + weighing)
    return f"""
    WITH rates AS ({rate_relation}),
    stages AS ({stage_relation}),
    pipelines AS ({pipeline_relation}),
    deal AS (
        SELECT ord, id, owner_id, status, pipeline_id, stage, currency, amount_minor, forecast_override{own},
               CASE WHEN status = 'won' THEN {d.local_date("closed_at", "UTC")} ELSE expected_close END AS day
        FROM opp WHERE status = 'open' OR (status = 'won' AND closed_at IS NOT NULL)
    ),
    joined AS (
        SELECT deal.ord, deal.id, deal.owner_id, deal.status, deal.pipeline_id, deal.stage, deal.currency,
               deal.amount_minor, deal.forecast_override, deal.day, {anchor} AS anchor,
               rates.currency AS rated, {rate_limbs}, pipelines.id AS known_pipeline,
               stages.category AS stage_category, {p_text} AS probability, {p_limbs}
        FROM deal
        LEFT JOIN rates ON rates.currency = deal.currency
        LEFT JOIN pipelines ON deal.status = 'open' AND pipelines.id = deal.pipeline_id
        LEFT JOIN stages ON deal.status = 'open' AND stages.pipeline_id = deal.pipeline_id AND stages.name = deal.stage
    ),
    {steps}
    SELECT ord, id, owner_id, status, {start} AS period_start, {end} AS period_end,
           COALESCE(forecast_override, stage_category) AS category, probability, amount,
           CASE WHEN status = 'open' THEN weighted END AS weighted,
           CASE WHEN status = 'open' AND forecast_override IS NOT NULL AND forecast_override NOT IN ({categories})
                THEN 'forecast_override'
                WHEN status = 'open' AND known_pipeline IS NULL THEN 'pipeline_id'
                WHEN status = 'open' AND stage_category IS NULL THEN 'stage'
                WHEN rated IS NULL THEN 'rates'
                WHEN day IS NULL THEN 'expected_close' END AS problem,
           pipeline_id, stage, currency, forecast_override
    FROM {last} ORDER BY ord
    """
