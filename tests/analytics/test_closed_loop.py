"""The closed-loop report gives identical results on every path: the pure-Python reference over
DealOutcomes, the DuckDB engine over pandas, polars, Arrow and Parquet, and push-down into SQLite
and PostgreSQL over handoffs, renewal chains and customers built through the bridge's services."""

from __future__ import annotations

from collections.abc import Iterator
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

from bizrel.adapters import Store
from bizrel.analytics import closed_loop_report
from bizrel.bridge import BridgeConfig, CsmCandidate, DealOutcome, deal_outcomes, handoff_id, wire_bridge
from bizrel.bridge import closed_loop_report as reference
from bizrel.core import CurrencyMismatch, FixedClock, Money, ValidationError
from bizrel.customer import churn_subscription, renew_subscription, set_attribute
from bizrel.frames import to_pandas
from bizrel.sales import create_pipeline, open_opportunity, win_opportunity
from tests.analytics.helpers import new_tenant, open_pushdown_store

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DIMENSIONS = ["rep", "source", "pipeline", "size", "cycle"]
COLUMNAR = ["pandas", "polars", "arrow", "parquet"]
SIZE_BANDS = (Decimal(10_000), Decimal("50000.50"))
CONFIG = BridgeConfig(
    csm_candidates=(CsmCandidate(id="cs-ana", capacity=1000), CsmCandidate(id="cs-ben", capacity=1000)),
    collections_owner_id="ar-cleo",
    renewal_pipeline_id="renewals",
    term_days=365,
    renewal_lead_days=60,
)

amounts = st.one_of(
    st.sampled_from([0, 999_999, 1_000_000, 1_000_001, 5_000_050, 5_000_049]),  # around the size edges (EUR cents)
    st.integers(0, 10**12),
    st.integers(10**12, 10**14),
)
offsets = st.one_of(  # whole days around the band edges and quality_days, sometimes a microsecond off
    st.sampled_from([0, 29, 30, 31, 89, 90, 91, 400]),
    st.integers(0, 500),
).map(lambda days: timedelta(days=days)) | st.sampled_from(
    [timedelta(days=30, microseconds=-1), timedelta(days=90, microseconds=1)]
)


@st.composite
def outcomes(draw: st.DrawFn) -> list[DealOutcome]:
    """Deals with 1-4 terms, churned or not (around quality_days), customers with several deals and
    NPS present, absent or conflicting between their deals, ties in every dimension."""
    deals = []
    for i in range(draw(st.integers(0, 12))):
        opened = T0 + timedelta(days=draw(st.integers(0, 30)))
        closed = opened + draw(offsets)
        churned = draw(st.one_of(st.none(), offsets.map(lambda o: closed + o)))  # noqa: B023
        deals.append(
            DealOutcome(
                opportunity_id=f"o{i}",
                customer_id=f"c{draw(st.integers(0, 3))}",
                rep=draw(st.sampled_from(["ann", "bob", "o'brien"])),
                source=draw(st.sampled_from(["web", "referral", "unknown"])),
                pipeline=draw(st.sampled_from(["nb", "partner"])),
                amount=Money.from_minor(draw(amounts), "EUR"),
                opened_at=opened,
                closed_at=closed,
                terms=tuple(Money.from_minor(draw(amounts), "EUR") for _ in range(draw(st.integers(1, 4)))),
                churned_at=churned,
                nps=draw(st.one_of(st.none(), st.integers(0, 10))),
            )
        )
    return deals


