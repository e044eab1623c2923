"""Argument parsing and dispatch for `bizrel`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bizrel.cli import demo
from bizrel.core.errors import BizrelError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bizrel", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="run the story of a synthetic company on a SQLite file")
    run.add_argument("--db", default="bizrel-demo.db", help="SQLite file (default: %(default)s)")
    run.add_argument("--seed", type=int, default=7, help="random seed; the same seed prints the same report")
    run.add_argument("--fresh", action="store_true", help="delete the database file first")
    run.set_defaults(handler=lambda a: demo.run(db=a.db, seed=a.seed, fresh=a.fresh, out=sys.stdout))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except BizrelError as exc:
        print(f"bizrel: {exc}", file=sys.stderr)
        return 2
    return 0
