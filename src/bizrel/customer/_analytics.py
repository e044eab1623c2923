"""Shared plumbing of the customer analytics: reading plain records and showing results as tables.

Analytics accept mappings or objects, so a notebook user can pass dicts, dataclasses, named tuples
or domain objects alike; a missing field is a ValidationError naming it.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any

from bizrel.core.errors import ValidationError
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result

__all__ = ["Tabular", "check_aware", "fields_getter", "pct", "read_field", "read_fields"]

_MISSING = object()


def read_field(record: object, name: str) -> Any:
    """record[name] for a mapping, record.name for anything else."""
    value = record.get(name, _MISSING) if isinstance(record, Mapping) else getattr(record, name, _MISSING)
    if value is _MISSING:
        raise ValidationError(name, record, f"record has no field {name!r}")
    return value


def fields_getter(record: object, names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A C-level reader of several fields for records of the same kind as `record`.

    Hot loops (a million transactions) pick one per record type and call it directly; when it
    raises KeyError or AttributeError they call `read_fields`, which names the missing field.
    """
    getter: Callable[[Any], tuple[Any, ...]] = itemgetter(*names) if isinstance(record, Mapping) else attrgetter(*names)
    return getter


def read_fields(record: object, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(read_field(record, n) for n in names)


def check_aware(value: object, field: str) -> datetime:
    """A datetime with a usable time zone, or a ValidationError naming `field`."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, value, "expected a timezone-aware datetime")
    return value


class Tabular(Result, abc.ABC):
    """__str__ and _repr_html_ for a result that can lay itself out as a titled table (and, as a
    Result, its JSON form and DataFrames)."""

    @abc.abstractmethod
    def _table(self) -> tuple[Sequence[str], Sequence[Sequence[object]], str]:
        """Headers, rows and a title."""

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def pct(value: object) -> str:
    """A Decimal fraction in [0, 1] as a percentage for people; n/a when undefined."""
    return "n/a" if value is None else f"{value * 100:.1f}%"  # type: ignore[operator]
