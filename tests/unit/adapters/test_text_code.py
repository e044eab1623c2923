"""The order-preserving text code that lets NUL and lone surrogates reach SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.adapters.postgres import pg_key, pg_text, pg_unkey, pg_value
from bizrel.adapters.schema import escape_text, portable_value
from bizrel.core.errors import ValidationError
from bizrel.sales import OpportunityStatus

ANY_CHAR = st.characters(exclude_categories=())  # surrogates and controls included
SPECIAL = st.sampled_from(
    ["\x00", "\x01", "\x02", "\ud7fe", "\ud7ff", "\ud800", "\udbff", "\udc00", "\udfff", "\ue000"]
)
TEXT = st.text(st.one_of(ANY_CHAR, SPECIAL), max_size=12)


def storable(value: str, nul: bool) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return nul or "\x00" not in value


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_keys_round_trip_and_are_storable(value: str) -> None:
    key = pg_key(value)
    assert pg_unkey(key) == value
    assert storable(key, nul=False)
    assert storable(escape_text(value), nul=True)


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_the_code_keeps_code_point_order_and_equality(a: str, b: str) -> None:
    for code in (pg_key, pg_text, pg_value, escape_text, portable_value):
        x, y = code(a), code(b)
        assert (x < y) == (a < b)
        assert (x == y) == (a == b)


@settings(max_examples=100, deadline=None)
@given(st.text(st.one_of(ANY_CHAR, SPECIAL), min_size=400, max_size=1200), TEXT)
def test_long_indexed_text_is_bounded_and_still_distinct(value: str, tail: str) -> None:
    stored = pg_text(value)
    assert len(stored) <= 500 + 2 + 64
    assert storable(stored, nul=False)
    assert (pg_text(value + tail) == stored) == (tail == "")


def test_plain_text_is_stored_as_is() -> None:
    for value in ("Acme", "Société Générale", "株式会社", "O'Brien; --", "\u202eevil"):
        assert pg_key(value) == value
        assert portable_value(value) == value


def test_values_are_typed_for_postgresql() -> None:
    berlin = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert pg_value(berlin) == berlin
    assert pg_value(berlin).tzinfo is UTC
    assert pg_value(OpportunityStatus.WON) == "won"
    assert pg_value(True) is True
    assert pg_value(date(2026, 1, 2)) == date(2026, 1, 2)
    assert pg_value(10**30) == 10**30
    with pytest.raises(ValidationError):
        pg_value(datetime(2026, 3, 2))
