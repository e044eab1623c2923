"""The analytics tests' SQLite store fixture (helpers live in helpers.py)."""

from tests.analytics.helpers import store

__all__ = ["store"]
