"""`bizrel report`: one tenant's report from an existing store, as HTML or JSON, to a file or stdout."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import bizrel
from bizrel.adapters import Store
from bizrel.cli.report import build_report, end_of_day, report_json
from bizrel.cli.report_charts import chart_svgs
from bizrel.cli.report_html import report_html
from bizrel.cli.stores import open_for_reading
from bizrel.core.ids import check_id

__all__ = ["render", "run"]


def render(store: Store, tenant: str, as_of: datetime, format: Literal["html", "json"] = "html") -> str:
    """The report of `tenant` as of `as_of`, as the text of an HTML page or of a JSON document."""
    report = build_report(store, check_id("--tenant", tenant), as_of)
    if format == "json":
        return report_json(report)
    return report_html(report, charts=chart_svgs(report), version=bizrel.__version__)


def run(*, db: str, tenant: str, as_of: date | None, format: Literal["html", "json"], out: str | None) -> None:
    """Render from the existing store `db`; the file `out` is written only once the report is computed."""
    moment = end_of_day(as_of) if as_of is not None else datetime.now(UTC)
    with open_for_reading(db) as store:
        text = render(store, tenant, moment, format)
    if out is None:
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
