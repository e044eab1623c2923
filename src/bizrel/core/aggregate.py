"""The base of every persisted aggregate: tenant, id, version and the events it records."""

from __future__ import annotations

from attrs import define, field

from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId
from bizrel.core.primitives import Primitives

__all__ = ["Aggregate"]


@define(kw_only=True)
class Aggregate(Primitives):
    """An entity that is loaded and saved as a whole.

    `to_dict()` gives its JSON form for web APIs and `from_dict()` rebuilds an equal aggregate.

    `version` is owned by the store: it counts committed writes and guards against lost updates.
    """

    tenant_id: TenantId
    id: str
    version: int = field(default=0, eq=False)
    _events: list[DomainEvent] = field(factory=list, init=False, repr=False, eq=False)

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    def collect_events(self) -> list[DomainEvent]:
        """Hand over the recorded events (the unit of work calls this on commit)."""
        events, self._events = self._events, []
        return events

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._events)
