"""Progress of one analytic run, reported through the caller's optional callback.

The reference path reports the input records it has consumed (every `EVERY` records and once at the
end; the total is the input's length when it has one). The engine and push-down paths cannot see
inside one SQL statement, so they report the phases they pass: `done` of `total` phases.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import TypeVar

from bizrel.core.progress import Progress

__all__ = ["EVERY", "Phases", "counted"]

EVERY = 100_000
T = TypeVar("T")


def counted(records: Iterable[T], progress: Progress | None, every: int = EVERY) -> Iterable[T]:
    """The records unchanged, reporting how many have been consumed."""
    if progress is None:
        return records
    return _counting(records, progress, every)


def _counting(records: Iterable[T], progress: Progress, every: int) -> Iterator[T]:
    total = len(records) if isinstance(records, Sized) else None
    done = 0
    for record in records:
        yield record
        done += 1
        if done % every == 0:
            progress(done, total)
    progress(done, total if total is not None else done)


class Phases:
    """Reports `done` of `total` phases; a run without a callback costs one comparison per phase."""

    __slots__ = ("_done", "_progress", "_total")

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._done = 0
        if progress is not None:
            progress(0, total)

    def advance(self) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(self._done, self._total)
