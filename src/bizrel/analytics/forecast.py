"""The weighted forecast over any input: the pure-Python reference for iterables of opportunities,
DuckDB for a columnar opportunities relation, and SQL push-down over the opportunities a SQLite or
PostgreSQL store holds. All three return the same Forecast, and the property tests prove it.

Columnar input is one relation (a DataFrame, Arrow table or Parquet/CSV path) with the
Opportunity's field names: id, owner_id, pipeline_id, stage, status ("open" | "won" | "lost"),
currency, amount_minor (integer minor units) or amount (DECIMAL), expected_close (a DATE), and
optionally closed_at (timezone-aware), forecast_override and probability (a DECIMAL between 0 and 1
that replaces the stage's probability where it is not null: the columnar form of the reference's
`probability` callable, which cannot run in SQL). Lines come back in the input's row order.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bizrel.adapters import Store
from bizrel.analytics.columnar import _amount_minor, _source, connect, is_columnar
from bizrel.analytics.dialect import DUCKDB, Dialect
from bizrel.analytics.forecast_sql import LIMB, MONTHS, Factors, factors, forecast_query
from bizrel.analytics.funnel import _columns
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown
from bizrel.core.clock import utc
from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import ValidationError
from bizrel.core.money import Currency, Money, to_decimal
from bizrel.core.periods import Period, PeriodKind
from bizrel.core.progress import Progress
from bizrel.sales import forecast as reference
from bizrel.sales.forecast import Forecast, ForecastLine, RateTable
from bizrel.sales.pipeline import ForecastCategory, Opportunity, Pipeline

__all__ = ["build_forecast"]

_PHASES = 3  # load and check, compute the lines, build the Forecast
_DECIMAL_SCALE = "DECIMAL("
_TOO_LARGE = "a converted or weighted amount exceeds 64-bit minor units (PostgreSQL push-down takes it)"


def build_forecast(
    opportunities: object,
    pipelines: Iterable[Pipeline] | Mapping[str, Pipeline],
    *,
    rates: RateTable,
    as_of: datetime,
    period_kind: PeriodKind | str = PeriodKind.QUARTER,
    start_month: int = 1,
    probability: Callable[[Opportunity], Decimal] | None = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> Forecast:
    """bizrel.sales.forecast.build_forecast for any input.

    `opportunities` is an iterable of Opportunity objects (the reference path), a DataFrame, Arrow
    table or Parquet/CSV path (the DuckDB engine; see the module docstring for the columns), or a
    Store with `tenant_id` (SQL push-down over the tenant's stored opportunities, in id order, as
    the repository lists them). A `probability` callable runs on the reference path only; give the
    engine a `probability` column instead.
    """
    by_id = dict(pipelines) if isinstance(pipelines, Mapping) else {p.id: p for p in pipelines}
    if not isinstance(opportunities, Store) and not is_columnar(opportunities):
        return reference.build_forecast(
            counted(opportunities, progress),  # type: ignore[arg-type]
            by_id,
            rates=rates,
            as_of=as_of,
            period_kind=period_kind,
            start_month=start_month,
            probability=probability,
        )
    if probability is not None:
        raise ValidationError(
            "probability", probability, "a callable cannot run in SQL: give the deals a 'probability' column"
        )
    at = utc(as_of, "as_of")
    kind = PeriodKind(period_kind)
    start_month = (start_month - 1) % 12 + 1  # the same (month - start_month) % 12 as the reference
    phases = Phases(progress, _PHASES)
    stages = [(p.id, s.name, s.probability, s.category.value) for p in by_id.values() for s in p.stages]
    stage_probabilities = [s[2] for s in stages]
    if isinstance(opportunities, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        with pushdown(opportunities, tenant_id) as session:
            d = session.dialect
            columns = (
                "id AS ord, id, owner_id, pipeline_id, stage, status, amount_minor, currency, expected_close, "
                f"closed_at, {d.json_text('body', 'forecast_override')} AS forecast_override"
            )
            phases.advance()
            sql = _sql(d, rates, stages, kind, start_month, factors(stage_probabilities), False)
            rows = session.query_tables({"opp": (columns, "opportunities", "", ())}, sql)
    else:
        con = connect()
        own = _load(con, opportunities, stage_probabilities, rates, allow_float_amounts)
        phases.advance()
        scale = factors(stage_probabilities, decimals=own if own is not None else 0)
        try:
            rows = con.execute(_sql(DUCKDB, rates, stages, kind, start_month, scale, own is not None)).fetchall()
        except importlib.import_module("duckdb").OutOfRangeException:
            raise ValidationError("amount", None, _TOO_LARGE) from None
    phases.advance()
    result = _forecast(rows, rates, kind, at, by_id)
    phases.advance()
    return result


def _sql(
    d: Dialect,
    rates: RateTable,
    stages: list[tuple[str, str, Decimal, str]],
    kind: PeriodKind,
    start_month: int,
    scale: Factors,
    own_probability: bool,
) -> str:
    base = rates.base
    factor = {
        code: to_decimal(rate, "rate").scaleb(base.minor_units - MINOR_UNITS[code])
        for code, rate in rates.rates.items()
    }
    factor[base.code] = Decimal(1)  # the reference returns base amounts unconverted
    return forecast_query(
        d,
        rates=factor,
        stages=stages,
        kind=kind,
        start_month=start_month,
        probability=scale,
        own_probability=own_probability,
    )


def _load(
    con: Any, data: object, stage_probabilities: list[Decimal], rates: RateTable, allow_float: bool
) -> int | None:
    """Create the view `opp` the SQL expects; return the probability column's decimals (None: no
    such column)."""
    _ordered_source(con, data)
    types = _columns(
        con,
        "src",
        ("id", "owner_id", "pipeline_id", "stage", "status", "currency", "expected_close"),
        ("closed_at",),
    )
    if types["expected_close"] not in ("DATE", '"NULL"'):  # "NULL": no values at all (an empty frame)
        raise ValidationError("expected_close", types["expected_close"], "needs a DATE column (dates, not timestamps)")
    bad = con.execute(
        "SELECT status FROM src WHERE status IS NULL OR CAST(status AS VARCHAR) NOT IN ('open', 'won', 'lost') LIMIT 1"
    ).fetchall()
    if bad:
        raise ValidationError("status", bad[0][0], "must be 'open', 'won' or 'lost'")
    scale = "CASE CAST(currency AS VARCHAR) " + " ".join(
        f"WHEN '{code}' THEN {10**units}" for code, units in sorted(MINOR_UNITS.items()) if units != 2
    )
    amount = _amount_minor(con, types, None, allow_float, scale=f"{scale} ELSE 100 END")

    def optional(name: str, kind: str) -> str:
        return f"CAST({name} AS {kind})" if name in types else f"CAST(NULL AS {kind})"

    decimals = _probability_decimals(con, types)
    own = ""
    if decimals is not None:
        shift, count = factors(stage_probabilities, decimals=decimals)
        digits = "CAST(replace(CAST(probability AS VARCHAR), '.', '') AS HUGEINT)"  # exact at `decimals`
        scaled = f"({digits} * CAST('{10 ** (6 * shift - decimals)}' AS HUGEINT))"
        own = ", CAST(probability AS VARCHAR) AS probability" + "".join(
            f", CAST({scaled} // CAST('{LIMB**j}' AS HUGEINT) % {LIMB} AS BIGINT) AS pl{j}" for j in range(count)
        )
    con.execute(
        "CREATE TEMP VIEW opp AS SELECT __row AS ord, CAST(id AS VARCHAR) AS id, "
        "CAST(owner_id AS VARCHAR) AS owner_id, CAST(pipeline_id AS VARCHAR) AS pipeline_id, "
        "CAST(stage AS VARCHAR) AS stage, CAST(status AS VARCHAR) AS status, "
        f"{amount} AS amount_minor, CAST(currency AS VARCHAR) AS currency, "
        "CAST(expected_close AS DATE) AS expected_close, "
        f"{optional('closed_at', 'TIMESTAMP WITH TIME ZONE')} AS closed_at, "
        f"{optional('forecast_override', 'VARCHAR')} AS forecast_override{own} FROM src"
    )
    return decimals


def _probability_decimals(con: Any, types: dict[str, str]) -> int | None:
    """The probability column's decimal places, once its type and range are checked."""
    kind = types.get("probability")
    if kind is None:
        return None
    if kind.startswith(_DECIMAL_SCALE):
        decimals = int(kind[len(_DECIMAL_SCALE) : -1].split(",")[1])
    elif kind in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        decimals = 0
    else:
        raise ValidationError("probability", kind, "probabilities must be a DECIMAL column (floats are not exact)")
    outside = con.execute("SELECT probability FROM src WHERE probability < 0 OR probability > 1 LIMIT 1").fetchall()
    if outside:
        raise ValidationError("probability", outside[0][0], "must be between 0 and 1")
    return decimals


