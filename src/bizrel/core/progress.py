"""Progress reporting for long batch work, without depending on any progress-bar library."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """A progress callback: called with the rows done so far and the total when it is known."""

    def __call__(self, done: int, total: int | None) -> None:
        """Called as work advances; `total` is None when it is not known in advance."""
        ...
