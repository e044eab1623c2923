"""Aging, DSO and collection performance give identical results on every path: the pure-Python
reference over Contracts, the DuckDB engine over pandas, polars, Arrow and Parquet, and push-down
into SQLite and PostgreSQL over stored contracts, for random payment plans with partial payments,
credit, invoices, voids, overdue and not-yet-due instalments, at several as-of days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel import frames
from bizrel.adapters import Store
from bizrel.analytics import aging, collection_cycle, collection_performance, dso
from bizrel.core import CurrencyMismatch, Money, ValidationError
from bizrel.core.errors import InvariantViolation
from bizrel.core.ids import tenant
from bizrel.core.periods import Period
from bizrel.sales import Contract
from bizrel.sales import aging as reference_aging
from bizrel.sales import collection_cycle as reference_cycle
from bizrel.sales import collection_performance as reference_performance
from bizrel.sales import dso as reference_dso
from tests.analytics.helpers import new_tenant

WON = datetime(2026, 1, 10, 15, tzinfo=UTC)
DAY0 = date(2026, 1, 1)


def new_contract(i: int, owner: str, minor: int, shares: list[int], anchor: date, every: int, cur: str) -> Contract:
    deal = {
        "id": f"o{i}",
        "status": "won",
        "closed_at": WON,
        "amount": Money.from_minor(minor, cur),
        "owner_id": owner,
        "account_name": f"Acct {i % 3}",
    }
    return Contract.from_opportunity(
        deal, tenant_id=tenant("t"), id=f"c{i:02d}", shares=shares, anchor=anchor, every_months=every
    )


@st.composite
def contracts(draw: st.DrawFn, cur: str = "USD") -> list[Contract]:
    """A few contracts; each gets payments (to the oldest instalments, to a named one, overpaid into
    credit and applied later), invoices and voids on whole days, so ties on the as-of day and
    the bucket edges are common; amounts small or up to 10**13 minor units."""
    out = []
    for i in range(draw(st.integers(0, 6))):
        minor = draw(st.one_of(st.integers(1, 1000), st.integers(1, 10**13)))
        shares = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4).filter(any))
        anchor = DAY0 + timedelta(days=draw(st.integers(0, 120)))
        c = new_contract(
            i, draw(st.sampled_from(["ana", "bo", "cy"])), minor, shares, anchor, draw(st.integers(0, 2)), cur
        )
        for k in range(draw(st.integers(0, 5))):
            when = datetime.combine(DAY0 + timedelta(days=draw(st.integers(0, 240))), datetime.min.time(), UTC)
            when += timedelta(seconds=draw(st.sampled_from([0, 1, 86_399])))
            number = draw(st.integers(1, len(c.instalments)))
            action = draw(st.sampled_from(["pay", "pay-one", "pay-all", "credit", "invoice", "void"]))
            try:
                if action == "pay-all":
                    c.receive_payment(f"p{k}", c.amount, when)
                elif action in ("pay", "pay-one"):
                    amount = Money.from_minor(draw(st.integers(1, max(1, minor // 2 + 1))), cur)
                    c.receive_payment(f"p{k}", amount, when, instalment=number if action == "pay-one" else None)
                elif action == "credit":
                    c.apply_credit(number, when)
                elif action == "invoice":
                    c.issue_invoice(f"i{k}", number, when.date())
                else:
                    c.void_instalment(number, when, "renegotiated")
            except (InvariantViolation, ValidationError):
                pass  # not allowed on this instalment: the plan goes on without it
        out.append(c)
    return out


def tables(items: list[Contract]) -> dict[str, pd.DataFrame]:
    """The documented columnar layout: contracts, instalments, applications and invoices."""
    ids = [c.id for c in items]
    ins = [(c.id, i) for c in items for i in c.instalments]
    apps = [(c.id, a) for c in items for a in c.applications]
    invs = [(c.id, v) for c in items for v in c.invoices]
    stamps = lambda values: pd.to_datetime(pd.Series(values, dtype="object"), utc=True)  # noqa: E731
    days = lambda values: pd.Series(values, dtype="object")  # noqa: E731
    text = lambda values: pd.Series(values, dtype="object")  # noqa: E731
    return {
        "contracts": pd.DataFrame(
            {
                "id": text(ids),
                "owner_id": text([c.owner_id for c in items]),
                "account_name": text([c.account_name for c in items]),
                "currency": text([c.currency.code for c in items]),
                "won_at": stamps([c.won_at for c in items]),
                "fully_paid_at": stamps([c.fully_paid_at for c in items]),
            }
        ),
        "instalments": pd.DataFrame(
            {
                "contract_id": text([c for c, _ in ins]),
                "number": pd.Series([i.number for _, i in ins], dtype="int64"),
                "due": days([i.due for _, i in ins]),
                "amount_minor": pd.Series([i.amount.to_minor() for _, i in ins], dtype="int64"),
                "voided_at": stamps([i.voided_at for _, i in ins]),
            }
        ),
        "applications": pd.DataFrame(
            {
                "contract_id": text([c for c, _ in apps]),
                "instalment": pd.Series([a.instalment for _, a in apps], dtype="int64"),
                "amount_minor": pd.Series([a.amount.to_minor() for _, a in apps], dtype="int64"),
                "at": stamps([a.at for _, a in apps]),
            }
        ),
        "invoices": pd.DataFrame(
            {
                "contract_id": text([c for c, _ in invs]),
                "instalment": pd.Series([v.instalment for _, v in invs], dtype="int64"),
                "issued_on": days([v.issued_on for _, v in invs]),
            }
        ),
    }


def arrow(t: dict[str, pd.DataFrame]) -> dict[str, pa.Table]:
    """Arrow tables with explicit types (an empty pandas object column has no date type to infer)."""
    kinds = {"due": pa.date32(), "issued_on": pa.date32()}
    out = {}
    for name, df in t.items():
        table = pa.Table.from_pandas(df, preserve_index=False)
        for column, kind in kinds.items():
            if column in df.columns:
                table = table.set_column(table.schema.get_field_index(column), column, table[column].cast(kind))
        out[name] = table
    return out


def columnar_variants(t: dict[str, pd.DataFrame], tmp: Path) -> list[dict[str, Any]]:
    tables_ = arrow(t)
    parquet = {}
    for name, table in tables_.items():
        path = tmp / f"{name}.parquet"
        pq.write_table(table, path)
        parquet[name] = str(path)
    polars = {name: pl.from_arrow(table) for name, table in tables_.items()}
    pandas = {name: table.to_pandas() for name, table in tables_.items()}
    return [pandas, polars, tables_, parquet]


def stored(store: Store, items: list[Contract]) -> str:
    tenant_id = new_tenant()
    with store.unit_of_work(tenant_id) as uow:
        for c in items:
            uow.contracts.add(attrs.evolve(c, tenant_id=uow.tenant_id))  # a copy of the state, no events
        uow.commit()
    return tenant_id


def every_path(store: Store, items: list[Contract], tmp: Path, call: Any) -> list[Any]:
    """The analytic over the reference input, each columnar form and the store."""
    t = tables(items)
    results = []
    for v in columnar_variants(t, tmp):
        results.append(
            call(v["contracts"], instalments=v["instalments"], applications=v["applications"], invoices=v["invoices"])
        )
    results.append(call(store, tenant_id=stored(store, items)))
    return results


AS_OF = st.dates(min_value=DAY0 - timedelta(days=5), max_value=date(2026, 12, 31))
PERIODS = st.builds(
    lambda day, kind: Period.containing(day, kind),
    st.dates(min_value=DAY0 - timedelta(days=31), max_value=date(2026, 12, 31)),
    st.sampled_from(["month", "quarter", "week", "year"]),
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(contracts(), st.lists(AS_OF, min_size=1, max_size=3), st.sampled_from(["owner_id", "id", "account_name"]))
def test_aging_is_identical_on_every_path(
    store: Store, tmp_path: Path, items: list[Contract], days: list[date], by: str
) -> None:
    for day in days:
        expected = reference_aging(items, day, by=by)
        assert aging(items, day, by=by) == expected
        for result in every_path(store, items, tmp_path, lambda data, day=day, **kw: aging(data, day, by=by, **kw)):
            assert result == expected


@SETTINGS
@given(contracts(), PERIODS, st.sampled_from(["standard", "count-back"]))
def test_dso_is_identical_on_every_path(
    store: Store, tmp_path: Path, items: list[Contract], period: Period, method: str
) -> None:
    expected = reference_dso(items, period, method=method)
    assert dso(items, period, method=method) == expected
    for result in every_path(store, items, tmp_path, lambda data, **kw: dso(data, period, method=method, **kw)):
        assert result == expected


@SETTINGS
@given(contracts(), PERIODS)
def test_collection_performance_is_identical_on_every_path(
    store: Store, tmp_path: Path, items: list[Contract], period: Period
) -> None:
    expected = reference_performance(items, period)
    assert collection_performance(items, period) == expected
    for result in every_path(store, items, tmp_path, lambda data, **kw: collection_performance(data, period, **kw)):
        assert result == expected


@SETTINGS
@given(contracts())
def test_collection_cycle_is_identical_on_every_path(store: Store, tmp_path: Path, items: list[Contract]) -> None:
    expected = reference_cycle(items)
    assert collection_cycle(items) == expected
    for v in columnar_variants(tables(items), tmp_path):
        assert collection_cycle(v["contracts"]) == expected
    assert collection_cycle(store, tenant_id=stored(store, items)) == expected


def contract_with_a_late_instalment(i: int, cur: str) -> Contract:
    c = new_contract(i, "ana", 30_000, [1, 2], DAY0, 1, cur)
    c.receive_payment("p", Money.from_minor(4_000, cur), datetime(2026, 1, 5, tzinfo=UTC))
    return c


@pytest.mark.rule(
    "Float amounts are refused unless `allow_float_amounts=True`; contracts in several currencies are "
    "refused with the reference's `CurrencyMismatch` on every path."
)
def test_several_currencies_are_refused_with_the_same_error_on_every_path(store: Store, tmp_path: Path) -> None:
    items = [contract_with_a_late_instalment(0, "EUR"), contract_with_a_late_instalment(1, "USD")]
    q1 = Period.containing(DAY0, "quarter")
    calls = [
        lambda data, **kw: aging(data, date(2026, 3, 1), **kw),
        lambda data, **kw: dso(data, q1, **kw),
        lambda data, **kw: collection_performance(data, q1, **kw),
    ]
    t = tables(items)
    columnar = {"instalments": t["instalments"], "applications": t["applications"]}
    for call in calls:
        with pytest.raises(CurrencyMismatch) as expected:
            call(items)
        assert (expected.value.field, expected.value.expected, expected.value.got) == ("currency", "EUR", "USD")
        for data, kw in ((t["contracts"], columnar), (store, {"tenant_id": stored(store, items)})):
            with pytest.raises(CurrencyMismatch) as err:
                call(data, **kw)
            assert (err.value.field, err.value.expected, err.value.got) == ("currency", "EUR", "USD")
        with pytest.raises(CurrencyMismatch) as err:  # a wanted currency the contracts are not in
            call(t["contracts"].iloc[1:], currency="EUR", **columnar)
        assert (err.value.expected, err.value.got) == ("EUR", "USD")


def test_bad_columnar_input_gets_errors_naming_the_field(store: Store) -> None:
    t = tables([contract_with_a_late_instalment(0, "USD")])
    ct, ins, app = t["contracts"], t["instalments"], t["applications"]
    day = date(2026, 3, 1)

    def field_of(data: Any = ct, **kw: Any) -> str:
        given_ = {"instalments": ins, "applications": app, **kw}
        with pytest.raises(ValidationError) as err:
            aging(data, day, **given_)
        return err.value.field

    assert field_of(ct.drop(columns="owner_id")) == "owner_id"
    assert field_of(instalments=ins.drop(columns="due")) == "due"
    assert field_of(instalments=ins.assign(due=pd.to_datetime(ins.due))) == "due"
    assert field_of(applications=app.assign(at=app["at"].dt.tz_localize(None))) == "at"
    assert field_of(applications=app.drop(columns="amount_minor").assign(amount=app.amount_minor / 100)) == "amount"
    assert field_of(instalments=ins.drop(columns="amount_minor").assign(amount=[Decimal("1.001")] * 2)) == "amount"
    assert field_of(instalments=ins.drop(columns="voided_at").assign(void=[0, 1])) == "void"
    assert field_of(applications=None) == "applications"
    with pytest.raises(ValidationError) as err:
        aging(store, day)
    assert err.value.field == "tenant_id"
    with pytest.raises(ValidationError) as err:
        collection_cycle(ct.drop(columns="won_at"))
    assert err.value.field == "won_at"
    with pytest.raises(ValidationError) as err:
        collection_cycle(ct.assign(fully_paid_at=ct.won_at.dt.tz_localize(None)))
    assert err.value.field == "fully_paid_at"
    with pytest.raises(ValidationError) as err:
        aging([], day, instalments=ins)
    assert err.value.field == "instalments"
    with pytest.raises(ValidationError) as err:
        aging(ct, day, by="won_at", instalments=ins, applications=app)
    assert err.value.field == "by"
    with pytest.raises(ValidationError) as err:
        aging(ct, datetime(2026, 3, 1, tzinfo=UTC), instalments=ins, applications=app)
    assert err.value.field == "as_of"
    with pytest.raises(ValidationError) as err:
        dso(ct, Period.containing(day, "month"), method="median", instalments=ins, applications=app)
    assert err.value.field == "method"


@pytest.mark.rule(
    "Float amounts are refused unless `allow_float_amounts=True`; contracts in several currencies are "
    "refused with the reference's `CurrencyMismatch` on every path."
)
def test_decimal_float_and_void_columns_read_as_the_reference() -> None:
    c = contract_with_a_late_instalment(0, "USD")
    c.void_instalment(2, datetime(2026, 1, 20, tzinfo=UTC), "dropped")
    t = tables([c])
    ins = t["instalments"].drop(columns=["amount_minor", "voided_at"])
    ins = pa.Table.from_pandas(ins.assign(amount=[Decimal("100.00"), Decimal("200.00")], void=[False, True]))
    floats = t["applications"].drop(columns="amount_minor").assign(amount=[40.0])
    day = date(2026, 3, 1)
    expected = reference_aging([c], day)
    with pytest.raises(ValidationError) as err:
        aging(t["contracts"], day, instalments=ins, applications=floats)  # floats are not exact money
    assert err.value.field == "amount"
    assert aging(t["contracts"], day, instalments=ins, applications=floats, allow_float_amounts=True) == expected
    assert aging(t["contracts"], day, instalments=ins, applications=t["applications"]) == expected


def test_progress_is_reported_on_every_path(store: Store) -> None:
    items = [contract_with_a_late_instalment(0, "USD")]
    t = tables(items)
    day = date(2026, 3, 1)
    for data, kw in (
        (items, {}),
        (t["contracts"], {"instalments": t["instalments"], "applications": t["applications"]}),
        (store, {"tenant_id": stored(store, items)}),
    ):
        calls: list[tuple[int, int | None]] = []
        aging(data, day, progress=lambda done, total, calls=calls: calls.append((done, total)), **kw)
        assert calls[-1][0] == calls[-1][1] and calls[-1][0] >= 1


def test_reports_convert_to_dataframes() -> None:
    items = [contract_with_a_late_instalment(0, "USD")]
    df = frames.to_pandas(aging(items, date(2026, 3, 1)))
    assert list(df["key"]) == ["ana", "total"]
    total = df.loc[1]
    assert (total["1-30"], total["31-60"], total["total"]) == (Decimal("200"), Decimal("60"), Decimal("260"))
