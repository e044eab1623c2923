"""The persistence contract of customer management (core): customers, settings, interactions, care
plans, contact logs, subscriptions and referrals round-trip exactly, stay within their tenant, answer
their indexed queries, and refuse lost updates.

Subclass `CustomerStoreContract` in a test module and implement `open` (and `reopen` for durable
adapters), exactly like `StoreContract`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.adapters.unit_of_work import StoreUnitOfWork
from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ConcurrencyConflict, NotFound, ValidationError
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.core.uow import lt
from bizrel.customer import (
    CONTACT_POLICY_ID,
    DEFAULT_CONTACT_POLICY,
    Allowed,
    CareRule,
    Channel,
    Contact,
    ContactPolicy,
    Customer,
    CustomerCreated,
    Deferred,
    FrequencyCap,
    HealthSignals,
    Lifecycle,
    QuietHours,
    StageRule,
    Touch,
    change_stage,
    configure_lifecycle,
    create_care_plan,
    create_customer,
    log_interaction,
    record_health,
    request_touch,
    set_attribute,
    set_consent,
    set_contact_policy,
    start_subscription,
    submit_referral,
    tenant_contact_policy,
)
from bizrel.testing.contracts import AdapterContract, fresh_tenant
from bizrel.testing.fakes import EventSpy
from bizrel.testing.strategies import aware_datetimes, ids, texts

__all__ = ["CustomerStoreContract", "customers"]

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")


def customers(tenant_id: str = "t1") -> st.SearchStrategy[Customer]:
    """Customers with hostile text, every kind of custom attribute, consents and a health snapshot."""
    attribute_values = st.one_of(
        texts(30),
        st.integers(-(10**12), 10**12),
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9),
        st.booleans(),
        st.dates(),
    )

    def build(
        cid: str, name: str, at: datetime, tz: str, tags: list[str], attrs: dict[str, object], consents: list[bool]
    ) -> Customer:
        customer = Customer.create(
            tenant_id=TenantId(tenant_id),
            id=cid,
            name=name,
            kind="person",
            owner_id="csm",
            timezone=tz,
            at=at,
            contacts=[Contact(name=name, email="x@example.com", role="buyer")],
            tags=tags,
            external_id=f"ext-{cid}",
            domain="example.com",
            birthday=date(1980, 2, 29),
        )
        customer.attributes.update(attrs)  # type: ignore[arg-type]
        for i, granted in enumerate(consents):
            customer.set_consent(Channel.EMAIL, "care", granted=granted, at=at + timedelta(minutes=i))
        customer.collect_events()
        return customer

    return st.builds(
        build,
        ids(),
        texts(),
        aware_datetimes(),
        st.sampled_from(ZONES),
        st.lists(texts(20), max_size=4),
        st.dictionaries(st.text("abcdefgh", min_size=1, max_size=8), attribute_values, max_size=5),
        st.lists(st.booleans(), max_size=3),
    )


class CustomerStoreContract(AdapterContract):
    """Customer management's part of the adapter contract."""

    def _seed(self, store: Store, tenant: str, n: int = 3) -> None:
        with store.unit_of_work(tenant) as uow:
            for i in range(n):
                create_customer(
                    uow,
                    id=f"c{i}",
                    name=f"Customer {i}",
                    kind="organisation",
                    owner_id=f"csm{i % 2}",
                    timezone="Europe/Berlin",
                    external_id=f"acct-{i}",
                    domain=f"c{i}.example.com",
                )
                set_consent(uow, f"c{i}", "email", "care", granted=True)
            uow.commit()

    @staticmethod
    def _everything(uow: StoreUnitOfWork) -> list[Aggregate]:
        return [
            uow.customers.get("c0"),
            uow.customer_settings.get("customer-settings"),
            uow.interactions.get("i1"),
            uow.care_plans.get("p1"),
            uow.contact_logs.get("c0"),
            uow.subscriptions.get("s1"),
            uow.referrals.get("r1"),
        ]

    # -- round trips ------------------------------------------------------------------------------

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(data=st.data())
    def test_any_customer_round_trips_exactly(self, store: Store, data: st.DataObject) -> None:
        tenant = fresh_tenant()
        customer: Customer = data.draw(customers(tenant))
        with store.unit_of_work(tenant) as uow:
            uow.customers.add(customer)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            loaded = uow.customers.get(customer.id)
            assert loaded == customer
            assert {k: type(v) for k, v in loaded.attributes.items()} == {
                k: type(v) for k, v in customer.attributes.items()
            }

    def test_every_customer_aggregate_reads_back_equal(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, 1)
        with store.unit_of_work(tenant) as uow:
            set_attribute(uow, "c0", "seats", 12)
            set_attribute(uow, "c0", "fee", Decimal("9.90"))
            change_stage(uow, "c0", "onboarding", reason="signed")
            set_consent(uow, "c0", "call", "care", granted=True)  # an outbound call goes through the policy
            log_interaction(
                uow,
                id="i1",
                customer_id="c0",
                channel="call",
                direction="outbound",
                outcome="completed",
                summary="kick-off; 'quotes' and ; semicolons",
                next_follow_up=clock.now() + timedelta(days=1),
            )
            record_health(uow, "c0", HealthSignals(latest_nps=9))
            create_care_plan(
                uow,
                "c0",
                [CareRule(occasion="quarterly_business_review", anchor=date(2026, 2, 1), local_time=time(9))],
                id="p1",
            )
            request_touch(uow, "c0", Touch(channel="email", purpose="care", source="contract"))
            start_subscription(
                uow,
                id="s1",
                customer_id="c0",
                plan="Pro",
                amount=Money("99.90", "EUR"),
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
            )
            submit_referral(uow, id="r1", referrer_id="c0", referred_name="Bob", referred_email="bob@example.org")
            originals = self._everything(uow)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            loaded = self._everything(uow)
        assert loaded == originals

    # -- tenancy ----------------------------------------------------------------------------------

    def test_another_tenants_customers_are_not_found(self, store: Store) -> None:
        mine, theirs = fresh_tenant(), fresh_tenant()
        self._seed(store, mine)
        with store.unit_of_work(theirs) as uow:
            with pytest.raises(NotFound):
                uow.customers.get("c0")
            assert uow.customers.count() == 0
            assert uow.contact_logs.find("c0") is None
        with store.unit_of_work(mine) as uow:
            assert uow.customers.count() == 3

    # -- indexed queries --------------------------------------------------------------------------

    def test_customers_are_queryable_by_stage_owner_band_and_external_keys(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, 4)
        with store.unit_of_work(tenant) as uow:
            change_stage(uow, "c1", "onboarding")
            record_health(uow, "c2", HealthSignals(latest_nps=0, days_since_last_interaction=300, open_issues=9))
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert [c.id for c in uow.customers.list(stage="onboarding")] == ["c1"]
            assert [c.id for c in uow.customers.list(owner_id="csm0", order_by="id")] == ["c0", "c2"]
            assert [c.id for c in uow.customers.list(health_band="at_risk")] == ["c2"]
            assert [c.id for c in uow.customers.list(external_id="acct-3")] == ["c3"]
            assert [c.id for c in uow.customers.list(domain="c1.example.com")] == ["c1"]

    def test_open_follow_ups_are_indexed_by_time(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, 1)
        with store.unit_of_work(tenant) as uow:
            for i, days in enumerate((3, 1, 2)):
                log_interaction(
                    uow,
                    id=f"i{i}",
                    customer_id="c0",
                    channel="email",
                    direction="inbound",
                    outcome="follow_up_needed",
                    summary="asks for a call",
                    next_follow_up=clock.now() + timedelta(days=days),
                )
            set_consent(uow, "c0", "visit", "care", granted=True)
            log_interaction(
                uow,
                id="done",
                customer_id="c0",
                channel="visit",
                direction="outbound",
                outcome="completed",
                summary="visited",
            )
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            due = uow.interactions.list(
                follow_up_open=True,
                next_follow_up=lt(clock.now() + timedelta(days=2, hours=1)),
                order_by="next_follow_up",
            )
            assert [i.id for i in due] == ["i1", "i2"]

    # -- concurrency and durability ---------------------------------------------------------------

    def test_two_writers_cannot_both_pass_a_frequency_cap(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, 1)
        with store.unit_of_work(tenant) as uow:
            set_contact_policy(uow, ContactPolicy(caps=(FrequencyCap(max_touches=1, days=7),)))
            uow.commit()
        asked = Touch(channel=Channel.EMAIL, purpose="care", source="contract")
        first, second = store.unit_of_work(tenant), store.unit_of_work(tenant)
        with first, second:
            assert isinstance(request_touch(first, "c0", asked), Allowed)
            assert isinstance(request_touch(second, "c0", asked), Allowed)
            first.commit()
            with pytest.raises(ConcurrencyConflict):
                second.commit()
        with store.unit_of_work(tenant) as uow:  # the retry sees the first touch
            assert isinstance(request_touch(uow, "c0", asked), Deferred)
            uow.commit()
            assert [a.outcome for a in uow.contact_logs.get("c0").attempts] == ["allowed", "deferred"]

    def test_the_contact_policy_is_stored_once_per_tenant(self, store: Store, clock: FixedClock) -> None:
        tenant, other = fresh_tenant(), fresh_tenant()
        strict = ContactPolicy(
            caps=(FrequencyCap(max_touches=1, days=7, channel=Channel.CALL),),
            quiet_hours=QuietHours(start=time(19, 30), end=time(7, 15)),
            detractor_cooldown_days=30,
            cooldown_exempt_purposes=frozenset({"service", "billing"}),
            stage_rules=(StageRule(stage="onboarding", sources=frozenset({"cs:"})),),
        )
        with store.unit_of_work(tenant) as uow:
            assert tenant_contact_policy(uow) == DEFAULT_CONTACT_POLICY  # never configured: the defaults
            set_contact_policy(uow, ContactPolicy())
            uow.commit()
        clock.advance(hours=1)
        with store.unit_of_work(tenant) as uow:
            stored = set_contact_policy(uow, strict)  # replaced in place: one policy per tenant
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert tenant_contact_policy(uow) == strict
            assert uow.contact_policies.count() == 1
            assert uow.contact_policies.get(CONTACT_POLICY_ID).updated_at == stored.updated_at == clock.now()
        with store.unit_of_work(other) as uow:
            assert tenant_contact_policy(uow) == DEFAULT_CONTACT_POLICY  # another tenant's policy is its own
            with pytest.raises(ValidationError):
                set_contact_policy(uow, "no caps")  # type: ignore[arg-type]
            uow.commit()
        with store.unit_of_work(other) as uow:
            assert uow.contact_policies.count() == 0

    def test_customers_survive_a_restart(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._seed(store, tenant, 2)
        with store.unit_of_work(tenant) as uow:
            configure_lifecycle(
                uow, Lifecycle.from_table({"prospect": ["customer"], "customer": []}, initial="prospect")
            )
            change_stage(uow, "c0", "customer")
            uow.commit()
        again = self.reopen(store, clock)
        if again is None:
            pytest.skip("adapter is not durable")
        store.close()
        with again, again.unit_of_work(tenant) as uow:
            assert uow.customers.get("c0").stage == "customer"
            assert uow.customer_settings.get("customer-settings").lifecycle.stages == ("prospect", "customer")

    def test_customer_events_are_published_after_commit_only(self, store: Store) -> None:
        tenant = fresh_tenant()
        spy = EventSpy(store.bus, CustomerCreated)
        with store.unit_of_work(tenant) as uow:
            create_customer(uow, id="x", name="X", kind="person", owner_id="csm", timezone="UTC")
        assert spy.events == []
        self._seed(store, tenant, 1)
        assert [e.customer_id for e in spy.events] == ["c0"]  # type: ignore[attr-defined]
