"""CSV export of what the acting user may see, safe to open in a spreadsheet.

A cell starting with =, +, -, @, tab or CR would be run as a formula by Excel or LibreOffice
(OWASP "CSV injection"); such cells are prefixed with a single quote.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, Any, Final

from bizrel.bridge import BridgeUnitOfWork
from bizrel.bridge.access import visible_invoices
from bizrel.core.access import Action, Actor
from bizrel.customer import CustomerUnitOfWork
from bizrel.customer.access import visible_customers
from bizrel.sales import PerformanceUnitOfWork, SalesUnitOfWork
from bizrel.sales.access import visible_opportunities, visible_statements
from bizrel.schemas.imports import FORMULA_PREFIXES

__all__ = [
    "CUSTOMER_COLUMNS",
    "EXPORTS",
    "INVOICE_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "STATEMENT_LINE_COLUMNS",
    "export_customers",
    "export_invoices",
    "export_opportunities",
    "export_statement_lines",
    "neutralize",
]

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
    return _write(
        out,
        OPPORTUNITY_COLUMNS,
        (
            (
                o.id,
                o.pipeline_id,
                o.owner_id,
                o.account_name,
                o.amount.amount,
                o.amount.currency.code,
                o.expected_close,
                o.stage,
                o.status.value,
                o.created_at,
                o.closed_at,
                o.lost_reason,
            )
            for o in visible_opportunities(uow, actor, Action.EXPORT)
        ),
    )


CUSTOMER_COLUMNS = ("id", "name", "kind", "owner_id", "stage", "external_id", "domain", "created_at")
STATEMENT_LINE_COLUMNS = (
    "statement_id",
    "rep_id",
    "period_start",
    "period_end",
    "kind",
    "deal_id",
    "credited_on",
    "base",
    "rate",
    "bracket",
    "amount",
    "currency",
)
INVOICE_COLUMNS = (
    "contract_id",
    "opportunity_id",
    "owner_id",
    "account_name",
    "invoice_id",
    "instalment",
    "issued_on",
    "amount",
    "currency",
)


def _write(out: IO[str], columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> int:
    """CSV with a header; None is an empty cell, everything else its str(), neutralized."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(
            [neutralize("" if v is None else v.isoformat() if isinstance(v, date) else str(v)) for v in row]
        )
        count += 1
    return count


def export_customers(uow: CustomerUnitOfWork, actor: Actor, out: IO[str]) -> int:
    """The customers `actor` may export (customer success: the ones it owns)."""
    return _write(
        out,
        CUSTOMER_COLUMNS,
        (
            (c.id, c.name, c.kind.value, c.owner_id, c.stage, c.external_id, c.domain, c.created_at)
            for c in visible_customers(uow, actor, Action.EXPORT)
        ),
    )


def export_statement_lines(uow: PerformanceUnitOfWork, actor: Actor, out: IO[str]) -> int:
    """Commission statement lines `actor` may export: a rep gets their own lines only."""
    return _write(
        out,
        STATEMENT_LINE_COLUMNS,
        (
            (
                s.id,
                s.rep_id,
                s.period.start,
                s.period.end,
                line.kind.value,
                line.deal_id,
                line.credited_on,
                line.base.amount,
                line.rate,
                line.bracket,
                line.amount.amount,
                line.amount.currency.code,
            )
            for s in visible_statements(uow, actor, Action.EXPORT)
            for line in s.lines
        ),
    )


def export_invoices(uow: BridgeUnitOfWork, actor: Actor, out: IO[str]) -> int:
    """Invoices on the contracts `actor` may export (collections: all of them)."""
    return _write(
        out,
        INVOICE_COLUMNS,
        (
            (
                c.id,
                c.opportunity_id,
                c.owner_id,
                c.account_name,
                i.id,
                i.instalment,
                i.issued_on,
                i.amount.amount,
                i.amount.currency.code,
            )
            for c in visible_invoices(uow, actor, Action.EXPORT)
            for i in c.invoices
        ),
    )


EXPORTS: Final[dict[str, Callable[[Any, Actor, IO[str]], int]]] = {
    "customers": export_customers,
    "invoices": export_invoices,
    "opportunities": export_opportunities,
    "statement-lines": export_statement_lines,
}
"""`bizrel export KIND`: what each kind writes."""
