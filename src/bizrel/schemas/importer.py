"""The import path: a CSV or JSON Lines stream, parsed row by row, committed batch by batch.

Streamed (one batch in memory at a time). A batch is one unit of work: it is committed only when
every row in it parsed and applied; otherwise nothing of it is kept and each bad row is reported
with its line number, column and reason. A dry run does everything except the commit.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal, Protocol

import pydantic
from attrs import define, field, frozen

from bizrel.core.errors import BizrelError, NotFound, ValidationError
from bizrel.core.progress import Progress
from bizrel.core.uow import Repository
from bizrel.customer import Contact, CustomerUnitOfWork, add_contact, create_customer
from bizrel.customer.purchases import Purchase
from bizrel.sales import Opportunity, SalesUnitOfWork
from bizrel.schemas.common import Strict
from bizrel.schemas.imports import KINDS, ContactRow, CustomerRow, OpportunityRow, TransactionRow

__all__ = ["ImportReport", "ImportUnitOfWork", "RowError", "import_stream"]

Format = Literal["csv", "jsonl"]
MAX_LINE = 1 << 20


class ImportUnitOfWork(SalesUnitOfWork, CustomerUnitOfWork, Protocol):
    @property
    def purchases(self) -> Repository[Purchase]: ...


@frozen
class RowError:
    """A refused row: the line it starts on (1 = the first line of the file), the column, why."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column or '-'}: {self.reason}"


@define
class ImportReport:
    """What an import did: rows read and imported, batches committed and rejected, every row error."""

    kind: str
    dry_run: bool
    rows_read: int = 0
    rows_imported: int = 0
    batches_committed: int = 0
    batches_rejected: int = 0
    errors: list[RowError] = field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        head = (
            f"{self.kind}: read {self.rows_read} rows, {verb} {self.rows_imported} "
            f"in {self.batches_committed} batches, rejected {self.batches_rejected} batches, {len(self.errors)} errors"
        )
        return "\n".join([head, *(str(e) for e in self.errors)])


_Parsed = tuple[int, Strict | None, list[RowError]]


