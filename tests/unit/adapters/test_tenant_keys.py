"""Tenants never alias each other: one tenant-id check and one encoding on every path.

Regression (issue 14, defect 1): PostgreSQL stores tenant "corp\\ud7ff" as "corp\\ud7ff\\x01", and
push-down bound the raw, unchecked tenant id, so `average_order_value(store,
tenant_id="corp\\ud7ff\\x01")` returned that tenant's figures while its own call returned None.
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bizrel import analytics
from bizrel.adapters import Store, open_store, tenant_key
from bizrel.core.access import Actor, Role
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ValidationError
from bizrel.core.events import MessageBus
from bizrel.core.money import Money
from bizrel.customer.purchases import Purchase, PurchaseRecorded, record_purchase
from bizrel.schemas import export_customers, import_stream


def valid_tenant(value: str) -> bool:
    return 0 < len(value) <= 128 and not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value)


NOW = datetime(2026, 1, 1, tzinfo=UTC)
ADMIN = Actor("root", Role.ADMIN)
# the characters the stored code escapes or leads with, and a few other troublemakers
TRICKY = ["\x00", "\x01", "\x02", "\x1f", "\ud7ff", "\ud800", "\udbff", "\udc00", "\udfff", "\u202e", "é", " ", "'"]
SAFE_TRICKY = [c for c in TRICKY if valid_tenant(c)]
hostile_text = st.text(alphabet=st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=10)
_salt = uuid.uuid4().hex[:6]
_serial = itertools.count()


class Recorder:
    """A bus handler that fails while `failing` is set, so an event stays pending for dispatch."""

    def __init__(self) -> None:
        self.failing = False
        self.seen: list[str] = []

    def __call__(self, event: PurchaseRecorded) -> None:
        if self.failing:
            raise RuntimeError("handler down")
        self.seen.append(event.tenant_id)


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgres"])
def adapter(request: pytest.FixtureRequest) -> Iterator[tuple[Store, Recorder]]:
    url = {"memory": "memory://", "sqlite": "sqlite://"}.get(request.param)
    if url is None:
        url = request.getfixturevalue("pg_url")
    recorder = Recorder()
    bus = MessageBus()
    bus.subscribe(PurchaseRecorded, recorder)
    with open_store(url, bus=bus, clock=FixedClock(NOW)) as store:
        yield store, recorder


def is_sql(store: Store) -> bool:
    return store.url != "memory://"


def populate(store: Store, recorder: Recorder, tenant: str) -> None:
    """One customer (imported), one purchase whose event is left pending, and on PostgreSQL one
    more purchase through bulk_load."""
    sample = b"id,name,kind,owner_id,timezone\r\nc1,Jane,person,cs-ana,UTC\r\n"
    report = import_stream(lambda: store.unit_of_work(tenant), "customers", io.BytesIO(sample))
    assert report.rows_imported == 1, report
    recorder.failing = True
    with store.unit_of_work(tenant) as uow:
        record_purchase(uow, id="p1", customer_id="c1", amount=Money("12.34", "USD"), occurred_at=NOW)
        uow.commit()
    recorder.failing = False
    if store.url.startswith("postgres"):
        from bizrel.adapters.postgres import bulk_load

        with store.unit_of_work(tenant) as uow:
            extra = Purchase.record_new(
                tenant_id=uow.tenant_id, id="p2", customer_id="c1", occurred_at=NOW, amount=Money("12.34", "USD")
            )
        recorder.failing = True
        assert bulk_load(store, tenant, "purchase", [extra]) == 1
        recorder.failing = False


def every_path(store: Store) -> dict[str, Callable[[str], object]]:
    """What each path shows of a tenant's data."""

    def unit_of_work(tenant: str) -> object:
        with store.unit_of_work(tenant) as uow:
            return (len(uow.customers.list()), len(uow.purchases.list()))

    def export(tenant: str) -> object:
        with store.unit_of_work(tenant) as uow:
            return export_customers(uow, ADMIN, io.StringIO())

    def import_(tenant: str) -> object:
        report = import_stream(lambda: store.unit_of_work(tenant), "customers", io.BytesIO(b"id\r\n"), dry_run=True)
        return report.rows_imported

    paths: dict[str, Callable[[str], object]] = {"unit of work": unit_of_work, "export": export, "import": import_}
    if is_sql(store):
        paths["push-down"] = lambda tenant: analytics.average_order_value(store, tenant_id=tenant)
    if store.url.startswith("postgres"):
        from bizrel.adapters.postgres import bulk_load

        paths["bulk load"] = lambda tenant: bulk_load(store, tenant, "purchase", [])
    return paths


