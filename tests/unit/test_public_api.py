"""The public surface: curated, sorted __all__ lists, and an import that starts nothing."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import bizrel

PACKAGES = [*sorted(name for _, name, is_pkg in pkgutil.walk_packages(bizrel.__path__, "bizrel.") if is_pkg), "bizrel"]


def _isort_style(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_package_exports_a_sorted_existing_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    assert list(exported) == sorted(exported, key=_isort_style), f"{name}.__all__ is not sorted (ruff RUF022 order)"
    for attr in exported:
        assert getattr(module, attr) is not None


def test_importing_bizrel_opens_nothing_and_loads_no_adapter() -> None:
    code = (
        "import sys, bizrel, bizrel.customer, bizrel.sales, bizrel.core;"
        "heavy = {'sqlite3', 'psycopg', 'pydantic', 'pandas', 'polars', 'duckdb', 'bizrel.adapters'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_open_store_is_reachable_from_the_top_level() -> None:
    store = bizrel.open_store("memory://")
    store.close()
