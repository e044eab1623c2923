"""RFM summaries: both conventions against brute-force references and pandas, score properties, bad input."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_EVEN, Context, Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Money
from bizrel.customer import SEGMENT_RULES, quantile_scores, rfm_segment, rfm_summary

AS_OF = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
ZONES: list[tzinfo] = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), timezone(timedelta(hours=-11))]
WIDE = Context(prec=60)


@dataclass(frozen=True)
class Txn:
    customer_id: str
    occurred_at: datetime
    amount: Money


def _record(customer: int, seconds: int, zone: tzinfo, minor: int, as_dict: bool) -> object:
    at = (AS_OF - timedelta(seconds=seconds)).astimezone(zone)
    amount = Money.from_minor(minor, "USD")
    if as_dict:
        return {"customer_id": f"c{customer}", "occurred_at": at, "amount": amount}
    return Txn(f"c{customer}", at, amount)


def transactions(max_size: int = 40) -> st.SearchStrategy[list[object]]:
    """Purchases of a few customers over ~400 days before AS_OF, as dicts or objects, in several zones."""
    record = st.builds(
        _record,
        st.integers(0, 12),
        st.integers(0, 400 * 86_400),
        st.sampled_from(ZONES),
        st.integers(0, 50_000),
        st.booleans(),
    )
    return st.lists(record, max_size=max_size)


def _fields(t: object) -> tuple[str, datetime, Money]:
    if isinstance(t, dict):
        return t["customer_id"], t["occurred_at"], t["amount"]
    assert isinstance(t, Txn)
    return t.customer_id, t.occurred_at, t.amount


def _mean(amounts: list[Decimal]) -> Decimal:
    if not amounts:
        return Decimal("0.00")
    return WIDE.divide(sum(amounts, Decimal(0)), Decimal(len(amounts))).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def reference_classic(txns: list[object], tz: tzinfo, mean: bool) -> dict[str, tuple[int, int, Decimal]]:
    by_customer: dict[str, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for t in txns:
        c, at, amount = _fields(t)
        by_customer[c].append((at, amount.amount))
    today = AS_OF.astimezone(tz).date()
    out = {}
    for c, items in by_customer.items():
        last = max(at for at, _ in items)
        amounts = [a for _, a in items]
        value = _mean(amounts) if mean else sum(amounts, Decimal(0))
        out[c] = ((today - last.astimezone(tz).date()).days, len(items), value)
    return out


def reference_lifetimes(txns: list[object], tz: tzinfo) -> dict[str, tuple[int, int, Decimal, int]]:
    by_day: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in txns:
        c, at, amount = _fields(t)
        by_day[c][at.astimezone(tz).date()] += amount.amount
    end = AS_OF.astimezone(tz).date()
    out = {}
    for c, days in by_day.items():
        ordered = sorted(days)
        repeat = [days[d] for d in ordered[1:]]
        out[c] = ((ordered[-1] - ordered[0]).days, len(ordered) - 1, _mean(repeat), (end - ordered[0]).days)
    return out


def reference_score(values: dict[str, object], customer: str, higher_is_better: bool) -> int:
    mine = values[customer]
    worse = sum(1 for v in values.values() if (v < mine if higher_is_better else v > mine))  # type: ignore[operator]
    return 1 + 5 * worse // len(values)


@settings(max_examples=200, deadline=None)
@given(txns=transactions(), tz=st.sampled_from(ZONES), mean=st.booleans())
def test_classic_agrees_with_brute_force(txns: list[object], tz: tzinfo, mean: bool) -> None:
    summary = rfm_summary(txns, as_of=AS_OF, monetary="mean" if mean else "total", tz=tz)
    expected = reference_classic(txns, tz, mean)
    assert [r.customer_id for r in summary] == sorted(expected)
    recency = {c: e[0] for c, e in expected.items()}
    frequency = {c: e[1] for c, e in expected.items()}
    monetary = {c: e[2] for c, e in expected.items()}
    for row in summary:
        c = row.customer_id
        assert (row.recency, row.frequency, row.monetary.amount, row.T) == (*expected[c], None)
        assert row.r_score == reference_score(recency, c, higher_is_better=False)
        assert row.f_score == reference_score(frequency, c, higher_is_better=True)
        assert row.m_score == reference_score(monetary, c, higher_is_better=True)


@settings(max_examples=200, deadline=None)
@given(txns=transactions(), tz=st.sampled_from(ZONES))
def test_lifetimes_agrees_with_brute_force(txns: list[object], tz: tzinfo) -> None:
    summary = rfm_summary(txns, as_of=AS_OF, convention="lifetimes", tz=tz)
    expected = reference_lifetimes(txns, tz)
    assert [r.customer_id for r in summary] == sorted(expected)
    since_last = {c: e[3] - e[0] for c, e in expected.items()}
    for row in summary:
        c = row.customer_id
        assert (row.recency, row.frequency, row.monetary.amount, row.T) == expected[c]
        assert row.r_score == reference_score(since_last, c, higher_is_better=False)
        assert row.to_row()["T"] == row.T


def _lifetimes_in_pandas(frame: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """lifetimes.utils.summary_data_from_transaction_data(freq="D", monetary_value_col="amount"), ported."""
    end = pd.Timestamp(as_of.replace(tzinfo=None)).to_period("D").to_timestamp()
    t = frame.copy()
    t["occurred_at"] = t["occurred_at"].dt.to_period("D").dt.to_timestamp()
    t = t.loc[t["occurred_at"] <= end]
    periods = (
        t.groupby(["customer_id", "occurred_at"], as_index=False)["amount"]
        .sum()
        .sort_values(["customer_id", "occurred_at"])
    )
    periods["first"] = ~periods.duplicated("customer_id")
    customers = periods.groupby("customer_id")["occurred_at"].agg(["min", "max", "count"])
    customers["frequency"] = customers["count"] - 1
    customers["T"] = (end - customers["min"]).dt.days
    customers["recency"] = (customers["max"] - customers["min"]).dt.days
    repeat = periods.loc[~periods["first"]]
    customers["monetary_value"] = repeat.groupby("customer_id")["amount"].mean()
    customers["monetary_value"] = customers["monetary_value"].fillna(0)
    return customers


@settings(max_examples=40, deadline=None)
@given(txns=transactions(max_size=60))
def test_both_conventions_agree_with_pandas(txns: list[object]) -> None:
    rows = [_fields(t) for t in txns]
    frame = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in rows],
            "occurred_at": pd.to_datetime([at.astimezone(UTC).replace(tzinfo=None) for _, at, _ in rows]),
            "amount": [int(a.to_minor()) for _, _, a in rows],
        }
    )
    classic = rfm_summary(txns, as_of=AS_OF)
    if rows:
        grouped = frame.groupby("customer_id").agg(
            last=("occurred_at", "max"), frequency=("amount", "size"), monetary=("amount", "sum")
        )
        grouped["recency"] = (pd.Timestamp(AS_OF.date()) - grouped["last"].dt.normalize()).dt.days
        n = len(grouped)
        grouped["r"] = 1 + 5 * (grouped["recency"].rank(method="min", ascending=False).astype(int) - 1) // n
        grouped["f"] = 1 + 5 * (grouped["frequency"].rank(method="min").astype(int) - 1) // n
        grouped["m"] = 1 + 5 * (grouped["monetary"].rank(method="min").astype(int) - 1) // n
        for row in classic:
            g = grouped.loc[row.customer_id]
            assert (row.recency, row.frequency, row.monetary.to_minor()) == (
                g["recency"],
                g["frequency"],
                g["monetary"],
            )
            assert (row.r_score, row.f_score, row.m_score) == (g["r"], g["f"], g["m"])
        lifetimes = _lifetimes_in_pandas(frame, AS_OF)
        for row in rfm_summary(txns, as_of=AS_OF, convention="lifetimes"):
            g = lifetimes.loc[row.customer_id]
            assert (row.frequency, row.recency, row.T) == (g["frequency"], g["recency"], g["T"])
            assert abs(row.monetary.to_minor() - g["monetary_value"]) <= 0.5 + 1e-9
    else:
        assert len(classic) == 0


@pytest.mark.rule(
    "Equal values always share a score, scores never drop as the value improves, and neither input order "
    "nor customer ids matter."
)
@settings(max_examples=150, deadline=None)
@given(values=st.dictionaries(st.text(min_size=1, max_size=4), st.integers(-50, 50), min_size=1, max_size=40))
def test_scores_stay_in_range_and_are_monotonic(values: dict[str, int]) -> None:
    up = quantile_scores(values)
    down = quantile_scores(values, higher_is_better=False)
    assert set(up.values()) <= {1, 2, 3, 4, 5} and set(down.values()) <= {1, 2, 3, 4, 5}
    for a in values:
        for b in values:
            if values[a] == values[b]:
                assert up[a] == up[b] and down[a] == down[b]
            elif values[a] < values[b]:
                assert up[a] <= up[b] and down[a] >= down[b]
    if len(set(values.values())) == len(values) and len(values) >= 5:
        assert set(up.values()) == {1, 2, 3, 4, 5}  # distinct values fill every quintile
    reordered = dict(reversed(values.items()))  # neither input order nor ids matter
    assert quantile_scores(reordered) == up
    renamed = quantile_scores({"id-" + k: v for k, v in values.items()})
    assert {k: renamed["id-" + k] for k in values} == up


@settings(max_examples=50, deadline=None)
@given(txns=transactions())
def test_every_scored_customer_has_exactly_the_grid_segment(txns: list[object]) -> None:
    summary = rfm_summary(txns, as_of=AS_OF)
    for row in summary:
        assert row.r_score is not None and row.f_score is not None and row.m_score is not None
        assert row.segment == rfm_segment(row.r_score, row.f_score, row.m_score)
    assert sum(summary.segment_sizes().values()) == len(summary)


def test_segment_rules_tile_the_grid() -> None:
    for r in range(1, 6):
        for fm in range(1, 6):
            matches = [n for n, (rl, rh), (fl, fh) in SEGMENT_RULES if rl <= r <= rh and fl <= fm <= fh]
            assert len(matches) == 1, (r, fm, matches)
    assert rfm_segment(5, 5, 5) == "champions"
    assert rfm_segment(1, 1, 1) == "lost"
    assert rfm_segment(1, 5, 5) == "cannot lose"
    assert rfm_segment(5, 1, 1) == "new"


def test_worked_example() -> None:
    t = [
        {"customer_id": "a", "occurred_at": datetime(2026, 6, 1, 10, tzinfo=UTC), "amount": Money("10.00", "USD")},
        {"customer_id": "a", "occurred_at": datetime(2026, 6, 1, 15, tzinfo=UTC), "amount": Money("5.00", "USD")},
        {"customer_id": "a", "occurred_at": datetime(2026, 6, 20, 9, tzinfo=UTC), "amount": Money("30.00", "USD")},
        {"customer_id": "b", "occurred_at": datetime(2026, 3, 1, 9, tzinfo=UTC), "amount": Money("99.99", "USD")},
    ]
    classic = rfm_summary(t, as_of=AS_OF, scored=False)
    assert classic.to_rows() == [
        {"customer_id": "a", "recency": 10, "frequency": 3, "monetary": Decimal("45.00")},
        {"customer_id": "b", "recency": 121, "frequency": 1, "monetary": Decimal("99.99")},
    ]
    lifetimes = rfm_summary(t, as_of=AS_OF, convention="lifetimes")
    a, b = lifetimes.to_rows()
    assert {k: a[k] for k in ("frequency", "recency", "T", "monetary")} == {
        "frequency": 1,
        "recency": 19,
        "T": 29,
        "monetary": Decimal("30.00"),
    }
    assert {k: b[k] for k in ("frequency", "recency", "T", "monetary")} == {
        "frequency": 0,
        "recency": 0,
        "T": 121,
        "monetary": Decimal("0.00"),
    }
    weekly = rfm_summary(t, as_of=AS_OF, convention="lifetimes", freq="W")
    assert (weekly["a"].frequency, weekly["a"].recency, weekly["a"].T) == (
        1,
        2,
        4,
    )  # 2026-06-01 is a Monday: weeks of Jun 1, Jun 15, Jun 29
    assert "RFM (lifetimes)" in str(lifetimes) and "<table>" in lifetimes._repr_html_()


# -- bad input ---------------------------------------------------------------------------------------


def _t(customer: str = "a", at: object = None, amount: object = None) -> dict[str, object]:
    return {
        "customer_id": customer,
        "occurred_at": AS_OF - timedelta(days=1) if at is None else at,
        "amount": Money("1.00", "USD") if amount is None else amount,
    }


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch) as info:
        rfm_summary([_t(), _t("b", amount=Money("1.00", "EUR"))], as_of=AS_OF)
    assert info.value.field == "amount" and info.value.value == "EUR"


@pytest.mark.rule(
    "Bad input is refused with a `ValidationError` that names the field and the value: scores out of "
    "range, naive datetimes, purchases dated after `as_of`, amounts that are not `Money`."
)
@pytest.mark.parametrize("position", [0, 1])
def test_naive_datetimes_are_refused(position: int) -> None:
    naive = datetime(2026, 6, 1, 12)
    records = [_t(), _t()]
    records[position] = _t(at=naive)
    with pytest.raises(ValidationError) as info:
        rfm_summary(records, as_of=AS_OF)
    assert (info.value.field, info.value.value) == ("occurred_at", repr(naive))
    with pytest.raises(ValidationError) as info:
        rfm_summary([_t()], as_of=naive)
    assert info.value.field == "as_of"


@pytest.mark.rule(
    "Bad input is refused with a `ValidationError` that names the field and the value: scores out of "
    "range, naive datetimes, purchases dated after `as_of`, amounts that are not `Money`."
)
@pytest.mark.parametrize("convention", ["classic", "lifetimes"])
def test_purchases_after_as_of_are_refused(convention: str) -> None:
    late = AS_OF + timedelta(microseconds=1)
    with pytest.raises(ValidationError) as info:
        rfm_summary([_t(), _t("b", at=late)], as_of=AS_OF, convention=convention)  # type: ignore[arg-type]
    assert (info.value.field, info.value.value) == ("occurred_at", repr(late))


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (_t(amount=Decimal("1.00")), "amount"),
        (_t(amount="1.00"), "amount"),
        (_t(at="2026-06-01"), "occurred_at"),
        (_t(customer=""), "customer_id"),
        ({"customer_id": "a", "amount": Money("1.00", "USD")}, "occurred_at"),
    ],
)
def test_malformed_records_name_the_field(record: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        rfm_summary([record], as_of=AS_OF)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"convention": "bgnbd"}, "convention"), ({"monetary": "median"}, "monetary"), ({"freq": "M"}, "freq")],
)
def test_unknown_options_are_refused(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        rfm_summary([_t()], as_of=AS_OF, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_bad_scores_for_a_segment_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        rfm_segment(0, 3, 3)
    assert (info.value.field, info.value.value) == ("r_score", "0")


@settings(max_examples=30, deadline=None)
@given(txns=transactions(max_size=60), freq=st.sampled_from(["D", "W"]))
def test_lifetimes_convention_matches_the_lifetimes_library(txns: list[object], freq: str) -> None:
    """Runs only where the lifetimes package is installed (it is not a bizrel dependency)."""
    utils = pytest.importorskip("lifetimes.utils")
    rows = [_fields(t) for t in txns]
    if not rows:
        return
    frame = pd.DataFrame(
        {
            "customer_id": [c for c, _, _ in rows],
            "date": [at.astimezone(UTC).replace(tzinfo=None) for _, at, _ in rows],
            "amount": [float(a.amount) for _, _, a in rows],
        }
    )
    expected = utils.summary_data_from_transaction_data(
        frame,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=AS_OF.replace(tzinfo=None),
        freq=freq,
    )
    for row in rfm_summary(txns, as_of=AS_OF, convention="lifetimes", freq=freq, scored=False):  # type: ignore[arg-type]
        e = expected.loc[row.customer_id]
        assert (row.frequency, row.recency, row.T) == (e["frequency"], e["recency"], e["T"])
        assert abs(float(row.monetary.amount) - e["monetary_value"]) <= 0.005 + 1e-9
