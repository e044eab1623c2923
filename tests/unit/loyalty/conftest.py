"""Fixtures for the loyalty tests: a program builder, a clock and invoices."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bizrel.adapters import Store, open_store
from bizrel.core import FixedClock
from bizrel.customer.loyalty import LoyaltyProgram, Tier
from tests.unit.loyalty.support import START, TENANT, ProgramFactory


@pytest.fixture
def make_program() -> ProgramFactory:
    def build(**rules: Any) -> LoyaltyProgram:
        values: dict[str, Any] = {
            "tenant_id": TENANT,
            "id": "club",
            "name": "Club",
            "currency": "USD",
            "point_value": "0.01",
            "tiers": (Tier(name="basic", threshold=0),),
        }
        values.update(rules)
        return LoyaltyProgram(**values)

    return build


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Store]:
    s = open_store(request.param, clock=clock)
    yield s
    s.close()
