"""Every chart of bizrel.plot, drawn from results that bizrel's own analytics computed on generated
input, rendered to PNG with Agg: the marks read back from the artists match the result (one bar
per stage, one cell per cohort month, one stacked segment per bucket and row, ...)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bizrel import plot  # noqa: E402
from bizrel.core import Money, Period  # noqa: E402
from bizrel.core.ids import tenant  # noqa: E402
from bizrel.customer import cohort_retention, nps_by_period, rfm_summary  # noqa: E402
from bizrel.customer.segmentation import SEGMENT_RULES  # noqa: E402
from bizrel.sales import AGING_BUCKETS, Contract, RateTable, aging, attainment_report, build_forecast, funnel  # noqa: E402
from bizrel.sales.pipeline import Opportunity, Pipeline, Stage  # noqa: E402
from bizrel.testing.strategies import opportunities  # noqa: E402

AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)
SETTINGS = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
PIPELINE = Pipeline(
    tenant_id=tenant("t"),
    id="p",
    name="New business",
    stages=(Stage("Qualify", "0.1"), Stage("Propose", "0.4"), Stage("Negotiate", "0.7")),
)
DEALS = st.lists(opportunities(PIPELINE, "USD"), max_size=12, unique_by=lambda o: o.id)


def new_axes() -> Axes:
    return Figure(figsize=(9, 5)).add_subplot()


def render(ax: Axes) -> bytes:
    """The chart as PNG bytes (every artist drawn, labels included)."""
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    png = buffer.getvalue()
    assert png.startswith(b"\x89PNG") and len(png) > 2_000
    return png


def bar_groups(ax: Axes) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


@st.composite
def transactions(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [
        {
            "customer_id": f"c{draw(st.integers(0, 12)):02d}",
            "occurred_at": AS_OF - timedelta(days=draw(st.integers(0, 200)), seconds=draw(st.integers(0, 86_399))),
            "amount": Money.from_minor(draw(st.integers(0, 10**7)), "USD"),
        }
        for _ in range(draw(st.integers(1, 40)))
    ]


@SETTINGS
@given(DEALS)
def test_funnel_draws_one_bar_per_stage_labelled_with_amount_and_conversion(deals: list[Opportunity]) -> None:
    report = funnel(PIPELINE, deals, "USD")
    ax = plot.funnel(report, ax=new_axes())
    render(ax)
    (group,) = bar_groups(ax)
    assert [round(b.get_height()) for b in group] == [s.reached for s in report.stages]
    assert [t.get_text() for t in ax.get_xticklabels()] == [s.stage for s in report.stages]
    for stage, label in zip(report.stages, texts(ax), strict=True):
        assert stage.amount.format() in label
        if stage.conversion_to_next is not None:
            assert f"{stage.conversion_to_next * 100:.1f}%" in label


@SETTINGS
@given(transactions())
def test_cohort_retention_draws_one_cell_per_cohort_month(rows: list[dict[str, Any]]) -> None:
    result = cohort_retention(rows, as_of=AS_OF)
    ax = plot.cohort_retention(result, ax=new_axes())
    render(ax)
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    cells = np.ma.filled(mesh.get_array(), np.nan)
    assert cells.shape == (len(result.cohorts), max(len(c.rates) for c in result.cohorts))
    assert int(np.count_nonzero(~np.isnan(cells))) == sum(len(c.rates) for c in result.cohorts)
    assert len(ax.texts) == sum(len(c.rates) for c in result.cohorts)


@SETTINGS
@given(transactions())
def test_rfm_segments_draws_one_bar_per_segment_with_count_and_value(rows: list[dict[str, Any]]) -> None:
    summary = rfm_summary(rows, as_of=AS_OF)
    ax = plot.rfm_segments(summary, ax=new_axes())
    render(ax)
    (group,) = bar_groups(ax)
    sizes = summary.segment_sizes()
    assert len(group) == len(SEGMENT_RULES)
    assert [round(b.get_width()) for b in group] == [sizes[name] for name, _, _ in SEGMENT_RULES]
    assert sum(round(b.get_width()) for b in group) == len(summary.rows)
    total = sum(r.monetary.to_minor() for r in summary.rows if r.segment == "champions")
    assert texts(ax)[0] == f"{sizes['champions']} · {Money.from_minor(total, 'USD').format()}"


@SETTINGS
@given(st.dictionaries(st.sampled_from(["ana", "bo", "cy", "dee"]), st.integers(0, 10**9), min_size=1))
def test_attainment_draws_a_bar_per_owner_and_a_pacing_marker(actuals: dict[str, int]) -> None:
    targets = {owner: Money.from_minor(50_000_000, "USD") for owner in ["ana", "bo", "cy", "dee"]}
    report = attainment_report(
        targets,
        {o: Money.from_minor(m, "USD") for o, m in actuals.items()},
        Period.quarter(2026, 2),
        date(2026, 5, 15),
    )
    ax = plot.attainment(report, ax=new_axes())
    render(ax)
    (group,) = bar_groups(ax)
    assert len(group) == len(report.rows) == 4
    for bar, row in zip(group, report.rows, strict=True):
        assert bar.get_height() == pytest.approx(float(row.attainment or 0) * 100)
    (markers,) = ax.collections
    assert len(markers.get_offsets()) == 4
    assert {round(y, 6) for _, y in markers.get_offsets()} == {round(float(report.elapsed_share) * 100, 6)}


def contract(i: int, owner: str, minor: int, shares: list[int], anchor: date) -> Contract:
    deal = {
        "id": f"o{i}",
        "status": "won",
        "closed_at": datetime(2025, 12, 1, tzinfo=UTC),
        "amount": Money.from_minor(minor, "USD"),
        "owner_id": owner,
        "account_name": f"Acct {i}",
    }
    return Contract.from_opportunity(deal, tenant_id=tenant("t"), id=f"c{i}", shares=shares, anchor=anchor)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ana", "bo", "cy"]),
            st.integers(100, 10**9),
            st.lists(st.integers(1, 3), min_size=1, max_size=4),
            st.integers(0, 200),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_aging_stacks_one_segment_per_bucket_and_owner(specs: list[tuple[str, int, list[int], int]]) -> None:
    items = [
        contract(i, owner, minor, shares, date(2025, 12, 1) + timedelta(days=days))
        for i, (owner, minor, shares, days) in enumerate(specs)
    ]
    report = aging(items, date(2026, 6, 1))
    ax = plot.aging(report, ax=new_axes())
    render(ax)
    groups = bar_groups(ax)
    assert [g.get_label() for g in groups] == list(AGING_BUCKETS)
    assert all(len(g) == len(report.rows) for g in groups)
    for x, row in enumerate(report.rows):
        stacked = sum(g[x].get_height() for g in groups)
        assert stacked == pytest.approx(float(row.total.amount))
    assert texts(ax) == [row.total.format() for row in report.rows]


@SETTINGS
@given(st.lists(opportunities(PIPELINE, "USD"), min_size=1, max_size=12, unique_by=lambda o: o.id))
def test_forecast_stacks_the_categories_per_period(deals: list[Opportunity]) -> None:
    result = build_forecast(deals, [PIPELINE], rates=RateTable("USD"), as_of=AS_OF)
    totals = result.totals(by_owner=False)
    ax = plot.forecast(result, ax=new_axes())
    render(ax)
    groups = bar_groups(ax)
    assert [g.get_label() for g in groups] == ["won", "commit", "best case", "pipeline"]
    assert all(len(g) == len(totals) for g in groups)
    for x, (_, figures) in enumerate(sorted(totals.items(), key=lambda item: item[0][1])):
        assert groups[0][x].get_height() == pytest.approx(float(figures.won.amount))
        assert sum(g[x].get_height() for g in groups) == pytest.approx(
            float((figures.won + figures.commit + figures.best_case + figures.pipeline).amount)
        )


@SETTINGS
@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.integers(0, 180)),
        min_size=1,
        max_size=60,
    )
)
def test_nps_over_time_draws_a_point_and_an_error_bar_per_period(answers: list[tuple[int, int]]) -> None:
    responses = [{"score": score, "responded_at": AS_OF - timedelta(days=days)} for score, days in answers]
    breakdown = nps_by_period(responses)
    ax = plot.nps_over_time(breakdown, ax=new_axes())
    render(ax)
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    line, _caps, (bars,) = container.lines
    scores = [float(g.result.score) for g in breakdown.groups]  # type: ignore[arg-type]
    assert list(line.get_ydata()) == pytest.approx(scores)
    assert len(bars.get_segments()) == len(breakdown.groups)
    for segment, group in zip(bars.get_segments(), breakdown.groups, strict=True):
        (_, low), (_, high) = segment
        assert high - low == pytest.approx(2 * float(group.result.margin_of_error))  # type: ignore[union-attr]
    assert [t.get_text() for t in ax.get_xticklabels()] == [g.group for g in breakdown.groups]


def test_without_an_axes_a_new_figure_is_made() -> None:
    import matplotlib.pyplot as pyplot

    report = funnel(PIPELINE, [], "USD")
    ax = plot.funnel(report)
    try:
        assert isinstance(ax, Axes)
        assert len(bar_groups(ax)[0]) == len(report.stages)
    finally:
        pyplot.close(ax.figure)  # type: ignore[arg-type]


def test_without_matplotlib_a_chart_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from bizrel.core.errors import MissingExtra

    monkeypatch.setitem(__import__("sys").modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingExtra, match=r"pip install 'bizrel\[plot\]'"):
        plot.funnel(funnel(PIPELINE, [], "USD"))


def test_importing_bizrel_plot_loads_no_matplotlib() -> None:
    import subprocess
    import sys

    code = "import sys, bizrel.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
