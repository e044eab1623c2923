"""The loyalty persistence contract: programs and points ledgers survive any adapter exactly.

Subclass `LoyaltyStoreContract` next to `StoreContract` (name starting with `Test`) and implement
`open` (and `reopen` for a durable adapter):

    class TestMyAdapterLoyalty(LoyaltyStoreContract):
        def open(self, clock):
            return open_store("myadapter://...", clock=clock)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import BizrelError, ConcurrencyConflict, NotFound
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.core.uow import gt, le
from bizrel.customer.loyalty import (
    Campaign,
    DebtPolicy,
    ExpiryPolicy,
    InsufficientPoints,
    Invoice,
    InvoiceLine,
    LoyaltyAccount,
    LoyaltyProgram,
    PointsEarned,
    PointsRedeemed,
    Tier,
    account_id_for,
    assert_invariants,
    earn_points,
    enroll,
    redeem_points,
)
from bizrel.testing.contracts import START, AdapterContract, fresh_tenant
from bizrel.testing.fakes import EventSpy

__all__ = ["LoyaltyStoreContract", "invoice_of", "loyalty_program", "worked_account"]


def loyalty_program(tenant_id: str, **rules: Any) -> LoyaltyProgram:
    """A tiered program using most rules: expiry, pending period, campaign, multipliers, caps."""
    values: dict[str, Any] = {
        "tenant_id": TenantId(tenant_id),
        "id": "club",
        "name": "Club",
        "currency": "USD",
        "point_value": "0.01",
        "expiry": ExpiryPolicy.after_months(2),
        "pending_days": 3,
        "category_multipliers": {"books": "2"},
        "product_multipliers": {"gift-card": "0"},
        "campaigns": [Campaign(name="launch", starts_at=START, ends_at=START + timedelta(days=10), multiplier="1.5")],
        "max_points_per_transaction": 5000,
        "signup_bonus": 100,
        "debt_policy": DebtPolicy.CLAWBACK,
        "tiers": (
            Tier(name="blue", threshold=0),
            Tier(name="gold", threshold=1000, multiplier="1.25", benefits=("lounge",)),
        ),
    }
    values.update(rules)
    return LoyaltyProgram(**values)


def invoice_of(pid: str, *amounts: int, category: str = "") -> Invoice:
    return Invoice(
        id=pid,
        lines=tuple(InvoiceLine(id=f"l{i}", amount=Money(a, "USD"), category=category) for i, a in enumerate(amounts)),
    )


@st.composite
def worked_account(draw: st.DrawFn, program: LoyaltyProgram, customer_id: str = "cust-0001") -> LoyaltyAccount:
    """An account after a random history of earnings, redemptions, refunds, reversals and time."""
    at = START
    account = LoyaltyAccount.open(program, customer_id, at=at)
    steps = draw(st.lists(st.tuples(st.sampled_from("eerfuta"), st.integers(1, 400)), max_size=25))
    for n, (op, amount) in enumerate(steps):
        key = f"op{n}"
        try:
            if op == "e":
                account.earn(program, invoice_of(f"inv{n}", amount, 7, category="books"), at=at, key=key)
            elif op == "r":
                account.redeem(program, amount, at=at, key=key)
            elif op == "f" and account.invoices:
                pid = sorted(account.invoices)[amount % len(account.invoices)]
                account.refund(program, pid, at=at, key=key, amount=Money(1, "USD"))
            elif op == "u":
                redemptions = [e.key for e in account.entries if e.kind == "redeem"]
                if redemptions:
                    account.reverse_redemption(program, redemptions[amount % len(redemptions)], at=at, key=key)
            elif op == "t":
                at += timedelta(days=amount % 40, hours=amount % 24)
            else:
                account.adjust(program, amount - 200, reason="goodwill", at=at, key=key)
        except BizrelError:
            continue
    return account


class LoyaltyStoreContract(AdapterContract):
    """Loyalty's part of the adapter contract: programs, accounts and their ledgers."""

    def _seed(self, store: Store, tenant: str, members: int = 1, dollars: int = 100) -> LoyaltyProgram:
        program = loyalty_program(tenant, pending_days=0, signup_bonus=0, campaigns=[])
        with store.unit_of_work(tenant) as uow:
            uow.loyalty_programs.add(program)
            for i in range(members):
                customer = f"cust-{i:04d}"
                enroll(uow, program.id, customer)
                earn_points(uow, program.id, customer, invoice_of(f"seed-{i}", dollars), key=f"seed-{i}")
            uow.commit()
        return program

    # -- round trip -------------------------------------------------------------------------------

    def test_program_reads_back_equal(self, store: Store) -> None:
        tenant = fresh_tenant()
        program = loyalty_program(tenant)
        with store.unit_of_work(tenant) as uow:
            uow.loyalty_programs.add(program)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            loaded = uow.loyalty_programs.get("club")
        assert loaded == program
        assert loaded.tiers[1].benefits == ("lounge",)

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(data=st.data())
    def test_any_ledger_round_trips_and_replays_to_the_same_state(self, store: Store, data: st.DataObject) -> None:
        tenant = fresh_tenant()
        program = loyalty_program(tenant)
        account = data.draw(worked_account(program))
        assert_invariants(account, program)
        with store.unit_of_work(tenant) as uow:
            uow.loyalty_programs.add(program)
            uow.loyalty_accounts.add(account)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            loaded = uow.loyalty_accounts.get(account.id)
        assert loaded == account  # entries and everything derived from them
        assert_invariants(loaded, program)

    # -- tenancy ----------------------------------------------------------------------------------

    def test_another_tenants_account_is_not_found(self, store: Store) -> None:
        mine, theirs = fresh_tenant(), fresh_tenant()
        self._seed(store, mine)
        with store.unit_of_work(theirs) as uow:
            with pytest.raises(NotFound):
                uow.loyalty_accounts.get(account_id_for("club", "cust-0000"))
            assert uow.loyalty_accounts.count() == 0

    # -- transactions -----------------------------------------------------------------------------

    def test_two_redemptions_from_one_balance_cannot_overdraw(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        first, second = store.unit_of_work(tenant), store.unit_of_work(tenant)
        with first, second:
            redeem_points(first, "club", "cust-0000", 80, key="a")
            redeem_points(second, "club", "cust-0000", 80, key="b")  # both saw 100
            first.commit()
            with pytest.raises(ConcurrencyConflict):
                second.commit()
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(InsufficientPoints):
                redeem_points(uow, "club", "cust-0000", 80, key="b")  # the retry sees the truth
            assert uow.loyalty_accounts.get(account_id_for("club", "cust-0000")).balance == 20

    def test_a_refused_operation_persists_nothing(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant)
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(InsufficientPoints):
                redeem_points(uow, "club", "cust-0000", 101, key="too-much")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            account = uow.loyalty_accounts.get(account_id_for("club", "cust-0000"))
            assert (account.version, account.balance, len(account.entries)) == (1, 100, 1)

    def test_points_events_are_published_after_commit_only(self, store: Store) -> None:
        tenant = fresh_tenant()
        spy = EventSpy(store.bus)
        self._seed(store, tenant)
        assert [type(e) for e in spy.events] == [PointsEarned]
        with store.unit_of_work(tenant) as uow:
            redeem_points(uow, "club", "cust-0000", 30, key="r")
        assert not spy.of_type(PointsRedeemed)  # rolled back
        with store.unit_of_work(tenant) as uow:
            redeem_points(uow, "club", "cust-0000", 30, key="r")
            uow.commit()
        redeemed = spy.of_type(PointsRedeemed)
        assert [(e.points, e.value) for e in redeemed] == [(30, Money("0.30", "USD"))]  # type: ignore[attr-defined]

    # -- queries ----------------------------------------------------------------------------------

    def test_filters_on_program_balance_and_expiry(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, members=3)
        with store.unit_of_work(tenant) as uow:
            redeem_points(uow, "club", "cust-0001", 100, key="all")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            repo = uow.loyalty_accounts
            assert [a.customer_id for a in repo.list(program_id="club", balance=gt(0))] == ["cust-0000", "cust-0002"]
            assert repo.count(next_expiry_at=le(START + timedelta(days=62))) == 2
            assert repo.count(next_expiry_at=le(START)) == 0

    # -- durability -------------------------------------------------------------------------------

    def test_reopening_keeps_the_ledger(self, clock: FixedClock) -> None:
        store = self.open(clock)
        tenant = fresh_tenant()
        self._seed(store, tenant, members=2)
        with store.unit_of_work(tenant) as uow:
            before = uow.loyalty_accounts.get(account_id_for("club", "cust-0001"))
        store.close()
        again = self.reopen(store, clock)
        if again is None:
            pytest.skip("this adapter is not durable across a restart")
        with again, again.unit_of_work(tenant) as uow:
            assert uow.loyalty_accounts.get(account_id_for("club", "cust-0001")) == before
