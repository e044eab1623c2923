"""`retrying` reruns a whole unit of work on a conflict, a bounded number of times, on every adapter."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel import FixedClock
from bizrel.adapters import StoreUnitOfWork, open_store, retrying
from bizrel.core.errors import ConcurrencyConflict, ValidationError
from bizrel.sales import services


@pytest.mark.parametrize("url", ["memory://", "sqlite://"])
@settings(max_examples=25, deadline=None)
@given(failures=st.integers(0, 6), attempts=st.integers(1, 6))
def test_attempts_are_counted_exactly_and_failed_attempts_leave_nothing(url: str, failures: int, attempts: int) -> None:
    calls: list[int] = []
    pauses: list[float] = []

    def work(uow: StoreUnitOfWork) -> str:
        calls.append(len(calls) + 1)
        services.create_pipeline(uow, id=f"p{len(calls)}", name="P", stages=[("lead", "0.1")])
        if len(calls) <= failures:
            raise ConcurrencyConflict("pipeline", "injected", 0)
        return "done"

    with open_store(url, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))) as store:
        if failures < attempts:
            result = retrying(store, "t", work, attempts=attempts, backoff=0.01, sleep=pauses.append,
                              rng=random.Random(1))  # fmt: skip
            assert result == "done"
            assert calls == list(range(1, failures + 2))
        else:
            with pytest.raises(ConcurrencyConflict):
                retrying(store, "t", work, attempts=attempts, sleep=pauses.append)
            assert len(calls) == attempts
        with store.unit_of_work("t") as uow:
            stored = [p.id for p in uow.pipelines.list()]
    assert stored == ([f"p{failures + 1}"] if failures < attempts else [])
    assert len(pauses) == min(failures, attempts - 1)
    assert all(0 <= p <= min(0.05, 0.01 * 2 ** (i + 1)) for i, p in enumerate(pauses))


def test_other_errors_are_not_retried() -> None:
    calls = []

    def work(uow: StoreUnitOfWork) -> None:
        calls.append(1)
        raise ValidationError("x", 1, "no")

    with open_store("memory://") as store, pytest.raises(ValidationError):
        retrying(store, "t", work, attempts=5)
    assert calls == [1]


def test_attempts_must_be_positive() -> None:
    with open_store("memory://") as store, pytest.raises(ValidationError):
        retrying(store, "t", lambda uow: None, attempts=0)
