"""Time comes in through a Clock so that every time-dependent rule can be tested without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bizrel.core.errors import ValidationError

__all__ = ["Clock", "FixedClock", "SystemClock", "aware", "local_date", "utc", "zone"]


class Clock(Protocol):
    """Where the time comes from: injected, so that time-dependent rules are tested without sleeping."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._now = utc(at, "at")

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = utc(at, "at")

    def advance(self, delta: timedelta | None = None, /, **units: float) -> datetime:
        """Move forward by a timedelta or by keyword units (days=3, hours=2)."""
        self._now += delta if delta is not None else timedelta(**units)
        return self._now


def aware(value: object, field: str) -> datetime:
    """Refuse naive datetimes (and non-datetimes): ambiguity about time zones is a bug magnet."""
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "expected a timezone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field, value, "naive datetime: attach a time zone")
    return value


def utc(value: object, field: str) -> datetime:
    """An aware datetime converted to UTC, the form bizrel stores."""
    return aware(value, field).astimezone(UTC)


def zone(name: str, field: str = "timezone") -> tzinfo:
    """An IANA time zone by name, or a ValidationError naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(field, name, "unknown IANA time zone") from None


def local_date(at: datetime, tz: tzinfo) -> date:
    """The calendar date of an instant as seen in a time zone."""
    return aware(at, "at").astimezone(tz).date()
