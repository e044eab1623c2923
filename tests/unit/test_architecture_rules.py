"""The architecture's own rules (docs/architecture.md, docs/sales.md, docs/postgres.md), read off the
source: which package may import which, that services leave the commit to the caller, and what
importing bizrel loads."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import bizrel

SRC = Path(bizrel.__file__).parent


def _modules(package: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((SRC / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.rule(
    "bizrel keeps the shape set out in the design notes: a shared kernel, two bounded contexts that never "
    "import each other, one bridge where they meet, and edges above it."
)
@pytest.mark.rule("an **independence** contract: `bizrel.customer` and `bizrel.sales` never import each other;")
@pytest.mark.rule(
    "It never imports `bizrel.customer`: the party a rep sells to is a sales-side `Account` (name, normalized "
    "name, domain, external ids, contacts), which the bridge later matches to a customer."
)
@pytest.mark.parametrize(("package", "other"), [("customer", "bizrel.sales"), ("sales", "bizrel.customer")])
def test_the_two_bounded_contexts_never_import_each_other(package: str, other: str) -> None:
    offending = [
        f"{path.relative_to(SRC)}: {name}"
        for path, tree in _modules(package)
        for name in _imports(tree)
        if name == other or name.startswith(other + ".")
    ]
    assert offending == []
    bridge = {name for _, tree in _modules("bridge") for name in _imports(tree)}
    assert any(n.startswith("bizrel.customer") for n in bridge) and any(n.startswith("bizrel.sales") for n in bridge)


def _commits(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
        for node in ast.walk(function)
    )


@pytest.mark.rule("Services take a unit of work and never commit; the caller decides the transaction:")
@pytest.mark.rule("Services take a unit of work and never commit, so the caller decides what one transaction holds:")
def test_services_take_a_unit_of_work_and_never_commit() -> None:
    services = [
        (path, node)
        for package in ("customer", "sales", "bridge")
        for path, tree in _modules(package)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "uow"
    ]
    assert len(services) > 100  # the use cases of every context were found
    assert [f"{path.relative_to(SRC)}:{node.name}" for path, node in services if _commits(node)] == []


@pytest.mark.rule("Importing `bizrel` or `bizrel.adapters` never imports psycopg.")
@pytest.mark.parametrize("module", ["bizrel", "bizrel.adapters"])
def test_importing_bizrel_or_its_adapters_never_imports_psycopg(module: str) -> None:
    code = (
        f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_pool')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
