"""The weighted forecast is identical on every path: the pure-Python reference, the DuckDB engine
over pandas, polars, Arrow and Parquet, and push-down into SQLite and PostgreSQL over stored
opportunities, over random pipelines, stages, statuses, currencies with rates, overrides and period
kinds, with ties and very large amounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel import frames
from bizrel.adapters import Store
from bizrel.analytics import build_forecast
from bizrel.core import FixedClock, Money, ValidationError
from bizrel.core.ids import tenant
from bizrel.core.periods import PeriodKind
from bizrel.sales import ForecastCategory, Opportunity, OpportunityStatus, Pipeline, Stage, StageChange
from bizrel.sales import forecast as sales_forecast
from bizrel.sales.forecast import RateTable
from tests.analytics.helpers import new_tenant, open_pushdown_store

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROBABILITIES = [Decimal(0), Decimal(1), Decimal("0.35"), Decimal("0.5"), Decimal(1) / 3, Decimal("0.123456789")]
RATES = [Decimal("1.0825"), Decimal("0.0066666666667"), Decimal("147.5"), Decimal("3.25"), Decimal("0.5")]
CURRENCIES = ["USD", "EUR", "JPY", "KWD"]  # 2, 2, 0 and 3 decimal places
reference = sales_forecast.build_forecast


@st.composite
def pipelines(draw: st.DrawFn) -> list[Pipeline]:
    categories = st.one_of(st.none(), st.sampled_from(list(ForecastCategory)))
    return [
        Pipeline(
            tenant_id=tenant("t"),
            id=f"p{k}",
            name=f"Pipeline {k}",
            stages=tuple(
                Stage(f"S'{i}", draw(st.sampled_from(PROBABILITIES)), forecast_category=draw(categories))
                for i in range(draw(st.integers(1, 4)))
            ),
        )
        for k in range(draw(st.integers(1, 3)))
    ]


@st.composite
def deals(draw: st.DrawFn, pipes: list[Pipeline], currencies: list[str]) -> list[Opportunity]:
    """Few owners, days and amounts so ties are common; amounts up to 10**13 minor units (whose
    conversions still fit in 64 bits: see the test of larger ones), a few negative ones (the
    reference takes them: a credit)."""
    amounts = st.one_of(
        st.integers(0, 4).map(lambda x: x * 250),
        st.integers(0, 10**12),
        st.integers(0, 10**13),
        st.integers(-(10**9), -1),
    )
    rows = []
    for i in range(draw(st.integers(0, 12))):
        pipeline = draw(st.sampled_from(pipes))
        status = draw(st.sampled_from(list(OpportunityStatus)))
        closed = T0 + timedelta(days=draw(st.integers(-200, 400)), seconds=draw(st.sampled_from([0, 86_399])))
        rows.append(
            Opportunity(
                tenant_id=tenant("t"),
                id=f"o{i:02d}",
                pipeline_id=pipeline.id,
                owner_id=f"rep{draw(st.integers(0, 2))}",
                account_name="a",
                amount=Money.from_minor(draw(amounts), draw(st.sampled_from(currencies))),
                expected_close=date(2026, 1, 1) + timedelta(days=draw(st.integers(-200, 600))),
                created_at=T0,
                stage=draw(st.sampled_from([s.name for s in pipeline.stages])),
                history=[],
                status=status,
                closed_at=None if status is OpportunityStatus.OPEN else draw(st.sampled_from([closed, closed, None])),
                forecast_override=draw(st.one_of(st.none(), st.sampled_from(list(ForecastCategory)))),
            )
        )
    return rows


@st.composite
def rate_tables(draw: st.DrawFn) -> RateTable:
    base = draw(st.sampled_from(CURRENCIES))
    return RateTable(base, {c: draw(st.sampled_from(RATES)) for c in CURRENCIES if c != base})


def frame(opportunities: list[Opportunity], probability: dict[str, Decimal] | None = None) -> pa.Table:
    """The documented columnar layout (Arrow keeps dates as dates and decimals as decimals)."""
    columns: dict[str, Any] = {
        "id": [o.id for o in opportunities],
        "owner_id": [o.owner_id for o in opportunities],
        "pipeline_id": [o.pipeline_id for o in opportunities],
        "stage": [o.stage for o in opportunities],
        "status": [o.status.value for o in opportunities],
        "amount_minor": pa.array([o.amount.to_minor() for o in opportunities], pa.int64()),
        "currency": [o.amount.currency.code for o in opportunities],
        "expected_close": pa.array([o.expected_close for o in opportunities], pa.date32()),
        "closed_at": pa.array([o.closed_at for o in opportunities], pa.timestamp("us", tz="UTC")),
        "forecast_override": pa.array(
            [o.forecast_override.value if o.forecast_override else None for o in opportunities], pa.string()
        ),
    }
    if probability is not None:
        columns["probability"] = pa.array([probability.get(o.id) for o in opportunities], pa.decimal128(30, 28))
    return pa.table(columns)


COLUMNAR = ["pandas", "polars", "arrow", "parquet"]


def columnar(kind: str, table: pa.Table, tmp_path: Path) -> object:
    if kind == "pandas":
        return table.to_pandas()
    if kind == "polars":
        return pl.from_arrow(table)
    if kind == "arrow":
        return table
    pq.write_table(table, tmp_path / "opportunities.parquet")
    return tmp_path / "opportunities.parquet"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_pushdown_store(request, FixedClock(T0))
    yield s
    s.close()


def stored(store: Store, opportunities: list[Opportunity]) -> str:
    name = new_tenant()
    with store.unit_of_work(name) as uow:
        for o in opportunities:
            uow.opportunities.add(Opportunity(**{**_fields(o), "tenant_id": uow.tenant_id}))
        uow.commit()
    return name


def _fields(opportunity: Opportunity) -> dict[str, Any]:
    import attrs

    return {f.name: getattr(opportunity, f.name) for f in attrs.fields(Opportunity) if f.init}


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[Pipeline], RateTable, list[Opportunity]]:
    pipes = draw(pipelines())
    return pipes, draw(rate_tables()), draw(deals(pipes, CURRENCIES))


options = st.fixed_dictionaries(
    {"period_kind": st.sampled_from(list(PeriodKind)), "start_month": st.integers(1, 12)},
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets(), opts=options, kind=st.sampled_from(COLUMNAR))
def test_every_path_gives_the_reference_forecast(
    data: tuple[list[Pipeline], RateTable, list[Opportunity]],
    opts: dict[str, Any],
    kind: str,
    store: Store,
    tmp_path: Path,
) -> None:
    """Each example checks one columnar input kind (a DuckDB run costs milliseconds, not nothing)."""
    pipes, rates, opportunities = data
    expected = reference(opportunities, pipes, rates=rates, as_of=T0, **opts)
    assert build_forecast(opportunities, pipes, rates=rates, as_of=T0, **opts) == expected
    table = frame(opportunities)
    assert build_forecast(columnar(kind, table, tmp_path), pipes, rates=rates, as_of=T0, **opts) == expected
    pushed = build_forecast(store, pipes, rates=rates, as_of=T0, tenant_id=stored(store, opportunities), **opts)
    assert pushed == expected
    assert pushed.totals() == expected.totals()


@settings(max_examples=30, deadline=None)
@given(data=datasets(), opts=options, seed=st.randoms())
def test_a_probability_column_stands_for_the_callable(
    data: tuple[list[Pipeline], RateTable, list[Opportunity]], opts: dict[str, Any], seed: Any
) -> None:
    """Where the column is null the stage's probability holds, as a callable returning it would."""
    pipes, rates, opportunities = data
    by_id = {p.id: p for p in pipes}
    given_p = {o.id: Decimal(seed.randint(0, 10**6)) / 10**6 for o in opportunities if seed.random() < 0.7}
    given_p |= {o.id: Decimal(1) / 7 for o in opportunities[:1]}  # 28 decimal places

    def probability(o: Opportunity) -> Decimal:
        return given_p.get(o.id, by_id[o.pipeline_id].stage(o.stage).probability)

    expected = reference(opportunities, pipes, rates=rates, as_of=T0, probability=probability, **opts)
    assert build_forecast(frame(opportunities, given_p), pipes, rates=rates, as_of=T0, **opts) == expected


