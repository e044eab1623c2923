"""Argument parsing and dispatch for `bizrel`: data on stdout, messages and progress on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from bizrel.cli import demo, exporting, importing, reporting
from bizrel.cli.exits import DEBUG_VARIABLE, ExitCode, run_command
from bizrel.schemas.export import EXPORT_FORMATS, EXPORTS
from bizrel.schemas.importer import Format

DESCRIPTION = """\
bizrel: customer management, sales management and the bridge between them.

Tell the story of a synthetic company (demo), load records from CSV or JSON Lines
(import), write out what one user may see (export), and write one tenant's story as
an HTML page (report). Results go to standard
output; messages, and progress when standard error is a terminal, go to standard
error, so `bizrel export ... > file` and `bizrel export ... | head` work as expected."""

EPILOG = f"""\
exit status:
  0    success
  1    input refused or unreadable: a value bizrel refused, a missing or unreadable
       file, a --db that is not an existing bizrel database, rows an import rejected
  2    wrong command line: unknown command or option, missing or malformed argument
  3    internal error: a bug in bizrel (set {DEBUG_VARIABLE}=1 to see the traceback)
  130  interrupted (Ctrl-C)
  141  standard output closed early (`| head`); ends quietly

Run `bizrel COMMAND --help` for the options of one command."""

KINDS_TO_IMPORT = ["contacts", "customers", "opportunities", "transactions"]


class _VersionAction(argparse.Action):
    """`--version`: read the installed version only when asked (importing bizrel stays cheap)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        import bizrel

        print(f"bizrel {bizrel.__version__}")
        parser.exit()


def _command(commands: Any, name: str, summary: str, description: str, examples: str) -> argparse.ArgumentParser:
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=description,
        epilog=f"examples:\n{examples}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bizrel", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action=_VersionAction, help="print the installed version of bizrel and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(
        commands,
        "demo",
        "tell the story of a synthetic company, on a new SQLite file",
        "A seeded synthetic company sells through 2025 and hands every won deal to customer\n"
        "success; 2026 is its customers' year. The story (funnel, forecast, commissions,\n"
        "collections, customer health, NPS, loyalty, the closed loop, security) is printed on\n"
        "standard output, the same for the same seed; on a terminal, standard error names\n"
        "each chapter as it starts. It ends by writing the tenant's report (bizrel report) beside\n"
        "the database: bizrel-demo.html for bizrel-demo.db.",
        "  bizrel demo --fresh\n  bizrel demo --db story.db --seed 11 > story.txt",
    )
    run.add_argument("--db", default="bizrel-demo.db", help="SQLite file to create (default: %(default)s)")
    run.add_argument("--seed", type=int, default=7, help="random seed: the same seed tells the same story")
    run.add_argument("--fresh", action="store_true", help="replace the database file if it exists")
    run.set_defaults(handler=_demo)

    imp = _command(
        commands,
        "import",
        "load customers, contacts, opportunities or transactions from CSV or JSON Lines",
        "Read FILE (UTF-8) row by row and store the valid rows in batches, one unit of work per\n"
        "batch. Every refused row is listed with its line, field and reason; the summary goes to\n"
        "standard output and the exit status is 1 when any row was refused. The store is created\n"
        "if it does not exist; FILE must exist.",
        "  bizrel import customers customers.csv --db crm.db --tenant acme\n"
        "  bizrel import opportunities deals.jsonl --db crm.db --tenant acme --dry-run",
    )
    imp.add_argument("kind", choices=KINDS_TO_IMPORT, metavar="KIND", help=f"one of: {', '.join(KINDS_TO_IMPORT)}")
    imp.add_argument("file", metavar="FILE", help="the file to import (UTF-8)")
    imp.add_argument("--db", required=True, help="SQLite file or store URL (postgresql://...)")
    imp.add_argument("--tenant", required=True, help="the tenant the rows belong to")
    imp.add_argument("--format", choices=["csv", "jsonl"], help="csv or jsonl (default: from the file name)")
    imp.add_argument("--batch-size", type=int, default=500, help="rows per unit of work (default: %(default)s)")
    imp.add_argument("--dry-run", action="store_true", help="check every row and report, store nothing")
    imp.add_argument("--quiet", action="store_true", help="no progress bar, even on a terminal")
    imp.set_defaults(handler=_import)

    exp = _command(
        commands,
        "export",
        "write out the records one user may see, as CSV or JSON",
        "Write the records of KIND that the user given by --as may export, from an existing\n"
        "store. CSV cells that a spreadsheet would run as a formula are neutralized; JSON keeps\n"
        "exact decimals as strings. The row count goes to standard error.",
        "  bizrel export customers --db crm.db --tenant acme --as customer_success:cs-ana --out mine.csv\n"
        "  bizrel export opportunities --db crm.db --tenant acme --as sales_manager:max --format json\n"
        "  bizrel export invoices --db crm.db --tenant acme --as team_lead:lea --team ann,bob | head",
    )
    exp.add_argument("kind", choices=sorted(EXPORTS), metavar="KIND", help=f"one of: {', '.join(sorted(EXPORTS))}")
    exp.add_argument("--db", required=True, help="an existing SQLite file or store URL")
    exp.add_argument("--tenant", required=True, help="the tenant to read")
    exp.add_argument(
        "--as", dest="actor", required=True, metavar="ROLE:USER_ID", help="who is exporting, e.g. sales_rep:ann"
    )
    exp.add_argument("--team", default="", help="comma-separated user ids of a team lead's team")
    exp.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="csv",
        help="csv, json (one array) or jsonl (one object a line); default: %(default)s",
    )
    exp.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
    exp.set_defaults(handler=_export)

    rep = _command(
        commands,
        "report",
        "write one tenant's story as a self-contained HTML page (or JSON)",
        "Compute, from an existing store, the tenant's funnel and velocity, forecast, attainment\n"
        "and commissions, receivables, customer health, NPS, RFM segments, cohort retention,\n"
        "loyalty liability and the closed loop, and write them as one HTML file that opens\n"
        "offline in any browser (tables with the exact figures), or as JSON.",
        "  bizrel report --db crm.db --tenant acme --out acme.html\n"
        "  bizrel report --db crm.db --tenant acme --as-of 2026-06-30 --format json | jq .sections[0]",
    )
    rep.add_argument("--db", required=True, help="an existing SQLite file or store URL")
    rep.add_argument("--tenant", required=True, help="the tenant to report on")
    rep.add_argument(
        "--as-of", type=date.fromisoformat, metavar="DATE", help="YYYY-MM-DD, the whole day included (default: now)"
    )
    rep.add_argument("--format", choices=["html", "json"], default="html", help="default: %(default)s")
    rep.add_argument("--out", metavar="FILE", help="file to write (default: standard output)")
    rep.set_defaults(handler=_report)
    return parser


