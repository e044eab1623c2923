"""Funnel analytics over stage history: invariants (hypothesis), the as-of view, and numbers by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.ids import tenant
from bizrel.core.money import Money
from bizrel.sales import Pipeline, Stage, funnel, truncate_record

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _pipeline(n: int) -> Pipeline:
    return Pipeline(
        tenant_id=tenant("t"), id="p", name="P", stages=tuple(Stage(f"S{i}", Decimal(i) / n) for i in range(n))
    )


@st.composite
def records(draw: st.DrawFn, n: int) -> dict[str, Any]:
    created = T0 + timedelta(hours=draw(st.integers(0, 24 * 60)))
    t = created
    path = [draw(st.integers(0, n - 1))]
    history = [(f"S{path[0]}", t)]
    for _ in range(draw(st.integers(0, 4))):
        k = draw(st.integers(0, n - 1))
        if k == path[-1]:
            continue
        t += timedelta(hours=draw(st.integers(1, 24 * 20)))
        history.append((f"S{k}", t))
        path.append(k)
    status = draw(st.sampled_from(["open", "won", "lost"]))
    closed = t + timedelta(hours=draw(st.integers(1, 24 * 30))) if status != "open" else None
    return {
        "id": draw(st.uuids()).hex,
        "pipeline_id": "p",
        "status": status,
        "amount": Money(draw(st.integers(0, 10_000)), "EUR"),
        "created_at": created,
        "closed_at": closed,
        "lost_reason": draw(st.sampled_from(["price", "timing", "competitor"])) if status == "lost" else None,
        "history": history,
    }


@st.composite
def datasets(draw: st.DrawFn) -> tuple[Pipeline, list[dict[str, Any]]]:
    n = draw(st.integers(1, 5))
    return _pipeline(n), draw(st.lists(records(n), max_size=25))


instants = st.integers(0, 24 * 150).map(lambda h: T0 + timedelta(hours=h))


@settings(max_examples=200, deadline=None)
@given(data=datasets(), lo=st.one_of(st.none(), instants), span=st.integers(1, 24 * 120))
def test_rates_in_unit_interval_and_reached_never_increases(
    data: tuple[Pipeline, list[dict[str, Any]]], lo: datetime | None, span: int
) -> None:
    pipeline, rows = data
    hi = None if lo is None else lo + timedelta(hours=span)
    report = funnel(pipeline, rows, start=lo, end=hi)
    reached = [s.reached for s in report.stages]
    assert reached == sorted(reached, reverse=True)
    for s in report.stages:
        for rate in (s.conversion_to_next, s.cohort_conversion):
            assert rate is None or Decimal(0) <= rate <= Decimal(1)
        assert 0 <= s.advanced <= s.entered or s.stage == "won"
    for rate in (report.win_rate, report.win_rate_by_amount):
        assert rate is None or Decimal(0) <= rate <= Decimal(1)
    assert sum(n for _, n in report.lost_reasons) == report.lost


@settings(max_examples=200, deadline=None)
@given(data=datasets(), at=instants, lo=st.one_of(st.none(), instants))
def test_as_of_equals_the_funnel_of_the_truncated_history(
    data: tuple[Pipeline, list[dict[str, Any]]], at: datetime, lo: datetime | None
) -> None:
    pipeline, rows = data
    as_of = funnel(pipeline, rows, start=lo, as_of=at)
    truncated = [r for r in (truncate_record(row, at) for row in rows) if r is not None]
    assert attrs.evolve(as_of, as_of=None) == funnel(pipeline, truncated, start=lo)


def test_numbers_by_hand() -> None:
    pipeline = _pipeline(3)
    day = timedelta(days=1)
    rows = [
        # won after 10 days: S0 -> S2 (skips S1) -> won
        {
            "id": "a",
            "status": "won",
            "amount": Money(1000, "EUR"),
            "created_at": T0,
            "closed_at": T0 + 10 * day,
            "history": [("S0", T0), ("S2", T0 + 4 * day)],
        },
        # won after 20 days
        {
            "id": "b",
            "status": "won",
            "amount": Money(3000, "EUR"),
            "created_at": T0,
            "closed_at": T0 + 20 * day,
            "history": [("S0", T0), ("S1", T0 + 2 * day), ("S2", T0 + 6 * day)],
        },
        {
            "id": "c",
            "status": "lost",
            "amount": Money(500, "EUR"),
            "created_at": T0,
            "closed_at": T0 + 3 * day,
            "lost_reason": "price",
            "history": [("S0", T0), ("S1", T0 + 1 * day)],
        },
        {
            "id": "d",
            "status": "lost",
            "amount": Money(700, "EUR"),
            "created_at": T0,
            "closed_at": T0 + 3 * day,
            "lost_reason": "price",
            "history": [("S0", T0)],
        },
        {"id": "e", "status": "open", "amount": Money(100, "EUR"), "created_at": T0, "history": [("S0", T0)]},
    ]
    r = funnel(pipeline, rows)
    assert [s.reached for s in r.stages] == [5, 3, 2, 2]
    assert (r.won, r.lost, r.open) == (2, 2, 1)
    assert r.win_rate == Decimal("0.5000")
    assert r.win_rate_by_amount == Decimal("0.7692")  # 4000 / 5200
    assert (r.average_cycle_days, r.median_cycle_days) == (Decimal("15.00"), Decimal("15.00"))
    assert r.average_won_amount == Money(2000, "EUR")
    # velocity = 1 open x 0.5 x 2000 / 15 days = 66.67 per day
    assert r.velocity_per_day == Money("66.67", "EUR")
    assert r.lost_reasons == (("price", 2),)
    s1 = r.stages[1]
    # S1 was entered by b and c only: a skipped it (it was counted as entered until issue 19 item 7)
    assert (s1.entered, s1.advanced, s1.cohort_conversion) == (2, 1, Decimal("0.5000"))
    # time in S0: a 4d, b 2d, c 1d, d 3d (closed) -> average 2.5, median 2.5
    assert (r.stages[0].average_days_in_stage, r.stages[0].median_days_in_stage) == (Decimal("2.50"), Decimal("2.50"))
    # as of day 5: b is in S1, a is in S0, c and d lost
    early = funnel(pipeline, rows, as_of=T0 + 5 * day)
    assert (early.won, early.lost, early.open) == (0, 2, 3)
    # a range that holds only the closings of c and d
    window = funnel(pipeline, rows, start=date(2026, 1, 3), end=date(2026, 1, 5))
    assert (window.won, window.lost, window.stages[0].reached) == (0, 2, 0)
    assert (window.opportunities, window.open, window.velocity_per_day) == (0, 0, None)  # all created before it


def test_unknown_stage_and_foreign_pipeline_are_refused() -> None:
    import pytest

    from bizrel.core.errors import ValidationError

    row = {"id": "x", "status": "open", "amount": Money(1, "EUR"), "created_at": T0, "history": [("Nope", T0)]}
    with pytest.raises(ValidationError, match="not a stage"):
        funnel(_pipeline(2), [row])
    with pytest.raises(ValidationError, match="not a stage"):
        funnel(_pipeline(2), [row], as_of=T0)
    with pytest.raises(ValidationError, match="is not in"):
        funnel(_pipeline(2), [{**row, "pipeline_id": "other"}])
