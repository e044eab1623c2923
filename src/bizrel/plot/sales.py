"""Charts of the sales results: funnel, attainment with pacing, receivables aging, forecast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizrel.plot.axes import axes_for, height, money_label, percent
from bizrel.sales.attainment import AttainmentReport
from bizrel.sales.collections import AGING_BUCKETS, AgingReport
from bizrel.sales.forecast import Forecast
from bizrel.sales.funnel import FunnelReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["FORECAST_CATEGORIES", "aging", "attainment", "forecast", "funnel"]

FORECAST_CATEGORIES = ("won", "commit", "best_case", "pipeline")
"""The stacked segments of a forecast bar, bottom up: from what is booked to what is hoped."""


def funnel(report: FunnelReport, ax: Axes | None = None) -> Axes:
    """One bar per stage (deals that reached it), labelled with its amount and the conversion to
    the next stage."""
    ax = axes_for(ax)
    names = [s.stage for s in report.stages]
    bars = ax.bar(names, [s.reached for s in report.stages], color="#4c72b0")
    labels = [
        f"{s.reached} deals\n{money_label(s.amount)}"
        + (f"\n→ {percent(s.conversion_to_next)}" if s.conversion_to_next is not None else "")
        for s in report.stages
    ]
    ax.bar_label(bars, labels, fontsize=8, padding=2)
    ax.set_ylabel("deals reaching the stage")
    ax.set_title(f"Funnel: {report.pipeline} (win rate {percent(report.win_rate)})")
    ax.margins(y=0.3)
    return ax


def attainment(report: AttainmentReport, ax: Axes | None = None) -> Axes:
    """Attainment per owner as bars against the 100% target line, with a marker where each owner
    should be by now (pacing: expected to date over target)."""
    ax = axes_for(ax)
    owners = [r.owner_id for r in report.rows]
    attained = [height(r.attainment) * 100 for r in report.rows]
    bars = ax.bar(owners, attained, color="#55a868", label="attained")
    ax.bar_label(bars, [f"{money_label(r.actual)}\n{percent(r.attainment)}" for r in report.rows], fontsize=8)
    expected = height(report.elapsed_share) * 100
    ax.scatter(
        owners,
        [expected] * len(owners),
        marker="_",
        s=900,
        linewidths=3,
        color="#c44e52",
        zorder=3,
        label="expected by now",
    )
    ax.axhline(100, color="#333333", linewidth=1, linestyle="--", label="target")
    ax.set_ylabel("% of target")
    ax.set_title(f"{report.title}: {report.period} as of {report.as_of}")
    ax.legend(loc="upper right", fontsize=8)
    ax.margins(y=0.2)
    return ax


def aging(report: AgingReport, ax: Axes | None = None) -> Axes:
    """Receivables per owner as bars stacked by age bucket (current up to over 90 days)."""
    ax = axes_for(ax)
    keys = [r.key for r in report.rows]
    bottoms = [0.0] * len(keys)
    colors = ("#55a868", "#8fbc5a", "#ccb974", "#dd8452", "#c44e52")
    for index, (bucket, color) in enumerate(zip(AGING_BUCKETS, colors, strict=True)):
        values = [height(r.buckets[index]) for r in report.rows]
        ax.bar(keys, values, bottom=bottoms, label=bucket, color=color)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for x, row in enumerate(report.rows):
        ax.annotate(money_label(row.total), (x, bottoms[x]), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(f"open receivables ({report.total.total.currency})")
    ax.set_title(f"Receivables aging as of {report.as_of}")
    ax.legend(title="days overdue", fontsize=8)
    ax.margins(y=0.15)
    return ax


def forecast(result: Forecast, ax: Axes | None = None) -> Axes:
    """The team's forecast per period as bars stacked by category: won, commit, best case, pipeline."""
    ax = axes_for(ax)
    totals = sorted(result.totals(by_owner=False).items(), key=lambda item: item[0][1])
    periods = [str(period) for (_, period), _ in totals]
    bottoms = [0.0] * len(periods)
    colors = ("#55a868", "#4c72b0", "#8172b3", "#b0b0b0")
    for category, color in zip(FORECAST_CATEGORIES, colors, strict=True):
        values = [height(getattr(figures, category)) for _, figures in totals]
        ax.bar(periods, values, bottom=bottoms, label=category.replace("_", " "), color=color)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for x, (_, figures) in enumerate(totals):
        ax.annotate(f"weighted\n{money_label(figures.weighted)}", (x, bottoms[x]), ha="center", va="bottom", fontsize=7)
    ax.set_ylabel(f"amount ({result.currency})")
    ax.set_title(f"Forecast by category as of {result.as_of.date()}")
    ax.legend(fontsize=8)
    ax.margins(y=0.15)
    return ax
