"""The report's charts: `bizrel.plot` drawn on a matplotlib Figure and written as inline SVG.

Without the `plot` extra (matplotlib) the report has its tables only. The marks a reader counts
(bars, heatmap cells, plotted points) carry ids, so a test can count them in the browser:
`KEY-mark-bar-N` on each bar, `KEY-marks-cells` on a heatmap, `KEY-marks-points` on a line of points.
"""

from __future__ import annotations

import importlib
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bizrel.cli.report import Report

__all__ = ["chart_svgs", "svg_of"]

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)


def svg_of(name: str, result: object, key: str = "chart") -> str:
    """Draw `result` with `bizrel.plot.<name>` and return the SVG element: deterministic (no date, ids
    salted with `key`) and with ids unique to `key` on the page."""
    matplotlib: Any = importlib.import_module("matplotlib")
    figure_module: Any = importlib.import_module("matplotlib.figure")
    plot: Any = importlib.import_module("bizrel.plot")
    with matplotlib.rc_context({"svg.hashsalt": key, "svg.fonttype": "none", "font.size": 9}):
        figure = figure_module.Figure(figsize=(10, 4.2 if name != "cohort_retention" else 6.5), layout="constrained")
        ax = figure.subplots()
        getattr(plot, name)(result, ax=ax)
        for index, patch in enumerate(ax.patches):
            patch.set_gid(f"{key}-mark-bar-{index}")
        for collection in ax.collections:
            if type(collection).__name__ == "QuadMesh":
                collection.set_gid(f"{key}-marks-cells")
        for line in ax.lines:  # a line of points, not an error bar's caps (markers without a line)
            if line.get_marker() not in (None, "None", "", " ") and line.get_linestyle() not in ("None", "none", ""):
                line.set_gid(f"{key}-marks-points")
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return _PROLOGUE.sub("", out.getvalue(), count=1)


def chart_svgs(report: Report) -> Mapping[int, Sequence[tuple[str, str]]]:
    """Every section's charts as (name, SVG); empty without matplotlib."""
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        return {}
    return {
        index: [(name, svg_of(name, result, f"{section.key}-{n}")) for n, (name, result) in enumerate(section.charts)]
        for index, section in enumerate(report.sections)
        if section.charts
    }
