"""Attainment actuals are identical on every path: the pure-Python reference, the DuckDB engine over
pandas, polars, Arrow and Parquet, and push-down into SQLite and PostgreSQL over stored won deals and
contract payments; with split credit (largest remainder, ties), team moves on the boundary days,
timestamps in several time zones around the period's edges, empty input and very large amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
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

from bizrel.adapters import Store
from bizrel.analytics import attainment, bookings, collections_received
from bizrel.core import CurrencyMismatch, Money, ValidationError
from bizrel.core.ids import tenant
from bizrel.core.periods import Period
from bizrel.frames import to_pandas
from bizrel.sales import Contract, Opportunity, OpportunityStatus
from bizrel.sales import attainment as reference
from bizrel.sales.collections import Payment
from bizrel.sales.teams import Membership, Role, SalesOrganisation
from tests.analytics.helpers import new_tenant

PERIOD = Period.quarter(2026, 1)
REPS = ["r0", "r1", "r2", "r'3"]
ZONES = [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-8))]
BOUNDARY_DAYS = [PERIOD.start, PERIOD.start + timedelta(days=40), PERIOD.end, PERIOD.end - timedelta(days=1)]
COLUMNAR = ["pandas", "polars", "arrow", "parquet"]

# instants near the period's edges and the boundary days, in several zones (the UTC day decides)
instants = st.builds(
    lambda day, shift, micro, tz: (
        datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=shift, microseconds=micro)
    ).astimezone(tz),
    st.sampled_from(BOUNDARY_DAYS),
    st.sampled_from([-1, 0, 1, 3600 * 7, 86_399, -86_400 * 3]),
    st.sampled_from([0, 999_999]),
    st.sampled_from(ZONES),
)
amounts = st.one_of(st.integers(0, 4).map(lambda x: x * 100 + 1), st.integers(0, 10**15))
shares = st.dictionaries(
    st.sampled_from(REPS), st.sampled_from([0, 1, 2, "1", "0.5", "0.333", Decimal("2.50")]), min_size=1, max_size=4
).filter(lambda s: any(Decimal(str(v)) for v in s.values()))


@st.composite
def deals(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Deals (status, closed_at, amount, owner) and the splits of some of them."""
    rows = [
        {
            "id": f"o{i}",
            "status": draw(st.sampled_from(["won", "won", "lost", "open"])),
            "closed_at": draw(instants),
            "amount": Money.from_minor(draw(amounts), "USD"),
            "owner_id": draw(st.sampled_from(REPS)),
        }
        for i in range(draw(st.integers(0, 10)))
    ]
    for r in rows:
        if r["status"] == "open":
            r["closed_at"] = None
    split = {r["id"]: draw(shares) for r in rows if draw(st.booleans())}
    return rows, split


@st.composite
def organisations(draw: st.DrawFn) -> SalesOrganisation | None:
    """None, or reps moving between teams on the boundary days (some never in a team)."""
    if draw(st.booleans()):
        return None
    org = SalesOrganisation.create(tenant_id=tenant("t"), id="org", name="Org", root_team="root", root_name="Root")
    org.add_team("east", "East", "root")
    org.add_team("we'st", "West", "root")
    for rep in REPS[:3]:
        team = None
        for day in sorted(draw(st.sets(st.sampled_from(BOUNDARY_DAYS), max_size=3))):
            choices = [t for t in ("root", "east", "we'st") if t != team]
            team = draw(st.sampled_from(choices))
            org.assign(rep, team, day)
        if team is not None and draw(st.booleans()):
            org.leave(rep, PERIOD.end + timedelta(days=5))
    return org


