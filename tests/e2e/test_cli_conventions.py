"""`bizrel` keeps the conventions of a command-line tool (docs/cli.md), each checked in a real process.

Data on stdout, messages on stderr, progress only on a terminal; one line and a documented exit code
for every failure, never a traceback and never a database created by a command that only reads; a
closed pipe ends the command quietly.
"""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import pytest

from bizrel.cli.exits import ExitCode
from bizrel.cli.main import EPILOG

BIZREL = [str(Path(sys.executable).with_name("bizrel"))]  # the console script pip installed beside python
TENANT = "acme"
CUSTOMERS = 3000  # about 300 KB of CSV: more than a pipe holds, so a closed pipe is noticed while writing
MANAGER = ["--as", "sales_manager:max"]


def bizrel(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BIZREL, *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, check=False
    )


def on_a_terminal(args: Sequence[str], cwd: Path) -> tuple[int, str, str]:
    """Run bizrel with stderr on a pseudo-terminal and stdout on a pipe; (exit status, stdout, stderr)."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen([*BIZREL, *args], stdout=subprocess.PIPE, stderr=secondary, cwd=cwd, text=False)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the process closed its end of the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert process.stdout is not None
    out = process.stdout.read()
    process.stdout.close()
    return process.wait(), out.decode(), seen.decode()


def assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("bizrel: "), err


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bizrel SQLite database with CUSTOMERS customers, filled by `bizrel import`."""
    folder = tmp_path_factory.mktemp("crm")
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "kind", "owner_id", "timezone", "external_id", "domain", "stage"])
        for n in range(CUSTOMERS):
            writer.writerow(
                [f"c-{n:05d}", f"Customer {n} of the pipe test", "organisation", "csm-1", "UTC", "", "", ""]
            )
    done = bizrel("import", "customers", "customers.csv", "--db", "crm.db", "--tenant", TENANT, cwd=folder)
    assert done.returncode == ExitCode.OK, done.stderr
    assert done.stderr == ""  # not a terminal: no progress bar
    assert f"imported {CUSTOMERS}" in done.stdout
    return folder / "crm.db"


# --version and --help


@pytest.mark.rule("`bizrel --version` prints the installed version.")
def test_version_prints_the_installed_version_on_stdout() -> None:
    done = bizrel("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"bizrel {version('bizrel')}\n", "")


def test_importing_bizrel_does_not_read_package_metadata() -> None:
    code = "import sys, bizrel; print('importlib.metadata' in sys.modules); print(bizrel.__version__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", version("bizrel")]


@pytest.mark.parametrize("command", [[], ["demo"], ["import"], ["export"], ["report"]])
def test_help_is_written_for_users_on_stdout(command: list[str]) -> None:
    done = bizrel(*command, "--help")
    assert done.returncode == ExitCode.OK and done.stderr == ""
    assert done.stdout.startswith("usage: bizrel")
    if command:
        assert "examples:\n  bizrel " + command[0] in done.stdout
    else:
        assert "exit status:" in done.stdout
        for name in ("demo", "import", "export", "report"):
            assert f"    {name} " in done.stdout


def test_every_exit_code_is_documented_in_help_and_in_the_docs() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"\n  {int(code):<4} " in EPILOG, code
        assert f"| {int(code)} |" in page, code


# usage errors: 2, usage on stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nonsense"],
        ["export", "nonsense", "--db", "x.db", "--tenant", "t", "--as", "sales_rep:ann"],
        ["export", "customers", "--tenant", "t", "--as", "sales_rep:ann"],  # --db missing
        ["import", "customers", "f.csv", "--db", "x.db", "--tenant", "t", "--batch-size", "many"],
        ["export", "customers", "--db", "x.db", "--tenant", "t", "--as", "sales_rep:ann", "--format", "xml"],
    ],
)
def test_a_wrong_command_line_is_a_usage_error(args: list[str], tmp_path: Path) -> None:
    done = bizrel(*args, cwd=tmp_path)
    assert done.returncode == ExitCode.USAGE == 2
    assert done.stdout == "" and "usage: bizrel" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


# refused or unreadable input: 1, one line, nothing created