def _deal(**changes: Any) -> Opportunity:
    fields = {
        "tenant_id": tenant("t"),
        "id": "a",
        "pipeline_id": "p0",
        "owner_id": "rep",
        "account_name": "a",
        "amount": Money("10.00", "USD"),
        "expected_close": date(2026, 2, 1),
        "created_at": T0,
        "stage": "S'0",
        "history": [StageChange("S'0", T0)],
    }
    return Opportunity(**(fields | changes))


PIPES = [Pipeline(tenant_id=tenant("t"), id="p0", name="New", stages=(Stage("S'0", "0.5"),))]
USD = RateTable("USD", {"EUR": Decimal("1.1")})


@pytest.mark.parametrize(
    ("bad", "field", "value"),
    [
        (_deal(pipeline_id="other"), "pipeline_id", "other"),
        (_deal(stage="Gone"), "stage", "Gone"),
        (_deal(amount=Money("1.00", "GBP")), "rates", "GBP"),
        (_deal(amount=Money("1.00", "GBP"), status=OpportunityStatus.WON, closed_at=T0), "rates", "GBP"),
    ],
)
@pytest.mark.rule(
    "Deals in several currencies are converted through the `RateTable`; a currency without a rate, a deal "
    "of a pipeline or stage not given, are refused with the reference's `ValidationError` on every path."
)
def test_every_path_refuses_what_the_reference_refuses(bad: Opportunity, field: str, value: str, store: Store) -> None:
    """A deal of an unknown pipeline or stage, or in a currency without a rate."""
    good = _deal(id="0", amount=Money("5.00", "EUR"))
    opportunities = [good, bad, _deal(id="b", stage="Gone too")]
    errors = []
    for data, extra in (
        (opportunities, {}),
        (frame(opportunities), {}),
        (frame(opportunities).to_pandas(), {}),
        (store, {"tenant_id": stored(store, opportunities)}),
    ):
        with pytest.raises(ValidationError) as err:
            build_forecast(data, PIPES, rates=USD, as_of=T0, **extra)
        errors.append((err.value.field, err.value.value, str(err.value)))
    assert errors == [(field, value, errors[0][2])] * 4


