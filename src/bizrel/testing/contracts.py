"""The persistence contract: what every adapter must do, checked the same way for each.

Subclass `StoreContract` in a test module (its name must start with `Test`) and implement `open`;
file-backed adapters also implement `reopen` so durability across a restart is checked:

    class TestMyAdapter(StoreContract):
        def open(self, clock):
            return open_store("myadapter://...", clock=clock)

Each test uses its own tenant ids, so an adapter may share one database between tests.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.core.clock import Clock, FixedClock
from bizrel.core.errors import ConcurrencyConflict, NotFound, ValidationError
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.core.uow import ge, gt, lt, ne, one_of
from bizrel.customer.purchases import record_purchase
from bizrel.sales import (
    Opportunity,
    OpportunityOpened,
    OpportunityWon,
    Pipeline,
    Stage,
    advance_opportunity,
    create_pipeline,
    open_opportunity,
    win_opportunity,
)
from bizrel.testing.fakes import EventSpy
from bizrel.testing.strategies import opportunities, pipelines

__all__ = ["START", "AdapterContract", "PurchaseContract", "StoreContract", "fresh_tenant"]

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_tenants = itertools.count()


def fresh_tenant() -> TenantId:
    """A tenant id no other test in this process uses."""
    return TenantId(f"tenant-{next(_tenants)}")


class AdapterContract(abc.ABC):
    """What every contract needs: the adapter's store on a fixed clock, closed after the test."""

    @abc.abstractmethod
    def open(self, clock: Clock) -> Store:
        """A store of the adapter under test."""

    def reopen(self, store: Store, clock: Clock) -> Store | None:
        """The same database opened again after `store` is closed; None when not durable."""
        return None

    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock(START)

    @pytest.fixture
    def store(self, clock: FixedClock) -> Iterator[Store]:
        store = self.open(clock)
        yield store
        store.close()


