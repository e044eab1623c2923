"""Where an event class stored under an older name lives now.

The outbox stores each event's class as `module:qualname` (`DomainEvent.type_name`). When a class
moves to another module, rows written before the move still carry the old name; this table maps
each old name to the current one so they decode. Entries are never removed: an outbox may hold a
row for as long as it is not dispatched. Each entry points at a current name (no chains).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["EVENT_ALIASES", "current_type_name"]

EVENT_ALIASES: Mapping[str, str] = MappingProxyType({})


def current_type_name(type_name: str) -> str:
    """The name an event class stored as `type_name` has today."""
    return EVENT_ALIASES.get(type_name, type_name)