def _ordered_source(con: Any, data: object) -> None:
    """The input as the view `src` with `__row`, its row number: lines come back in input order."""
    pyarrow = importlib.import_module("pyarrow")
    if isinstance(data, str | os.PathLike):
        path = os.fspath(data)
        if path.endswith((".parquet", ".pq")) and os.path.exists(path):
            con.read_parquet(path, file_row_number=True).create_view("src_file")
            con.execute("CREATE TEMP VIEW src AS SELECT *, file_row_number AS __row FROM src_file")
            return
        _source(con, path, "src_file")  # a CSV file: read once into Arrow, numbered there
        table = con.sql("SELECT * FROM src_file").to_arrow_table()  # insertion order kept
    elif type(data).__module__.startswith("pandas"):
        table = pyarrow.Table.from_pandas(data, preserve_index=False)
    elif type(data).__module__.startswith("polars"):
        table = data.to_arrow()  # type: ignore[attr-defined]
    else:
        table = data
    table = table.append_column("__row", pyarrow.array(range(table.num_rows), type=pyarrow.int64()))
    con.register("src", table)


def _forecast(
    rows: list[tuple[Any, ...]], rates: RateTable, kind: PeriodKind, at: datetime, pipelines: Mapping[str, Pipeline]
) -> Forecast:
    """The reference's Forecast built from the computed lines (the first refused deal raises the
    reference's error)."""
    base = rates.base
    periods: dict[int, Period] = {}
    probabilities: dict[str, Decimal] = {}
    categories = {c.value: c for c in ForecastCategory}

    def period(start: int, end: int) -> Period:
        found = periods.get(start)
        if found is None:
            found = periods[start] = Period(_day(start, kind), _day(end, kind), kind)
        return found

    def probability(text: str) -> Decimal:
        found = probabilities.get(text)
        if found is None:
            found = probabilities[text] = Decimal(text)
        return found

    lines = []
    won_lines = []
    for _, id, owner, status, start, end, category, p, amount, weighted, problem, *detail in rows:
        if problem is not None:
            _refuse(problem, id, detail, rates, pipelines)
        if status == "won":
            won_lines.append((owner, period(start, end), Money.from_minor(_int(amount), base)))
            continue
        lines.append(
            ForecastLine(
                opportunity_id=id,
                owner_id=owner,
                period=period(start, end),
                category=categories[category],
                probability=probability(p),
                amount=Money.from_minor(_int(amount), base),
                weighted=Money.from_minor(_int(weighted), base),
                overridden=detail[3] is not None,
            )
        )
    return Forecast(base, rates, kind, tuple(lines), tuple(won_lines), at)