class StoreContract(AdapterContract):
    """The contract every store adapter passes: tenancy, filters, ordering, versions, the outbox."""

    # -- helpers ----------------------------------------------------------------------------------

    def _seed(self, store: Store, tenant: str, n: int = 1) -> None:
        with store.unit_of_work(tenant) as uow:
            create_pipeline(uow, id="p", name="New", stages=[("Qualify", "0.1"), ("Propose", "0.5")])
            for i in range(n):
                open_opportunity(
                    uow,
                    id=f"o{i}",
                    pipeline_id="p",
                    owner_id=f"rep{i % 3}",
                    account_name=f"Account {i}",
                    amount=Money(100 * (i + 1), "USD"),
                    expected_close=date(2026, 3, 1),
                )
            uow.commit()

    # -- round trip -------------------------------------------------------------------------------

    def test_added_aggregate_reads_back_equal(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            opp = uow.opportunities.get("o0")
            assert opp.amount == Money("100", "USD")
            assert opp.version == 1
            assert uow.pipelines.get("p").stages[1] == Stage("Propose", "0.5")

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(data=st.data())
    def test_any_opportunity_round_trips_exactly(self, store: Store, data: st.DataObject) -> None:
        tenant = fresh_tenant()
        pipeline: Pipeline = data.draw(pipelines(tenant))
        opp: Opportunity = data.draw(opportunities(pipeline))
        with store.unit_of_work(tenant) as uow:
            uow.pipelines.add(pipeline)
            uow.opportunities.add(opp)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.pipelines.get(pipeline.id) == pipeline
            assert uow.opportunities.get(opp.id) == opp

    def test_missing_is_not_found(self, store: Store) -> None:
        with store.unit_of_work(fresh_tenant()) as uow:
            assert uow.opportunities.find("nope") is None
            with pytest.raises(NotFound):
                uow.opportunities.get("nope")

    def test_duplicate_id_is_a_conflict(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow, pytest.raises(ConcurrencyConflict):
            create_pipeline(uow, id="p", name="Again", stages=[("A", "0.5")])
            uow.commit()

    # -- tenancy ----------------------------------------------------------------------------------

    def test_another_tenants_record_is_not_found(self, store: Store) -> None:
        mine, theirs = fresh_tenant(), fresh_tenant()
        self._seed(store, mine, 3)
        with store.unit_of_work(theirs) as uow:
            with pytest.raises(NotFound):
                uow.opportunities.get("o0")
            assert uow.opportunities.list() == []
            assert uow.opportunities.count() == 0
        with store.unit_of_work(mine) as uow:
            assert uow.opportunities.count() == 3

    def test_same_id_in_two_tenants_are_separate_records(self, store: Store) -> None:
        a, b = fresh_tenant(), fresh_tenant()
        self._seed(store, a)
        self._seed(store, b)
        with store.unit_of_work(a) as uow:
            win_opportunity(uow, "o0")
            uow.commit()
        with store.unit_of_work(b) as uow:
            assert uow.opportunities.get("o0").is_open

    def test_aggregate_of_another_tenant_cannot_be_added(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            foreign = Pipeline(tenant_id=TenantId("someone-else"), id="x", name="X", stages=(Stage("A", "1"),))
            with pytest.raises(ValidationError):
                uow.pipelines.add(foreign)

    # -- transactions -----------------------------------------------------------------------------

    def test_lost_update_is_refused_and_first_write_survives(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        clock.advance(days=1)
        first = store.unit_of_work(tenant)
        second = store.unit_of_work(tenant)
        with first, second:
            advance_opportunity(first, "o0", "Propose")
            mine = second.opportunities.get("o0")
            first.commit()
            mine.lose("price", clock.now())
            with pytest.raises(ConcurrencyConflict):
                second.commit()
        with store.unit_of_work(tenant) as uow:
            opp = uow.opportunities.get("o0")
            assert opp.stage == "Propose" and opp.is_open and opp.version == 2

    def test_exception_rolls_back_everything_and_publishes_nothing(self, store: Store) -> None:
        tenant = fresh_tenant()
        spy = EventSpy(store.bus)
        with pytest.raises(RuntimeError), store.unit_of_work(tenant) as uow:
            create_pipeline(uow, id="p", name="New", stages=[("A", "0.5")])
            uow.flush()  # written inside the transaction, then abandoned
            raise RuntimeError("boom")
        with store.unit_of_work(tenant) as uow:
            assert uow.pipelines.find("p") is None
        assert spy.events == []

    def test_leaving_without_commit_writes_nothing(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            create_pipeline(uow, id="p", name="New", stages=[("A", "0.5")])
        with store.unit_of_work(tenant) as uow:
            assert uow.pipelines.count() == 0

    def test_events_are_published_after_commit_in_order(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        spy = EventSpy(store.bus)
        seen_during_commit: list[int] = []
        store.bus.subscribe(OpportunityOpened, lambda e: seen_during_commit.append(len(spy.events)))
        self._seed(store, tenant, 2)
        assert [type(e) for e in spy.events] == [OpportunityOpened, OpportunityOpened]
        clock.advance(hours=1)
        with store.unit_of_work(tenant) as uow:
            win_opportunity(uow, "o1")
            assert not spy.of_type(OpportunityWon)
            uow.commit()
        assert [e.opportunity_id for e in spy.of_type(OpportunityWon)] == ["o1"]  # type: ignore[attr-defined]
        assert store.dispatch_pending(tenant) == 0

    def test_failed_handler_leaves_the_event_for_a_later_dispatch(self, store: Store) -> None:
        tenant = fresh_tenant()
        delivered: list[str] = []
        attempts = iter([True, False])

        def flaky(event: OpportunityOpened) -> None:
            if next(attempts):
                raise RuntimeError("handler down")
            delivered.append(event.opportunity_id)

        store.bus.subscribe(OpportunityOpened, flaky)
        self._seed(store, tenant)
        assert delivered == []
        assert store.dispatch_pending(tenant) == 1
        assert delivered == ["o0"]
        assert store.dispatch_pending(tenant) == 0

    def test_reads_see_this_units_own_writes(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            create_pipeline(uow, id="p", name="New", stages=[("A", "0.5")])
            assert [p.id for p in uow.pipelines.list()] == ["p"]
            assert uow.pipelines.list()[0] is uow.pipelines.get("p")

    def test_unchanged_aggregates_are_not_rewritten(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            uow.opportunities.get("o0")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.opportunities.get("o0").version == 1

    def test_a_unit_can_commit_twice(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            advance_opportunity(uow, "o0", "Propose")
            uow.commit()
            clock.advance(days=1)
            win_opportunity(uow, "o0")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.opportunities.get("o0").version == 3

    # -- queries ----------------------------------------------------------------------------------

    def test_filters_ordering_and_limits(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, 6)
        with store.unit_of_work(tenant) as uow:
            repo = uow.opportunities
            assert [o.id for o in repo.list(owner_id="rep1")] == ["o1", "o4"]
            assert [o.id for o in repo.list(amount_minor=gt(40000), order_by="-amount_minor")] == ["o5", "o4"]
            assert [o.id for o in repo.list(amount_minor=ge(50000))] == ["o4", "o5"]
            assert repo.count(owner_id=one_of("rep0", "rep2")) == 4
            assert repo.count(owner_id=ne("rep0")) == 4
            assert [o.id for o in repo.list(order_by="amount_minor", limit=2)] == ["o0", "o1"]
            assert repo.count(created_at=lt(START + timedelta(seconds=1))) == 6
            assert repo.count(closed_at=None) == 6
            assert repo.count(expected_close=date(2026, 3, 1)) == 6
            with pytest.raises(ValidationError):
                repo.list(no_such_column=1)

    # -- durability -------------------------------------------------------------------------------

    def test_reopening_keeps_everything(self, clock: FixedClock) -> None:
        store = self.open(clock)
        tenant = fresh_tenant()
        self._seed(store, tenant, 3)
        store.close()
        again = self.reopen(store, clock)
        if again is None:
            pytest.skip("this adapter is not durable across a restart")
        with again, again.unit_of_work(tenant) as uow:
            assert uow.opportunities.count() == 3
            assert uow.opportunities.get("o2").amount == Money(300, "USD")


class PurchaseContract(AdapterContract):
    """Purchases persist exactly, filter by customer and time, and refuse the future."""

    def test_purchases_round_trip_and_filter(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            for i in range(4):
                record_purchase(
                    uow,
                    id=f"p{i}",
                    customer_id=f"c{i % 2}",
                    amount=Money(f"{i}.05", "EUR"),
                    occurred_at=START - timedelta(days=10 - i),
                )
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert [p.id for p in uow.purchases.list(customer_id="c1")] == ["p1", "p3"]
            assert uow.purchases.count(occurred_at=ge(START - timedelta(days=8))) == 2
            assert uow.purchases.get("p3").amount == Money("3.05", "EUR")

    def test_a_purchase_in_the_future_is_refused_and_nothing_is_written(self, store: Store) -> None:
        tenant = fresh_tenant()
        with pytest.raises(ValidationError) as err, store.unit_of_work(tenant) as uow:
            record_purchase(uow, customer_id="c", amount=Money(1, "USD"), occurred_at=START + timedelta(seconds=1))
            uow.commit()
        assert err.value.field == "occurred_at"
        with store.unit_of_work(tenant) as uow:
            assert uow.purchases.count() == 0