def _demo(args: argparse.Namespace) -> ExitCode:
    progress = sys.stderr if sys.stderr.isatty() else None
    demo.run(db=args.db, seed=args.seed, fresh=args.fresh, out=sys.stdout, progress=progress)
    return ExitCode.OK


def _report(args: argparse.Namespace) -> ExitCode:
    reporting.run(db=args.db, tenant=args.tenant, as_of=args.as_of, format=args.format, out=args.out)
    if args.out is not None:
        print(f"report on {args.tenant} written to {args.out}", file=sys.stderr)
    return ExitCode.OK


def _export(args: argparse.Namespace) -> ExitCode:
    actor = exporting.actor(args.actor, args.team)
    rows = exporting.run(args.kind, db=args.db, tenant=args.tenant, actor=actor, out=args.out, format=args.format)
    print(f"{rows} {args.kind} exported as {actor.role.value} {actor.user_id}", file=sys.stderr)
    return ExitCode.OK


def _import(args: argparse.Namespace) -> ExitCode:
    fmt: Format = args.format or ("jsonl" if args.file.endswith((".jsonl", ".ndjson")) else "csv")
    report = importing.run(
        args.kind,
        args.file,
        db=args.db,
        tenant=args.tenant,
        format=fmt,
        batch_size=args.batch_size,
        dry_run=args.dry_run,
        quiet=args.quiet,
    )
    print(report)
    return ExitCode.OK if report.ok else ExitCode.REFUSED


def main(argv: Sequence[str] | None = None) -> int:
    """Run `bizrel` with `argv` (default: the process's arguments); returns the exit status."""
    args = _parser().parse_args(argv)
    return int(run_command(lambda: args.handler(args)))