@pytest.mark.rule(
    "A missing or unreadable input file (`bizrel import`) names the file and the reason, and no database is created."
)
def test_a_missing_input_file_is_one_line_and_creates_no_database(tmp_path: Path) -> None:
    done = bizrel("import", "customers", "nosuch.csv", "--db", "new.db", "--tenant", TENANT, cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED == 1
    assert done.stdout == ""
    assert_one_line(done.stderr)
    assert "nosuch.csv" in done.stderr and "No such file" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make", ["directory", "dangling link"])
def test_an_unreadable_input_file_is_one_line(make: str, tmp_path: Path) -> None:
    target = tmp_path / "input.csv"
    if make == "directory":
        target.mkdir()
    else:
        target.symlink_to(tmp_path / "gone.csv")
    done = bizrel("import", "customers", str(target), "--db", "new.db", "--tenant", TENANT, cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert_one_line(done.stderr)
    assert str(target) in done.stderr
    assert not (tmp_path / "new.db").exists()


@pytest.mark.rule(
    "A command that only reads (`bizrel export`) opens an existing bizrel database and nothing else: a path that "
    "does not exist, a directory, a file that is not a bizrel database (an empty file included) or a store that "
    "starts empty (`memory://`, `sqlite://`) is refused, and the file is left as it was."
)
def test_export_from_a_nonexistent_db_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    done = bizrel("export", "customers", "--db", "nosuch.db", "--tenant", TENANT, *MANAGER, cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert done.stdout == ""
    assert_one_line(done.stderr)
    assert "--db=nosuch.db" in done.stderr and "no such database file" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"id,name\n1,not a database\n"])
def test_export_from_a_file_that_is_not_a_bizrel_database_leaves_it_unchanged(content: bytes, tmp_path: Path) -> None:
    (tmp_path / "other.db").write_bytes(content)
    done = bizrel("export", "customers", "--db", "other.db", "--tenant", TENANT, *MANAGER, cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert_one_line(done.stderr)
    assert "not a bizrel database" in done.stderr
    assert (tmp_path / "other.db").read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize("db", ["memory://", "sqlite://"])
def test_export_from_a_store_that_starts_empty_is_refused(db: str, tmp_path: Path) -> None:
    done = bizrel("export", "customers", "--db", db, "--tenant", TENANT, *MANAGER, cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert_one_line(done.stderr)


@pytest.mark.rule(
    "A value bizrel refuses (any `BizrelError`) is printed as the error says it: field, value and reason, "
    "as in `--as=boss:max: expected ROLE:USER_ID with ROLE one of [...]`."
)
def test_a_refused_value_is_one_line_naming_it(crm: Path) -> None:
    done = bizrel("export", "customers", "--db", str(crm), "--tenant", TENANT, "--as", "boss:max")
    assert done.returncode == ExitCode.REFUSED
    assert done.stdout == ""
    assert_one_line(done.stderr)
    assert "--as=boss:max" in done.stderr


@pytest.mark.rule("The exit code is 1 when anything was refused.")
def test_an_import_with_rejected_rows_reports_them_on_stdout_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("id,customer_id,occurred_at,amount,currency\nt1,c1,2026-01-01T00:00Z,1e3,USD\n")
    done = bizrel("import", "transactions", "bad.csv", "--db", "crm.db", "--tenant", TENANT, cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert "amount" in done.stdout and "rejected 1 batches" in done.stdout
    assert done.stderr == ""


def test_an_existing_demo_database_is_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "demo.db").write_bytes(b"")
    done = bizrel("demo", "--db", "demo.db", cwd=tmp_path)
    assert done.returncode == ExitCode.REFUSED
    assert_one_line(done.stderr)
    assert "--fresh" in done.stderr


# internal errors: 3, one line unless asked for the traceback

BUG = (
    "import sys; import bizrel.cli.exporting as e;"
    "e.run = lambda *a, **k: {}['boom'];"
    "from bizrel.cli import main;"
    "sys.exit(main(['export', 'customers', '--db', 'x.db', '--tenant', 't', '--as', 'sales_rep:ann']))"
)


@pytest.mark.rule("A failure prints one line on standard error, starting `bizrel: `, and never a traceback:")
def test_an_internal_error_is_one_line_and_exit_3() -> None:
    done = subprocess.run([sys.executable, "-c", BUG], capture_output=True, text=True, check=False)
    assert done.returncode == ExitCode.INTERNAL == 3
    assert_one_line(done.stderr)
    assert "internal error: KeyError: 'boom'" in done.stderr and "BIZREL_DEBUG=1" in done.stderr


def test_the_traceback_of_an_internal_error_is_shown_on_request() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUG],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "BIZREL_DEBUG": "1"},
    )
    assert done.returncode == ExitCode.INTERNAL
    assert "Traceback" in done.stderr and done.stderr.rstrip().splitlines()[-1].startswith("bizrel: internal error")


