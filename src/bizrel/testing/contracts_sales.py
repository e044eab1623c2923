"""The sales-process persistence contract: leads, accounts, activities, pools, assignment rules and
forecast snapshots round-trip exactly, stay inside their tenant, refuse lost updates, and publish
their events only after commit. Subclass `SalesProcessContract` and implement `open`, as for
`StoreContract`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bizrel.adapters.store import Store
from bizrel.adapters.unit_of_work import StoreUnitOfWork
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ConcurrencyConflict, NotFound
from bizrel.core.identity import configure_identity, identity_rules
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.core.uow import ge
from bizrel.sales import (
    ClaimedFromPool,
    ExitCriteria,
    LeadConverted,
    OpportunityWon,
    Qualification,
    RateTable,
    ReturnedToPool,
    Stage,
    assign_lead,
    capture_lead,
    claim_from_pool,
    convert_lead,
    create_assignment_rule,
    create_pipeline,
    create_pool,
    log_activity,
    qualify_lead,
    sweep_pool,
    take_forecast_snapshot,
    win_opportunity,
)
from bizrel.testing.contracts import START, AdapterContract, fresh_tenant
from bizrel.testing.fakes import EventSpy

__all__ = ["SalesProcessContract"]


class SalesProcessContract(AdapterContract):
    """The sales process's part of the adapter contract: leads, pools, activities, accounts."""

    def _story(self, store: Store, clock: FixedClock, tenant: str) -> str:
        """Every sales-process aggregate, written through the services; returns the opportunity id."""
        with store.unit_of_work(tenant) as uow:
            create_pipeline(
                uow,
                id="p",
                name="New",
                kind="upsell",
                stages=[Stage("A", "0.2", ExitCriteria(fields=("source",), activities=("call",))), ("B", "0.7")],
                transitions={"A": ["B"]},
                lost_reasons=["price"],
            )
            create_pool(uow, id="pool", name="Public", follow_up_days=7, days_by_level={"A": 14}, cooldown_days=3)
            create_assignment_rule(
                uow, id="rr", name="RR", strategy="territory", reps=["ana"], territories={"EU": ["eve"]}
            )
            capture_lead(
                uow,
                id="l1",
                name="Ann",
                source="web",
                email="ann@acme.io",
                company="Acme Ltd",
                territory="EU",
                pool_id="pool",
                level="A",
                campaign="spring",
            )
            configure_identity(uow, default_region="DE", name_threshold=85)
            uow.commit()
        with store.unit_of_work(tenant) as uow:  # the stored default region reads the national number
            capture_lead(uow, id="l2", name="Bob", source="fair", phone="030 1234567 ext. 12", pool_id="pool")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assign_lead(uow, "l1", "rr")
            claim_from_pool(uow, "lead", "l2", owner_id="bo")
            qualify_lead(
                uow, "l1", Qualification(budget=Money("99.95", "EUR"), authority=True, timeline=date(2026, 2, 1))
            )
            conversion = convert_lead(
                uow, "l1", pipeline_id="p", amount=Money("1200.50", "EUR"), expected_close=date(2026, 3, 1)
            )
            log_activity(
                uow, id="a1", kind="call", subject="Kickoff", owner_id="eve", opportunity_id=conversion.opportunity.id
            )
            uow.commit()
        clock.advance(days=1)
        with store.unit_of_work(tenant) as uow:
            take_forecast_snapshot(
                uow, id="s1", period=Period.quarter(2026, 1), rates=RateTable("USD", {"EUR": Decimal("1.08")})
            )
            uow.commit()
        return conversion.opportunity.id

    @staticmethod
    def _everything(uow: StoreUnitOfWork) -> dict[str, list[Any]]:
        return {
            "leads": uow.leads.list(order_by="id"),
            "accounts": uow.accounts.list(),
            "activities": uow.activities.list(),
            "pools": uow.pools.list(),
            "moves": uow.pool_moves.list(order_by="at"),
            "rules": uow.assignment_rules.list(),
            "snapshots": uow.forecast_snapshots.list(),
            "opportunities": uow.opportunities.list(),
            "pipelines": uow.pipelines.list(),
            "identity rules": uow.identity_rules.list(),
        }

    def test_every_aggregate_round_trips_exactly(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._story(store, clock, tenant)
        with store.unit_of_work(tenant) as uow:
            written = self._everything(uow)
        with store.unit_of_work(tenant) as uow:
            again = self._everything(uow)
        assert again == written
        assert all(written.values())
        with store.unit_of_work(tenant) as uow:
            lead = uow.leads.get("l1")
            assert lead.holding.owner_id == "eve" and lead.qualification.budget == Money("99.95", "EUR")
            assert uow.forecast_snapshots.get("s1").rates == {"EUR": Decimal("1.08")}
            assert (identity_rules(uow).default_region, identity_rules(uow).name_threshold) == ("DE", 85)
            assert (uow.leads.get("l2").phone_key, uow.leads.get("l2").phone_extension) == ("+49301234567", "12")
        with store.unit_of_work(fresh_tenant()) as uow:  # another tenant keeps the defaults
            assert (identity_rules(uow).default_region, identity_rules(uow).name_threshold) == (None, 90)

    def test_indexed_fields_filter(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        opp_id = self._story(store, clock, tenant)
        with store.unit_of_work(tenant) as uow:
            assert [x.id for x in uow.leads.list(phone_key="+49301234567")] == ["l2"]
            assert [x.id for x in uow.leads.list(owner_id="bo", pool_id="pool")] == ["l2"]
            assert uow.accounts.count(name_key="acme") == 1
            assert [a.id for a in uow.activities.list(opportunity_id=opp_id)] == ["a1"]
            assert uow.pool_moves.count(pool_id="pool", action="claimed", day=START.date()) == 1
            assert uow.forecast_snapshots.count(taken_at=ge(START)) == 1

    def test_another_tenant_sees_nothing(self, store: Store, clock: FixedClock) -> None:
        mine, theirs = fresh_tenant(), fresh_tenant()
        self._story(store, clock, mine)
        with store.unit_of_work(theirs) as uow:
            with pytest.raises(NotFound):
                uow.leads.get("l1")
            assert uow.accounts.count() == uow.pool_moves.count() == uow.activities.count() == 0

    def test_lost_update_on_a_lead_is_refused(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._story(store, clock, tenant)
        first, second = store.unit_of_work(tenant), store.unit_of_work(tenant)
        with first, second:
            first.leads.get("l2").note(clock.now(), "called")
            stale = second.leads.get("l2")
            first.commit()
            stale.note(clock.now(), "emailed")
            with pytest.raises(ConcurrencyConflict):
                second.commit()

    def test_events_after_commit(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        spy = EventSpy(store.bus)
        opp_id = self._story(store, clock, tenant)
        clock.advance(days=20)
        with store.unit_of_work(tenant) as uow:
            sweep_pool(uow)
            win_opportunity(uow, opp_id)
            assert not spy.of_type(ReturnedToPool)  # nothing before commit
            uow.commit()
        assert [type(e) for e in spy.of_type(LeadConverted)] == [LeadConverted]
        assert len(spy.of_type(ClaimedFromPool)) == 1
        returned = sorted((e.record_kind.value, e.record_id) for e in spy.of_type(ReturnedToPool))  # type: ignore[attr-defined]
        assert [kind for kind, _ in returned] == ["account", "lead"] and returned[1][1] == "l2"
        assert len(spy.of_type(OpportunityWon)) == 1
        assert clock.now() - START == timedelta(days=21)