def frames(deals: list[DealOutcome]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The documented columnar layout: one row per deal, one per term (seq = position)."""
    stamps = lambda values: pd.to_datetime(pd.Series(values, dtype="object"), utc=True)  # noqa: E731
    text = lambda name: pd.Series([getattr(d, name) for d in deals], dtype="object")  # noqa: E731
    deal_frame = pd.DataFrame(
        {
            **{name: text(name) for name in ("opportunity_id", "customer_id", "rep", "source", "pipeline")},
            "amount_minor": pd.Series([d.amount.to_minor() for d in deals], dtype="int64"),
            "currency": pd.Series([d.amount.currency.code for d in deals], dtype="object"),
            "opened_at": stamps([d.opened_at for d in deals]),
            "closed_at": stamps([d.closed_at for d in deals]),
            "churned_at": stamps([d.churned_at for d in deals]),
            "nps": pd.Series([d.nps for d in deals], dtype="Int64"),
        }
    )
    rows = [(d.opportunity_id, seq, t.to_minor(), t.currency.code) for d in deals for seq, t in enumerate(d.terms)]
    terms = pd.DataFrame(
        {
            "opportunity_id": pd.Series([r[0] for r in rows], dtype="object"),
            "seq": pd.Series([r[1] for r in rows], dtype="int64"),
            "amount_minor": pd.Series([r[2] for r in rows], dtype="int64"),
            "currency": pd.Series([r[3] for r in rows], dtype="object"),
        }
    )
    return deal_frame, terms


def columnar(kind: str, deals: list[DealOutcome], tmp_path: Path) -> tuple[object, object]:
    deal_frame, terms = frames(deals)
    if kind == "pandas":
        return deal_frame, terms
    if kind == "polars":
        return pl.from_pandas(deal_frame), pl.from_pandas(terms)
    arrow = pa.Table.from_pandas(deal_frame, preserve_index=False)
    term_table = pa.Table.from_pandas(terms, preserve_index=False)
    if kind == "arrow":
        return arrow, term_table
    pq.write_table(arrow, tmp_path / "deals.parquet")
    pq.write_table(term_table, tmp_path / "terms.parquet")
    return tmp_path / "deals.parquet", tmp_path / "terms.parquet"


def options(by: str, costs: bool) -> dict[str, Any]:
    groups = {"rep": "ann", "source": "web", "pipeline": "nb", "size": "0-10000", "cycle": "30-90d"}
    return {
        "by": by,
        "quality_days": 90,
        "size_bands": SIZE_BANDS,
        "cycle_bands": (30, 90),
        "costs": {groups[by]: Money(1_234, "EUR"), "nobody": Money(1, "EUR")} if costs else None,
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals=outcomes(), by=st.sampled_from(DIMENSIONS), costs=st.booleans(), kind=st.sampled_from(COLUMNAR))
def test_the_engine_gives_the_reference_report(
    deals: list[DealOutcome], by: str, costs: bool, kind: str, tmp_path: Path
) -> None:
    """Each example checks one columnar input kind (a DuckDB run costs ~0.1 s even on tiny inputs)."""
    expected = reference(deals, **options(by, costs))
    assert closed_loop_report(deals, **options(by, costs)) == expected
    assert closed_loop_report(*columnar(kind, deals, tmp_path), **options(by, costs)) == expected


# -- push-down over deals handed over by the bridge ------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_pushdown_store(request, FixedClock(T0))
    wire_bridge(s, CONFIG)
    yield s
    s.close()


@st.composite
def stories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """What happens to each won deal after the close: renewals (1-4 terms), churn (before or after
    quality_days, sometimes after as_of); customers shared by name, with or without an NPS."""
    return [
        {
            "account": draw(st.sampled_from(["Globex", "Initech", "Umbrella", "Hooli"])),
            "rep": draw(st.sampled_from(["ann", "bob"])),
            "source": draw(st.sampled_from(["web", "referral", ""])),
            "pipeline": draw(st.sampled_from(["nb", "partner"])),
            "amount": Money.from_minor(draw(amounts), "EUR"),
            "opened": T0 + timedelta(days=draw(st.integers(0, 60))),
            "cycle": draw(offsets),
            "renewals": [Money.from_minor(draw(amounts), "EUR") for _ in range(draw(st.integers(0, 3)))],
            "churn": draw(st.one_of(st.none(), offsets)),
        }
        for _ in range(draw(st.integers(0, 6)))
    ]


def handed_over(store: Store, stories: list[dict[str, Any]], nps: dict[str, int | None]) -> str:
    """A tenant whose deals were opened, won (and so handed over), renewed and churned through the
    services, on the store's clock; `nps` by account name."""
    tenant = new_tenant()
    clock = store.clock
    assert isinstance(clock, FixedClock)
    clock.set(T0)
    with store.unit_of_work(tenant) as uow:
        for pipeline in ("nb", "partner"):
            create_pipeline(uow, id=pipeline, name=pipeline, stages=[("qualify", "0.5")])
        create_pipeline(uow, id="renewals", name="renewals", kind="renewal", stages=[("due", "0.5")])
        uow.commit()
    for i, story in enumerate(stories):
        opp = f"o{i}"
        clock.set(story["opened"])
        with store.unit_of_work(tenant) as uow:
            open_opportunity(
                uow, id=opp, pipeline_id=story["pipeline"], owner_id=story["rep"], account_name=story["account"],
                amount=story["amount"], expected_close=date(2026, 6, 1), source=story["source"] or None,
            )  # fmt: skip
            uow.commit()
        closed = story["opened"] + story["cycle"]
        clock.set(closed)
        with store.unit_of_work(tenant) as uow:
            win_opportunity(uow, opp)
            uow.commit()
        term = f"{handoff_id(opp)}:subscription"
        with store.unit_of_work(tenant) as uow:
            for k, amount in enumerate(story["renewals"]):
                clock.set(closed + timedelta(days=k + 1))
                term = renew_subscription(uow, term, end=date(2030, 1, 1) + timedelta(days=k), amount=amount).id
            if story["churn"] is not None:
                clock.set(closed + story["churn"])
                churn_subscription(uow, term, "budget")
            uow.commit()
    with store.unit_of_work(tenant) as uow:
        for customer in uow.customers.list():
            score = nps.get(customer.name)
            if score is not None:
                set_attribute(uow, customer.id, "nps", score)
        uow.commit()
    return tenant


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=stories(),
    nps=st.dictionaries(st.sampled_from(["Globex", "Initech", "Umbrella"]), st.one_of(st.none(), st.integers(0, 10))),
    as_of=st.integers(30, 700).map(lambda days: T0 + timedelta(days=days)),
    costs=st.booleans(),
    kind=st.sampled_from(COLUMNAR),
    by=st.sampled_from(DIMENSIONS),
)
def test_every_path_gives_the_report_of_the_stored_outcomes(
    data: list[dict[str, Any]],
    nps: dict[str, int | None],
    as_of: datetime,
    costs: bool,
    kind: str,
    by: str,
    store: Store,
    tmp_path: Path,
) -> None:
    tenant = handed_over(store, data, nps)
    with store.unit_of_work(tenant) as uow:
        outcomes = deal_outcomes(uow, as_of)
    for dimension in DIMENSIONS:
        expected = reference(outcomes, **options(dimension, costs))
        assert closed_loop_report(store, tenant_id=tenant, as_of=as_of, **options(dimension, costs)) == expected
    expected = reference(outcomes, **options(by, costs))
    assert closed_loop_report(*columnar(kind, outcomes, tmp_path), **options(by, costs)) == expected


