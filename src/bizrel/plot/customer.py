"""Charts of the customer results: cohort retention, RFM segments, NPS over time."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from bizrel.core.money import Money
from bizrel.customer.retention import CohortRetention
from bizrel.customer.satisfaction import NpsResult, SatisfactionBreakdown
from bizrel.customer.segmentation import SEGMENT_RULES, RfmSummary
from bizrel.plot.axes import axes_for, height, money_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["cohort_retention", "nps_over_time", "rfm_segments"]

_DARK = Decimal("0.55")  # cells at least this full are dark enough to need white text


def cohort_retention(result: CohortRetention, ax: Axes | None = None) -> Axes:
    """A heatmap: one row per acquisition cohort, one cell per month since acquisition, shaded and
    labelled with the share of the cohort that bought that month (months not reached yet are blank)."""
    ax = axes_for(ax)
    width = max((len(c.rates) for c in result.cohorts), default=0)
    grid = [[height(r) for r in c.rates] + [float("nan")] * (width - len(c.rates)) for c in result.cohorts]
    mesh = ax.pcolormesh(grid, cmap="Blues", vmin=0, vmax=1) if grid else None
    for y, cohort in enumerate(result.cohorts):
        for x, rate in enumerate(cohort.rates):
            shade = "white" if rate >= _DARK else "black"
            ax.text(x + 0.5, y + 0.5, f"{rate * 100:.0f}%", ha="center", va="center", fontsize=7, color=shade)
    ax.set_xticks([x + 0.5 for x in range(width)], [f"M{x}" for x in range(width)])
    ax.set_yticks([y + 0.5 for y in range(len(result.cohorts))], [f"{c.cohort} ({c.size})" for c in result.cohorts])
    ax.invert_yaxis()
    ax.set_xlabel("months since first purchase")
    ax.set_title("Cohort retention")
    if mesh is not None:
        ax.figure.colorbar(mesh, ax=ax, label="share of cohort buying")
    return ax


def rfm_segments(summary: RfmSummary, ax: Axes | None = None) -> Axes:
    """One bar per named RFM segment (customers in it), labelled with the segment's total monetary
    value: where the customers are and where the money is."""
    ax = axes_for(ax)
    names = [name for name, _, _ in SEGMENT_RULES]
    counts = dict.fromkeys(names, 0)
    minor = dict.fromkeys(names, 0)
    for row in summary.rows:
        if row.segment is not None:
            counts[row.segment] += 1
            minor[row.segment] += row.monetary.to_minor()
    bars = ax.barh(names, [counts[n] for n in names], color="#4c72b0")
    if summary.currency is not None:
        values = [money_label(Money.from_minor(minor[n], summary.currency)) for n in names]
    else:
        values = [""] * len(names)
    ax.bar_label(bars, [f"{counts[n]} · {v}" for n, v in zip(names, values, strict=True)], fontsize=8, padding=2)
    ax.invert_yaxis()
    ax.set_xlabel("customers")
    ax.set_title(f"RFM segments as of {summary.as_of.date()}")
    ax.margins(x=0.35)
    return ax


def nps_over_time(breakdown: SatisfactionBreakdown, ax: Axes | None = None) -> Axes:
    """NPS per period with its 95% margin of error as error bars (periods without responses are gaps)."""
    ax = axes_for(ax)
    labels = [g.group for g in breakdown.groups]
    results = [g.result for g in breakdown.groups]
    scores = [height(r.score) if r.score is not None else float("nan") for r in results]
    errors = [height(r.margin_of_error) if isinstance(r, NpsResult) else 0.0 for r in results]
    ax.errorbar(labels, scores, yerr=errors, fmt="o-", capsize=4, color="#4c72b0")
    for x, (score, r) in enumerate(zip(scores, results, strict=True)):
        if r.score is not None:
            ax.annotate(
                f"{r.score} (n={r.responses})",
                (x, score),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=8,
            )
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_ylim(-100, 100)
    ax.margins(x=0.08)
    ax.set_ylabel(f"{breakdown.metric.value.upper()} (±95% margin of error)")
    ax.set_title(f"{breakdown.metric.value.upper()} by {breakdown.by}")
    return ax
