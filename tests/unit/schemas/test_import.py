"""The import path: hostile cells are reported with row and column, batches are all or nothing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel import open_store
from bizrel.adapters import Store
from bizrel.core.access import Actor, Role
from bizrel.core.clock import FixedClock
from bizrel.sales import create_pipeline
from bizrel.schemas import export_opportunities
from bizrel.schemas.importer import ImportReport, import_stream

URLS = ["memory://", "sqlite://"]
TENANT = "t1"
HEADER = ["id", "customer_id", "occurred_at", "amount", "currency"]


@contextmanager
def store_at(url: str) -> Iterator[Store]:
    store = open_store(url, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))
    with store.unit_of_work(TENANT) as uow:
        create_pipeline(uow, name="std", stages=[("Qualify", "0.1"), ("Propose", "0.5")], id="std")
        create_pipeline(uow, name="standard", stages=[("Qualify", "0.1"), ("Propose", "0.5")], id="standard")
        uow.commit()
    try:
        yield store
    finally:
        store.close()


def run(store: Store, kind: str, data: bytes, **kw: object) -> ImportReport:
    return import_stream(lambda: store.unit_of_work(TENANT), kind, io.BytesIO(data), **kw)  # type: ignore[arg-type]


def stored_ids(store: Store, kind: str) -> set[str]:
    with store.unit_of_work(TENANT) as uow:
        repo = uow.purchases if kind == "transactions" else uow.opportunities
        return {a.id for a in repo.list()}


GOOD = {"id": "x1", "customer_id": "c1", "occurred_at": "2026-01-05T09:00:00Z", "amount": "19.99", "currency": "USD"}

HOSTILE = [
    ("amount", "1e3", "amount"),
    ("amount", "NaN", "amount"),
    ("amount", "1,5", "amount"),
    ("currency", "XYZ", "currency"),
    ("currency", "usd", "currency"),
    ("occurred_at", "2026-01-05T09:00:00", "occurred_at"),
    ("customer_id", '=HYPERLINK("x")', "customer_id"),
    ("customer_id", "+1", "customer_id"),
    ("customer_id", "@SUM(A1)", "customer_id"),
    ("customer_id", "\tc", "customer_id"),
    ("customer_id", "a\x00b", "customer_id"),
    ("customer_id", "c" * 129, "customer_id"),
    ("id", "", "id"),
]


def csv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.rule(
    'Refused: floats or exponents for money (amounts are decimal strings such as `"19.99"`), a currency '
    "that is not an active ISO 4217 code, datetimes without an offset, bytes that are not UTF-8, text "
    "over the length limits (ids 128, names 500), text starting like a spreadsheet formula (`= + - @`, "
    "tab, CR), control characters, unknown or missing columns (a file with a different delimiter has one "
    "unknown column), rows with a wrong number of fields, unreadable CSV quoting or JSON, lines over 1 "
    "MiB (JSON Lines), an id repeated in the file or already stored, and whatever the domain refuses (an "
    "unknown pipeline or stage, a history going backwards, a JPY amount with decimals)."
)
@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("column", "value", "reported"), HOSTILE)
def test_a_hostile_cell_is_reported_with_row_and_column_and_nothing_is_stored(
    url: str, column: str, value: str, reported: str
) -> None:
    with store_at(url) as store:
        report = run(store, "transactions", csv_bytes([GOOD, {**GOOD, "id": "x2", column: value}]))
        assert [(e.row, e.column) for e in report.errors] == [(3, reported)]
        assert report.batches_rejected == 1 and report.rows_imported == 0
        assert stored_ids(store, "transactions") == set()


@pytest.mark.rule(
    'Refused: floats or exponents for money (amounts are decimal strings such as `"19.99"`), a currency '
    "that is not an active ISO 4217 code, datetimes without an offset, bytes that are not UTF-8, text "
    "over the length limits (ids 128, names 500), text starting like a spreadsheet formula (`= + - @`, "
    "tab, CR), control characters, unknown or missing columns (a file with a different delimiter has one "
    "unknown column), rows with a wrong number of fields, unreadable CSV quoting or JSON, lines over 1 "
    "MiB (JSON Lines), an id repeated in the file or already stored, and whatever the domain refuses (an "
    "unknown pipeline or stage, a history going backwards, a JPY amount with decimals)."
)
def test_floats_in_json_lines_are_refused_and_json_numbers_never_become_money() -> None:
    with store_at("memory://") as store:
        lines = [json.dumps({**GOOD, "amount": 19.99}), json.dumps({**GOOD, "id": "x2", "amount": 20})]
        report = run(store, "transactions", "\n".join(lines).encode(), format="jsonl")
        assert [(e.row, e.column) for e in report.errors] == [(1, "amount"), (2, "amount")]


@pytest.mark.rule(
    'Refused: floats or exponents for money (amounts are decimal strings such as `"19.99"`), a currency '
    "that is not an active ISO 4217 code, datetimes without an offset, bytes that are not UTF-8, text "
    "over the length limits (ids 128, names 500), text starting like a spreadsheet formula (`= + - @`, "
    "tab, CR), control characters, unknown or missing columns (a file with a different delimiter has one "
    "unknown column), rows with a wrong number of fields, unreadable CSV quoting or JSON, lines over 1 "
    "MiB (JSON Lines), an id repeated in the file or already stored, and whatever the domain refuses (an "
    "unknown pipeline or stage, a history going backwards, a JPY amount with decimals)."
)
def test_bad_utf8_a_duplicate_and_a_domain_error_are_each_reported() -> None:
    with store_at("sqlite://") as store:
        data = csv_bytes(
            [
                GOOD,
                {**GOOD, "id": "x2", "customer_id": "BAD"},
                GOOD,
                {**GOOD, "id": "x3", "amount": "1.5", "currency": "JPY"},
            ]
        ).replace(b"BAD", b"\xff\xfe")
        report = run(store, "transactions", data)
        assert sorted((e.row, e.column) for e in report.errors) == [(3, "customer_id"), (4, "id"), (5, "amount")]


@pytest.mark.rule(
    'Refused: floats or exponents for money (amounts are decimal strings such as `"19.99"`), a currency '
    "that is not an active ISO 4217 code, datetimes without an offset, bytes that are not UTF-8, text "
    "over the length limits (ids 128, names 500), text starting like a spreadsheet formula (`= + - @`, "
    "tab, CR), control characters, unknown or missing columns (a file with a different delimiter has one "
    "unknown column), rows with a wrong number of fields, unreadable CSV quoting or JSON, lines over 1 "
    "MiB (JSON Lines), an id repeated in the file or already stored, and whatever the domain refuses (an "
    "unknown pipeline or stage, a history going backwards, a JPY amount with decimals)."
)
def test_a_wrong_delimiter_is_a_header_error() -> None:
    with store_at("memory://") as store:
        report = run(store, "transactions", csv_bytes([GOOD]).replace(b",", b";"))
        assert report.errors[0].row == 1 and "unknown column" in report.errors[0].reason
        assert report.rows_imported == 0


@pytest.mark.parametrize("url", URLS)
def test_opportunities_with_stage_history_and_dry_run(url: str) -> None:
    row = {
        "id": "o1",
        "pipeline_id": "std",
        "owner_id": "rep-a",
        "account_name": 'Acme; "quoted", inc.',
        "amount": "1200.00",
        "currency": "EUR",
        "expected_close": "2026-06-30",
        "history": "Qualify@2026-01-05T09:00:00Z|Propose@2026-02-01T10:00:00+01:00",
        "status": "won",
        "closed_at": "2026-03-01T00:00:00Z",
        "lost_reason": "",
    }
    bad = {**row, "id": "o2", "history": "Propose@2026-01-05T09:00:00Z|Qualify@2026-02-01T10:00:00Z"}
    with store_at(url) as store:
        dry = run(store, "opportunities", csv_bytes([row], list(row)), dry_run=True)
        assert dry.rows_imported == 1 and stored_ids(store, "opportunities") == set()
        assert run(store, "opportunities", csv_bytes([row, bad], list(row)), batch_size=1).rows_imported == 1
        with store.unit_of_work(TENANT) as uow:
            opp = uow.opportunities.get("o1")
            assert [c.stage for c in opp.history] == ["Qualify", "Propose"] and opp.status.value == "won"
            assert opp.account_name == row["account_name"]
        again = run(store, "opportunities", csv_bytes([row], list(row)))
        assert [(e.row, e.column) for e in again.errors] == [(2, "id")]


# -- generated files ------------------------------------------------------------------------------

MUTATIONS = ["float", "naive", "currency", "formula", "long", "newline", "encoding", "duplicate", "jpy", "short"]
safe_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x10FFFF, exclude_categories=("Cs", "Cc")), max_size=12
)


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, list[bool], int, str]:
    """A CSV of transactions, the validity of each row, the batch size, and how it was corrupted."""
    n = draw(st.integers(0, 25))
    rows: list[list[str]] = []
    valid: list[bool] = []
    for i in range(n):
        text = draw(safe_text).lstrip("=+-@ ") or "c"
        row = [f"r{i:04d}", text.strip() or "c", "2026-01-05T09:00:00+02:00", f"{i}.25", "USD"]
        mutation = draw(st.sampled_from([None] * 6 + MUTATIONS))
        sources = [j for j in range(i) if valid[j]]
        if mutation == "duplicate" and not sources:
            mutation = None
        match mutation:
            case "float":
                row[3] = "1e3"
            case "naive":
                row[2] = "2026-01-05T09:00:00"
            case "currency":
                row[4] = draw(st.sampled_from(["XYZ", "usd", "US", ""]))
            case "formula":
                row[1] = draw(st.sampled_from("=+-@\t\r")) + row[1]
            case "long":
                row[1] = "x" * 5000
            case "newline":
                row[1] = "a\nb"
            case "encoding":
                row[1] = "\udcff"
            case "duplicate":
                row[0] = f"r{draw(st.sampled_from(sources)):04d}"
            case "jpy":
                row[4] = "JPY"
            case "short":
                row = row[:3]
        rows.append(row)
        valid.append(mutation is None)
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    for record in [HEADER, *rows]:
        ending = draw(st.sampled_from(["\r\n", "\n"]))
        # the writer only quotes the line ending it writes; a bare CR or LF in a cell needs quotes
        needs_quotes = any("\r" in cell or "\n" in cell for cell in record)
        csv.writer(out, quoting=csv.QUOTE_ALL if needs_quotes else quoting, lineterminator=ending).writerow(record)
    data = out.getvalue().encode("utf-8", "surrogateescape")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    corruption = draw(st.sampled_from(["none"] * 4 + ["delimiter", "truncate", "quote", "huge"]))
    match corruption:
        case "delimiter":
            data = data.replace(b",", b"\t")
        case "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        case "quote":
            data = data + b'r9999,"unclosed,x\n'
        case "huge":
            data = data + b"r9998," + b"y" * 200_000 + b",2026-01-05T09:00:00Z,1,USD\n"
    return data, valid, draw(st.integers(1, 6)), corruption


@pytest.mark.parametrize("url", URLS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=files())
def test_generated_files_never_crash_never_leave_a_partial_batch_and_report_every_bad_row(
    url: str, generated: tuple[bytes, list[bool], int, str]
) -> None:
    data, valid, batch_size, corruption = generated
    with store_at(url) as store:
        report = run(store, "transactions", data, batch_size=batch_size)
        ids = stored_ids(store, "transactions")
        assert len(ids) == report.rows_imported
        assert report.rows_imported <= report.rows_read
        if corruption == "delimiter" and valid:
            assert ids == set() and report.errors
        if corruption in ("none", "quote", "huge"):
            batches = [range(k, min(k + batch_size, len(valid))) for k in range(0, len(valid), batch_size)]
            expected = {f"r{i:04d}" for b in batches if all(valid[i] for i in b) for i in b}
            if corruption != "none" and batches and batches[-1][-1] == len(valid) - 1 and len(batches[-1]) < batch_size:
                expected -= {f"r{i:04d}" for i in batches[-1]}  # the corrupt record joins the last batch
            assert ids == expected
            bad_rows = {e.row for e in report.errors}
            assert len(bad_rows) >= valid.count(False) + (corruption != "none")
            assert report.ok == (all(valid) and corruption == "none")


@pytest.mark.parametrize("url", URLS)
def test_customers_then_contacts_from_the_samples(url: str) -> None:
    samples = Path(__file__).resolve().parents[3] / "docs" / "samples"
    with store_at(url) as store:
        customers = run(store, "customers", (samples / "customers.csv").read_bytes())
        contacts = run(store, "contacts", (samples / "contacts.jsonl").read_bytes(), format="jsonl")
        assert customers.ok and contacts.ok and (customers.rows_imported, contacts.rows_imported) == (2, 2)
        with store.unit_of_work(TENANT) as uow:
            assert [c.phone for c in uow.customers.get("c-1").contacts] == ["+49 30 1234567"]
        lines = [
            '{"customer_id": "c-9", "name": "Nobody"}',
            '{"customer_id": "c-1", "name": "Ann Smith", "email": "ann@acme.example"}',
            '{"customer_id": "c-1", "name": "Ann Smith", "email": "ann@acme.example"}',
            '{"customer_id": "c-2", "name": "X", "email": "not an email"}',
        ]
        bad = run(store, "contacts", "\n".join(lines).encode(), format="jsonl")
        assert [(e.row, e.column) for e in bad.errors] == [(3, "id"), (1, "customer_id"), (4, "email")]
        assert bad.rows_imported == 0


@pytest.mark.parametrize("url", URLS)
def test_every_sample_file_imports_cleanly(url: str) -> None:
    samples = Path(__file__).resolve().parents[3] / "docs" / "samples"
    with store_at(url) as store:
        for kind in ("customers", "contacts", "opportunities", "transactions"):
            for path in sorted(samples.glob(f"{kind}.*")):
                fmt = "jsonl" if path.suffix == ".jsonl" else "csv"
                report = run(store, kind, path.read_bytes(), format=fmt)
                assert report.ok and report.rows_imported > 0, (path.name, str(report))


hostile_text = st.text(
    st.one_of(
        st.sampled_from([*"\"';,#|@=+-\\%_", "\u202e", "\u200f", "\ufeff", "’", "*"]),
        st.characters(min_codepoint=32, max_codepoint=0x10FFFF, exclude_categories=("Cs", "Cc")),
    ),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() and not s.startswith(("=", "+", "-", "@")))


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@settings(max_examples=40, deadline=None)
@given(name=hostile_text, reason=hostile_text)
def test_hostile_text_round_trips_through_import_and_export_unchanged(
    url: str, fmt: str, name: str, reason: str
) -> None:
    row = {
        "id": "o1",
        "pipeline_id": "std",
        "owner_id": "rep",
        "account_name": name,
        "amount": "10.00",
        "currency": "USD",
        "expected_close": "2026-06-30",
        "history": "Qualify@2026-01-05T09:00:00Z",
        "status": "lost",
        "closed_at": "2026-02-01T00:00:00Z",
        "lost_reason": reason,
    }
    data = csv_bytes([row], list(row)) if fmt == "csv" else json.dumps(row).encode()
    with store_at(url) as store:
        report = run(store, "opportunities", data, format=fmt)
        assert report.ok, str(report)
        with store.unit_of_work(TENANT) as uow:
            stored = uow.opportunities.get("o1")
            assert (stored.account_name, stored.lost_reason) == (name, reason)
            out = io.StringIO()
            export_opportunities(uow, Actor("admin", Role.ADMIN), out)
        exported = next(csv.DictReader(io.StringIO(out.getvalue())))
        assert (exported["account_name"], exported["lost_reason"]) == (name, reason)
