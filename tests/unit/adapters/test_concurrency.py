"""Concurrent writers: no lost update on any adapter, and PostgreSQL's own conflicts reported as such."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest

from bizrel import FixedClock, Money
from bizrel.adapters import Store, StoreUnitOfWork, open_store, retrying
from bizrel.core.errors import ConcurrencyConflict
from bizrel.sales import services

THREADS = 8
INCREMENTS = 125  # per thread: 1,000 in total


def start(store: Store, tenant_id: str) -> None:
    with store.unit_of_work(tenant_id) as uow:
        services.create_pipeline(uow, id="p", name="P", stages=[("lead", "0.1")])
        for id in ("a", "b"):
            services.open_opportunity(
                uow, id=id, pipeline_id="p", owner_id="rep", account_name="Acme",
                amount=Money(0, "EUR"), expected_close=date(2026, 12, 31),
            )  # fmt: skip
        uow.commit()


def increment(uow: StoreUnitOfWork) -> None:
    opportunity = uow.opportunities.get("a")
    opportunity.amount = opportunity.amount + Money.from_minor(1, "EUR")


def hammer(store: Store, tenant_id: str, threads: int, each: int) -> list[ConcurrencyConflict]:
    """Run `threads` x `each` increments of opportunity "a", each in its own retried unit of work."""
    conflicts: list[ConcurrencyConflict] = []
    failures: list[BaseException] = []
    gate = threading.Barrier(threads)

    def worker() -> None:
        gate.wait()
        try:
            for _ in range(each):
                retrying(store, tenant_id, increment, attempts=200, backoff=0.0005,
                         on_conflict=lambda c, n: conflicts.append(c))  # fmt: skip
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            failures.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert failures == []
    return conflicts


def amount_of(store: Store, tenant_id: str, id: str) -> Money:
    with store.unit_of_work(tenant_id) as uow:
        return uow.opportunities.get(id).amount


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    clock = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))
    url = {"memory": "memory://", "sqlite": "sqlite://"}.get(request.param)
    if url is None:
        url = request.getfixturevalue("pg_url")
    with open_store(url, clock=clock) as store:
        yield store


def test_a_thousand_racing_increments_lose_nothing(any_store: Store, tenant_id: str) -> None:
    start(any_store, tenant_id)
    conflicts = hammer(any_store, tenant_id, THREADS, INCREMENTS)
    assert amount_of(any_store, tenant_id, "a") == Money.from_minor(THREADS * INCREMENTS, "EUR")
    if not any_store.url.startswith("memory"):  # the memory lock makes races rare, not impossible
        assert conflicts, "the writers never raced: the test proves nothing"
    with any_store.unit_of_work(tenant_id) as uow:
        assert uow.opportunities.get("a").version == 1 + THREADS * INCREMENTS


def test_repeatable_read_serialization_failures_are_conflicts(pg_url: str, tenant_id: str) -> None:
    with open_store(pg_url + "?isolation=repeatable_read", clock=FixedClock(datetime(2026, 1, 5, tzinfo=UTC))) as s:
        start(s, tenant_id)
        conflicts = hammer(s, tenant_id, 4, 25)
        assert amount_of(s, tenant_id, "a") == Money.from_minor(100, "EUR")
    assert any(c.key == "40001" for c in conflicts)


def test_a_deadlock_is_a_conflict_for_exactly_one_writer(pg_url: str, tenant_id: str) -> None:
    with open_store(pg_url, clock=FixedClock(datetime(2026, 1, 5, tzinfo=UTC))) as store:
        start(store, tenant_id)
        gate = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def writer(name: str, first: str, second: str) -> None:
            with store.unit_of_work(tenant_id) as uow:
                uow.opportunities.get(first).account_name = name
                uow.opportunities.count()  # flushes: this unit now holds the lock on `first`
                gate.wait()
                uow.opportunities.get(second).account_name = name
                try:
                    uow.commit()
                    outcomes[name] = "committed"
                except ConcurrencyConflict as exc:
                    outcomes[name] = str(exc.key)

        threads = [
            threading.Thread(target=writer, args=("x", "a", "b")),
            threading.Thread(target=writer, args=("y", "b", "a")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes.values()) == ["40P01", "committed"]
        winner = next(name for name, outcome in outcomes.items() if outcome == "committed")
        with store.unit_of_work(tenant_id) as uow:
            assert {uow.opportunities.get(i).account_name for i in ("a", "b")} == {winner}


def test_two_terminal_moves_race_and_exactly_one_wins(pg_url: str, tenant_id: str) -> None:
    with open_store(pg_url, clock=FixedClock(datetime(2026, 1, 5, tzinfo=UTC))) as store:
        start(store, tenant_id)
        gate = threading.Barrier(2)
        results: list[str] = []

        def close(action: Callable[[StoreUnitOfWork], object], name: str) -> None:
            with store.unit_of_work(tenant_id) as uow:
                action(uow)
                gate.wait()
                try:
                    uow.commit()
                    results.append(name)
                except ConcurrencyConflict:
                    results.append("conflict")

        threads = [
            threading.Thread(target=close, args=(lambda u: services.win_opportunity(u, "a"), "won")),
            threading.Thread(target=close, args=(lambda u: services.lose_opportunity(u, "a", "budget"), "lost")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) in (["conflict", "won"], ["conflict", "lost"])
        with store.unit_of_work(tenant_id) as uow:
            assert uow.opportunities.get("a").status.value == next(r for r in results if r != "conflict")