@st.composite
def tenant_and_intruder(draw: st.DrawFn) -> tuple[str, str]:
    """A tenant with escapable characters, and another id aimed at it: its stored form, a prefix
    or extension of it, or anything."""
    tenant = f"t{_salt}{next(_serial)}" + draw(st.text(alphabet=st.sampled_from(SAFE_TRICKY), max_size=4))
    intruder = draw(
        st.one_of(
            st.just(tenant_key(tenant)),
            st.just(tenant + "\x01"),
            st.builds(lambda s: tenant[:-1] + s, hostile_text),
            hostile_text,
        )
    )
    assume(intruder != tenant)
    return tenant, intruder


@pytest.mark.rule(
    "Every path to the data (a unit of work, analytics push-down, `bulk_load`, export, import, "
    "`dispatch_pending`) checks the tenant id and binds its key; a tenant id that is not a non-empty "
    "string of at most 128 characters without control characters or surrogates is refused with a `ValidationError` "
    "on `tenant_id`, on every path."
)
@pytest.mark.rule(
    "No tenant id reaches another tenant's data on any path: the stored form of one tenant id (for "
    "example `corp\\ud7ff` is stored as `corp\\ud7ff\\x01`) is refused as a tenant id."
)
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=tenant_and_intruder())
def test_no_path_reaches_another_tenant(adapter: tuple[Store, Recorder], pair: tuple[str, str]) -> None:
    store, recorder = adapter
    tenant, intruder = pair
    populate(store, recorder, tenant)
    paths = every_path(store)
    if not valid_tenant(intruder):
        for name, path in [*paths.items(), ("dispatch", store.dispatch_pending)]:
            with pytest.raises(ValidationError) as refused:
                path(intruder)
            assert refused.value.field == "tenant_id", name
    else:
        empty = {"unit of work": (0, 0), "export": 0, "import": 0, "push-down": None, "bulk load": 0}
        assert {name: path(intruder) for name, path in paths.items()} == {name: empty[name] for name in paths}
        assert store.dispatch_pending(intruder) == 0
    purchases = 2 if "bulk load" in paths else 1
    own = {"unit of work": (1, purchases), "export": 1, "import": 0, "push-down": Money("12.34", "USD")}
    own["bulk load"] = 0
    assert {name: path(tenant) for name, path in paths.items()} == {name: own[name] for name in paths}
    before = len(recorder.seen)
    assert store.dispatch_pending(tenant) == purchases
    assert recorder.seen[before:] == [tenant] * purchases


@pytest.mark.rule(
    "No tenant id reaches another tenant's data on any path: the stored form of one tenant id (for "
    "example `corp\\ud7ff` is stored as `corp\\ud7ff\\x01`) is refused as a tenant id."
)
def test_the_reported_aliasing(adapter: tuple[Store, Recorder]) -> None:
    """The reproduction from the issue."""
    store, _ = adapter
    corp = f"corp{_salt}\ud7ff"
    with store.unit_of_work(corp) as uow:
        record_purchase(uow, customer_id="c1", amount=Money("999.99", "USD"), occurred_at=NOW)
        uow.commit()
    with pytest.raises(ValidationError):
        store.unit_of_work(corp + "\x01")
    if is_sql(store):
        assert analytics.average_order_value(store, tenant_id=corp) == Money("999.99", "USD")
        with pytest.raises(ValidationError):
            analytics.average_order_value(store, tenant_id=corp + "\x01")
