"""What every engine benchmark shares: each contender measured in a fresh process of its own, so
that the peak memory printed is that run's own and no contender inherits another's warm caches.

A runner is a module-level function (spawned processes import it by name) that does its own
untimed setup and returns (seconds, answer) or (seconds, answer, note): the answer is compared
across contenders, the note (say, the import time) is only printed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Comparison", "in_process", "measure", "peak_mib", "stores", "throwaway_postgres"]

Measurement = tuple[float | None, Any, float, str]


def peak_mib() -> float:
    """This process's own peak resident memory. VmHWM belongs to the process's address space, which
    exec replaces; ru_maxrss would carry the parent's peak over fork and exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(runner: Callable[..., tuple[Any, ...]], args: tuple[Any, ...], queue: Any) -> None:
    try:
        seconds, answer, *note = runner(*args)
        queue.put((seconds, answer, peak_mib(), "".join(note)))
    except Exception as exc:  # an anchor that does not run here is reported, not fatal
        queue.put((None, f"{type(exc).__name__}: {exc}"[:90], peak_mib(), ""))


def measure(runner: Callable[..., tuple[Any, ...]], *args: Any) -> Measurement:
    """(seconds or None when it failed, answer or the failure, peak MiB, note) of runner(*args), run
    in a spawned process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(runner, args, queue))
    proc.start()
    result: Measurement = queue.get()
    proc.join()
    return result


def in_process(target: Callable[..., Any], *args: Any) -> None:
    """Run target(*args) (building data, filling a store) in a process of its own, so the parent
    stays small and lends no memory to the measurements."""
    proc = mp.get_context("spawn").Process(target=target, args=args)
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"{getattr(target, '__name__', target)} failed with exit code {proc.exitcode}")


class Comparison:
    """The contenders of one run: each measured and printed as it finishes, then ratios between
    any two and whether their answers agree."""

    def __init__(self, width: int = 50) -> None:
        self.width = width
        self.seconds: dict[str, float] = {}
        self.answers: dict[str, Any] = {}

    def run(self, name: str, runner: Callable[..., tuple[Any, ...]], *args: Any) -> None:
        seconds, answer, peak, note = measure(runner, *args)
        shown = f"{seconds:7.3f} s" if seconds is not None else "   n/a   "
        extra = f"  ({answer})" if seconds is None else (f"  {note}" if note else "")
        print(f"  {name:{self.width}s} {shown}  peak RSS {peak:7.0f} MiB{extra}", flush=True)
        if seconds is not None:
            self.seconds[name], self.answers[name] = seconds, answer

    def ratio(self, a: str, b: str) -> float | None:
        if a not in self.seconds or b not in self.seconds:
            return None
        value = self.seconds[a] / self.seconds[b]
        print(f"  ratio {a} / {b}: {value:.2f}x")
        return value

    def fastest(self, *names: str) -> str:
        """The fastest of the named contenders that ran."""
        return min((n for n in names if n in self.seconds), key=self.seconds.__getitem__, default=names[0])

    def agree(self, names: list[str] | None = None) -> bool:
        """Whether every named contender (default: all) that ran gave the same answer."""
        chosen = self.answers if names is None else {n: self.answers[n] for n in names if n in self.answers}
        return len({repr(a) for a in chosen.values()}) <= 1


@contextmanager
def throwaway_postgres(dsn: str) -> Iterator[str]:
    """The URL of a new database on the server `dsn` names, dropped on exit."""
    import psycopg
    from psycopg import sql

    name = f"bizrel_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(dsn)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    finally:
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def stores(folder: str, pg: str | None) -> Iterator[tuple[str, str]]:
    """(database, store URL) for each database push-down is measured on: a SQLite file in `folder`,
    then a throwaway PostgreSQL database when `pg` (a server DSN) is given."""
    yield "SQLite", f"sqlite:///{os.path.join(folder, 'store.db')}"
    if pg:
        with throwaway_postgres(pg) as url:
            yield "PostgreSQL", url
    else:
        print("\nPostgreSQL: skipped (set BIZREL_TEST_PG_DSN or pass --pg)")
