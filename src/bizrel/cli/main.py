"""Argument parsing and dispatch for `bizrel`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bizrel.cli import demo, importing
from bizrel.core.errors import BizrelError
from bizrel.schemas.importer import Format


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bizrel", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="run the story of a synthetic company on a SQLite file")
    run.add_argument("--db", default="bizrel-demo.db", help="SQLite file (default: %(default)s)")
    run.add_argument("--seed", type=int, default=7, help="random seed; the same seed prints the same report")
    run.add_argument("--fresh", action="store_true", help="delete the database file first")
    run.set_defaults(handler=lambda a: demo.run(db=a.db, seed=a.seed, fresh=a.fresh, out=sys.stdout))
    imp = commands.add_parser(
        "import", help="import customers, contacts, opportunities or transactions from CSV or JSON Lines"
    )
    imp.add_argument("kind", choices=["contacts", "customers", "opportunities", "transactions"])
    imp.add_argument("file", help="the file to import (UTF-8)")
    imp.add_argument("--db", required=True, help="SQLite file or store URL")
    imp.add_argument("--tenant", required=True)
    imp.add_argument("--format", choices=["csv", "jsonl"], help="default: from the file extension")
    imp.add_argument("--batch-size", type=int, default=500, help="rows per unit of work (default: %(default)s)")
    imp.add_argument("--dry-run", action="store_true", help="check and report, commit nothing")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(handler=_import)
    return parser


def _import(args: argparse.Namespace) -> None:
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
    if not report.ok:
        raise SystemExit(1)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except BizrelError as exc:
        print(f"bizrel: {exc}", file=sys.stderr)
        return 2
    return 0
