"""The store behind `--db`: a command that reads opens an existing bizrel database and never creates one.

`bizrel export --db typo.db` must say that typo.db does not exist instead of creating an empty
database and exporting nothing; commands that write (`import`, `demo`) create the file as
`open_store` does.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from bizrel.adapters import Store, open_store
from bizrel.core.errors import ValidationError

__all__ = ["open_for_reading", "open_for_writing", "store_url"]


def store_url(db: str) -> str:
    """`--db` as a store URL: a URL as given, anything else a SQLite file path."""
    return db if "://" in db else f"sqlite:///{db}"


def open_for_writing(db: str) -> Store:
    """Open (creating it if needed) the store a command writes to."""
    return open_store(store_url(db))


def open_for_reading(db: str) -> Store:
    """Open the existing bizrel store a command reads from; refuse, with `--db` named, one that is not there."""
    url = store_url(db)
    if url == "memory://" or url == "sqlite://":
        raise ValidationError("--db", db, "a memory or temporary store starts empty: there is nothing to read")
    if url.lower().startswith("sqlite:"):
        _check_sqlite_file(db, Path(unquote(urlsplit(url).path[1:])))
    return open_store(url)


def _check_sqlite_file(db: str, path: Path) -> None:
    if not path.exists():
        raise ValidationError("--db", db, "no such database file (bizrel import and bizrel demo create one)")
    if not path.is_file():
        raise ValidationError("--db", db, "not a file")
    try:  # read-only: looking must not turn an empty or foreign file into a database
        with open(path, "rb"):
            pass
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
            is_bizrel = found.fetchone() is not None
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        is_bizrel = False
    if not is_bizrel:
        raise ValidationError("--db", db, "not a bizrel database")
