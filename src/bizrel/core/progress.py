"""Progress reporting for long batch work, without depending on any progress-bar library."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int | None) -> None:
        """Called as work advances; `total` is None when it is not known in advance."""
        ...