def test_a_callable_probability_is_refused_off_the_reference_path(store: Store) -> None:
    for data, extra in ((frame([_deal()]), {}), (store, {"tenant_id": new_tenant()})):
        with pytest.raises(ValidationError) as err:
            build_forecast(data, PIPES, rates=USD, as_of=T0, probability=lambda o: Decimal("0.1"), **extra)
        assert err.value.field == "probability"
    with pytest.raises(ValidationError) as err:
        build_forecast(store, PIPES, rates=USD, as_of=T0)
    assert err.value.field == "tenant_id"


def test_bad_columnar_inputs_name_the_field() -> None:
    table = frame([_deal()]).to_pandas()
    naive = table.assign(closed_at=pd.Series([datetime(2026, 1, 1)], dtype="datetime64[us]"))
    cases = {
        "owner_id": table.drop(columns="owner_id"),
        "closed_at": naive,
        "amount": table.drop(columns="amount_minor").assign(amount=[10.0]),
        "expected_close": table.assign(expected_close=pd.Series([datetime(2026, 2, 1)], dtype="datetime64[us]")),
        "status": table.assign(status=["pending"]),
        "probability": table.assign(probability=[0.5]),
        "forecast_override": table.assign(forecast_override=["maybe"]),
    }
    for field, data in cases.items():
        with pytest.raises(ValidationError) as err:
            build_forecast(data, PIPES, rates=USD, as_of=T0)
        assert err.value.field == field, field
    out_of_range = frame([_deal()]).append_column("probability", pa.array([Decimal("1.5")], pa.decimal128(3, 1)))
    with pytest.raises(ValidationError) as err:
        build_forecast(out_of_range, PIPES, rates=USD, as_of=T0)
    assert err.value.field == "probability"