def _validated(model: type[Strict], line: int, data: Any) -> _Parsed:
    if not isinstance(data, dict):
        return line, None, [RowError(line, "", "expected a JSON object")]
    try:
        return line, model.model_validate(data), []
    except pydantic.ValidationError as exc:
        errors = [
            RowError(line, ".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        ]
        return line, None, errors


def _csv_rows(text: IO[str], model: type[Strict]) -> Iterator[_Parsed]:
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield 1, None, [RowError(1, "", f"unreadable CSV header: {exc}")]
        return
    if header is None:
        return
    known = set(model.model_fields)
    required = {name for name, f in model.model_fields.items() if f.is_required()}
    problems = [f"unknown column {c!r}" for c in header if c not in known]
    problems += [f"missing column {c!r}" for c in sorted(required - set(header))]
    if len(set(header)) != len(header):
        problems.append("repeated column names")
    if problems:
        yield 1, None, [RowError(1, "", "; ".join(problems) + f" (expected {sorted(known)}, comma-delimited)")]
        return
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, [RowError(start, "", f"unreadable CSV: {exc}; reading stopped")]
            return
        if not cells:
            continue
        if len(cells) != len(header):
            yield start, None, [RowError(start, "", f"expected {len(header)} fields, found {len(cells)}")]
            continue
        yield _validated(model, start, dict(zip(header, cells, strict=True)))


def _jsonl_rows(text: IO[str], model: type[Strict]) -> Iterator[_Parsed]:
    number = 0
    while True:
        line = text.readline(MAX_LINE)
        if not line:
            return
        number += 1
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            while (rest := text.readline(MAX_LINE)) and not rest.endswith(("\n", "\r")):
                pass
            yield number, None, [RowError(number, "", f"line longer than {MAX_LINE} characters")]
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield number, None, [RowError(number, "", f"unreadable JSON: {exc}")]
            continue
        yield _validated(model, number, data)


def _apply_opportunity(uow: ImportUnitOfWork, row: OpportunityRow) -> None:
    pipeline = uow.pipelines.find(row.pipeline_id)
    if pipeline is None:
        raise ValidationError("pipeline_id", row.pipeline_id, "no such pipeline")
    if uow.opportunities.find(row.id) is not None:
        raise ValidationError("id", row.id, "an opportunity with this id already exists")
    first, *later = row.history
    opportunity = Opportunity.open(
        tenant_id=uow.tenant_id,
        id=row.id,
        pipeline=pipeline,
        owner_id=row.owner_id,
        account_name=row.account_name,
        amount=row.money(),
        expected_close=row.expected_close,
        at=first.entered_at,
        stage=first.stage,
    )
    for step in later:
        opportunity.advance(pipeline, step.stage, step.entered_at)
    if row.status != "open":
        if row.closed_at is None:
            raise ValidationError("closed_at", None, f"a {row.status} opportunity needs closed_at")
        if row.status == "won":
            opportunity.win(row.closed_at)
        else:
            opportunity.lose(row.lost_reason or "", row.closed_at)
    uow.opportunities.add(opportunity)


def _apply_transaction(uow: ImportUnitOfWork, row: TransactionRow) -> None:
    if uow.purchases.find(row.id) is not None:
        raise ValidationError("id", row.id, "a transaction with this id already exists")
    uow.purchases.add(
        Purchase.record_new(
            tenant_id=uow.tenant_id,
            id=row.id,
            customer_id=row.customer_id,
            occurred_at=row.occurred_at,
            amount=row.money(),
        )
    )


def _apply_customer(uow: ImportUnitOfWork, row: CustomerRow) -> None:
    if uow.customers.find(row.id) is not None:
        raise ValidationError("id", row.id, "a customer with this id already exists")
    create_customer(
        uow,
        id=row.id,
        name=row.name,
        kind=row.kind,
        owner_id=row.owner_id,
        timezone=row.timezone,
        external_id=row.external_id,
        domain=row.domain,
        stage=row.stage,
    )


def _apply_contact(uow: ImportUnitOfWork, row: ContactRow) -> None:
    try:
        add_contact(uow, row.customer_id, Contact(name=row.name, email=row.email, phone=row.phone, role=row.role))
    except NotFound:
        raise ValidationError("customer_id", row.customer_id, "no such customer") from None


def _apply(uow: ImportUnitOfWork, row: Strict) -> None:
    if isinstance(row, CustomerRow):
        _apply_customer(uow, row)
    elif isinstance(row, ContactRow):
        _apply_contact(uow, row)
    elif isinstance(row, OpportunityRow):
        _apply_opportunity(uow, row)
    elif isinstance(row, TransactionRow):
        _apply_transaction(uow, row)


def _field_of(exc: BizrelError) -> str:
    name = getattr(exc, "field", "")
    return "history" if name == "at" else str(name)


class _Batcher:
    def __init__(self, unit_of_work: Callable[[], ImportUnitOfWork], report: ImportReport) -> None:
        self.unit_of_work = unit_of_work
        self.report = report

    def run(self, batch: list[_Parsed]) -> None:
        """All rows of the batch in one unit of work, committed only if every row is good. The rows
        that parsed are applied even when others did not, so that their domain errors are reported too."""
        if not batch:
            return
        report = self.report
        errors = [e for _, _, errs in batch for e in errs]
        with self.unit_of_work() as uow:
            for line, row, errs in batch:
                if row is None or errs:
                    continue
                try:
                    _apply(uow, row)
                except BizrelError as exc:
                    errors.append(RowError(line, _field_of(exc), getattr(exc, "reason", str(exc))))
            if not errors and not report.dry_run:
                try:
                    uow.commit()
                except BizrelError as exc:
                    errors.append(RowError(batch[0][0], "", f"batch not committed: {exc}"))
        if errors:
            report.errors.extend(errors)
            report.batches_rejected += 1
        else:
            report.batches_committed += 1
            report.rows_imported += len(batch)


def import_stream(
    unit_of_work: Callable[[], ImportUnitOfWork],
    kind: str,
    stream: IO[bytes],
    *,
    format: Format = "csv",
    batch_size: int = 500,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import `kind` (customers, contacts, opportunities or transactions) from a binary stream of UTF-8 text.

    Never raises for bad content: every problem is a RowError in the returned report.
    """
    model = KINDS.get(kind)
    if model is None:
        raise ValidationError("kind", kind, f"expected one of {sorted(KINDS)}")
    if format not in ("csv", "jsonl"):
        raise ValidationError("format", format, "expected csv or jsonl")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError("batch_size", batch_size, "must be a positive int")
    report = ImportReport(kind=kind, dry_run=dry_run)
    batcher = _Batcher(unit_of_work, report)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    rows = _csv_rows(text, model) if format == "csv" else _jsonl_rows(text, model)
    seen: dict[str, int] = {}
    batch: list[_Parsed] = []
    for line, row, errs in rows:
        report.rows_read += 1
        key = getattr(row, "id", None)
        if isinstance(key, str):
            if key in seen:
                errs = [*errs, RowError(line, "id", f"duplicate of row {seen[key]}")]
            else:
                seen[key] = line
        batch.append((line, row, errs))
        if len(batch) >= batch_size:
            batcher.run(batch)
            batch = []
            if progress is not None:
                progress(report.rows_read, None)
    batcher.run(batch)
    if progress is not None:
        progress(report.rows_read, None)
    text.detach()
    return report
