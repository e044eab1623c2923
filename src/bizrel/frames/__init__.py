"""DataFrame export for analysts: any bizrel result with `to_rows()` becomes a pandas or polars frame.

pandas and polars are optional (`pip install 'bizrel[frames]'`) and imported only when called.
Decimal values stay Decimal (an object column in pandas, a Decimal column in polars): exact.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from bizrel.core.errors import MissingExtra

__all__ = ["HasRows", "to_pandas", "to_polars"]


class HasRows(Protocol):
    """Anything whose rows become a DataFrame: a result with `to_rows()`."""

    def to_rows(self) -> list[dict[str, Any]]: ...


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{module} export", "frames") from None


def to_pandas(result: HasRows) -> Any:
    """A pandas.DataFrame with one row per result row."""
    return _require("pandas").DataFrame.from_records(result.to_rows())


def to_polars(result: HasRows) -> Any:
    """A polars.DataFrame with one row per result row."""
    return _require("polars").DataFrame(result.to_rows(), infer_schema_length=None)
