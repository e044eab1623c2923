"""The base of every result people look at: JSON form and DataFrames.

A result lays itself out as rows (`to_rows()`); `to_pandas()` and `to_polars()` are
shortcuts for the conversions in `bizrel.frames`, the edge layer that owns the optional DataFrame
libraries: it is loaded on the call, so the domain neither imports nor needs pandas, polars or
pyarrow, and a missing extra is a MissingExtra error that names the pip command.
"""

from __future__ import annotations

import importlib
from typing import Any

from bizrel.core.primitives import Primitives

__all__ = ["Result"]


def _frames(name: str) -> Any:
    return getattr(importlib.import_module("bizrel.frames"), name)


class Result(Primitives):
    """`to_dict()`/`from_dict()` plus DataFrame conversions of `to_rows()`; adds no state."""

    __slots__ = ()

    def to_rows(self) -> list[Any]:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def to_pandas(self) -> Any:
        """A pandas.DataFrame of `to_rows()`, Decimals kept exact."""
        return _frames("to_pandas")(self)

    def to_polars(self) -> Any:
        """A polars.DataFrame of `to_rows()`, Decimals kept exact."""
        return _frames("to_polars")(self)