def test_decimal_amounts_in_several_currencies_are_exact() -> None:
    opportunities = [_deal(), _deal(id="b", amount=Money("7.05", "EUR")), _deal(id="c", amount=Money(5, "JPY"))]
    rates = RateTable("USD", {"EUR": Decimal("1.1"), "JPY": Decimal("0.0067")})
    table = frame(opportunities).to_pandas().drop(columns="amount_minor")
    table["amount"] = [o.amount.amount for o in opportunities]
    assert build_forecast(table, PIPES, rates=rates, as_of=T0) == reference(opportunities, PIPES, rates=rates, as_of=T0)
    with pytest.raises(ValidationError) as err:
        build_forecast(table.assign(amount=[Decimal("1.001")] * 3), PIPES, rates=rates, as_of=T0)
    assert err.value.field == "amount"


def test_csv_input_keeps_the_row_order(tmp_path: Path) -> None:
    opportunities = [_deal(id=f"o{9 - i}", expected_close=date(2026, 1 + i, 1)) for i in range(6)]
    opportunities.append(_deal(id="w", status=OpportunityStatus.WON, closed_at=T0 + timedelta(days=40)))
    frame(opportunities).to_pandas().to_csv(tmp_path / "deals.csv", index=False)
    expected = reference(opportunities, PIPES, rates=USD, as_of=T0, period_kind="month")
    table = pd.read_csv(tmp_path / "deals.csv")
    table["expected_close"] = pd.to_datetime(table["expected_close"]).dt.date
    table["closed_at"] = pd.to_datetime(table["closed_at"], utc=True)
    assert build_forecast(table, PIPES, rates=USD, as_of=T0, period_kind="month") == expected
    assert build_forecast(tmp_path / "deals.csv", PIPES, rates=USD, as_of=T0, period_kind="month").lines == tuple(
        expected.lines
    )


def test_progress_and_rows(store: Store) -> None:
    calls: list[tuple[int, int | None]] = []
    report = lambda done, total: calls.append((done, total))  # noqa: E731
    opportunities = [_deal(), _deal(id="b", owner_id="bo")]
    result = build_forecast(frame(opportunities), PIPES, rates=USD, as_of=T0, progress=report)
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    calls.clear()
    build_forecast(store, PIPES, rates=USD, as_of=T0, tenant_id=new_tenant(), progress=report)
    assert calls[-1] == (3, 3)
    calls.clear()
    assert build_forecast(opportunities, PIPES, rates=USD, as_of=T0, progress=report) == result
    assert calls == [(2, 2)]
    table = frames.to_pandas(result)
    assert list(table["owner_id"]) == ["bo", "rep"] and list(table["weighted"]) == [Decimal("5.00")] * 2


@pytest.mark.rule(
    "The engine and SQLite keep converted and weighted amounts in 64-bit minor units (up to about 9.2 x "
    "10**16 dollars): a larger one is refused with a `ValidationError` naming `amount`, never rounded, "
    "while PostgreSQL's NUMERIC computes it exactly."
)
def test_amounts_beyond_64_bits_are_exact_on_postgresql_and_refused_elsewhere(store: Store) -> None:
    """SQLite and the engine compute in 64-bit integers: a converted amount beyond them is refused,
    never rounded; PostgreSQL's NUMERIC gives the reference's value."""
    opportunities = [_deal(amount=Money.from_minor(10**18, "JPY")), _deal(id="b")]
    rates = RateTable("KWD", {"JPY": Decimal("147.5"), "USD": Decimal("0.31")})
    expected = reference(opportunities, PIPES, rates=rates, as_of=T0)
    assert expected.lines[0].amount == Money.from_minor(1475 * 10**20, "KWD")
    with pytest.raises(ValidationError) as err:
        build_forecast(frame(opportunities), PIPES, rates=rates, as_of=T0)
    assert err.value.field == "amount"
    name = stored(store, opportunities)
    if store.url.startswith("sqlite"):
        with pytest.raises(ValidationError) as err:
            build_forecast(store, PIPES, rates=rates, as_of=T0, tenant_id=name)
        assert err.value.field == "amount"
    else:
        assert build_forecast(store, PIPES, rates=rates, as_of=T0, tenant_id=name) == expected
