"""The demo's reports in a real browser (Debian's chromium, headless, network blocked):
no console error, no request but the file itself, every figure drawn with its marks, the
page prints to PDF, and a full-page screenshot lands in output/screenshots/.

Run by `make test-browser` (after `make test` in CI), which builds the two reports first;
`make test` skips this folder (it needs chromium and the demo's outputs).
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from tests.browser import chromium

if os.environ.get("PHARMACOEPI_BROWSER") != "1":
    pytest.skip("browser tests run under `make test-browser`", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(os.environ.get("PHARMACOEPI_REPORTS", ROOT / "output"))
REPORTS = ("itp_faith", "ms_dmt")

# Every figure's marks, computed from the parquet files the page was built from.
EXPECTED = {
    "incidence_age_sex": lambda o: _shown(o, "incidence.parquet", "rate", measure="age_band_sex"),
    "incidence_year": lambda o: _shown(o, "incidence.parquet", "rate", measure="year"),
    "pathways": lambda o: _shown(o, "pathways.parquet", "persons"),
    "exposed_at": lambda o: _shown(o, "exposed_at.parquet", "share_exposed"),
    "switch_types": lambda o: _shown(o, "switch_types_by_year.parquet", "episodes"),
    "cox_forest": lambda o: pl.read_parquet(o / "cox.parquet").filter("fitted").height,
    "outcome_rates": lambda o: _shown(o, "outcome_incidence.parquet", "rate", stratum="crude"),
}


def _shown(folder: Path, file: str, column: str, **where: str) -> int:
    frame = pl.read_parquet(folder / file)
    for key, value in where.items():
        frame = frame.filter(pl.col(key) == value)
    return frame[column].drop_nulls().len()


def _expected(folder: Path, figure: str) -> int:
    if figure.startswith("survival_"):  # an analysis of survival or of an outcome
        analysis = figure.removeprefix("survival_")
        for source in ("survival.parquet", "outcome_survival.parquet"):
            if (folder / source).exists():
                rows = pl.read_parquet(folder / source).filter(pl.col("analysis") == analysis)
                if rows.height:
                    return rows["cumulative_incidence"].drop_nulls().len()
    if figure == "phases":
        frame = pl.read_parquet(folder / "phases.parquet")
        return (
            frame.filter(pl.col("phase") != "persistent_or_chronic")["persons"].drop_nulls().len()
        )
    return EXPECTED[figure](folder)


@pytest.fixture(scope="module")
def browser():
    problem = chromium.missing()
    if problem:
        pytest.fail(problem)  # make test-browser installs them; a user is told how
    driver = chromium.start()
    yield driver
    driver.quit()


@pytest.mark.parametrize("name", REPORTS)
def test_report_in_chromium(browser, name):
    folder = OUTPUT / name
    page = folder / "report.html"
    assert page.is_file(), f"{page} missing: make test-browser builds it (make demo)"
    chromium.requests(browser)  # the log so far is not this page's
    browser.get(page.as_uri())
    browser.execute_script("return document.readyState")
    asked = chromium.requests(browser)
    assert asked == [page.as_uri()], f"requests besides the file: {asked}"
    assert chromium.console_errors(browser) == []

    drawn = browser.execute_script(
        """return Array.from(document.querySelectorAll('[data-figure]')).map(f => [
            f.dataset.figure, Number(f.dataset.marks),
            Array.from(f.querySelectorAll('svg .mark')).filter(m => {
                const b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0;
            }).length,
            f.querySelector('svg') ? f.querySelector('svg').getBoundingClientRect().height : 0,
            f.querySelector('svg title') ? f.querySelector('svg title').textContent : '']);"""
    )
    assert drawn, "the report has figures"
    for figure, declared, rendered, height, alt in drawn:
        assert rendered == declared == _expected(folder, figure), figure
        if declared:
            assert height > 100 and alt, f"{figure}: drawn, with a text alternative"

    timing = browser.execute_script(
        "const t = performance.getEntriesByType('navigation')[0];"
        "return [t.domContentLoadedEventEnd, t.loadEventEnd];"
    )
    width, height = chromium.full_page_png(browser, OUTPUT / "screenshots" / f"{name}.png")
    printed = chromium.pdf(browser)
    assert printed.startswith(b"%PDF-")
    pages = printed.count(b"/Type /Page") - printed.count(b"/Type /Pages")
    sections = browser.execute_script("return document.querySelectorAll('section').length")
    assert pages >= sections, "a page break before each section"
    print(
        f"{name}: {page.stat().st_size / 1e6:.2f} MB, loaded in {timing[1]:.0f} ms, "
        f"{len(drawn)} figures, screenshot {width}x{height}, PDF {pages} pages"
    )
