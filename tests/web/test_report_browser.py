"""The audit's HTML report in a real browser (Debian's chromium, driven by Playwright),
with the network cut off: the page and its four charts render from the one file, and
it asks for nothing else; printed to PDF on landscape A4 and US Letter, every table fits
the page and the PDF's text holds every money column (issue 25).

Run ``python -m tests.web.test_report_browser`` to refresh the screenshot in docs/img/."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import sync_playwright

# Skips this module too where chromium is not installed (outside CI).
from tests.web.test_browser import CHROMIUM, FLAGS
from unitcalc.cli import main

ROOT = Path(__file__).resolve().parents[2]
EHR = ROOT / "docs" / "examples" / "ehr_export.csv"
FEES = ROOT / "docs" / "examples" / "fees.csv"
VISITS = ROOT / "docs" / "examples" / "visits.csv"
MONEY = ("billed_amount", "allowed_amount", "amount_difference")
AMOUNTS = ("100.50", "76.50", "24.00", "124.00", "146.50", "-22.50")
"""The dollars of docs/examples/visits.csv priced with fees.csv (docs/audit.md's CSV)."""


def render(tmp_path: Path, screenshot: Path) -> list[str]:
    """Write the report of the example export, run as a user would in a clean folder
    (so the report names no temporary folder), open it offline, check what is drawn and
    take a screenshot; the URLs the page asked for."""
    report = tmp_path / "report.html"
    shutil.copy(EHR, tmp_path / EHR.name)
    shutil.copy(FEES, tmp_path / FEES.name)
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner(env={"SOURCE_DATE_EPOCH": "1772452800"}).invoke(
            main, ["audit", EHR.name, "--fees", FEES.name, "--all", "--report", report.name]
        )
    finally:
        os.chdir(here)
    assert result.exit_code == 1, result.output
    assert str(tmp_path) not in report.read_text(encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            charts = page.locator("figure svg")
            assert charts.count() == 4
            for index in range(4):
                box = charts.nth(index).bounding_box()
                assert box is not None
                assert box["width"] > 200
                assert box["height"] > 100
            # matplotlib's bars are paths inside the chart: the status chart has some.
            assert page.locator("#chart-status svg path").count() > 5
            assert page.locator("#findings tr.numbers").count() == 3
            assert page.get_by_text("Jordan Kim").first.is_visible()
            shot = page.screenshot(full_page=True, path=str(screenshot))
            assert len(shot) > 20_000  # charts and table drawn, not a blank page
        finally:
            browser.close()
    return [url.replace(report.as_uri(), "report.html") for url in requests]


def test_the_report_renders_offline_with_its_charts(tmp_path: Path) -> None:
    assert render(tmp_path, tmp_path / "report.png") == ["report.html"]


OVERFLOWING = """() => [
    ...[...document.querySelectorAll("table, figure, h1, h2, p")]
        .filter((element) => element.getBoundingClientRect().right
                             > document.documentElement.clientWidth + 0.5)
        .map((element) => element.id || element.tagName),
    ...[...document.querySelectorAll("th, td")]
        .filter((cell) => cell.scrollWidth > cell.clientWidth + 1)
        .map((cell) => cell.textContent)]"""
"""The elements that stick out past the page's right edge, and the table cells whose text
sticks out of the cell."""


@pytest.mark.parametrize(
    ("paper", "width_mm", "points"),
    [("A4", 297.0, (842, 595)), ("Letter", 279.4, (792, 612))],
    ids=["a4", "letter"],
)
def test_the_printed_report_fits_the_page_and_holds_every_money_column(
    tmp_path: Path, paper: str, width_mm: float, points: tuple[int, int]
) -> None:
    from pypdf import PdfReader

    report = tmp_path / "report.html"
    result = CliRunner(env={"SOURCE_DATE_EPOCH": "1772452800"}).invoke(
        main, ["audit", str(VISITS), "--fees", str(FEES), "--all", "--report", str(report)]
    )
    assert result.exit_code == 1, result.output
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            # The page as printed: print styles, as wide as the landscape page within its
            # 10 mm margins (CSS pixels are 1/96 inch).
            content = int((width_mm - 20) / 25.4 * 96)
            page = browser.new_context(
                offline=True, viewport={"width": content, "height": 700}
            ).new_page()
            page.emulate_media(media="print")
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate(OVERFLOWING) == []
            pdf = page.pdf(
                format=paper,
                landscape=True,
                margin={"top": "10mm", "bottom": "10mm", "left": "10mm", "right": "10mm"},
            )
        finally:
            browser.close()
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - points[0]) < 1
    assert abs(float(box.height) - points[1]) < 1
    pages = [re.sub(r"_\s+", "_", sheet.extract_text()) for sheet in reader.pages]
    text = "\n".join(pages)
    for name in (*MONEY, *AMOUNTS):
        assert name in text
    # The headline first, on a page of its own; the manifest last.
    assert "input SHA-256" in pages[0]
    assert "Charts" not in pages[0]
    assert "Run details and manifest" in pages[-1]
    places = [text.find(h) for h in ("Headline", "Charts", "Findings (4)", "Run details")]
    assert -1 not in places
    assert places == sorted(places)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        render(Path(folder), ROOT / "docs" / "img" / "audit-report.png")
    print("wrote docs/img/audit-report.png")
