"""Export of what the acting user may see: CSV safe to open in a spreadsheet, or JSON for programs.

A CSV cell starting with =, +, -, @, tab or CR would be run as a formula by Excel or LibreOffice
(OWASP "CSV injection"); such cells are prefixed with a single quote. JSON (`format="json"`, one
array, or `"jsonl"`, one object a line) keeps the values as they are: exact decimals as strings,
dates and times in ISO 8601, a missing value as null, and needs no neutralizing.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, Any, Final, Literal

from bizrel.bridge import BridgeUnitOfWork
from bizrel.bridge.access import visible_invoices
from bizrel.core.access import Action, Actor
from bizrel.core.errors import ValidationError
from bizrel.customer import CustomerUnitOfWork
from bizrel.customer.access import visible_customers
from bizrel.sales import PerformanceUnitOfWork, SalesUnitOfWork
from bizrel.sales.access import visible_opportunities, visible_statements
from bizrel.schemas.imports import FORMULA_PREFIXES

__all__ = [
    "CUSTOMER_COLUMNS",
    "EXPORTS",
    "EXPORT_FORMATS",
    "INVOICE_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "STATEMENT_LINE_COLUMNS",
    "ExportFormat",
    "export_customers",
    "export_invoices",
    "export_opportunities",
    "export_statement_lines",
    "neutralize",
]

ExportFormat = Literal["csv", "json", "jsonl"]
EXPORT_FORMATS: Final[tuple[ExportFormat, ...]] = ("csv", "json", "jsonl")

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
    """The CSV cell a spreadsheet shows as text: a formula-like cell gets a leading single quote."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def export_opportunities(uow: SalesUnitOfWork, actor: Actor, out: IO[str], format: ExportFormat = "csv") -> int:
    """Write the opportunities `actor` may export to `out` (CSV unless `format` says json or jsonl);
    returns the number of rows."""
    return _write(
        out,
        format,
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


def _write(out: IO[str], format: ExportFormat, columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> int:
    """Write `rows` under `columns` in `format`; returns the number of rows."""
    if format == "csv":
        return _write_csv(out, columns, rows)
    if format in ("json", "jsonl"):
        return _write_json(out, columns, rows, lines=format == "jsonl")
    raise ValidationError("format", format, f"expected one of {list(EXPORT_FORMATS)}")


def _write_csv(out: IO[str], columns: tuple[str, ...], rows: Iterable[Iterable[object]]) -> int:
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


def _json_value(value: object) -> object:
    """None, bool, int and str as they are; dates ISO 8601; anything else (a Decimal) its exact str()."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _write_json(out: IO[str], columns: tuple[str, ...], rows: Iterable[Iterable[object]], *, lines: bool) -> int:
    """One object per row, keyed by column: as JSON Lines, or as one array with a row per line."""
    count = 0
    for row in rows:
        record = json.dumps(dict(zip(columns, map(_json_value, row), strict=True)), ensure_ascii=False)
        out.write(record + "\n" if lines else ("[\n" if count == 0 else ",\n") + record)
        count += 1
    if not lines:
        out.write("[]\n" if count == 0 else "\n]\n")
    return count


def export_customers(uow: CustomerUnitOfWork, actor: Actor, out: IO[str], format: ExportFormat = "csv") -> int:
    """The customers `actor` may export (customer success: the ones it owns)."""
    return _write(
        out,
        format,
        CUSTOMER_COLUMNS,
        (
            (c.id, c.name, c.kind.value, c.owner_id, c.stage, c.external_id, c.domain, c.created_at)
            for c in visible_customers(uow, actor, Action.EXPORT)
        ),
    )


def export_statement_lines(uow: PerformanceUnitOfWork, actor: Actor, out: IO[str], format: ExportFormat = "csv") -> int:
    """Commission statement lines `actor` may export: a rep gets their own lines only."""
    return _write(
        out,
        format,
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


def export_invoices(uow: BridgeUnitOfWork, actor: Actor, out: IO[str], format: ExportFormat = "csv") -> int:
    """Invoices on the contracts `actor` may export (collections: all of them)."""
    return _write(
        out,
        format,
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


EXPORTS: Final[dict[str, Callable[[Any, Actor, IO[str], ExportFormat], int]]] = {
    "customers": export_customers,
    "invoices": export_invoices,
    "opportunities": export_opportunities,
    "statement-lines": export_statement_lines,
}
"""`bizrel export KIND`: what each kind writes."""
