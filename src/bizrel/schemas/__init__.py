"""Boundary models (pydantic v2): untrusted input is parsed strictly here, then mapped to the domain
by explicit functions. Money amounts travel as strings; a float is refused, never rounded."""

from bizrel.schemas.common import MoneyIn, parse
from bizrel.schemas.export import (
    EXPORT_FORMATS,
    EXPORTS,
    ExportFormat,
    export_customers,
    export_invoices,
    export_opportunities,
    export_statement_lines,
    neutralize,
)
from bizrel.schemas.importer import ImportReport, RowError, import_stream
from bizrel.schemas.imports import OpportunityRow, TransactionRow
from bizrel.schemas.sales import OpportunityIn, PipelineIn, StageIn, open_opportunity_from

__all__ = [
    "EXPORTS",
    "EXPORT_FORMATS",
    "ExportFormat",
    "ImportReport",
    "MoneyIn",
    "OpportunityIn",
    "OpportunityRow",
    "PipelineIn",
    "RowError",
    "StageIn",
    "TransactionRow",
    "export_customers",
    "export_invoices",
    "export_opportunities",
    "export_statement_lines",
    "import_stream",
    "neutralize",
    "open_opportunity_from",
    "parse",
]
