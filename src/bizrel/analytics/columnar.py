"""Columnar inputs (pandas, polars, Arrow, Parquet or CSV files) as a DuckDB relation `tx`.

Column names follow the reference records: `customer_id`, `occurred_at` (timezone-aware),
`currency`, and either `amount_minor` (integer minor units) or `amount` (a DECIMAL column). A float
amount column is refused, because binary floats are not exact money, unless the caller opts in to
rounding floats half-even to the currency's minor unit.
"""

from __future__ import annotations

import importlib
import os
from datetime import datetime
from typing import Any

from attrs import frozen

from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import CurrencyMismatch, MissingExtra, ValidationError

__all__ = ["TxStats", "connect", "is_columnar", "load_responses", "load_transactions", "python_values"]

_FRAME_MODULES = ("pandas", "polars", "pyarrow")
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}


def is_columnar(data: object) -> bool:
    """A DataFrame, an Arrow table or a file path (the inputs the engine serves)."""
    if isinstance(data, str | os.PathLike):
        return True
    return type(data).__module__.split(".")[0] in _FRAME_MODULES


_DATABASE: dict[str, Any] = {}


def connect() -> Any:
    """A connection of its own (own temp views and registered frames) to the process's in-memory
    DuckDB database: opening a database costs tens of milliseconds, a cursor on it microseconds."""
    database = _DATABASE.get("memory")
    if database is None:
        try:
            duckdb = importlib.import_module("duckdb")
        except ImportError:
            raise MissingExtra("the columnar analytics engine", "analytics") from None
        database = _DATABASE["memory"] = duckdb.connect()
    return database.cursor()


def _source(con: Any, data: object, name: str = "src", position: str | None = None) -> None:
    """Register the input as `name`; with `position`, plus that column numbering the rows in input
    order (a scan's order is not guaranteed to survive DuckDB's parallel operators)."""
    if isinstance(data, str | os.PathLike) and (position is None or _is_parquet(data)):
        relation = _file(con, data, numbered=position is not None)
        if position is None:
            relation.create_view(name)
        else:
            relation.create_view(f"{name}_file")
            con.execute(f"CREATE TEMP VIEW {name} AS SELECT * RENAME (file_row_number AS {position}) FROM {name}_file")
    elif position is not None:
        pyarrow = importlib.import_module("pyarrow")
        table = _arrow(con, data)
        con.register(name, table.append_column(position, pyarrow.array(range(table.num_rows), pyarrow.int64())))
    elif type(data).__module__.startswith("pandas"):
        # DuckDB scans Arrow in parallel and pandas object columns one row at a time
        pyarrow = importlib.import_module("pyarrow")
        con.register(name, pyarrow.Table.from_pandas(data, preserve_index=False))
    else:
        con.register(name, data)


def _is_parquet(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path).endswith((".parquet", ".pq"))


def _file(con: Any, data: str | os.PathLike[str], *, numbered: bool = False) -> Any:
    path = os.fspath(data)
    if not os.path.exists(path):
        raise ValidationError("data", path, "no such file")
    if _is_parquet(path):
        return con.read_parquet(path, file_row_number=numbered)
    return con.read_csv(path)


def _arrow(con: Any, data: object) -> Any:
    """The input as one Arrow table (a CSV file read whole: its reader numbers no rows)."""
    pyarrow = importlib.import_module("pyarrow")
    if isinstance(data, str | os.PathLike):
        return _file(con, data).to_arrow_table()
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pyarrow.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()  # type: ignore[attr-defined]
    return pyarrow.table(data)


@frozen
class TxStats:
    """What one scan of the loaded transactions tells the analytics before they run."""

    currency: str | None
    rows: int
    latest: datetime | None


def load_transactions(con: Any, data: object, *, allow_float_amounts: bool = False) -> TxStats:
    """Create the view `tx` over the input and check it in one scan: one currency, a known one."""
    _source(con, data)
    types = {name: str(kind).upper() for name, kind, *_ in con.execute("DESCRIBE src").fetchall()}
    for required in ("customer_id", "occurred_at", "currency"):
        if required not in types:
            raise ValidationError(required, sorted(types), f"the input needs a {required!r} column")
    if types["occurred_at"] != "TIMESTAMP WITH TIME ZONE":
        raise ValidationError(
            "occurred_at", types["occurred_at"], "needs timezone-aware timestamps (e.g. pandas tz_localize('UTC'))"
        )
    exponent = 2
    if "amount_minor" not in types:  # converting an amount column needs the currency first
        exponent = MINOR_UNITS.get(_single_currency(con, "src") or "", 2)
    con.execute(
        "CREATE TEMP VIEW tx AS SELECT CAST(customer_id AS VARCHAR) AS customer_id, occurred_at, "
        f"{_amount_minor(con, types, exponent, allow_float_amounts)} AS amount_minor, "
        "CAST(currency AS VARCHAR) AS currency FROM src"
    )
    low, high, rows, latest = con.execute(
        "SELECT MIN(currency), MAX(currency), COUNT(*), MAX(occurred_at) FROM tx"
    ).fetchall()[0]
    if low != high:
        raise CurrencyMismatch("currency", str(low), str(high))
    if low is not None and low not in MINOR_UNITS:
        raise ValidationError("currency", low, "not an active ISO 4217 code")
    return TxStats(low, int(rows), latest)


