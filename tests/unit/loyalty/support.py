"""Helpers shared by the loyalty tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bizrel.core import Money, tenant
from bizrel.customer.loyalty import Invoice, InvoiceLine, LoyaltyAccount, LoyaltyProgram

ProgramFactory = Callable[..., LoyaltyProgram]

START = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
TENANT = tenant("acme")


def invoice(pid: str, *amounts: str, paid: str | None = None, categories: tuple[str, ...] = ()) -> Invoice:
    """An invoice with one line per amount (ids l1, l2, ...), in USD."""
    return Invoice(
        id=pid,
        lines=tuple(
            InvoiceLine(id=f"l{i}", amount=Money(a, "USD"), category=categories[i - 1] if categories else "")
            for i, a in enumerate(amounts, 1)
        ),
        paid=Money(paid, "USD") if paid is not None else None,
    )


def member(program: LoyaltyProgram, at: datetime = START, customer: str = "cust-0001") -> LoyaltyAccount:
    return LoyaltyAccount.open(program, customer, at=at)


def race_redemptions(db: str, tenant_id: str, trials: int, name: str, barrier: Any, results: Any) -> None:
    """One of two OS processes: for each trial, load the member, spend 80, wait for the rival, commit.

    Both processes have read the same version before either commits, so one of them must hit the
    optimistic version check; it retries on fresh state and is refused for lack of points.
    """
    from bizrel.adapters import open_store
    from bizrel.core import ConcurrencyConflict, FixedClock
    from bizrel.customer.loyalty import InsufficientPoints, redeem_points

    with open_store(f"sqlite:///{db}", clock=FixedClock(START)) as store:
        for trial in range(trials):
            customer = f"cust-{trial:04d}"
            first = True
            conflicts = 0
            while True:
                try:
                    with store.unit_of_work(tenant_id) as uow:
                        redeem_points(uow, "club", customer, 80, key=f"{name}-{trial}")
                        if first:
                            first = False
                            barrier.wait()
                        uow.commit()
                    results.put((trial, name, "ok", conflicts))
                    break
                except ConcurrencyConflict:
                    conflicts += 1
                except InsufficientPoints:
                    if first:
                        barrier.wait()
                    results.put((trial, name, "refused", conflicts))
                    break
