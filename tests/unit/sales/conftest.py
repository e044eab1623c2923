"""Fixtures for the sales-process tests: a fixed clock and a store per adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core.clock import FixedClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
URLS = ("memory://", "sqlite://")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(params=URLS)
def store(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Store]:
    s = open_store(request.param, clock=clock)
    yield s
    s.close()
