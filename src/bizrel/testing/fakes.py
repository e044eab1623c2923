"""Small fakes for tests of code built on bizrel."""

from __future__ import annotations

from bizrel.core.events import DomainEvent, MessageBus


class EventSpy:
    """Subscribes to every event on a bus and keeps what it saw, in order."""

    def __init__(self, bus: MessageBus, event_type: type[DomainEvent] = DomainEvent) -> None:
        self.events: list[DomainEvent] = []
        bus.subscribe(event_type, self.events.append)

    def of_type(self, event_type: type[DomainEvent]) -> list[DomainEvent]:
        return [e for e in self.events if isinstance(e, event_type)]
