"""Cohort retention, churn, value figures and NPS/CSAT breakdowns give identical typed results on
every path: the pure-Python reference, the DuckDB engine over pandas, polars, Arrow and Parquet,
and push-down into SQLite over stored purchases and survey responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel import analytics
from bizrel.adapters import Store
from bizrel.core import CurrencyMismatch, Money, Period, PeriodKind, ValidationError
from bizrel.customer import (
    SurveyResponse,
    churn_rate,
    cohort_retention,
    create_survey,
    csat_by_period,
    csat_by_segment,
    historical_lifetime_value,
    nps_by_period,
    nps_by_segment,
    record_response,
    value_metrics,
)
from bizrel.customer import average_order_value as aov
from bizrel.customer import purchase_frequency as frequency
from bizrel.customer import repeat_purchase_rate as repeat_rate
from tests.analytics.helpers import AS_OF, frame, new_tenant, stored, stored_mixed, transactions

MAY = Period.containing(datetime(2026, 5, 10, tzinfo=UTC), PeriodKind.MONTH)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def inputs(rows: list[dict[str, Any]], store: Store, tmp_path: Path) -> list[tuple[object, dict[str, Any]]]:
    """Every input form of the same transactions, with the extra arguments each needs."""
    df = frame(rows)
    parquet = tmp_path / "tx.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), parquet)
    return [
        (rows, {}),
        (df, {}),
        (pl.from_pandas(df), {}),
        (pa.Table.from_pandas(df, preserve_index=False), {}),
        (parquet, {}),
        (store, {"tenant_id": stored(store, rows)}),
    ]


@SETTINGS
@given(rows=transactions(customers=10, days=150, rows=30))
def test_retention_and_value_agree_on_every_path(rows: list[dict[str, Any]], store: Store, tmp_path: Path) -> None:
    expected = {
        "cohorts": cohort_retention(rows),
        "cohorts_as_of": cohort_retention(rows, as_of=AS_OF),
        "churn": churn_rate(rows, MAY),
        "monthly": value_metrics(rows, as_of=AS_OF, margin="0.3"),
        "weekly": value_metrics(rows, as_of=AS_OF, period="week"),
        "repeat": repeat_rate(rows),
        "aov": aov(rows),
        "frequency": frequency(rows),
        "historical": historical_lifetime_value(rows),
    }
    for data, extra in inputs(rows, store, tmp_path):
        assert analytics.cohort_retention(data, **extra) == expected["cohorts"]
        assert analytics.cohort_retention(data, as_of=AS_OF, **extra) == expected["cohorts_as_of"]
        assert analytics.churn_rate(data, MAY, **extra) == expected["churn"]
        assert analytics.value_metrics(data, as_of=AS_OF, margin="0.3", **extra) == expected["monthly"]
        assert analytics.value_metrics(data, as_of=AS_OF, period="week", **extra) == expected["weekly"]
        assert analytics.repeat_purchase_rate(data, **extra) == expected["repeat"]
        assert analytics.average_order_value(data, **extra) == expected["aov"]
        assert analytics.purchase_frequency(data, **extra) == expected["frequency"]
        assert analytics.historical_lifetime_value(data, **extra) == expected["historical"]


def test_local_months_and_periods_in_another_zone_match_the_reference(store: Store) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 22:30 UTC on the last day of a month is already the next month in Berlin
    rows = [
        {"customer_id": c, "occurred_at": at, "amount": Money.from_minor(100, "EUR")}
        for c, at in [
            ("a", datetime(2026, 3, 31, 22, 30, tzinfo=UTC)),
            ("a", datetime(2026, 4, 30, 22, 30, tzinfo=UTC)),
            ("b", datetime(2026, 4, 30, 21, 30, tzinfo=UTC)),
            ("b", datetime(2026, 5, 31, 21, 59, tzinfo=UTC)),
        ]
    ]
    df = frame(rows).assign(currency="EUR")
    assert analytics.cohort_retention(df, as_of=AS_OF, tz=berlin) == cohort_retention(rows, as_of=AS_OF, tz=berlin)
    assert analytics.value_metrics(df, as_of=AS_OF, tz=berlin) == value_metrics(rows, as_of=AS_OF, tz=berlin)
    assert analytics.churn_rate(df, MAY, tz=berlin) == churn_rate(rows, MAY, tz=berlin)
    # SQLite compares stored instants with the periods' local bounds: any zone works there ...
    tenant = stored(store, rows)
    assert analytics.churn_rate(store, MAY, tz=berlin, tenant_id=tenant) == churn_rate(rows, MAY, tz=berlin)
    expected = value_metrics(rows, as_of=AS_OF, tz=berlin)
    assert analytics.value_metrics(store, as_of=AS_OF, tz=berlin, tenant_id=tenant) == expected
    if store.backend.dialect_name == "postgres":  # PostgreSQL groups by local month too
        expected_cohorts = cohort_retention(rows, as_of=AS_OF, tz=berlin)
        assert analytics.cohort_retention(store, as_of=AS_OF, tz=berlin, tenant_id=tenant) == expected_cohorts
        return
    # ... but SQLite groups by month in UTC only, and says so
    with pytest.raises(ValidationError) as err:
        analytics.cohort_retention(store, tz=berlin, tenant_id=tenant)
    assert err.value.field == "tz"


def test_mixed_currencies_and_late_purchases_are_refused_on_every_path(store: Store) -> None:
    rows = [{"customer_id": "a", "occurred_at": AS_OF, "amount": Money("1.00", "USD")}]
    mixed = frame(rows * 2).assign(currency=["USD", "EUR"])
    with pytest.raises(CurrencyMismatch):
        analytics.value_metrics(mixed, as_of=AS_OF)
    tenant = stored_mixed(store)
    with pytest.raises(CurrencyMismatch):
        analytics.cohort_retention(store, tenant_id=tenant)
    for data, extra in ((frame(rows), {}), (store, {"tenant_id": stored(store, rows)})):
        with pytest.raises(ValidationError) as err:
            analytics.value_metrics(data, as_of=AS_OF - timedelta(days=1), **extra)
        assert err.value.field == "occurred_at"
    with pytest.raises(ValidationError) as err:
        analytics.average_order_value(store)
    assert err.value.field == "tenant_id"
    with pytest.raises(ValidationError) as err:
        analytics.value_metrics(frame(rows), as_of=AS_OF, margin="1.5")
    assert err.value.field == "margin"


# -- satisfaction -----------------------------------------------------------------------------------


@st.composite
def responses(draw: st.DrawFn) -> list[dict[str, Any]]:
    """NPS and CSAT answers of a few customers to two surveys each, over four months."""
    out = []
    for i in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["nps", "csat"]))
        out.append(
            {
                "id": f"r{i}",
                "kind": kind,
                "survey_id": f"{kind}{draw(st.integers(1, 2))}",
                "customer_id": f"c{draw(st.integers(0, 5))}",
                "score": draw(st.integers(0, 10) if kind == "nps" else st.integers(1, 5)),
                "responded_at": AS_OF - timedelta(days=draw(st.integers(0, 120)), seconds=draw(st.integers(0, 86_399))),
            }
        )
    return out


def stored_responses(store: Store, rows: list[dict[str, Any]]) -> tuple[str, list[SurveyResponse]]:
    tenant = new_tenant()
    out = []
    with store.unit_of_work(tenant) as uow:
        for kind in ("nps", "csat"):
            for n in (1, 2):
                create_survey(uow, id=f"{kind}{n}", name=f"{kind} {n}", kind=kind, question="?")
        for r in rows:
            out.append(
                record_response(
                    uow,
                    id=r["id"],
                    survey_id=r["survey_id"],
                    customer_id=r["customer_id"],
                    score=r["score"],
                    at=r["responded_at"],
                )
            )
        uow.commit()
    return tenant, out


def response_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "survey_id": pd.Series([r["survey_id"] for r in rows], dtype="object"),
            "customer_id": pd.Series([r["customer_id"] for r in rows], dtype="object"),
            "score": pd.Series([r["score"] for r in rows], dtype="int64"),
            "responded_at": pd.to_datetime(pd.Series([r["responded_at"] for r in rows], dtype="object"), utc=True),
        }
    )


@SETTINGS
@given(rows=responses())
def test_nps_and_csat_breakdowns_agree_on_every_path(rows: list[dict[str, Any]], store: Store) -> None:
    tenant, recorded = stored_responses(store, rows)
    for kind, by_period, by_segment, engine_period, engine_segment in (
        ("nps", nps_by_period, nps_by_segment, analytics.nps_by_period, analytics.nps_by_segment),
        ("csat", csat_by_period, csat_by_segment, analytics.csat_by_period, analytics.csat_by_segment),
    ):
        mine = [r for r in rows if r["kind"] == kind]
        df = response_frame(mine)
        kept = [r for r in recorded if r.kind.value == kind]
        for period in ("month", "week", "quarter"):
            expected = by_period(mine, period)
            assert by_period(kept, period) == expected
            for data in (mine, df, pl.from_pandas(df), pa.Table.from_pandas(df, preserve_index=False)):
                assert engine_period(data, period) == expected
            assert engine_period(store, period, tenant_id=tenant) == expected
        for segment in ("customer_id", "survey_id"):
            expected = by_segment(mine, segment)
            assert engine_segment(df, segment) == expected
            assert engine_segment(store, segment, tenant_id=tenant) == expected


def test_satisfaction_inputs_are_checked_like_the_reference(store: Store) -> None:
    at = AS_OF - timedelta(days=3)
    off_scale = response_frame([{"survey_id": "s", "customer_id": "a", "score": 11, "responded_at": at}])
    with pytest.raises(ValidationError) as err:
        analytics.nps_by_period(off_scale)
    assert err.value.field == "score" and err.value.value == "11"
    with pytest.raises(ValidationError) as err:
        analytics.csat_by_segment(off_scale.assign(score=4.0), "customer_id")
    assert err.value.field == "score"
    with pytest.raises(ValidationError) as err:
        analytics.nps_by_segment(off_scale.assign(score=9), lambda r: r["customer_id"])
    assert err.value.field == "segment"
    with pytest.raises(ValidationError) as err:
        analytics.nps_by_segment(store, "comment", tenant_id="t")
    assert err.value.field == "segment"
    with pytest.raises(ValidationError) as err:
        analytics.nps_by_period(off_scale.assign(responded_at=pd.to_datetime(["2026-05-01"])))
    assert err.value.field == "responded_at"
    berlin = ZoneInfo("Europe/Berlin")
    night = datetime(2026, 4, 30, 22, 30, tzinfo=UTC)  # already May in Berlin
    late = [{"survey_id": "s", "customer_id": "a", "score": 9, "responded_at": night}]
    assert analytics.nps_by_period(response_frame(late), tz=berlin) == nps_by_period(late, tz=berlin)
    assert analytics.nps_by_period(response_frame(late), tz=berlin).groups[0].group == "2026-05"
    scores = off_scale.assign(score=[9], segment=["gold"])
    result = analytics.nps_by_segment(scores, "segment")["gold"]
    assert result.score == Decimal(100) and result.responses == 1


@pytest.mark.rule(
    "Churn is only known for a complete period: with `as_of`, `churn_rate` refuses a "
    "period that has not ended by then with a `ValidationError` naming `period`."
)
def test_churn_of_a_month_still_running_is_refused_with_as_of_on_every_path(store: Store, tmp_path: Path) -> None:
    """Issue 19 item 7: on 10 June, June's churn was 100% (nobody had bought again yet)."""
    rows = [
        {"customer_id": c, "occurred_at": datetime(2026, 5, d, 9, tzinfo=UTC), "amount": Money("10.00", "USD")}
        for c, d in (("a", 3), ("b", 9), ("c", 20))
    ] + [{"customer_id": "a", "occurred_at": datetime(2026, 4, 2, 9, tzinfo=UTC), "amount": Money("5.00", "USD")}]
    june = Period.month(2026, 6)
    tenth = datetime(2026, 6, 10, 12, tzinfo=UTC)
    assert churn_rate(rows, june).rate == Decimal(1)  # what was reported: the caller said June was over
    for data, extra in inputs(rows, store, tmp_path):
        with pytest.raises(ValidationError) as refused:
            analytics.churn_rate(data, june, as_of=tenth, **extra)
        assert (refused.value.field, refused.value.value) == ("period", "2026-06")
        may = analytics.churn_rate(data, MAY, as_of=tenth, **extra)  # April's buyer a bought again in May
        assert (may.customers_at_start, may.churned, may.rate) == (1, 0, Decimal(0))
        over = analytics.churn_rate(data, june, as_of=datetime(2026, 7, 1, tzinfo=UTC), **extra)
        assert (over.customers_at_start, over.churned) == (3, 3)
    with pytest.raises(ValidationError, match="has not ended"):  # still 30 June in New York
        churn_rate(rows, june, as_of=datetime(2026, 7, 1, 3, tzinfo=UTC), tz=ZoneInfo("America/New_York"))
    with pytest.raises(ValidationError) as naive:
        churn_rate(rows, june, as_of=datetime(2026, 7, 1))
    assert naive.value.field == "as_of"
