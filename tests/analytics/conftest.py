"""The analytics tests' SQLite store fixture (helpers live in analytics_helpers.py)."""

from analytics_helpers import store

__all__ = ["store"]
