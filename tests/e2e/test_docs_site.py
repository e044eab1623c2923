"""The documentation site builds with `mkdocs build --strict` (no warning, no broken link), and its API
reference holds every name each public package exports; the README's links work on a package index."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bizrel

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/bizrel/bizrel/blob/main/"
PACKAGES = sorted(
    [name for _, name, is_pkg in pkgutil.walk_packages(bizrel.__path__, "bizrel.") if is_pkg] + ["bizrel"]
)


def api_page(package: str) -> Path:
    """The API page whose `::: package` directive renders `package`."""
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        if re.search(rf"^::: {re.escape(package)}$", page.read_text(encoding="utf-8"), re.M):
            return page
    raise AssertionError(
        f"no page in docs/api renders {package} (add one with '::: {package}' and list it in mkdocs.yml)"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_package_has_an_api_page_in_the_navigation(package: str) -> None:
    page = api_page(package)
    assert f"api/{page.name}" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("package", PACKAGES)
def test_the_api_reference_documents_every_exported_name(site: Path, package: str) -> None:
    html = (site / "api" / api_page(package).stem / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="([^"]+)"', html))
    module = importlib.import_module(package)
    missing = [
        name
        for name in module.__all__
        if f"{package}.{name}" not in anchors  # a function named like a module is rendered from its module
        and not any(re.fullmatch(rf"{re.escape(package)}\.[a-z_]+\.{name}", a) for a in anchors)
        and not (name.startswith("__") and f"{package}.{name}" in html)
    ]
    assert missing == []


def test_readme_links_are_absolute_and_point_at_files_that_exist() -> None:
    """A package index shows the README without the repository around it: relative links would break."""
    links = re.findall(r"\]\(([^)\s]+)\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert links
    relative = [link for link in links if not link.startswith(("https://", "http://", "#"))]
    assert relative == []
    for link in links:
        if link.startswith(REPOSITORY):
            path = link.removeprefix(REPOSITORY).split("#", 1)[0]
            assert (ROOT / path).exists(), link


def test_the_declared_license_has_its_file_and_the_changelog_an_unreleased_section() -> None:
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = "MIT"' in project and "License :: OSI Approved :: MIT License" in project
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog and "keepachangelog.com" in changelog
    for label in ("Homepage", "Documentation", "Source", "Issues", "Changelog"):
        assert re.search(rf'^{label} = "https://', project, re.M), label


def _own_doc(value: object) -> str | None:
    """A class's own docstring (not one inherited from a base), or a function's or module's."""
    if inspect.isclass(value):
        inherited = next((base.__doc__ for base in value.__mro__[1:] if base.__doc__), None)
        return value.__doc__ if value.__doc__ != inherited else None
    return inspect.getdoc(value)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_class_and_function_has_its_own_docstring(package: str) -> None:
    """The API reference is generated from docstrings: an exported name without one is an empty entry."""
    module = importlib.import_module(package)
    missing = [
        name
        for name in module.__all__
        if (inspect.isclass(value := getattr(module, name)) or inspect.isfunction(value) or inspect.ismodule(value))
        and not (_own_doc(value) or "").strip()
    ]
    assert missing == []
