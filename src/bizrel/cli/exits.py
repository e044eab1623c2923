"""How `bizrel` ends: one documented exit code per kind of outcome, and one line on stderr for a failure.

A script tells from the code alone whether it called bizrel wrongly (2), whether bizrel refused
what it was given (1) or whether bizrel itself failed (3); a person reads one line, never a
traceback (`BIZREL_DEBUG=1` adds it, for a bug report).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum

from bizrel.core.errors import BizrelError

__all__ = ["DEBUG_VARIABLE", "ExitCode", "run_command"]

DEBUG_VARIABLE = "BIZREL_DEBUG"


class ExitCode(IntEnum):
    """The exit status of `bizrel`, documented in `bizrel --help` and docs/cli.md."""

    OK = 0
    REFUSED = 1
    """The input was refused or could not be read: a `BizrelError`, a missing or unreadable file, a
    `--db` that is not an existing bizrel database, rows an import rejected."""
    USAGE = 2
    """The command line is wrong: an unknown command or option, a missing or malformed argument."""
    INTERNAL = 3
    """bizrel failed on input it should have handled: a bug, to be reported with the traceback."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (128 + SIGINT, as a shell reports it)."""
    BROKEN_PIPE = 141
    """The reader of standard output went away (`| head`): 128 + SIGPIPE, as the shell reports
    for any command ended by a closed pipe; nothing is printed."""


def _say(message: str) -> None:
    print(f"bizrel: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so that the interpreter's final flush finds no closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def run_command(command: Callable[[], ExitCode]) -> ExitCode:
    """Run one command and turn whatever ends it into an exit code and at most one line on stderr."""
    try:
        code = command()
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except BizrelError as refused:
        _say(str(refused))
        return ExitCode.REFUSED
    except OSError as unreadable:
        where = f"{unreadable.filename}: " if unreadable.filename is not None else ""
        _say(f"{where}{unreadable.strerror or unreadable}")
        return ExitCode.REFUSED
    except KeyboardInterrupt:
        _say("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as bug:
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        hint = "" if os.environ.get(DEBUG_VARIABLE) else f"; rerun with {DEBUG_VARIABLE}=1 for the traceback"
        _say(f"internal error: {type(bug).__name__}: {bug} (a bug in bizrel, please report it{hint})")
        return ExitCode.INTERNAL
