"""CSV export of what the acting user may see, safe to open in a spreadsheet.

A cell starting with =, +, -, @, tab or CR would be run as a formula by Excel or LibreOffice
(OWASP "CSV injection"); such cells are prefixed with a single quote.
"""

from __future__ import annotations

import csv
from typing import IO

from bizrel.core.access import Action, Actor
from bizrel.sales import SalesUnitOfWork
from bizrel.sales.access import visible_opportunities
from bizrel.schemas.imports import FORMULA_PREFIXES

__all__ = ["OPPORTUNITY_COLUMNS", "export_opportunities", "neutralize"]

OPPORTUNITY_COLUMNS = (
    "id",
    "pipeline_id",
    "owner_id",
    "account_name",
    "amount",
    "currency",
    "expected_close",
    "stage",
    "status",
    "created_at",
    "closed_at",
    "lost_reason",
)


def neutralize(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def export_opportunities(uow: SalesUnitOfWork, actor: Actor, out: IO[str]) -> int:
    """Write the opportunities `actor` may export as CSV to `out`; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(OPPORTUNITY_COLUMNS)
    rows = 0
    for o in visible_opportunities(uow, actor, Action.EXPORT):
        cells = (
            o.id,
            o.pipeline_id,
            o.owner_id,
            o.account_name,
            str(o.amount.amount),
            o.amount.currency.code,
            o.expected_close.isoformat(),
            o.stage,
            o.status.value,
            o.created_at.isoformat(),
            o.closed_at.isoformat() if o.closed_at else "",
            o.lost_reason or "",
        )
        writer.writerow([neutralize(c) for c in cells])
        rows += 1
    return rows
