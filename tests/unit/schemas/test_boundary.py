"""The pydantic boundary and DataFrame export."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bizrel import frames, sales
from bizrel.adapters import open_store
from bizrel.core import FixedClock, Money, ValidationError
from bizrel.schemas import MoneyIn, OpportunityIn, open_opportunity_from, parse


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": 1.5, "currency": "USD"}, "amount"),
        ({"amount": "1.5", "currency": "usd"}, "currency"),
        ({"amount": "1.5", "currency": "USD", "extra": 1}, "extra"),
        ({"amount": "1,5", "currency": "USD"}, "amount"),
        ({"amount": "1.5"}, "currency"),
    ],
)
def test_money_payloads_are_strict(payload: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse(MoneyIn, payload)
    assert err.value.field == field


def test_unknown_currency_is_refused_when_mapped_to_the_domain() -> None:
    with pytest.raises(ValidationError) as err:
        parse(MoneyIn, {"amount": "1.00", "currency": "XYZ"}).to_domain()
    assert err.value.field == "currency"


def test_a_parsed_command_opens_an_opportunity() -> None:
    store = open_store("memory://", clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="P", stages=[("A", "0.5")])
        command = parse(
            OpportunityIn,
            {
                "pipeline_id": "p",
                "owner_id": "ana",
                "account_name": "Globex",
                "amount": {"amount": "10.00", "currency": "USD"},
                "expected_close": "2026-02-01",
                "id": "o1",
            },
        )
        opp = open_opportunity_from(uow, command)
        uow.commit()
    assert opp.amount == Money("10.00", "USD")
    assert opp.expected_close == date(2026, 2, 1)


def test_json_schema_describes_amounts_as_strings() -> None:
    schema = OpportunityIn.model_json_schema()
    assert schema["$defs"]["MoneyIn"]["properties"]["amount"]["type"] == "string"


def test_results_become_frames_with_exact_decimals() -> None:
    store = open_store("memory://", clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with store.unit_of_work("t") as uow:
        p = sales.create_pipeline(uow, id="p", name="P", stages=[("A", "0.5"), ("B", "0.9")])
        sales.open_opportunity(
            uow,
            pipeline_id="p",
            owner_id="a",
            account_name="X",
            amount=Money("0.10", "USD"),
            expected_close=date(2026, 2, 1),
        )
        report = sales.funnel(p, uow.opportunities.list())
    pdf = frames.to_pandas(report)
    assert list(pdf["stage"]) == ["A", "B", "won"]
    assert pdf["amount"][0] == Decimal("0.10")
    pl = frames.to_polars(report)
    assert pl.height == 3
