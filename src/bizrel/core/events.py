"""Domain events and the in-process message bus.

Aggregates record events while they change; the unit of work hands them to the bus only after the
transaction has committed, so a handler never sees an event whose change was rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from attrs import field, frozen

from bizrel.core.clock import utc
from bizrel.core.ids import TenantId, new_id
from bizrel.core.primitives import Primitives

__all__ = ["DomainEvent", "Handler", "MessageBus"]


def _occurred_at(value: datetime) -> datetime:
    return utc(value, "occurred_at")


@frozen(kw_only=True)
class DomainEvent(Primitives):
    """Something that happened in the domain. Subclasses add their own fields."""

    tenant_id: TenantId
    occurred_at: datetime = field(converter=_occurred_at)
    event_id: str = field(factory=new_id)

    @classmethod
    def type_name(cls) -> str:
        return f"{cls.__module__}:{cls.__qualname__}"


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]


class MessageBus:
    """Routes each event to the handlers subscribed to its class or any of its base classes."""

    def __init__(self) -> None:
        self._handlers: defaultdict[type[DomainEvent], list[Handler]] = defaultdict(list)
        self._resolved: dict[type[DomainEvent], list[Handler]] = {}

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        self._handlers[event_type].append(handler)
        self._resolved.clear()

    def handlers_for(self, event: DomainEvent) -> list[Handler]:
        kind = type(event)
        found = self._resolved.get(kind)
        if found is None:
            found = self._resolved[kind] = [h for cls in kind.__mro__ for h in self._handlers.get(cls, ())]
        return found

    def publish(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            for handler in self.handlers_for(event):
                handler(event)