def test_ctrl_c_ends_with_130_and_one_line() -> None:
    code = BUG.replace("{}['boom']", "(_ for _ in ()).throw(KeyboardInterrupt())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == ExitCode.INTERRUPTED == 130
    assert done.stderr == "bizrel: interrupted\n"


# stdout for data, stderr for messages


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_export_writes_data_on_stdout_and_the_count_on_stderr(crm: Path, fmt: str) -> None:
    done = bizrel("export", "customers", "--db", str(crm), "--tenant", TENANT, *MANAGER, "--format", fmt)
    assert done.returncode == ExitCode.OK
    assert done.stderr == f"{CUSTOMERS} customers exported as sales manager max\n"
    if fmt == "csv":
        rows = list(csv.DictReader(done.stdout.splitlines()))
    elif fmt == "json":
        rows = json.loads(done.stdout)
    else:
        rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == CUSTOMERS
    assert rows[7]["id"] == "c-00007" and rows[7]["name"] == "Customer 7 of the pipe test"


def test_export_to_a_file_leaves_stdout_empty(crm: Path, tmp_path: Path) -> None:
    out = tmp_path / "customers.json"
    done = bizrel(
        "export", "customers", "--db", str(crm), "--tenant", TENANT, *MANAGER, "--format", "json", "--out", str(out)
    )
    assert done.returncode == ExitCode.OK and done.stdout == ""
    assert len(json.loads(out.read_text(encoding="utf-8"))) == CUSTOMERS


def test_export_to_an_unwritable_place_is_one_line(crm: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "folder.csv"
    done = bizrel("export", "customers", "--db", str(crm), "--tenant", TENANT, *MANAGER, "--out", str(out))
    assert done.returncode == ExitCode.REFUSED
    assert_one_line(done.stderr)
    assert str(out) in done.stderr


# a closed pipe


@pytest.mark.rule(
    "When the reader of standard output goes away (`bizrel export ... | head`), the command stops writing and ends "
    "quietly."
)
def test_a_closed_pipe_ends_the_export_quietly(crm: Path) -> None:
    """`bizrel export ... | head -1`: the reader leaves after one line; no BrokenPipeError, no message."""
    process = subprocess.Popen(
        [*BIZREL, "export", "customers", "--db", str(crm), "--tenant", TENANT, *MANAGER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"id,name,kind,owner_id,stage,external_id,domain,created_at\r\n"
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait() == ExitCode.BROKEN_PIPE == 141
    assert err == b""


def test_a_closed_pipe_through_the_shell_like_head(crm: Path) -> None:
    export = f"{BIZREL[0]} export customers --db '{crm}' --tenant {TENANT} --as sales_manager:max"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {export} | head -1"], capture_output=True, text=True)
    assert done.stdout.startswith("id,name") and done.stderr == ""
    assert done.returncode == ExitCode.BROKEN_PIPE  # what pipefail reports for `yes | head -1` too


# progress only on a terminal


def test_import_draws_progress_on_a_terminal_only(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "id,customer_id,occurred_at,amount,currency\n"
        + "".join(f"t{n},c{n},2026-01-01T00:00:00Z,{n}.50,USD\n" for n in range(50))
    )
    args = ["import", "transactions", "t.csv", "--db", "crm.db", "--tenant", TENANT, "--batch-size", "10"]
    code, out, err = on_a_terminal(args, tmp_path)
    assert code == ExitCode.OK
    assert "100.0% 50 rows" in err and "imported 50" in out and "%" not in out
    again = [*args[:4], "other.db", *args[5:], "--dry-run"]
    quiet_code, quiet_out, quiet_err = on_a_terminal([*again, "--quiet"], tmp_path)
    assert quiet_code == ExitCode.OK and quiet_err == "" and "would import 50" in quiet_out
    piped = bizrel(*again, cwd=tmp_path)
    assert piped.returncode == ExitCode.OK and piped.stderr == "" and "would import 50" in piped.stdout


@pytest.mark.slow
def test_the_demo_names_each_chapter_on_a_terminal_and_keeps_stdout_for_the_story(tmp_path: Path) -> None:
    from bizrel.cli.demo import CHAPTERS

    code, out, err = on_a_terminal(["demo", "--db", "story.db", "--seed", "3"], tmp_path)
    assert code == ExitCode.OK
    names = [name for name, _ in CHAPTERS]
    expected = [f"bizrel demo: chapter {n}/{len(names)}: {name}" for n, name in enumerate(names, start=1)]
    assert err.replace("\r\n", "\n").splitlines() == expected
    assert "bizrel demo: chapter" not in out
    assert "closed loop" in out
