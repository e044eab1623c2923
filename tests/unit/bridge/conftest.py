"""The bridge's store fixture, over memory and SQLite (helpers live in helpers.py)."""

from tests.unit.bridge.helpers import store

__all__ = ["store"]
