"""A database from a newer bizrel is refused, naming both versions, and left unchanged.

Regression (issue 14, defect 4): a SQLite file whose schema_version was above every migration
this code knows was opened, and written to.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bizrel.adapters import open_store
from bizrel.adapters.registry import MIGRATIONS
from bizrel.core.errors import BizrelError, SchemaTooNew

KNOWN = max(m.version for m in MIGRATIONS)
NEWER = KNOWN + 7


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.rule(
    "A database whose schema version is newer than this bizrel knows is refused with `SchemaTooNew`, "
    "naming both versions, and left unchanged."
)
@pytest.mark.rule(
    "A database whose `schema_version` is newer than every migration the code knows (written by a newer "
    "bizrel) is refused with `SchemaTooNew`, naming both versions, before anything is written to it."
)
def test_a_newer_sqlite_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'from the future', 'x')",
            (NEWER,),
        )
    conn.close()
    before = digest(path)
    files = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SchemaTooNew) as refused:
        open_store(f"sqlite:///{path}")
    assert isinstance(refused.value, BizrelError)
    assert f"schema version {NEWER}" in str(refused.value) and f"up to {KNOWN}" in str(refused.value)
    assert (refused.value.found, refused.value.known) == (NEWER, KNOWN)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_the_current_version_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    open_store(f"sqlite:///{path}").close()
    before = digest(path)
    open_store(f"sqlite:///{path}").close()
    assert digest(path) == before


CATALOG = (
    "SELECT c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, "
    "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1"
)


@pytest.mark.rule(
    "A database whose schema version is newer than this bizrel knows is refused with `SchemaTooNew`, "
    "naming both versions, and left unchanged."
)
@pytest.mark.rule(
    "A database whose `schema_version` is newer than every migration the code knows (written by a newer "
    "bizrel) is refused with `SchemaTooNew`, naming both versions, before anything is written to it."
)
def test_a_newer_postgres_database_is_refused_and_left_unchanged(pg_new_database: Callable[[], str]) -> None:
    import psycopg

    url = pg_new_database()
    open_store(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (%s, 'from the future', now())",
            (NEWER,),
        )
        catalog = conn.execute(CATALOG).fetchall()
        versions = conn.execute("SELECT version, description, applied_at FROM schema_version ORDER BY 1").fetchall()
    for rls in (False, True):  # row-level security mode would alter every table: refused first
        with pytest.raises(SchemaTooNew) as refused:
            open_store(url, row_level_security=rls)
        assert (refused.value.found, refused.value.known) == (NEWER, KNOWN)
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(CATALOG).fetchall() == catalog
        assert conn.execute("SELECT version, description, applied_at FROM schema_version ORDER BY 1").fetchall() == (
            versions
        )
