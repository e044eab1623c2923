"""Persistence protocols: repositories and the unit of work.

The domain and its services depend on these protocols only; adapters (memory, SQLite,
PostgreSQL) satisfy them structurally.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from attrs import frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.ids import TenantId

__all__ = ["Cmp", "Repository", "UnitOfWork", "ge", "gt", "le", "lt", "ne", "one_of"]

A = TypeVar("A", bound=Aggregate)


@frozen
class Cmp:
    """A comparison in a repository filter: `list(due_at=lt(now))`."""

    op: str  # one of < <= > >= != in
    value: Any


def lt(value: Any) -> Cmp:
    """A repository filter: the field is less than `value`."""
    return Cmp("<", value)


def le(value: Any) -> Cmp:
    """A repository filter: the field is at most `value`."""
    return Cmp("<=", value)


def gt(value: Any) -> Cmp:
    """A repository filter: the field is greater than `value`."""
    return Cmp(">", value)


def ge(value: Any) -> Cmp:
    """A repository filter: the field is at least `value`."""
    return Cmp(">=", value)


def ne(value: Any) -> Cmp:
    """A repository filter: the field differs from `value`."""
    return Cmp("!=", value)


def one_of(*values: Any) -> Cmp:
    """A repository filter: the field is one of `values`."""
    return Cmp("in", tuple(values))


class Repository(Protocol[A]):
    """Tenant-scoped access to one kind of aggregate inside a unit of work."""

    def get(self, id: str) -> A:
        """The aggregate, or NotFound (also when it belongs to another tenant)."""
        ...

    def find(self, id: str) -> A | None: ...

    def add(self, aggregate: A) -> None:
        """Stage a new aggregate; it is inserted on commit."""
        ...

    def add_many(self, aggregates: Sequence[A]) -> None: ...

    def list(self, *, order_by: str | None = None, limit: int | None = None, **filters: Any) -> list[A]:
        """Aggregates whose indexed fields match every filter (a value, or a Cmp)."""
        ...

    def count(self, **filters: Any) -> int: ...


class UnitOfWork(Protocol):
    """One transaction: use as a context manager, call commit(); leaving without commit rolls back."""

    tenant_id: TenantId

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
