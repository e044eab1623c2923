"""bulk_load: large histories through COPY, with the guarantees of a unit of work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from bizrel import FixedClock, Money
from bizrel.adapters import Store, open_store
from bizrel.adapters.postgres import bulk_load
from bizrel.core.errors import ConcurrencyConflict, ValidationError
from bizrel.core.events import MessageBus
from bizrel.core.ids import TenantId
from bizrel.sales import Opportunity, OpportunityOpened, Pipeline, Stage

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
STAGES = ("lead", "qualified", "proposal", "won")


def pipeline(tenant: str) -> Pipeline:
    return Pipeline(
        tenant_id=TenantId(tenant), id="p", name="P", stages=tuple(Stage(s, f"0.{i + 1}") for i, s in enumerate(STAGES))
    )


def history(tenant: str, count: int, prefix: str = "o") -> list[Opportunity]:
    """Opportunities moved through a random-looking but fixed number of stages, some won."""
    p = pipeline(tenant)
    result = []
    for i in range(count):
        at = START + timedelta(hours=i)
        opp = Opportunity.open(
            tenant_id=TenantId(tenant), id=f"{prefix}{i}", pipeline=p, owner_id=f"rep{i % 3}",
            account_name=f"Account {i} 'quoted'\x00", amount=Money.from_minor(1000 + i, "EUR"),
            expected_close=date(2025, 12, 31), at=at,
        )  # fmt: skip
        for stage in STAGES[1 : 1 + i % 3]:
            at += timedelta(days=1)
            opp.advance(p, stage, at)
        if i % 4 == 0:
            opp.win(at + timedelta(days=1))
        result.append(opp)
    return result


def stored(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_a_bulk_history_reads_back_like_a_unit_of_work_wrote_it(pg_url: str, tenant_id: str) -> None:
    bus = MessageBus()
    opened: list[str] = []
    bus.subscribe(OpportunityOpened, lambda e: opened.append(e.opportunity_id))
    loaded = history(tenant_id, 40)
    expected_stage_rows = sum(len(o.history) for o in loaded)
    progress: list[int] = []
    with open_store(pg_url, bus=bus, clock=FixedClock(START)) as store:
        assert bulk_load(store, tenant_id, "opportunity", loaded, progress=progress.append) == 40
        assert all(o.version == 1 and not o.pending_events for o in loaded)
        assert sorted(opened) == sorted(o.id for o in loaded)
        with store.unit_of_work(tenant_id) as uow:
            for original in loaded:
                assert uow.opportunities.get(original.id) == original
            assert uow.opportunities.count(status="won") == 10
            first = uow.opportunities.get("o1")
            first.account_name = "renamed"
            uow.commit()
            assert first.version == 2
        assert store.dispatch_pending(tenant_id) == 0
    rows = stored(pg_url, "SELECT count(*) FROM opportunity_stage_changes WHERE tenant_id = %s", tenant_id)
    assert rows == [(expected_stage_rows,)]
    events = stored(pg_url, "SELECT count(*) FROM outbox WHERE tenant_id = %s AND dispatched_at IS NULL", tenant_id)
    assert events == [(0,)]


@pytest.fixture
def store(pg_url: str) -> Store:
    with open_store(pg_url, clock=FixedClock(START)) as store:
        yield store  # type: ignore[misc]


def nothing_written(url: str, tenant: str) -> bool:
    return all(
        stored(url, f"SELECT count(*) FROM {table} WHERE tenant_id = %s", tenant) == [(0,)]
        for table in ("opportunities", "opportunity_stage_changes", "outbox")
    )


def test_an_existing_id_fails_the_whole_batch(store: Store, pg_url: str, tenant_id: str) -> None:
    bulk_load(store, tenant_id, "opportunities", history(tenant_id, 3))
    with pytest.raises(ConcurrencyConflict):
        bulk_load(store, tenant_id, "opportunity", history(tenant_id, 5))
    assert stored(pg_url, "SELECT count(*) FROM opportunities WHERE tenant_id = %s", tenant_id) == [(3,)]


def test_bad_input_is_refused_before_anything_is_written(store: Store, pg_url: str, tenant_id: str) -> None:
    with pytest.raises(ValidationError, match="tenant_id"):
        bulk_load(store, tenant_id, "opportunity", [*history(tenant_id, 3), *history(tenant_id + "x", 1, "z")])
    with pytest.raises(ValidationError, match="aggregate"):
        bulk_load(store, tenant_id, "opportunity", [*history(tenant_id, 2), pipeline(tenant_id)])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="table"):
        bulk_load(store, tenant_id, "invoices", [])
    assert nothing_written(pg_url, tenant_id)
    with open_store("memory://") as memory, pytest.raises(ValidationError, match="PostgreSQL"):
        bulk_load(memory, tenant_id, "opportunity", [])


def test_bulk_load_under_row_level_security(rls_app_url: str, tenant_id: str) -> None:
    with open_store(rls_app_url, row_level_security=True, clock=FixedClock(START)) as store:
        assert bulk_load(store, tenant_id, "opportunity", history(tenant_id, 5)) == 5
        with store.unit_of_work(tenant_id) as uow:
            assert uow.opportunities.count() == 5
