"""`format="json"` and `"jsonl"` export the same rows as CSV, with exact values typed for JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from bizrel import ValidationError, open_store
from bizrel.core.access import Actor, Role
from bizrel.core.clock import FixedClock
from bizrel.sales import create_pipeline
from bizrel.schemas import EXPORT_FORMATS, export_opportunities, import_stream

TENANT = "t1"
ADMIN = Actor("admin", Role.ADMIN)
ROWS = (
    "id,pipeline_id,owner_id,account_name,amount,currency,expected_close,history,status,closed_at,lost_reason\n"
    'opp-1,standard,rep-ann,"Acme, Inc.",12000.00,USD,2026-06-30,Qualify@2026-01-05T09:00:00Z,open,,\n'
    "opp-2,standard,rep-bob,Globex,5400.50,EUR,2026-04-15,Qualify@2026-01-10T09:00:00+01:00,lost,"
    "2026-03-01T12:00:00Z,budget cut\n"
    "opp-3,standard,rep-bob,Yen Co,3200,JPY,2026-05-01,Qualify@2026-01-10T09:00:00Z,open,,\n"
)


def exported(fmt: str) -> tuple[int, str]:
    with open_store("memory://", clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))) as store:
        with store.unit_of_work(TENANT) as uow:
            create_pipeline(uow, name="standard", stages=[("Qualify", "0.1"), ("Propose", "0.5")], id="standard")
            uow.commit()
        report = import_stream(lambda: store.unit_of_work(TENANT), "opportunities", io.BytesIO(ROWS.encode()))
        assert report.ok, str(report)
        out = io.StringIO()
        with store.unit_of_work(TENANT) as uow:
            count = export_opportunities(uow, ADMIN, out, fmt)  # type: ignore[arg-type]
        return count, out.getvalue()


def test_json_and_jsonl_hold_the_csv_rows_with_typed_values() -> None:
    count, text = exported("csv")
    from_csv = list(csv.DictReader(io.StringIO(text)))
    json_count, json_text = exported("json")
    lines_count, lines_text = exported("jsonl")
    from_json = json.loads(json_text)
    from_lines = [json.loads(line) for line in lines_text.splitlines()]
    assert count == json_count == lines_count == 3
    assert from_json == from_lines
    assert (
        json_text.startswith("[\n{") and json_text.endswith("}\n]\n") and json_text.count("\n") == 5
    )  # "[", a line per row, "]"
    for row, record in zip(from_csv, from_json, strict=True):
        assert list(record) == list(row)
        for column, cell in row.items():
            value = record[column]
            assert ("" if value is None else value) == cell, column
    amounts = [(r["amount"], r["currency"]) for r in from_json]
    assert amounts == [("12000.00", "USD"), ("5400.50", "EUR"), ("3200", "JPY")]
    assert from_json[1]["closed_at"] == "2026-03-01T12:00:00+00:00" and from_json[0]["closed_at"] is None


def test_an_empty_json_export_is_an_empty_array() -> None:
    with open_store("memory://") as store, store.unit_of_work(TENANT) as uow:
        out = io.StringIO()
        assert export_opportunities(uow, ADMIN, out, "json") == 0
        assert json.loads(out.getvalue()) == []
        lines = io.StringIO()
        assert export_opportunities(uow, ADMIN, lines, "jsonl") == 0
        assert lines.getvalue() == ""


@pytest.mark.parametrize("fmt", ["xml", "JSON", ""])
def test_an_unknown_format_is_refused_naming_it(fmt: str) -> None:
    assert fmt not in EXPORT_FORMATS
    with (
        open_store("memory://") as store,
        store.unit_of_work(TENANT) as uow,
        pytest.raises(ValidationError) as refused,
    ):
        export_opportunities(uow, ADMIN, io.StringIO(), fmt)  # type: ignore[arg-type]
    assert refused.value.field == "format" and refused.value.value == fmt