def test_the_store_clock_is_the_default_as_of(store: Store) -> None:
    story = {
        "account": "Globex", "rep": "ann", "source": "web", "pipeline": "nb", "amount": Money(100, "EUR"),
        "opened": T0, "cycle": timedelta(days=3), "renewals": [Money(150, "EUR")], "churn": timedelta(days=400),
    }  # fmt: skip
    tenant = handed_over(store, [story], {"Globex": 10})
    assert isinstance(store.clock, FixedClock)
    store.clock.set(T0 + timedelta(days=500))  # after the churn (403 days in)
    with store.unit_of_work(tenant) as uow:
        expected = reference(deal_outcomes(uow))
    report = closed_loop_report(store, tenant_id=tenant)
    assert report == expected and report.line("ann").retained == 0
    earlier = closed_loop_report(store, tenant_id=tenant, as_of=T0 + timedelta(days=100))
    assert earlier.line("ann").retained == 1
    at_the_churn = T0 + timedelta(days=403)  # churned as of the very instant
    with store.unit_of_work(tenant) as uow:
        expected = reference(deal_outcomes(uow, at_the_churn))
    assert closed_loop_report(store, tenant_id=tenant, as_of=at_the_churn) == expected
    assert expected.line("ann").retained == 0


@pytest.mark.rule("All amounts and terms must be in one currency (`CurrencyMismatch` otherwise, on every path).")
def test_mixed_currencies_are_refused_on_every_path(store: Store, tmp_path: Path) -> None:
    base = {
        "account": "Globex", "rep": "ann", "source": "web", "pipeline": "nb", "amount": Money(100, "EUR"),
        "opened": T0, "cycle": timedelta(days=3), "renewals": [], "churn": None,
    }  # fmt: skip
    # A renewal in another currency can no longer be stored (a renewal keeps its term's currency), so
    # mixed terms are checked on the paths that take outcomes directly.
    tenant = handed_over(store, [base, {**base, "amount": Money(5, "USD")}], {})
    with store.unit_of_work(tenant) as uow:
        mixed_amounts = deal_outcomes(uow)
    euro_deal = mixed_amounts[0]
    mixed_terms = [attrs.evolve(euro_deal, terms=(*euro_deal.terms, Money(7, "USD")))]
    cases = [
        *([mixed_amounts], [store], columnar("pandas", mixed_amounts, tmp_path / "amounts")),
        *([mixed_terms], columnar("pandas", mixed_terms, tmp_path / "terms")),
    ]
    for data in cases:
        with pytest.raises(CurrencyMismatch) as err:
            closed_loop_report(*data, tenant_id=tenant if data[0] is store else None)
        assert (err.value.field, err.value.expected, err.value.got) == ("currency", "EUR", "USD")


