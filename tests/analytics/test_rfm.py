"""RFM gives identical results on every path: the pure-Python reference, the DuckDB engine over
pandas, polars, Arrow and Parquet, and push-down into SQLite over stored purchases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from bizrel.adapters import Store, open_store
from bizrel.analytics import rfm_frame, rfm_summary
from bizrel.core import CurrencyMismatch, Money, ValidationError
from bizrel.customer import rfm_summary as reference
from tests.analytics.helpers import AS_OF, frame, stored, stored_mixed, transactions

OPTIONS = [
    ("classic", "total", "D"),
    ("classic", "mean", "D"),
    ("lifetimes", "total", "D"),
    ("lifetimes", "total", "W"),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=transactions(customers=12, days=60, rows=40))
def test_every_path_gives_the_reference_result(rows: list[dict[str, Any]], store: Store, tmp_path: Path) -> None:
    df = frame(rows)
    tenant = stored(store, rows)
    parquet = tmp_path / "tx.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), parquet)
    for convention, monetary, freq in OPTIONS:
        options: dict[str, Any] = {"as_of": AS_OF, "convention": convention, "monetary": monetary, "freq": freq}
        expected = reference(rows, **options)
        assert rfm_summary(rows, **options) == expected
        assert rfm_summary(df, **options) == expected
        assert rfm_summary(pl.from_pandas(df), **options) == expected
        assert rfm_summary(pa.Table.from_pandas(df, preserve_index=False), **options) == expected
        assert rfm_summary(parquet, **options) == expected
        assert rfm_summary(store, tenant_id=tenant, **options) == expected


def test_columnar_frame_matches_the_typed_result() -> None:
    rows = [
        {"customer_id": c, "occurred_at": AS_OF - timedelta(days=d), "amount": Money.from_minor(a, "USD")}
        for c, d, a in [("a", 1, 500), ("a", 3, 700), ("b", 10, 100), ("c", 10, 100), ("d", 40, 9000)]
    ]
    table = rfm_frame(frame(rows), as_of=AS_OF).to_pylist()
    expected = reference(rows, as_of=AS_OF)
    assert [(r["customer_id"], r["monetary"], r["segment"]) for r in table] == [
        (r.customer_id, r.monetary.to_minor(), r.segment) for r in expected
    ]


def test_decimal_amount_columns_are_exact_and_extra_digits_refused() -> None:
    rows = [{"customer_id": "a", "occurred_at": AS_OF - timedelta(days=1), "amount": Money("10.25", "USD")}]
    df = frame(rows).drop(columns="amount_minor").assign(amount=[Decimal("10.25")])
    assert rfm_summary(pa.Table.from_pandas(df), as_of=AS_OF) == reference(rows, as_of=AS_OF)
    with pytest.raises(ValidationError) as err:
        rfm_summary(pa.Table.from_pandas(df.assign(amount=[Decimal("10.255")])), as_of=AS_OF)
    assert err.value.field == "amount"


@pytest.mark.rule(
    "A float amount column is refused, because binary floats are not exact money, unless you pass "
    "`allow_float_amounts=True` to round half-even to the currency's minor unit."
)
@pytest.mark.rule("Money stays in integer minor units end to end; a float amount column is refused.")
def test_float_amounts_are_refused_unless_rounding_is_asked_for() -> None:
    df = frame([{"customer_id": "a", "occurred_at": AS_OF, "amount": Money("0.29", "USD")}])
    df = df.drop(columns="amount_minor").assign(amount=[0.29])
    with pytest.raises(ValidationError) as err:
        rfm_summary(df, as_of=AS_OF)
    assert err.value.field == "amount" and "amount_minor" in err.value.reason
    assert rfm_summary(df, as_of=AS_OF, allow_float_amounts=True)["a"].monetary == Money("0.29", "USD")


def test_bad_inputs_get_the_reference_errors(store: Store) -> None:
    rows = [{"customer_id": "a", "occurred_at": AS_OF, "amount": Money("1.00", "USD")}]
    mixed = frame(rows * 2).assign(currency=["USD", "EUR"])
    with pytest.raises(CurrencyMismatch):
        rfm_summary(mixed, as_of=AS_OF)
    with pytest.raises(ValidationError) as err:
        rfm_summary(frame(rows), as_of=AS_OF - timedelta(days=1))
    assert err.value.field == "occurred_at"
    naive = frame(rows).assign(occurred_at=pd.to_datetime(["2026-05-01"]))
    with pytest.raises(ValidationError) as err:
        rfm_summary(naive, as_of=AS_OF)
    assert err.value.field == "occurred_at"
    with pytest.raises(ValidationError) as err:
        rfm_summary(store, as_of=AS_OF)
    assert err.value.field == "tenant_id"
    tenant = stored_mixed(store)
    with pytest.raises(CurrencyMismatch):
        rfm_summary(store, tenant_id=tenant, as_of=AS_OF)
    with pytest.raises(ValidationError) as err:
        rfm_summary(open_store("memory://"), tenant_id="t", as_of=AS_OF)
    assert err.value.field == "store"


def test_local_days_in_another_zone_match_the_reference() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on the night of the DST change is already the next day in Berlin
    stamps = [datetime(2026, 3, 28, 23, 30, tzinfo=UTC), datetime(2026, 3, 29, 0, 30, tzinfo=UTC)]
    rows = [
        {"customer_id": c, "occurred_at": at - timedelta(days=d), "amount": Money.from_minor(100 * d, "EUR")}
        for c in ("a", "b")
        for at in stamps
        for d in range(3)
    ]
    df = frame(rows).assign(currency="EUR")
    for convention in ("classic", "lifetimes"):
        expected = reference(rows, as_of=AS_OF, convention=convention, tz=berlin)
        assert rfm_summary(df, as_of=AS_OF, convention=convention, tz=berlin) == expected


@settings(max_examples=25, deadline=None)
@given(rows=transactions(customers=12, days=60, rows=40))
def test_an_unscored_frame_is_the_bare_summary(rows: list[dict[str, Any]]) -> None:
    """What lifetimes-style models start from: recency, frequency, monetary and T, no scores."""
    for convention, freq in (("lifetimes", "D"), ("lifetimes", "W"), ("classic", "D")):
        options: dict[str, Any] = {"as_of": AS_OF, "convention": convention, "freq": freq}
        table = rfm_frame(frame(rows), scored=False, **options)
        assert "r_score" not in table.column_names
        assert [(r["customer_id"], r["recency"], r["frequency"], r["monetary"], r["t"]) for r in table.to_pylist()] == [
            (r.customer_id, r.recency, r.frequency, r.monetary.to_minor(), r.T)
            for r in reference(rows, scored=False, **options)
        ]


def test_means_that_round_alike_score_alike_on_every_path(store: Store, tmp_path: Path) -> None:
    """Exact means 69, 69.33 and 68.67 (classic) and 100, 100.5 and 99.5 (lifetimes repeat periods)
    all show as the same amount, so they rank as ties: the reference ranks the rounded values."""
    day = [AS_OF - timedelta(days=k) for k in (30, 20, 10)]
    minor = {"a": (7, 100, 100), "b": (7, 100, 101), "c": (7, 99, 100), "d": (7, 1000), "e": (7, 1)}
    rows = [
        {"customer_id": c, "occurred_at": day[k], "amount": Money.from_minor(m, "USD")}
        for c, amounts in minor.items()
        for k, m in enumerate(amounts)
    ]
    df = frame(rows)
    tenant = stored(store, rows)
    for convention, monetary in (("classic", "mean"), ("lifetimes", "total")):
        options: dict[str, Any] = {"as_of": AS_OF, "convention": convention, "monetary": monetary}
        expected = reference(rows, **options)
        assert expected["a"].m_score == expected["b"].m_score == expected["c"].m_score
        assert rfm_summary(df, **options) == expected
        assert rfm_summary(store, tenant_id=tenant, **options) == expected
