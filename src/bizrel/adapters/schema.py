"""Declarative table layout shared by every adapter.

An aggregate is stored as one row: tenant_id, id, version, the JSON body (the source of truth) and
indexed columns projected from it for filtering. Child tables hold append-style facts projected
from an aggregate (stage changes, ledger entries) so analytics can run in SQL. DDL for each
dialect is generated from these declarations; migrations are versioned and recorded.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Literal

from attrs import field, frozen

from bizrel.core.ids import tenant

__all__ = [
    "AggregateTable",
    "ChildTable",
    "Column",
    "Migration",
    "escape_text",
    "portable_value",
    "tenant_key",
    "utc_text",
]

ColumnType = Literal["text", "int", "timestamp", "date", "bool"]


@frozen
class Column:
    """An indexed column of an aggregate table, computed from the aggregate by `get`."""

    name: str
    type: ColumnType
    get: Callable[[Any], Any]


@frozen
class ChildTable:
    """Rows projected from an aggregate; primary key (tenant_id, parent_id, seq)."""

    name: str
    columns: tuple[tuple[str, ColumnType], ...]
    rows: Callable[[Any], Iterable[tuple[Any, ...]]]


@frozen
class AggregateTable:
    name: str
    cls: type
    kind: str
    columns: tuple[Column, ...] = ()
    children: tuple[ChildTable, ...] = ()
    column_names: frozenset[str] = field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "column_names", frozenset(c.name for c in self.columns) | {"id"})


@frozen
class Migration:
    """One step of the schema: tables to create and any extra statements per dialect."""

    version: int
    description: str
    tables: tuple[AggregateTable, ...] = ()
    statements: Mapping[str, tuple[str, ...]] = field(factory=dict)


@lru_cache(maxsize=1 << 16)
def utc_text(value: datetime) -> str:
    """Fixed-width UTC ISO text of an instant; cached, since one flush formats each instant for
    the body, the indexed columns, the child rows and the events alike."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


# -- text every database can store ------------------------------------------------------------
#
# UTF-8 text (SQLite) cannot hold lone surrogates, which JSON input can carry ("\ud800"), and
# PostgreSQL text cannot hold NUL either. Indexed text is written in a prefix-free code that keeps
# code point order, so filters stay exact and ORDER BY agrees on every adapter:
#   U+0000 -> U+0001 U+0001 and U+0001 -> U+0001 U+0002 (PostgreSQL only),
#   U+D7FF -> U+D7FF U+0001 and surrogate s -> U+D7FF chr(s - 0xD800 + 2); the rest unchanged.

UTF8_UNSAFE = re.compile("[\ud7ff-\udfff]")
NUL_OR_UTF8_UNSAFE = re.compile("[\x00\x01\ud7ff-\udfff]")


def _escape(match: re.Match[str]) -> str:
    o = ord(match.group())
    if o <= 1:
        return "\x01" + chr(o + 1)
    if o == 0xD7FF:
        return "\ud7ff\x01"
    return "\ud7ff" + chr(o - 0xD800 + 2)


def escape_text(value: str, unsafe: re.Pattern[str] = UTF8_UNSAFE) -> str:
    """`value` in the order-preserving code above (unchanged when nothing in it is unsafe)."""
    return unsafe.sub(_escape, value) if unsafe.search(value) else value


def tenant_key(tenant_id: str) -> str:
    """The tenant id as every adapter stores and binds it: the one check and the one encoding.

    The check is `bizrel.core.ids.tenant` (a ValidationError at the call for anything else); the
    code is the order-preserving one above, which is injective, so two different tenant ids never
    share a key. Every path (unit of work, push-down, bulk load, export, import, dispatch) binds
    this key and nothing else, so no path can reach a tenant by naming its stored form.
    """
    return escape_text(tenant(tenant_id), NUL_OR_UTF8_UNSAFE)


def portable_value(value: Any) -> Any:
    """A value as the memory and SQLite adapters store and compare it.

    Timestamps become fixed-width UTC text (microseconds always present), so text order is time
    order.
    """
    kind = type(value)
    if kind is str:
        return value if value.isascii() else escape_text(value)
    if kind is int or value is None:
        return value
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return int(value)
    return value


_TYPES: dict[str, dict[str, str]] = {
    "sqlite": {"text": "TEXT", "int": "INTEGER", "timestamp": "TEXT", "date": "TEXT", "bool": "INTEGER"},
    "postgres": {
        "text": 'TEXT COLLATE "C"',  # code point order, as SQLite and the memory adapter sort
        "int": "NUMERIC(38, 0)",
        "timestamp": "TIMESTAMPTZ",
        "date": "DATE",
        "bool": "BOOLEAN",
    },
}


def table_ddl(table: AggregateTable, dialect: str) -> list[str]:
    types = _TYPES[dialect]
    text = types["text"]
    cols = "".join(f", {c.name} {types[c.type]}" for c in table.columns)
    statements = [
        f"CREATE TABLE {table.name} (tenant_id {text} NOT NULL, id {text} NOT NULL, "
        f"version INTEGER NOT NULL, body TEXT NOT NULL{cols}, PRIMARY KEY (tenant_id, id))"
    ]
    statements += [
        f"CREATE INDEX ix_{table.name}_{c.name} ON {table.name} (tenant_id, {c.name})" for c in table.columns
    ]
    for child in table.children:
        child_cols = "".join(f", {name} {types[t]}" for name, t in child.columns)
        statements.append(
            f"CREATE TABLE {child.name} (tenant_id {text} NOT NULL, parent_id {text} NOT NULL, "
            f"seq INTEGER NOT NULL{child_cols}, PRIMARY KEY (tenant_id, parent_id, seq), "
            f"FOREIGN KEY (tenant_id, parent_id) REFERENCES {table.name} (tenant_id, id) "
            "ON DELETE CASCADE)"
        )
    return statements