def _day(index: int, kind: PeriodKind) -> date:
    index = int(index)
    return date(index // 12, index % 12 + 1, 1) if kind in MONTHS else date.fromordinal(index)


def _int(value: object) -> int:
    """An integer result (PostgreSQL NUMERIC arrives as Decimal); SQLite turns an integer overflow
    into a float, which is refused rather than rounded."""
    if type(value) is int:
        return value
    if isinstance(value, float):
        raise ValidationError("amount", value, _TOO_LARGE)
    return int(value)  # type: ignore[call-overload,no-any-return]


def _refuse(problem: str, id: str, detail: list[Any], rates: RateTable, pipelines: Mapping[str, Pipeline]) -> None:
    pipeline_id, stage, currency, override = detail
    if problem == "forecast_override":
        raise ValidationError("forecast_override", override, f"not one of {[c.value for c in ForecastCategory]}")
    if problem == "pipeline_id":
        raise ValidationError("pipeline_id", pipeline_id, f"pipeline of opportunity {id} not given")
    if problem == "stage":
        raise ValidationError("stage", stage, f"not a stage of pipeline {pipelines[pipeline_id].name!r}")
    if problem == "rates":
        Currency.of(currency)  # an unknown code is refused as such
        raise ValidationError("rates", currency, f"no rate to {rates.base.code} in the rate table")
    raise ValidationError("expected_close", None, f"opportunity {id} has no expected close date")
