"""`bizrel report` without a browser: the same figures from SQLite and PostgreSQL, JSON for programs,
and the command-line conventions (a missing store is one line, nothing is created)."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bizrel import customer as cm
from bizrel import open_store
from bizrel.adapters import Store
from bizrel.cli.exits import ExitCode
from bizrel.cli.report import SECTIONS, build_report, end_of_day, report_json
from bizrel.cli.report_html import report_html
from bizrel.core.clock import FixedClock
from bizrel.sales import create_pipeline
from bizrel.schemas import import_stream

TENANT = "acme"
AS_OF = date(2026, 6, 30)
BIZREL = str(Path(sys.executable).with_name("bizrel"))


def _import(store: Store, kind: str, header: str, lines: list[str]) -> None:
    data = (header + "\n" + "\n".join(lines) + "\n").encode()
    report = import_stream(lambda: store.unit_of_work(TENANT), kind, io.BytesIO(data))
    assert report.ok, str(report)


def fill(store: Store) -> None:
    """A small tenant: 40 deals through one pipeline, 20 customers buying through half a year, NPS answers."""
    rng = random.Random(16)
    with store.unit_of_work(TENANT) as uow:
        create_pipeline(uow, name="Standard", stages=[("Qualify", "0.2"), ("Propose", "0.5")], id="standard")
        uow.commit()
    deals = []
    for n in range(40):
        opened = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=rng.randrange(0, 120))
        moved = opened + timedelta(days=rng.randrange(3, 30))
        status = rng.choice(["open", "won", "lost"])
        closed = (moved + timedelta(days=5)).isoformat() if status != "open" else ""
        deals.append(
            f"d-{n:02d},standard,rep-{n % 3},Account {n},{rng.randrange(1000, 90000)}.{rng.randrange(100):02d},USD,"
            f"2026-{rng.randrange(6, 13):02d}-28,Qualify@{opened.isoformat()}|Propose@{moved.isoformat()},{status},"
            f"{closed},{'price' if status == 'lost' else ''}"
        )
    _import(
        store,
        "opportunities",
        "id,pipeline_id,owner_id,account_name,amount,currency,expected_close,history,status,closed_at,lost_reason",
        deals,
    )
    customers = [f"c-{n:02d},Customer {n},organisation,csm-{n % 2},UTC,,,active" for n in range(20)]
    _import(store, "customers", "id,name,kind,owner_id,timezone,external_id,domain,stage", customers)
    purchases = [
        f"p-{n:03d},c-{rng.randrange(20):02d},"
        f"{(datetime(2026, 1, 2, 10, tzinfo=UTC) + timedelta(days=rng.randrange(0, 170))).isoformat()},"
        f"{rng.randrange(5, 500)}.{rng.randrange(100):02d},USD"
        for n in range(200)
    ]
    _import(store, "transactions", "id,customer_id,occurred_at,amount,currency", purchases)
    with store.unit_of_work(TENANT) as uow:
        survey = cm.create_survey(uow, id="nps", name="NPS", kind="nps", question="Would you recommend us?")
        for n in range(20):
            at = datetime(2026, 2, 1, 12, tzinfo=UTC) + timedelta(days=7 * n)
            cm.record_response(uow, id=f"r-{n}", survey_id=survey.id, customer_id=f"c-{n:02d}", score=n % 11, at=at)
        uow.commit()


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "acme.db"
    with open_store(f"sqlite:///{db}", clock=FixedClock(datetime(2026, 6, 30, tzinfo=UTC))) as store:
        fill(store)
    return db


@pytest.mark.rule(
    "Each section gives a one-paragraph reading and tables with the exact figures bizrel computed (money and "
    "ratios as exact decimals); a section with nothing recorded says so in one sentence."
)
def test_every_section_is_present_and_an_empty_one_says_so(sqlite_db: Path) -> None:
    with open_store(f"sqlite:///{sqlite_db}") as store:
        report = build_report(store, TENANT, end_of_day(AS_OF))
        empty = build_report(store, "nobody", end_of_day(AS_OF))
    assert [s.key for s in report.sections] == [s.key for s in empty.sections]
    assert len(report.sections) == len(SECTIONS) == 10
    for key in ("funnel", "forecast", "health", "nps", "rfm", "cohorts"):
        assert next(s for s in report.sections if s.key == key).tables, key
    for section in empty.sections:
        assert section.tables == () and section.summary.startswith("No "), section.key
    page = report_html(empty)
    assert page.count("<section ") == len(SECTIONS)


def test_the_json_report_carries_exact_figures(sqlite_db: Path) -> None:
    done = subprocess.run(
        [BIZREL, "report", "--db", str(sqlite_db), "--tenant", TENANT, "--as-of", str(AS_OF), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == ExitCode.OK and done.stderr == ""
    document = json.loads(done.stdout)
    assert document["as_of"] == "2026-06-30T23:59:59.999999+00:00"
    assert [s["key"] for s in document["sections"]] == [
        "funnel", "forecast", "attainment", "receivables", "health", "nps", "rfm", "cohorts", "loyalty", "closed-loop"
    ]  # fmt: skip
    funnel = document["sections"][0]["tables"][0]["rows"]
    assert funnel[0]["stage"] == "Qualify" and funnel[0]["reached"] == 40
    assert isinstance(funnel[0]["amount"], str) and "." in funnel[0]["amount"]  # a decimal, never a float


def test_the_html_report_goes_to_the_file_named_and_the_message_to_stderr(sqlite_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "acme.html"
    args = [BIZREL, "report", "--db", str(sqlite_db), "--tenant", TENANT, "--as-of", str(AS_OF), "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == ExitCode.OK and done.stdout == ""
    assert done.stderr == f"report on {TENANT} written to {out}\n"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_report_from_a_missing_store_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    args = [BIZREL, "report", "--db", "nosuch.db", "--tenant", TENANT, "--out", "r.html"]
    done = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == ExitCode.REFUSED
    assert done.stderr.count("\n") == 1 and "no such database file" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("as_of", ["2026-02-30", "yesterday"])
def test_a_malformed_as_of_is_a_usage_error(sqlite_db: Path, as_of: str) -> None:
    args = [BIZREL, "report", "--db", str(sqlite_db), "--tenant", TENANT, "--as-of", as_of]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == ExitCode.USAGE and "--as-of" in done.stderr


@pytest.mark.rule("The store must exist (see below); the same figures come from SQLite and PostgreSQL.")
@pytest.mark.postgres
def test_the_report_from_postgresql_has_the_same_figures_as_from_sqlite(sqlite_db: Path, pg_url: str) -> None:
    with open_store(pg_url, clock=FixedClock(datetime(2026, 6, 30, tzinfo=UTC))) as store:
        fill(store)
        from_postgres = build_report(store, TENANT, end_of_day(AS_OF))
    with open_store(f"sqlite:///{sqlite_db}") as store:
        from_sqlite = build_report(store, TENANT, end_of_day(AS_OF))
    assert report_json(from_postgres) == report_json(from_sqlite)
    assert report_html(from_postgres) == report_html(from_sqlite)
