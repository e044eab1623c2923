"""The PostgreSQL store: opening, typed filters, versions, the outbox and the migrations."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from bizrel import FixedClock, Money
from bizrel.adapters import Store, open_store
from bizrel.adapters.postgres import PostgresBackend
from bizrel.core.errors import ConcurrencyConflict, MissingExtra, ValidationError
from bizrel.core.events import MessageBus
from bizrel.core.uow import ge, gt, lt, ne, one_of
from bizrel.sales import OpportunityOpened, services

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def seed(store: Store, tenant_id: str, count: int = 5) -> list[str]:
    """A pipeline and `count` opportunities created one day apart, amounts 100, 200, ..."""
    clock = store.clock
    assert isinstance(clock, FixedClock)
    ids = []
    with store.unit_of_work(tenant_id) as uow:
        services.create_pipeline(uow, id="p1", name="New business", stages=[("lead", "0.1"), ("won", "1")])
        for i in range(count):
            opp = services.open_opportunity(
                uow,
                id=f"o{i}",
                pipeline_id="p1",
                owner_id=f"rep{i % 2}",
                account_name=f"Account {i}",
                amount=Money(100 * (i + 1), "EUR"),
                expected_close=date(2026, 6, 1) + timedelta(days=i),
            )
            ids.append(opp.id)
            clock.advance(days=1)
        uow.commit()
    return ids


@pytest.fixture
def clocked(pg_url: str) -> Iterator[Store]:
    with open_store(pg_url, clock=FixedClock(START)) as store:
        yield store


def test_both_url_schemes_open_a_postgres_store(pg_url: str) -> None:
    for url in (pg_url, pg_url.replace("postgresql://", "postgres://", 1)):
        with open_store(url) as store:
            assert isinstance(store.backend, PostgresBackend)


def test_round_trip_keeps_the_aggregate(clocked: Store, tenant_id: str) -> None:
    seed(clocked, tenant_id, 2)
    with clocked.unit_of_work(tenant_id) as uow:
        opp = uow.opportunities.get("o1")
        assert opp.amount == Money(200, "EUR")
        assert opp.created_at == START + timedelta(days=1)
        assert opp.created_at.tzinfo is not None
        assert opp.expected_close == date(2026, 6, 2)
        assert opp.version == 1
        assert uow.pipelines.get("p1").name == "New business"


def test_filters_compare_typed_values(clocked: Store, tenant_id: str) -> None:
    seed(clocked, tenant_id)
    with clocked.unit_of_work(tenant_id) as uow:
        repo = uow.opportunities
        assert [o.id for o in repo.list(created_at=lt(START + timedelta(days=2)))] == ["o0", "o1"]
        assert [o.id for o in repo.list(created_at=ge(START + timedelta(hours=1)))] == ["o1", "o2", "o3", "o4"]
        assert [o.id for o in repo.list(expected_close=date(2026, 6, 3))] == ["o2"]
        assert repo.count(amount_minor=gt(30_000)) == 2
        assert repo.count(owner_id=one_of("rep1")) == 2
        assert repo.count(owner_id=ne("rep1")) == 3
        assert repo.count(closed_at=None) == 5
        assert [o.id for o in repo.list(order_by="-amount_minor", limit=2)] == ["o4", "o3"]
        assert repo.count(owner_id=one_of()) == 0


def test_another_tenant_sees_nothing(clocked: Store, tenant_id: str) -> None:
    seed(clocked, tenant_id, 1)
    with clocked.unit_of_work(tenant_id + "-other") as uow:
        assert uow.opportunities.find("o0") is None
        assert uow.opportunities.count() == 0


def test_stale_write_is_a_conflict_and_the_winner_stays(clocked: Store, tenant_id: str) -> None:
    seed(clocked, tenant_id, 1)
    a = clocked.unit_of_work(tenant_id)
    b = clocked.unit_of_work(tenant_id)
    with a, b:
        first, second = a.opportunities.get("o0"), b.opportunities.get("o0")
        first.account_name = "A"
        a.commit()
        second.account_name = "B"
        with pytest.raises(ConcurrencyConflict) as err:
            b.commit()
    assert err.value.key == "o0"
    with clocked.unit_of_work(tenant_id) as uow:
        stored = uow.opportunities.get("o0")
        assert (stored.account_name, stored.version) == ("A", 2)


def test_duplicate_id_is_a_conflict_naming_the_id(clocked: Store, tenant_id: str) -> None:
    seed(clocked, tenant_id, 1)
    with clocked.unit_of_work(tenant_id) as uow:
        services.create_pipeline(uow, id="p1", name="again", stages=[("lead", "0.5")])
        with pytest.raises(ConcurrencyConflict) as err:
            uow.commit()
    assert err.value.key == "p1"


def test_stage_history_lands_in_the_child_table(clocked: Store, tenant_id: str, pg_url: str) -> None:
    seed(clocked, tenant_id, 1)
    clocked.clock.advance(hours=3)  # type: ignore[attr-defined]
    with clocked.unit_of_work(tenant_id) as uow:
        services.advance_opportunity(uow, "o0", "won")
        uow.commit()
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT stage, entered_at FROM opportunity_stage_changes WHERE tenant_id = %s ORDER BY seq",
            (tenant_id,),
        ).fetchall()
    assert rows == [("lead", START), ("won", START + timedelta(days=1, hours=3))]


def test_events_are_delivered_after_commit_and_redelivered_after_a_failure(pg_url: str, tenant_id: str) -> None:
    bus = MessageBus()
    seen: list[str] = []
    failing = [True]

    def handler(event: OpportunityOpened) -> None:
        if failing[0]:
            raise RuntimeError("handler down")
        seen.append(event.opportunity_id)

    bus.subscribe(OpportunityOpened, handler)
    with open_store(pg_url, bus=bus, clock=FixedClock(START)) as store:
        seed(store, tenant_id, 2)
        assert seen == []
        failing[0] = False
        assert store.dispatch_pending(tenant_id) == 2
        assert sorted(seen) == ["o0", "o1"]
        assert store.dispatch_pending(tenant_id) == 0


def test_concurrent_dispatchers_claim_disjoint_events(pg_url: str, tenant_id: str) -> None:
    bus = MessageBus()
    bus.subscribe(OpportunityOpened, lambda e: None)
    with open_store(pg_url, bus=bus, clock=FixedClock(START)) as store:
        backend = store.backend
        assert isinstance(backend, PostgresBackend)
        with store.unit_of_work(tenant_id) as uow:
            services.create_pipeline(uow, id="p1", name="N", stages=[("lead", "0.1")])
            for i in range(6):
                services.open_opportunity(
                    uow,
                    id=f"o{i}",
                    pipeline_id="p1",
                    owner_id="rep",
                    account_name="A",
                    amount=Money(1, "EUR"),
                    expected_close=date(2026, 6, 1),
                )
            # keep the events pending: pretend delivery crashed before it could run
            store.deliver = lambda tenant, events: None  # type: ignore[method-assign]
            uow.commit()
        first = backend.pending_events(tenant_id, 4)
        second = backend.pending_events(tenant_id, 4)
        assert (len(first), len(second)) == (4, 2)
        assert not {e.event_id for e in first} & {e.event_id for e in second}
        assert backend.pending_events(tenant_id, 10) == []  # all claimed
        backend.mark_failed(tenant_id, first[0].event_id, "boom")
        again = backend.pending_events(tenant_id, 10)
        assert [e.event_id for e in again] == [first[0].event_id]
        assert again[0].attempts == 1


@pytest.mark.rule(
    "Opening applies the migrations in `bizrel.adapters.registry` that `schema_version` does not list "
    "yet, in one transaction that holds a transaction-level advisory lock, so processes that start "
    "together never race to create the schema."
)
def test_concurrent_openers_migrate_once(pg_new_database: Callable[[], str]) -> None:
    url = pg_new_database()
    errors: list[BaseException] = []

    def open_close() -> None:
        try:
            open_store(url).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_close) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    from bizrel.adapters.registry import MIGRATIONS

    assert versions == sorted(m.version for m in MIGRATIONS)


def test_url_options_are_checked(pg_url: str) -> None:
    with pytest.raises(ValidationError):
        open_store(pg_url + "?isolation=chaos")
    with pytest.raises(ValidationError):
        open_store(pg_url + "?row_level_security=maybe")
    with pytest.raises(ValidationError):
        open_store("sqlite://", row_level_security=True)
    with open_store(pg_url + "?isolation=repeatable_read&pool_max=2&application_name=bizrel-test") as store:
        backend = store.backend
        assert isinstance(backend, PostgresBackend)
        assert backend.isolation == "repeatable read"


def test_missing_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.delitem(sys.modules, "bizrel.adapters.postgres")
    with pytest.raises(MissingExtra, match=r"pip install 'bizrel\[postgres\]'"):
        importlib.import_module("bizrel.adapters.postgres")
    with pytest.raises(MissingExtra):
        open_store("postgresql://nobody@127.0.0.1:1/none")
