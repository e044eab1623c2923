"""Shared plumbing of the customer analytics: reading plain records and showing results as tables.

Analytics accept mappings or objects, so a notebook user can pass dicts, dataclasses, named tuples
or domain objects alike; a missing field is a ValidationError naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bizrel.core.errors import ValidationError
from bizrel.core.report import html_table, text_table

__all__ = ["Tabular", "check_aware", "field_getter", "pct", "read_field"]

_MISSING = object()


def read_field(record: object, name: str) -> Any:
    """record[name] for a mapping, record.name for anything else."""
    value = record.get(name, _MISSING) if isinstance(record, Mapping) else getattr(record, name, _MISSING)
    if value is _MISSING:
        raise ValidationError(name, record, f"record has no field {name!r}")
    return value


def field_getter(*names: str) -> Callable[[object], tuple[Any, ...]]:
    """A fast reader of several fields, specialised per record type on first sight.

    Used on the hot paths (a million transactions): itemgetter/attrgetter run in C, and the
    mapping-or-object decision is taken once per type instead of once per record.
    """
    from operator import attrgetter, itemgetter

    by_type: dict[type, Callable[[object], tuple[Any, ...]]] = {}

    def safe(record: object) -> tuple[Any, ...]:
        return tuple(read_field(record, n) for n in names)

    def get(record: object) -> tuple[Any, ...]:
        reader = by_type.get(type(record))
        if reader is None:
            fast: Callable[[Any], Any]
            fast = itemgetter(*names) if isinstance(record, Mapping) else attrgetter(*names)
            by_type[type(record)] = reader = _with_fallback(fast, safe, len(names))
        return reader(record)

    return get


def _with_fallback(
    fast: Callable[[Any], Any], safe: Callable[[object], tuple[Any, ...]], count: int
) -> Callable[[object], tuple[Any, ...]]:
    def read(record: object) -> tuple[Any, ...]:
        try:
            values = fast(record)
        except (KeyError, AttributeError):
            return safe(record)  # raises the ValidationError naming the missing field
        return values if count > 1 else (values,)

    return read


def check_aware(value: object, field: str) -> datetime:
    """A datetime with a usable time zone, or a ValidationError naming `field`."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, value, "expected a timezone-aware datetime")
    return value


class Tabular:
    """__str__ and _repr_html_ for a result that can lay itself out as a titled table."""

    def _table(self) -> tuple[Sequence[str], Sequence[Sequence[object]], str]:
        raise NotImplementedError

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def pct(value: object) -> str:
    """A Decimal fraction in [0, 1] as a percentage for people; n/a when undefined."""
    return "n/a" if value is None else f"{value * 100:.1f}%"  # type: ignore[operator]
