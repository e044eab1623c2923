"""Hostile strings through every text field of every registered aggregate, on every adapter.

Generic over the table declarations: an aggregate added to the registry is covered here without
a line of test code, its instances drawn from its type hints (bizrel.testing.strategies.instances).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from bizrel.adapters import Store, open_store
from bizrel.adapters.registry import MIGRATIONS
from bizrel.adapters.schema import AggregateTable
from bizrel.core.aggregate import Aggregate
from bizrel.core.errors import ValidationError
from bizrel.customer import AttributeType, CustomerSettings, Lifecycle
from bizrel.customer.customers import CUSTOMER_SETTINGS_ID
from bizrel.testing.contracts_loyalty import loyalty_program
from bizrel.testing.strategies import hostile_ids, hostile_texts, instances

TABLES = [table for migration in MIGRATIONS for table in migration.tables]
# instances come from type hints, and some classes refuse most random draws: that is expected here
LENIENT = list(HealthCheck)


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    url = {"memory": "memory://", "sqlite": "sqlite://"}.get(request.param)
    if url is None:
        url = request.getfixturevalue("pg_url")
    with open_store(url) as store:
        yield store


def round_trip(store: Store, table: AggregateTable, aggregate: Aggregate) -> None:
    try:  # random field values can make an aggregate's derived columns meaningless: skip those draws
        for column in table.columns:
            column.get(aggregate)
        for child in table.children:
            list(child.rows(aggregate))
    except Exception:
        reject()
    tenant = aggregate.tenant_id
    with store.unit_of_work(tenant) as uow:
        uow.repository(table).add(aggregate)
        uow.commit()
    with store.unit_of_work(tenant) as uow:
        repo = uow.repository(table)
        loaded = repo.get(aggregate.id)
        assert loaded == aggregate
        assert repo.count() == 1
        for column in table.columns:  # every indexed value finds the aggregate again
            value = column.get(aggregate)
            assert [a.id for a in repo.list(**{column.name: value})] == [aggregate.id], column.name


def hand_built(table: AggregateTable, tenant: str, data: st.DataObject) -> Aggregate | None:
    """Aggregates whose invariants almost no random draw satisfies, with hostile free text."""
    if table.name == "loyalty_programs":
        text = data.draw(hostile_texts(), label="text")
        return loyalty_program(tenant, id=data.draw(hostile_ids(), label="id"), name=text)
    if table.name == "customer_settings":  # a lifecycle whose stages and moves all agree
        names = data.draw(st.lists(hostile_texts(), min_size=2, max_size=4, unique=True), label="stages")
        try:
            lifecycle = Lifecycle.from_table({a: [b for b in names if b != a] for a in names}, initial=names[0])
        except ValidationError:
            reject()  # a text the stage rules refuse (blank, too long)
        key = data.draw(hostile_texts(), label="attribute key")
        return CustomerSettings(
            tenant_id=tenant,  # type: ignore[arg-type]
            id=CUSTOMER_SETTINGS_ID,
            lifecycle=lifecycle,
            attribute_types={key: AttributeType.STR},
        )
    return None


def fresh_tenant(data: st.DataObject) -> str:
    return data.draw(hostile_ids(), label="tenant")[:80] + f"#{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
@settings(max_examples=8, deadline=None, suppress_health_check=LENIENT)
@given(data=st.data())
def test_random_hostile_text_reads_back_unchanged(store: Store, table: AggregateTable, data: st.DataObject) -> None:
    tenant = fresh_tenant(data)
    aggregate = hand_built(table, tenant, data) or data.draw(instances(table.cls, tenant_id=tenant), label=table.kind)
    round_trip(store, table, aggregate)
