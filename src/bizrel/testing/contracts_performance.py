"""The persistence contract for sales performance: organisations, targets, plans, statements, contracts.

Subclass `PerformanceStoreContract` in a test module (its name must start with `Test`) and
implement `open`, exactly as for `StoreContract`. Each test uses its own tenant ids.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bizrel.adapters.store import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ConcurrencyConflict, CurrencyMismatch, InvariantViolation, NotFound, ValidationError
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.sales import (
    Bracket,
    ClawbackRequested,
    ContractFullyPaid,
    InstalmentOverdue,
    InstalmentStatus,
    KpiSpec,
    Role,
    Scorecard,
    SeasonalDistribution,
    add_team,
    allocate_target,
    assign_member,
    compare_reviews,
    create_commission_plan,
    create_contract,
    create_organisation,
    create_pipeline,
    issue_statement,
    open_opportunity,
    receive_payment,
    request_clawback,
    revise_target,
    save_review,
    saved_review,
    send_overdue_reminders,
    set_target,
    spread_target,
    void_instalment,
    win_opportunity,
)
from bizrel.testing.contracts import START, AdapterContract, fresh_tenant
from bizrel.testing.fakes import EventSpy

__all__ = ["PerformanceStoreContract"]

Q1 = Period.quarter(2026, 1)


class PerformanceStoreContract(AdapterContract):
    """Sales performance's part of the adapter contract: organisations, targets, plans, contracts."""

    def _seed(self, store: Store, tenant: str) -> None:
        """An organisation, a won deal of 90,000 USD with a three-instalment contract, a plan, targets."""
        with store.unit_of_work(tenant) as uow:
            create_organisation(uow, id="org", name="Acme", root_team="all", root_name="All")
            add_team(uow, "org", "east", "East", "all")
            assign_member(uow, "org", "ana", "east", date(2026, 1, 1))
            assign_member(uow, "org", "mia", "east", date(2026, 1, 1), role=Role.MANAGER)
            set_target(
                uow,
                id="q1",
                metric="bookings",
                owner_kind="team",
                owner_id="east",
                period=Q1,
                value=Money("100000.00", "USD"),
            )
            allocate_target(uow, "q1", {"ana": 1}, owner_kind="rep")
            create_pipeline(uow, id="p", name="New", stages=[("Qualify", "0.1"), ("Propose", "0.5")])
            open_opportunity(
                uow,
                id="o1",
                pipeline_id="p",
                owner_id="ana",
                account_name="Globex",
                amount=Money("90000.00", "USD"),
                expected_close=date(2026, 3, 1),
            )
            win_opportunity(uow, "o1")
            create_contract(uow, id="c1", opportunity_id="o1", shares=[1, 1, 1], anchor=date(2026, 1, 31))
            create_commission_plan(
                uow,
                id="plan",
                name="Q plan",
                currency="USD",
                mode="marginal",
                brackets=[Bracket(0, 1, "0.05"), Bracket(1, None, "0.08")],
                clawback_days=90,
            )
            uow.commit()

    # -- round trips ------------------------------------------------------------------------------

    def test_every_performance_aggregate_reads_back_equal(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        clock.advance(days=20)
        with store.unit_of_work(tenant) as uow:
            receive_payment(uow, "c1", Money("10000.00", "USD"), payment_id="pay1")
            spread_target(uow, "q1", SeasonalDistribution.even())
            revise_target(uow, "q1", Money("120000.00", "USD"), effective_from=date(2026, 2, 1), reason="raise")
            issue_statement(uow, plan_id="plan", rep_id="ana", period=Q1)
            snapshot = {
                "org": uow.organisations.get("org"),
                "target": uow.targets.get("q1"),
                "plan": uow.commission_plans.get("plan"),
                "statement": uow.commission_statements.get("plan:ana:2026-Q1"),
                "contract": uow.contracts.get("c1"),
            }
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.organisations.get("org") == snapshot["org"]
            assert uow.targets.get("q1") == snapshot["target"]
            assert uow.commission_plans.get("plan") == snapshot["plan"]
            assert uow.commission_statements.get("plan:ana:2026-Q1") == snapshot["statement"]
            assert uow.contracts.get("c1") == snapshot["contract"]
            assert uow.targets.get("q1").value_on(date(2026, 1, 15)) == Money("100000.00", "USD")
            assert len(uow.targets.list(parent_id="q1")) == 4  # one rep, three months

    def test_a_period_review_is_kept_as_computed_once(self, store: Store, clock: FixedClock) -> None:
        """Issue 19 item 7: period reviews were computed but never saved."""
        tenant = fresh_tenant()
        card = Scorecard("Quarterly", (KpiSpec("bookings", 60, cap="1.2"), KpiSpec("activities", 40, threshold="0.5")))
        q1 = card.review(Q1, {"ana": {"bookings": Decimal("1.3"), "activities": Decimal("0.4")}, "bo": {}})
        q2 = card.review(Q1.next(), {"ana": {"bookings": Decimal("0.9")}, "bo": {"activities": Decimal("1")}})
        with store.unit_of_work(tenant) as uow:
            saved = save_review(uow, q1)
            save_review(uow, q2)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert saved_review(uow, "Quarterly", Q1) == q1
            assert saved_review(uow, "Quarterly", Q1.next()).result("bo").score == Decimal("40.00")
            assert uow.period_reviews.get(saved.id).saved_at == clock.now()
            assert [r.id for r in uow.period_reviews.list(scorecard="Quarterly", period_start=Q1.start)] == [saved.id]
            assert compare_reviews(saved_review(uow, "Quarterly", Q1), saved_review(uow, "Quarterly", Q1.next()))
            with pytest.raises(InvariantViolation):
                save_review(uow, q1)  # what was said for Q1 stays what was said
        with store.unit_of_work(fresh_tenant()) as uow, pytest.raises(NotFound):
            saved_review(uow, "Quarterly", Q1)

    def test_indexed_fields_filter(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            assert [t.id for t in uow.targets.list(owner_kind="rep", owner_id="ana")] == ["q1/ana@2026-Q1"]
            assert uow.targets.count(metric="bookings", period_start=Q1.start) == 2
            assert uow.contracts.count(fully_paid=False) == 1
            receive_payment(uow, "c1", Money("90000.00", "USD"), payment_id="all")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.contracts.count(fully_paid=True) == 1
            assert uow.contracts.count(owner_id="ana", opportunity_id="o1") == 1

    # -- concurrency and tenancy ------------------------------------------------------------------

    def test_stale_contract_write_is_a_conflict(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        first = store.unit_of_work(tenant)
        second = store.unit_of_work(tenant)
        with first, second:
            receive_payment(first, "c1", Money("5.00", "USD"), payment_id="first")
            stale = second.contracts.get("c1")
            first.commit()
            stale.receive_payment("second", Money("5.00", "USD"), START)
            with pytest.raises(ConcurrencyConflict):
                second.commit()
        with store.unit_of_work(tenant) as uow:
            assert [p.id for p in uow.contracts.get("c1").payments] == ["first"]

    def test_another_tenants_contract_is_not_found(self, store: Store) -> None:
        mine, theirs = fresh_tenant(), fresh_tenant()
        self._seed(store, mine)
        with store.unit_of_work(theirs) as uow:
            with pytest.raises(NotFound):
                uow.contracts.get("c1")
            assert uow.targets.list() == []

    # -- bad input leaves nothing behind ----------------------------------------------------------

    def test_refused_payments_persist_nothing(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            void_instalment(uow, "c1", 3, "renegotiated")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(CurrencyMismatch) as mismatch:
                receive_payment(uow, "c1", Money("10.00", "EUR"), payment_id="eur")
            assert mismatch.value.field == "amount"
            with pytest.raises(InvariantViolation) as void:
                receive_payment(uow, "c1", Money("10.00", "USD"), instalment=3, payment_id="void")
            assert void.value.field == "instalment"
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            contract = uow.contracts.get("c1")
            assert contract.payments == []
            assert contract.status(3, date(2026, 6, 1)) is InstalmentStatus.VOID

    def test_refused_target_allocation_persists_nothing(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(ValidationError) as zero:
                allocate_target(uow, "q1", {"a": 0, "b": 0}, owner_kind="rep")
            assert zero.value.field == "weights"
            with pytest.raises(ValidationError) as seasonal:
                SeasonalDistribution([10] * 12)
            assert seasonal.value.field == "percentages"
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.targets.count() == 2

    # -- events -----------------------------------------------------------------------------------

    def test_reminders_and_full_payment_are_published_after_commit(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        spy = EventSpy(store.bus)
        clock.advance(timedelta(days=60))
        with store.unit_of_work(tenant) as uow:
            assert len(send_overdue_reminders(uow)) == 2
            assert spy.of_type(InstalmentOverdue) == []
            uow.commit()
        assert len(spy.of_type(InstalmentOverdue)) == 2
        with store.unit_of_work(tenant) as uow:
            assert send_overdue_reminders(uow) == []  # each level is reminded once
            receive_payment(uow, "c1", Money("90000.00", "USD"), payment_id="all")
            uow.rollback()
        assert spy.of_type(ContractFullyPaid) == []

    def test_clawback_is_deducted_once_in_the_next_statement(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            first = issue_statement(uow, plan_id="plan", rep_id="ana", period=Q1)
            uow.commit()
        late = ClawbackRequested(
            tenant_id=tenant, occurred_at=START + timedelta(days=91), deal_id="o1", reason="churn", won_at=START
        )
        with store.unit_of_work(tenant) as uow:
            assert request_clawback(uow, late) == []  # outside the plan's 90-day window
        request = ClawbackRequested(
            tenant_id=tenant,
            occurred_at=datetime(2026, 4, 2, tzinfo=UTC),
            deal_id="o1",
            reason="churn",
            won_at=START,
        )
        for _ in range(2):  # the same request twice: idempotent
            with store.unit_of_work(tenant) as uow:
                request_clawback(uow, request)
                uow.commit()
        with store.unit_of_work(tenant) as uow:
            second = issue_statement(uow, plan_id="plan", rep_id="ana", period=Period.quarter(2026, 2))
            uow.commit()
        assert first.total == Money("4500.00", "USD")
        assert second.total == -first.total
