"""The bridge's store fixture, over memory and SQLite (helpers live in bridge_helpers.py)."""

from bridge_helpers import store

__all__ = ["store"]