def _single_currency(con: Any, relation: str) -> str | None:
    found = [row[0] for row in con.execute(f"SELECT DISTINCT currency FROM {relation} ORDER BY 1 LIMIT 2").fetchall()]
    if len(found) > 1:
        raise CurrencyMismatch("currency", str(found[0]), str(found[1]))
    return found[0] if found else None


def _amount_minor(
    con: Any,
    types: dict[str, str],
    exponent: int | None,
    allow_float: bool,
    relation: str = "src",
    *,
    scale: str | None = None,
) -> str:
    """amount_minor as SQL over `relation`; `scale` (10**exponent, or an SQL expression giving each
    row's scale when the rows are in several currencies) converts an amount column."""
    if "amount_minor" in types:
        if types["amount_minor"] not in _INTEGER:
            raise ValidationError("amount_minor", types["amount_minor"], "amount_minor must be an integer column")
        return "CAST(amount_minor AS BIGINT)"
    if "amount" not in types:
        raise ValidationError("amount", sorted(types), "the input needs an 'amount' or 'amount_minor' column")
    kind = types["amount"]
    if scale is None:
        scale = str(10 ** (exponent or 0))
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        if not allow_float:
            raise ValidationError(
                "amount",
                kind,
                "floats are not exact money: pass integer minor units as 'amount_minor', a Decimal column, "
                "or allow_float_amounts=True to round half-even to the currency's minor unit",
            )
        return f"CAST(round_even(amount * {scale}, 0) AS BIGINT)"
    if kind.startswith("DECIMAL") or kind in _INTEGER:
        inexact = con.execute(
            f"SELECT amount FROM {relation} WHERE amount * {scale} <> CAST(amount * {scale} AS HUGEINT) LIMIT 1"
        ).fetchall()
        if inexact:
            digits = "minor unit" if exponent is None else str(exponent)
            raise ValidationError("amount", inexact[0][0], f"more decimal places than the currency's {digits}")
        return f"CAST(amount * {scale} AS BIGINT)"
    raise ValidationError("amount", kind, "amount must be a DECIMAL or integer column (or amount_minor)")


def python_values(column: Any) -> list[Any]:
    """An Arrow result column as Python values, through numpy: several times faster than
    fetchall() on large results. DuckDB's HUGEINT sums arrive as DECIMAL(38, 0) and stay exact
    ints (through int64 when they fit)."""
    pyarrow = importlib.import_module("pyarrow")
    if pyarrow.types.is_decimal(column.type):
        try:
            column = column.cast(pyarrow.int64())
        except pyarrow.ArrowInvalid:
            return [None if v is None else int(v) for v in column.to_pylist()]
    if column.null_count:  # numpy would turn integers with nulls into floats
        values: list[Any] = column.to_pylist()
        return values
    values = column.to_numpy(zero_copy_only=False).tolist()
    return values


def load_responses(con: Any, data: object, *, segment: str | None = None) -> None:
    """Create the view `rs(score, responded_at[, segment])` over survey responses.

    Scores must be an integer column (a float 9.0 is not a score); responded_at must be
    timezone-aware. Scores off the scale are refused by the caller, on the aggregated counts."""
    if segment is not None and not segment.isidentifier():
        raise ValidationError("segment", segment, "the segment must name a column of the input")
    _source(con, data)
    types = {name: str(kind).upper() for name, kind, *_ in con.execute("DESCRIBE src").fetchall()}
    for required in ("score", "responded_at", *(() if segment is None else (segment,))):
        if required not in types:
            raise ValidationError(required, sorted(types), f"the input needs a {required!r} column")
    if types["score"] not in _INTEGER:
        raise ValidationError("score", types["score"], "scores must be an integer column")
    if types["responded_at"] != "TIMESTAMP WITH TIME ZONE":
        raise ValidationError(
            "responded_at", types["responded_at"], "needs timezone-aware timestamps (e.g. pandas tz_localize('UTC'))"
        )
    grouped = "" if segment is None else f', CAST("{segment}" AS VARCHAR) AS segment'
    con.execute(f"CREATE TEMP VIEW rs AS SELECT CAST(score AS BIGINT) AS score, responded_at{grouped} FROM src")
