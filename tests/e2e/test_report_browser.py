"""`bizrel report` opened in a real browser: headless Chromium (Debian's chromium and chromium-driver)
loads the page the demo wrote, and the test reads the rendered DOM.

The full-page screenshot is saved as artifacts/report.png (git-ignored), the CI artifact to look at.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from bizrel import open_store
from bizrel.cli import main
from bizrel.cli.demo import START
from bizrel.cli.report import SECTIONS, build_report, cell_text
from bizrel.core.clock import FixedClock
from bizrel.customer.segmentation import SEGMENT_RULES
from bizrel.plot.sales import FORECAST_CATEGORIES
from bizrel.sales.collections import AGING_BUCKETS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "artifacts" / "report.png"
TENANT = "demo-co"
KEYS = ["funnel", "forecast", "attainment", "receivables", "health", "nps", "rfm", "cohorts", "loyalty", "closed-loop"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The demo's database, the report it wrote and its standard output."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "story.db"
    with pytest.MonkeyPatch.context() as patch:
        out = io.StringIO()
        patch.setattr(sys, "stdout", out)
        assert main(["demo", "--db", str(db), "--seed", "3"]) == 0
    return db, folder / "story.html", out.getvalue()


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "apt-get install -y chromium chromium-driver (.ci/run does)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def marks(figure: WebElement) -> int:
    """The bars, heatmap cells and plotted points the browser rendered in one chart."""
    bars = figure.find_elements(By.CSS_SELECTOR, '[id*="-mark-bar-"]')
    cells = figure.find_elements(By.CSS_SELECTOR, '[id$="-marks-cells"] path')
    points = figure.find_elements(By.CSS_SELECTOR, '[id$="-marks-points"] use')
    return len(bars) + len(cells) + len(points)


def expected_marks(name: str, result: Any) -> int:
    """How many marks a chart of `result` has: counted from the result, not from the drawing."""
    counts: dict[str, Callable[[Any], int]] = {
        "funnel": lambda r: len(r.stages),
        "forecast": lambda r: len(FORECAST_CATEGORIES) * len(r.totals(by_owner=False)),
        "attainment": lambda r: len(r.rows),
        "aging": lambda r: len(AGING_BUCKETS) * len(r.rows),
        "nps_over_time": lambda r: sum(1 for g in r.groups if g.result.score is not None),
        "rfm_segments": lambda r: len(SEGMENT_RULES),
        "cohort_retention": lambda r: (
            len(r.cohorts) * max(len(c.rates) for c in r.cohorts)
        ),  # months not reached: blank
    }
    return counts[name](result)


def test_the_demo_ends_by_writing_the_report_and_printing_its_path(demo: tuple[Path, Path, str]) -> None:
    _, report, out = demo
    assert report.is_file()
    assert out.rstrip().endswith(f"{report} (open it in a browser)")


def test_the_page_needs_no_network(demo: tuple[Path, Path, str]) -> None:
    """Nothing to fetch: no script, stylesheet or image by address; SVG references stay inside the page."""
    page = demo[1].read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert re.findall(r'\b(?:src|href)="(?!#|data:)[^"]*"', page) == []  # a data: URI is inside the page
    assert re.findall(r"url\((?!#)[^)]*\)", page) == []
    assert page.count("<svg") == page.count("<figure data-chart=") >= 7  # every chart an inline SVG


def test_every_section_renders_with_its_exact_figures_and_no_console_error(
    demo: tuple[Path, Path, str], browser: webdriver.Chrome
) -> None:
    db, report, _ = demo
    browser.get(report.as_uri())
    sections = browser.find_elements(By.CSS_SELECTOR, "main > section[data-section]")
    assert [s.get_attribute("data-section") for s in sections] == KEYS
    assert len(KEYS) == len(SECTIONS)
    nav = [a.get_attribute("href").rsplit("#", 1)[1] for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert nav == KEYS
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    with open_store(f"sqlite:///{db}", clock=FixedClock(START)) as store:
        moment = browser.find_element(By.CSS_SELECTOR, "header time").get_attribute("datetime")
        expected = build_report(store, TENANT, datetime.fromisoformat(moment))
    for section, element in zip(expected.sections, sections, strict=True):
        assert element.find_element(By.TAG_NAME, "h2").text == section.title
        assert element.find_element(By.CSS_SELECTOR, "p.summary").text == section.summary
        assert section.tables, f"{section.key}: the demo records every kind of figure"
        tables = element.find_elements(By.TAG_NAME, "table")
        assert len(tables) == len(section.tables)
        for table, figures in zip(tables, section.tables, strict=True):
            shown = [
                [cell.get_attribute("textContent") for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
            ]
            assert shown == [[cell_text(v) for v in row] for row in figures.rows], figures.caption
        figures = element.find_elements(By.CSS_SELECTOR, "figure[data-chart]")
        assert [f.get_attribute("data-chart") for f in figures] == [name for name, _ in section.charts]
        for figure, (name, result) in zip(figures, section.charts, strict=True):
            assert len(figure.find_elements(By.CSS_SELECTOR, ":scope > svg")) == 1, name
            assert marks(figure) == expected_marks(name, result) > 0, name

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

    height = browser.execute_script("return document.documentElement.scrollHeight")
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1},
        },
    )
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
    assert SCREENSHOT.stat().st_size > 10_000
