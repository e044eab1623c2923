"""One self-contained HTML page of a `Report`: inline CSS, charts as inline SVG, no network access.

Every figure is printed exactly as bizrel computed it; charts only illustrate the tables beside them.
Each section is a `<section data-section=KEY>` and each chart an `<svg>` inside a
`<figure data-chart=NAME>`, so a browser test can find them.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal

from bizrel.cli.report import Report, Section, Table, cell_text

__all__ = ["report_html"]

STYLE = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --accent: #3e4c94; --band: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #eef1f6; }
header { background: var(--accent); color: #fff; padding: 28px 40px 22px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 600; }
header p { margin: 0; opacity: .85; }
nav { background: #fff; border-bottom: 1px solid var(--line); padding: 10px 40px; position: sticky; top: 0; }
nav a { color: var(--accent); text-decoration: none; margin-right: 18px; font-size: 13px; white-space: nowrap; }
main { max-width: 1180px; margin: 24px auto; padding: 0 24px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 22px 28px;
          margin-bottom: 22px; box-shadow: 0 1px 2px rgba(31,41,51,.05); }
section h2 { margin: 0 0 6px; font-size: 20px; font-weight: 600; }
section p.summary { margin: 0 0 16px; color: var(--muted); max-width: 900px; }
figure { margin: 0 0 16px; } figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: 0 0 16px; font-size: 13px;
        font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0 8px; color: var(--ink); }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line);
     padding: 6px 10px; white-space: nowrap; }
td { padding: 5px 10px; border-bottom: 1px solid var(--line); }
tbody tr:nth-child(even) { background: var(--band); }
td.num, th.num { text-align: right; white-space: nowrap; }
.scroll { max-height: 420px; overflow-y: auto; }
footer { text-align: center; color: var(--muted); font-size: 12px; padding: 8px 0 32px; }
"""


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _table(table: Table) -> str:
    numeric = [
        bool(table.rows) and all(_is_number(r[i]) for r in table.rows if r[i] is not None)
        for i in range(len(table.columns))
    ]
    head = "".join(
        f'<th class="num">{html.escape(c.replace("_", " "))}</th>'
        if num
        else f"<th>{html.escape(c.replace('_', ' '))}</th>"
        for c, num in zip(table.columns, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{html.escape(cell_text(v))}</td>' if num else f"<td>{html.escape(cell_text(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    wrapper = ' class="scroll"' if len(table.rows) > 15 else ""
    return (
        f"<div{wrapper}><table><caption>{html.escape(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _section(section: Section, charts: Mapping[int, Sequence[tuple[str, str]]], index: int) -> str:
    figures = "".join(f'<figure data-chart="{html.escape(name)}">{svg}</figure>' for name, svg in charts.get(index, []))
    tables = "".join(_table(t) for t in section.tables)
    return (
        f'<section id="{html.escape(section.key)}" data-section="{html.escape(section.key)}">'
        f"<h2>{html.escape(section.title)}</h2>"
        f'<p class="summary">{html.escape(section.summary)}</p>{figures}{tables}</section>'
    )


def report_html(
    report: Report, *, charts: Mapping[int, Sequence[tuple[str, str]]] | None = None, version: str = ""
) -> str:
    """The page; `charts` maps a section's index to its (chart name, inline SVG) pairs."""
    title = f"{report.tenant_id}: the business as of {report.as_of:%Y-%m-%d %H:%M %Z}"
    nav = "".join(f'<a href="#{html.escape(s.key)}">{html.escape(s.title)}</a>' for s in report.sections)
    sections = "".join(_section(s, charts or {}, i) for i, s in enumerate(report.sections))
    generated = f"bizrel {html.escape(version)}" if version else "bizrel"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{html.escape(report.tenant_id)}</h1>"
        "<p>Sales, customers and the loop between them, as of "
        f'<time datetime="{report.as_of.isoformat()}">{report.as_of:%Y-%m-%d %H:%M %Z}</time></p></header>'
        f"<nav>{nav}</nav><main>{sections}</main>"
        f"<footer>Written by {generated}. Every figure is exact; charts illustrate the tables.</footer>"
        "</body></html>\n"
    )