def with_splits(rows: list[dict[str, Any]], split: dict[str, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [{**r, "splits": split.get(r[key])} for r in rows]


def stamps(values: list[datetime | None]) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True)


def frame(rows: list[dict[str, Any]], when: str, key: str) -> pd.DataFrame:
    columns: dict[str, Any] = {
        key: pd.Series([r[key] for r in rows], dtype="object"),
        "owner_id": pd.Series([r["owner_id"] for r in rows], dtype="object"),
        when: stamps([r[when] for r in rows]),
        "amount_minor": pd.Series([r["amount"].to_minor() for r in rows], dtype="int64"),
        "currency": pd.Series([r["amount"].currency.code for r in rows], dtype="object"),
    }
    if "status" in (rows[0] if rows else {"status": 1}):
        columns["status"] = pd.Series([r.get("status") for r in rows], dtype="object")
    return pd.DataFrame(columns)


def split_frame(split: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The documented splits relation; seq keeps each mapping's order (ties go to the lower seq)."""
    entries = [
        (deal, seq, rep, Decimal(str(share))) for deal, s in split.items() for seq, (rep, share) in enumerate(s.items())
    ]
    return pd.DataFrame(
        {
            "opportunity_id": pd.Series([e[0] for e in entries], dtype="object"),
            "seq": pd.Series([e[1] for e in entries], dtype="int64"),
            "owner_id": pd.Series([e[2] for e in entries], dtype="object"),
            "share": pd.Series([e[3] for e in entries], dtype="object"),
        }
    )


def columnar(kind: str, df: pd.DataFrame, tmp_path: Path, name: str) -> object:
    table = pa.Table.from_pandas(df, preserve_index=False)
    if kind == "pandas":
        return df
    if kind == "polars":
        return pl.from_arrow(table)
    if kind == "arrow":
        return table
    path = tmp_path / f"{name}.parquet"
    pq.write_table(table, path)
    return path


def decimal_shares(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False).cast(
        pa.schema(
            [
                ("opportunity_id", pa.string()),
                ("seq", pa.int64()),
                ("owner_id", pa.string()),
                ("share", pa.decimal128(12, 4)),
            ]
        )
    )


def stored_deals(s: Store, rows: list[dict[str, Any]]) -> str:
    name = new_tenant()
    with s.unit_of_work(name) as uow:
        for r in rows:
            uow.opportunities.add(
                Opportunity(
                    tenant_id=uow.tenant_id,
                    id=r["id"],
                    pipeline_id="p",
                    owner_id=r["owner_id"],
                    account_name="a",
                    amount=r["amount"],
                    expected_close=date(2026, 6, 1),
                    created_at=datetime(2025, 1, 1, tzinfo=UTC),
                    stage="S",
                    history=[],
                    status=OpportunityStatus(r["status"]),
                    closed_at=r["closed_at"],
                )
            )
        uow.commit()
    return name


def stored_payments(s: Store, rows: list[dict[str, Any]]) -> str:
    """One contract per deal holding its payments (the owner and currency are the contract's)."""
    name = new_tenant()
    with s.unit_of_work(name) as uow:
        for deal in sorted({r["deal_id"] for r in rows}):
            paid = [r for r in rows if r["deal_id"] == deal]
            uow.contracts.add(
                Contract(
                    tenant_id=uow.tenant_id,
                    id=f"k{deal}",
                    opportunity_id=deal,
                    owner_id=paid[0]["owner_id"],
                    account_name="a",
                    amount=paid[0]["amount"],
                    won_at=datetime(2025, 1, 1, tzinfo=UTC),
                    instalments=[],
                    invoices=[],
                    payments=[Payment(f"p{i}", r["received_at"], r["amount"]) for i, r in enumerate(paid)],
                    applications=[],
                    reminders=[],
                )
            )
        uow.commit()
    return name


def payments_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deals as payment records: each deal's owner is paid in pieces at the deal's instants."""
    return [
        {"deal_id": r["id"], "owner_id": r["owner_id"], "received_at": r["closed_at"] or at, "amount": r["amount"]}
        for r in rows
        for at in ([r["closed_at"]] if r["status"] == "won" else [datetime(2026, 3, 31, 23, tzinfo=UTC)])
    ]


@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=deals(), org=organisations(), kind=st.sampled_from(COLUMNAR), mapping=st.booleans())
def test_bookings_are_the_reference_on_every_path(
    data: tuple[list[dict[str, Any]], dict[str, dict[str, Any]]],
    org: SalesOrganisation | None,
    kind: str,
    mapping: bool,
    store: Store,
    tmp_path: Path,
) -> None:
    rows, split = data
    credit = None if org is None else org.team_of
    expected = reference.bookings(with_splits(rows, split, "id"), PERIOD, credit=credit)
    assert bookings(rows, PERIOD, credit=credit, splits=split) == expected
    splits: object = split if mapping else columnar(kind, split_frame(split), tmp_path, "splits")
    assert (
        bookings(columnar(kind, frame(rows, "closed_at", "id"), tmp_path, "deals"), PERIOD, credit=org, splits=splits)
        == expected
    )
    assert bookings(store, PERIOD, tenant_id=stored_deals(store, rows), credit=credit, splits=split) == expected


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=deals(), org=organisations(), kind=st.sampled_from(COLUMNAR))
def test_collections_are_the_reference_on_every_path(
    data: tuple[list[dict[str, Any]], dict[str, dict[str, Any]]],
    org: SalesOrganisation | None,
    kind: str,
    store: Store,
    tmp_path: Path,
) -> None:
    rows, split = data
    payments = [p for p in payments_of(rows) if p["amount"].to_minor() > 0]
    credit = None if org is None else org.team_of
    expected = reference.collections_received(with_splits(payments, split, "deal_id"), PERIOD, credit=credit)
    assert collections_received(payments, PERIOD, credit=credit, splits=split) == expected
    df = columnar(kind, frame(payments, "received_at", "deal_id"), tmp_path, "payments")
    assert collections_received(df, PERIOD, credit=credit, splits=split) == expected
    tenant_id = stored_payments(store, payments)
    assert collections_received(store, PERIOD, tenant_id=tenant_id, credit=credit, splits=split) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=deals(), as_of=st.sampled_from([*BOUNDARY_DAYS, PERIOD.start - timedelta(days=1), date(2026, 5, 1)]))
def test_the_attainment_report_is_the_reference_on_every_path(
    data: tuple[list[dict[str, Any]], dict[str, dict[str, Any]]], as_of: date, store: Store
) -> None:
    rows, split = data
    targets: dict[str, Money | int] = {rep: Money.from_minor(10**7 * (i + 1), "USD") for i, rep in enumerate(REPS)}
    actuals: dict[str, Money] = {}
    if as_of > PERIOD.start:  # what happened before as_of, as sales.target_attainment counts it
        so_far = Period(PERIOD.start, min(as_of, PERIOD.end), PERIOD.kind)
        actuals = reference.bookings(with_splits(rows, split, "id"), so_far, currency="USD")
    expected = reference.attainment_report(targets, dict(actuals), PERIOD, as_of)
    assert attainment(targets, rows, PERIOD, as_of, splits=split) == expected
    assert attainment(targets, frame(rows, "closed_at", "id"), PERIOD, as_of, splits=split) == expected
    assert attainment(targets, store, PERIOD, as_of, tenant_id=stored_deals(store, rows), splits=split) == expected


def test_largest_remainder_ties_go_to_the_lowest_seq_and_huge_amounts_stay_exact(store: Store) -> None:
    at = datetime(2026, 2, 1, tzinfo=UTC)
    rows = [
        {"id": "a", "status": "won", "closed_at": at, "amount": Money.from_minor(10, "USD"), "owner_id": "x"},
        {"id": "b", "status": "won", "closed_at": at, "amount": Money.from_minor(10**17 + 1, "USD"), "owner_id": "x"},
        {"id": "c", "status": "won", "closed_at": at, "amount": Money.from_minor(5, "USD"), "owner_id": "x"},
    ]
    split = {"a": {"r2": 1, "r1": 1, "r0": 1}, "b": {"r0": "0.1", "r1": "0.7", "r2": "0.2"}, "c": {"r0": 0, "r9": 3}}
    expected = reference.bookings(with_splits(rows, split, "id"), PERIOD)
    assert expected["r2"] == Money.from_minor(4 + 2 * 10**16, "USD")  # the tie's extra cent: the first listed
    assert expected["r0"] == Money.from_minor(3 + 10**16, "USD")  # zero share: a zero credit, still listed
    assert bookings(frame(rows, "closed_at", "id"), PERIOD, splits=split) == expected
    assert bookings(frame(rows, "closed_at", "id"), PERIOD, splits=decimal_shares(split_frame(split))) == expected
    assert bookings(store, PERIOD, tenant_id=stored_deals(store, rows), splits=split) == expected


def test_negative_amounts_split_as_the_mirror_image() -> None:
    at = datetime(2026, 2, 1, tzinfo=UTC)
    rows = [{"deal_id": "a", "owner_id": "x", "received_at": at, "amount": Money.from_minor(-10, "USD")}]
    split = {"a": {"r0": 1, "r1": 2}}
    expected = reference.collections_received(with_splits(rows, split, "deal_id"), PERIOD)
    assert collections_received(frame(rows, "received_at", "deal_id"), PERIOD, splits=split) == expected


def test_empty_inputs_give_an_empty_mapping(store: Store) -> None:
    assert bookings([], PERIOD) == bookings(frame([], "closed_at", "id"), PERIOD) == {}
    assert bookings(store, PERIOD, tenant_id=new_tenant()) == {}
    assert collections_received(store, PERIOD, tenant_id=new_tenant(), splits={"x": {"a": 1}}) == {}


@pytest.mark.rule(
    "Several currencies among the records that count are refused with `CurrencyMismatch` (field `amount`) "
    "on every path; a bad share (negative, or all of a deal's shares zero) gets the reference's "
    "ValidationError, and only on a deal that counts."
)
def test_mixed_currencies_are_refused_on_every_path(store: Store) -> None:
    at = datetime(2026, 2, 1, tzinfo=UTC)
    rows = [
        {"id": "a", "status": "won", "closed_at": at, "amount": Money("1.00", "USD"), "owner_id": "x"},
        {"id": "b", "status": "won", "closed_at": at, "amount": Money("1.00", "EUR"), "owner_id": "y"},
    ]
    tenant_id = stored_deals(store, rows)
    payments = payments_of(rows)
    for call in (
        lambda: bookings(rows, PERIOD),
        lambda: bookings(frame(rows, "closed_at", "id"), PERIOD),
        lambda: bookings(store, PERIOD, tenant_id=tenant_id),
        lambda: bookings(frame(rows[:1], "closed_at", "id"), PERIOD, currency="EUR"),
        lambda: collections_received(payments, PERIOD),
        lambda: collections_received(frame(payments, "received_at", "deal_id"), PERIOD),
        lambda: collections_received(store, PERIOD, tenant_id=stored_payments(store, payments)),
    ):
        with pytest.raises(CurrencyMismatch) as err:
            call()
        assert err.value.field == "amount"
    # outside the period another currency does not matter, as in the reference
    later = [rows[0], {**rows[1], "closed_at": PERIOD.end + timedelta(days=1)}]
    assert bookings(frame(later, "closed_at", "id"), PERIOD) == reference.bookings(later, PERIOD)


def test_bad_shares_get_the_reference_errors_only_on_deals_that_count(store: Store) -> None:
    at = datetime(2026, 2, 1, tzinfo=UTC)
    rows = [
        {"id": "a", "status": "won", "closed_at": at, "amount": Money("1.00", "USD"), "owner_id": "x"},
        {"id": "b", "status": "lost", "closed_at": at, "amount": Money("1.00", "USD"), "owner_id": "x"},
    ]
    tenant_id = stored_deals(store, rows)
    df = frame(rows, "closed_at", "id")
    for bad, field in (({"r0": 0, "r1": "0"}, "shares"), ({"r0": 1, "r1": -1}, "shares[r1]")):
        with pytest.raises(ValidationError) as expected:
            reference.bookings(with_splits(rows, {"a": bad}, "id"), PERIOD)
        assert expected.value.field == field
        for data in (rows, df, store):
            with pytest.raises(ValidationError) as err:
                bookings(data, PERIOD, tenant_id=tenant_id, splits={"a": bad})
            assert (err.value.field, err.value.value) == (field, expected.value.value)
        with pytest.raises(ValidationError) as err:
            bookings(df, PERIOD, splits=split_frame({"a": bad}).assign(share=[Decimal(str(v)) for v in bad.values()]))
        assert err.value.field == field
        assert bookings(df, PERIOD, splits={"b": bad}) == reference.bookings(rows, PERIOD)  # a lost deal's split
    duplicated = pd.concat([split_frame({"a": {"r0": 1}})] * 2)
    with pytest.raises(ValidationError) as err:
        bookings(df, PERIOD, splits=duplicated)
    assert err.value.field == "splits"
    with pytest.raises(ValidationError) as err:
        bookings(df, PERIOD, splits=split_frame({"a": {"r0": 1}}).assign(share=[0.5]))
    assert err.value.field == "share"


@pytest.mark.rule(
    "SQLite computes in 64-bit integers: a deal's shares are reduced to the smallest integers in the same "
    "proportions, and shares finer than that allows are refused with a ValidationError naming the deal."
)
def test_shares_too_fine_for_64_bit_weights_are_refused_on_sqlite_naming_the_deal(store: Store) -> None:
    at = datetime(2026, 2, 1, tzinfo=UTC)
    rows = [{"id": "a", "status": "won", "closed_at": at, "amount": Money("1.00", "USD"), "owner_id": "x"}]
    tenant_id = stored_deals(store, rows)
    fine = {"r0": Decimal(1), "r1": Decimal("0.000000000001")}  # weights 10**12 and 1: their product overflows
    coarse = {"r0": Decimal("0.5"), "r1": Decimal("0.25")}  # weights 2 and 1
    expected = reference.bookings(with_splits(rows, {"a": coarse}, "id"), PERIOD)
    assert bookings(store, PERIOD, tenant_id=tenant_id, splits={"a": coarse}) == expected
    if store.backend.dialect_name != "sqlite":  # type: ignore[attr-defined]
        assert bookings(store, PERIOD, tenant_id=tenant_id, splits={"a": fine}) == reference.bookings(
            with_splits(rows, {"a": fine}, "id"), PERIOD
        )
        return
    with pytest.raises(ValidationError) as err:
        bookings(store, PERIOD, tenant_id=tenant_id, splits={"a": fine})
    assert err.value.field == "splits[a]" and "too fine" in err.value.reason


def test_overlapping_memberships_credit_the_earlier_one_as_team_of_does(store: Store) -> None:
    org = SalesOrganisation.create(tenant_id=tenant("t"), id="org", name="Org", root_team="root", root_name="Root")
    org.add_team("east", "East", "root")
    org.assign("x", "root", date(2026, 2, 1))
    org.memberships.insert(0, Membership("x", "east", Role.REP, date(2026, 1, 10), date(2026, 2, 10)))
    org.memberships.append(Membership("x", "east", Role.MANAGER, date(2025, 1, 1)))  # managers are not credited
    rows = [
        {"id": f"o{d}", "status": "won", "closed_at": at, "amount": Money("1.00", "USD"), "owner_id": "x"}
        for d, at in enumerate(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n) for n in (5, 20, 35, 45))
    ]
    expected = reference.bookings(rows, PERIOD, credit=org.team_of)
    assert expected == {"east": Money("2.00", "USD"), "root": Money("1.00", "USD")}
    assert bookings(frame(rows, "closed_at", "id"), PERIOD, credit=org.team_of) == expected
    assert bookings(store, PERIOD, tenant_id=stored_deals(store, rows), credit=org) == expected


@pytest.mark.rule(
    "Team credit follows the team a rep was in on the day: pass `credit=org.team_of` (or the "
    "`SalesOrganisation`); its membership history becomes a relation, and any other callable is refused "
    "off the records path with a ValidationError naming `credit`, since it cannot run in SQL."
)
def test_other_credit_callables_are_refused_off_the_reference_path(store: Store) -> None:
    rows = [
        {
            "id": "a",
            "status": "won",
            "closed_at": datetime(2026, 2, 1, tzinfo=UTC),
            "amount": Money("1.00", "USD"),
            "owner_id": "x",
        }
    ]
    assert bookings(rows, PERIOD, credit=lambda rep, day: "team") == {"team": Money("1.00", "USD")}
    for data, tenant_id in ((frame(rows, "closed_at", "id"), None), (store, new_tenant())):
        with pytest.raises(ValidationError) as err:
            bookings(data, PERIOD, tenant_id=tenant_id, credit=lambda rep, day: "team")
        assert err.value.field == "credit"


def test_bad_columnar_input_names_the_field() -> None:
    rows = [
        {
            "id": "a",
            "status": "won",
            "closed_at": datetime(2026, 2, 1, tzinfo=UTC),
            "amount": Money("1.00", "USD"),
            "owner_id": "x",
        }
    ]
    df = frame(rows, "closed_at", "id")
    for bad, field in (
        (df.drop(columns="owner_id"), "owner_id"),
        (df.assign(closed_at=df.closed_at.dt.tz_localize(None)), "closed_at"),
        (df.drop(columns="amount_minor").assign(amount=[1.0]), "amount"),
        (df.drop(columns="id"), "id"),
    ):
        with pytest.raises(ValidationError) as err:
            bookings(bad, PERIOD, splits={"a": {"r": 1}})
        assert err.value.field == field
    with pytest.raises(ValidationError) as err:
        bookings(rows, PERIOD, splits=df)  # records take a mapping
    assert err.value.field == "splits"
    allowed = df.drop(columns="amount_minor").assign(amount=[1.005])
    assert bookings(allowed, PERIOD, allow_float_amounts=True) == {"x": Money("1.00", "USD")}
    dates = df.assign(closed_at=[date(2026, 3, 31)])
    assert bookings(dates, PERIOD) == reference.bookings([{**rows[0], "closed_at": date(2026, 3, 31)}], PERIOD)


def test_progress_is_reported_on_every_path(store: Store) -> None:
    rows = [
        {
            "id": "a",
            "status": "won",
            "closed_at": datetime(2026, 2, 1, tzinfo=UTC),
            "amount": Money("1.00", "USD"),
            "owner_id": "x",
        }
    ]
    for data, tenant_id in ((rows, None), (frame(rows, "closed_at", "id"), None), (store, stored_deals(store, rows))):
        calls: list[tuple[int, int | None]] = []
        bookings(data, PERIOD, tenant_id=tenant_id, progress=lambda d, t, seen=calls: seen.append((d, t)))
        assert calls and calls[-1][0] == calls[-1][1]


def test_the_report_converts_to_a_frame() -> None:
    rows = [
        {
            "id": "a",
            "status": "won",
            "closed_at": datetime(2026, 2, 1, tzinfo=UTC),
            "amount": Money("1.00", "USD"),
            "owner_id": "x",
        }
    ]
    report = attainment({"x": Money("4.00", "USD")}, frame(rows, "closed_at", "id"), PERIOD, date(2026, 5, 1))
    table = to_pandas(report)
    assert list(table["owner_id"]) == ["x"] and table["attainment"][0] == Decimal("0.25")
