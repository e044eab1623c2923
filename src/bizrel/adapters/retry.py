"""Rerun a whole unit of work when another writer won the race.

A stale write (ConcurrencyConflict: a version moved, a serialization failure, a deadlock) is only
safe to retry from the start: the function reads again, decides again and writes again. Retrying
a single statement would write a decision based on what the first attempt read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from bizrel.adapters.store import Store
from bizrel.adapters.unit_of_work import StoreUnitOfWork
from bizrel.core.errors import ConcurrencyConflict, ValidationError

__all__ = ["retrying"]

T = TypeVar("T")


def retrying(
    store: Store,
    tenant_id: str,
    fn: Callable[[StoreUnitOfWork], T],
    *,
    attempts: int = 5,
    backoff: float = 0.002,
    max_backoff: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_conflict: Callable[[ConcurrencyConflict, int], None] | None = None,
) -> T:
    """Run `fn(uow)` in a fresh unit of work and commit; on ConcurrencyConflict start over.

    At most `attempts` runs; between them a pause drawn uniformly from [0, min(max_backoff,
    backoff * 2**attempt)) seconds ("full jitter") lets the winner finish. `on_conflict(error, attempt)` is
    told about every conflict; the last one is raised when attempts run out. Works on every store.
    """
    if not isinstance(attempts, int) or attempts < 1:
        raise ValidationError("attempts", attempts, "must be a positive int")
    jitter = rng if rng is not None else random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            with store.unit_of_work(tenant_id) as uow:
                result = fn(uow)
                uow.commit()
                return result
        except ConcurrencyConflict as conflict:
            if on_conflict is not None:
                on_conflict(conflict, attempt)
            if attempt >= attempts:
                raise
            sleep(jitter.uniform(0, min(max_backoff, backoff * 2**attempt)))