def test_bad_columnar_inputs_name_the_field(store: Store) -> None:
    deal = DealOutcome(
        opportunity_id="o1", customer_id="c1", rep="ann", source="web", pipeline="nb", amount=Money("10.25", "EUR"),
        opened_at=T0, closed_at=T0 + timedelta(days=2), terms=(Money("10.25", "EUR"), Money("12.50", "EUR")),
    )  # fmt: skip
    deals, terms = frames([deal])
    decimal_deals = deals.drop(columns="amount_minor").assign(amount=[Decimal("10.25")])
    decimal_terms = terms.drop(columns="amount_minor").assign(amount=[Decimal("10.25"), Decimal("12.5")])
    assert closed_loop_report(pa.Table.from_pandas(decimal_deals), pa.Table.from_pandas(decimal_terms)) == reference(
        [deal]
    )
    bad = {
        "closed_at": (deals.assign(closed_at=deals.closed_at.dt.tz_localize(None)), terms),
        "amount": (deals.drop(columns="amount_minor").assign(amount=[10.25]), terms),
        "rep": (deals.drop(columns="rep"), terms),
        "nps": (deals.assign(nps=[9.0]), terms),
        "seq": (deals, terms.drop(columns="seq")),
        "terms": (deals, None),
    }
    for field, (deal_input, term_input) in bad.items():
        with pytest.raises(ValidationError) as err:
            closed_loop_report(deal_input, term_input)
        assert err.value.field == field
    floats = deals.drop(columns="amount_minor").assign(amount=[10.25])
    assert closed_loop_report(floats, terms, allow_float_amounts=True) == reference([deal])
    for call, field in (
        (lambda: closed_loop_report(store), "tenant_id"),
        (lambda: closed_loop_report([deal], terms), "terms"),
        (lambda: closed_loop_report([deal], by="colour"), "by"),
        (lambda: closed_loop_report(deals, terms, by="colour"), "by"),
        (lambda: closed_loop_report([deal], as_of=T0), "as_of"),
    ):
        with pytest.raises(ValidationError) as err:
            call()
        assert err.value.field == field


def test_a_customers_last_deal_gives_its_nps_and_a_deal_without_terms_has_its_amount() -> None:
    def deal(i: int, nps: int | None) -> DealOutcome:
        return DealOutcome(
            opportunity_id=f"o{i}", customer_id="c1", rep="ann", source="web", pipeline="nb", amount=Money(10, "EUR"),
            opened_at=T0, closed_at=T0, terms=(Money(10, "EUR"),), nps=nps,
        )  # fmt: skip

    deals = [deal(0, 3), deal(1, 10), deal(2, None)]
    deal_frame, terms = frames(deals)
    report = closed_loop_report(deal_frame, terms.iloc[:0])
    assert report == reference(deals) and report.line("ann").nps == Decimal(100)
    reordered = [deals[1], deals[0], deals[2]]
    assert closed_loop_report(*frames(reordered)) == reference(reordered)
    assert reference(reordered).line("ann").nps == Decimal(-100)


def test_progress_and_rows() -> None:
    deal = DealOutcome(
        opportunity_id="o1", customer_id="c1", rep="ann", source="web", pipeline="nb", amount=Money(10, "EUR"),
        opened_at=T0, closed_at=T0, terms=(Money(10, "EUR"),),
    )  # fmt: skip
    calls: list[tuple[int, int | None]] = []
    closed_loop_report([deal], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 1)]
    calls.clear()
    report = closed_loop_report(*frames([deal]), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert to_pandas(report)["group"].tolist() == ["ann"]
    assert closed_loop_report(*frames([])) == reference([]) == closed_loop_report([])


def test_csv_files_keep_the_input_order(tmp_path: Path) -> None:
    deals = [
        DealOutcome(
            opportunity_id=f"o{i}",
            customer_id="c1",
            rep="ann",
            source="web",
            pipeline="nb",
            amount=Money(10, "EUR"),
            opened_at=T0,
            closed_at=T0 + timedelta(days=i),
            terms=(Money(10, "EUR"), Money(12, "EUR")),
            nps=nps,
            churned_at=T0 + timedelta(days=200) if i == 1 else None,
        )
        for i, nps in enumerate([10, 3, None])
    ]
    deal_frame, terms = frames(deals)
    deal_frame.to_csv(tmp_path / "deals.csv", index=False)
    terms.to_csv(tmp_path / "terms.csv", index=False)
    report = closed_loop_report(tmp_path / "deals.csv", tmp_path / "terms.csv")
    assert report == reference(deals) and report.line("ann").nps == Decimal(-100)
