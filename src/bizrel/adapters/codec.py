"""The store's JSON format for aggregate bodies and outbox events: bizrel.core.primitives' codec
with instants as fixed-width UTC text (which sorts and indexes as text), every dict as a list of
[key, value] pairs, and durations as seconds, as bodies have always been written.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from bizrel.adapters.event_names import current_type_name
from bizrel.adapters.schema import utc_text
from bizrel.core.events import DomainEvent
from bizrel.core.primitives import Codec

__all__ = ["STORAGE", "decode", "decode_event", "encode", "encode_event"]

T = TypeVar("T")


def _utc_datetime(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(UTC)


STORAGE = Codec(
    datetimes=(utc_text, _utc_datetime),
    timedeltas=(lambda td: td.total_seconds(), lambda s: timedelta(seconds=s)),
    object_keys=False,
)


def encode(value: Any) -> Any:
    """An attrs object as the JSON-ready dict stored in its row."""
    return STORAGE.encoder(cast(Any, type(value)))(value)


def decode(cls: type[T], data: Any) -> T:
    return STORAGE.decode(cls, data)


def encode_event(event: DomainEvent) -> tuple[str, dict[str, Any]]:
    return event.type_name(), encode(event)


def decode_event(type_name: str, payload: dict[str, Any]) -> DomainEvent:
    """Rebuild an event from the outbox; only DomainEvent subclasses can be named.

    A name the class had before it moved is resolved through `EVENT_ALIASES`.
    """
    module_name, _, qualname = current_type_name(type_name).partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, DomainEvent)):
        raise TypeError(f"{type_name} is not a DomainEvent")
    event: DomainEvent = decode(obj, payload)
    return event
