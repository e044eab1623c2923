"""JSON-ready primitives: every aggregate kind round-trips through to_dict/from_dict and JSON text,
money travels as exact strings, and what cannot be rebuilt is a ValidationError naming the field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bizrel
from bizrel.adapters.codec import STORAGE
from bizrel.adapters.registry import MIGRATIONS
from bizrel.core import JSON, Money, Period, ValidationError
from bizrel.core.aggregate import Aggregate
from bizrel.sales import Opportunity, Pipeline, Stage
from bizrel.testing.strategies import aggregates, hostile_texts, opportunities, pipelines, texts

TABLES = [table for migration in MIGRATIONS for table in migration.tables]
LENIENT = list(HealthCheck)  # instances come from type hints: many random draws are refused


def no_floats(value: Any) -> None:
    """Primitives hold str, int, bool, None, lists and str-keyed dicts: never a float."""
    if isinstance(value, dict):
        assert all(isinstance(k, str) for k in value), value
        for v in value.values():
            no_floats(v)
    elif isinstance(value, list):
        for v in value:
            no_floats(v)
    else:
        assert value is None or isinstance(value, str | int | bool), (type(value), value)
        assert not isinstance(value, float)


def test_every_aggregate_kind_is_covered() -> None:
    assert len(TABLES) >= 25
    assert all(issubclass(t.cls, Aggregate) for t in TABLES)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
@settings(max_examples=15, deadline=None, suppress_health_check=LENIENT)
@given(data=st.data())
def test_from_dict_of_to_dict_is_the_aggregate(table: Any, data: st.DataObject) -> None:
    aggregate = data.draw(aggregates(table.cls, tenant_id="t1", texts=hostile_texts()), label=table.kind)
    aggregate.version = data.draw(st.integers(0, 10**6), label="version")
    primitives = aggregate.to_dict()
    no_floats(primitives)
    text = json.dumps(primitives)
    back = table.cls.from_dict(json.loads(text))
    assert back == aggregate
    assert back.version == aggregate.version
    assert bizrel.from_json(table.cls, bizrel.to_json(aggregate)) == aggregate


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_an_opportunity_round_trips_with_its_history(data: st.DataObject) -> None:
    pipeline = data.draw(pipelines())
    opp = data.draw(opportunities(pipeline))
    assert Opportunity.from_dict(opp.to_dict()) == opp
    assert Pipeline.from_dict(json.loads(json.dumps(pipeline.to_dict()))) == pipeline


def test_money_is_an_exact_string_with_its_currency() -> None:
    assert Money("12000.00", "USD").to_dict() == {"amount": "12000.00", "currency": "USD"}
    assert Money("5", "JPY").to_dict() == {"amount": "5", "currency": "JPY"}
    assert Money("0.125", "KWD").to_dict() == {"amount": "0.125", "currency": "KWD"}
    assert bizrel.to_json(Money("-0.10", "EUR")) == '{"amount": "-0.10", "currency": "EUR"}'
    assert Money.from_dict({"amount": "12000.00", "currency": "USD"}) == Money("12000.00", "USD")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": 12000.0, "currency": "USD"}, "amount"),
        ({"amount": "12.001", "currency": "USD"}, "amount"),
        ({"amount": "12", "currency": "XXY"}, "currency"),
        ({"amount": "12"}, "money"),
        ("12 USD", "money"),
    ],
)
def test_money_that_is_not_exact_or_not_whole_is_refused(data: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.from_dict(data)
    assert caught.value.field == field


def test_datetimes_keep_their_offset_dates_are_iso_decimals_are_strings() -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert JSON.encode(at) == "2026-03-01T09:30:00+02:00"
    assert JSON.decode(datetime, "2026-03-01T09:30:00+02:00").utcoffset() == timedelta(hours=2)
    assert JSON.encode(date(2026, 3, 1)) == "2026-03-01"
    assert JSON.encode(Decimal("0.10")) == "0.10"
    assert JSON.encode(timedelta(days=1, microseconds=5)) == "86400.000005"
    assert JSON.decode(timedelta, "86400.000005") == timedelta(days=1, microseconds=5)
    assert Period.from_dict(Period.month(2026, 2).to_dict()) == Period.month(2026, 2)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValidationError, match="offset"):
        JSON.decode(datetime, "2026-03-01T09:30:00")


def test_a_float_anywhere_is_refused_on_the_way_out_and_in() -> None:
    with pytest.raises(ValidationError):
        bizrel.to_json({"amount": 1.5})
    with pytest.raises(ValidationError):
        JSON.decode(Decimal, 1.5)


def _opportunity() -> Opportunity:
    pipeline = Pipeline(tenant_id="t1", id="p", name="P", stages=(Stage("Qualify", "0.1"), Stage("Won", "1")))  # type: ignore[arg-type]
    return Opportunity.open(
        tenant_id="t1",  # type: ignore[arg-type]
        id="o1",
        pipeline=pipeline,
        owner_id="ann",
        account_name="Acme",
        amount=Money("12000.00", "USD"),
        expected_close=date(2026, 6, 30),
        at=datetime(2026, 1, 5, tzinfo=UTC),
    )


def test_an_opportunity_as_json_has_exact_money() -> None:
    body = _opportunity().to_dict()
    assert body["amount"] == {"amount": "12000.00", "currency": "USD"}
    assert body["tenant_id"] == "t1"
    assert body["expected_close"] == "2026-06-30"


@pytest.mark.rule(
    "`from_dict` refuses what it cannot rebuild with a `ValidationError` whose `field` names the "
    'innermost field at fault (`"amount"`, `"expected_close"`), whose `value` is what was sent and whose '
    '`reason` says why; a missing field has the reason `"missing"`.'
)
def test_bad_input_names_the_innermost_field() -> None:
    body = _opportunity().to_dict()
    body["amount"] = {"amount": 12000.0, "currency": "USD"}
    with pytest.raises(ValidationError) as caught:
        Opportunity.from_dict(body)
    assert caught.value.field == "amount"
    body = _opportunity().to_dict()
    body["expected_close"] = "June"
    with pytest.raises(ValidationError) as caught:
        Opportunity.from_dict(body)
    assert (caught.value.field, caught.value.value) == ("expected_close", "June")  # the value as sent
    del body["owner_id"]
    with pytest.raises(ValidationError) as caught:
        Opportunity.from_dict(body)
    assert (caught.value.field, caught.value.reason) == ("owner_id", "missing")


def test_the_store_format_is_unchanged_by_the_json_format() -> None:
    """Stored bodies keep fixed-width UTC instants and [key, value] pairs; the API format keeps
    offsets and writes str-keyed dicts as objects; both read each other's dicts."""
    at = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    assert STORAGE.encode(at, datetime) == "2026-03-01T07:30:00.000000+00:00"
    assert STORAGE.encode({"a": 1}, dict[str, int]) == [["a", 1]]
    assert JSON.encode({"a": 1}, dict[str, int]) == {"a": 1}
    assert JSON.decode(dict[str, int], [["a", 1]]) == STORAGE.decode(dict[str, int], {"a": 1}) == {"a": 1}


def _result_classes() -> list[type]:
    import bizrel.analytics  # noqa: F401  (loads every context's results)
    from bizrel.core.results import Result

    found: list[type] = []
    pending = list(Result.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if attrs.has(cls) and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda c: c.__qualname__)


RESULTS = _result_classes()


def test_every_result_is_covered() -> None:
    assert len(RESULTS) >= 25


@pytest.mark.parametrize("cls", RESULTS, ids=lambda c: c.__qualname__)
@settings(max_examples=10, deadline=None, suppress_health_check=LENIENT)
@given(data=st.data())
def test_every_analytic_result_round_trips(cls: type, data: st.DataObject) -> None:
    result = data.draw(aggregates(cls, tenant_id="t1", texts=texts()), label=cls.__qualname__)
    primitives = result.to_dict()  # type: ignore[attr-defined]
    no_floats(primitives)
    assert cls.from_dict(json.loads(json.dumps(primitives))) == result  # type: ignore[attr-defined]
