"""The audit's HTML report in a real browser (Debian's chromium, driven by Playwright),
with the network cut off: the page and its four charts render from the one file, and
it asks for nothing else.

Run ``python -m tests.web.test_report_browser`` to refresh the screenshot in docs/img/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner
from playwright.sync_api import sync_playwright

# Skips this module too where chromium is not installed (outside CI).
from tests.web.test_browser import CHROMIUM, FLAGS
from unitcalc.cli import main

ROOT = Path(__file__).resolve().parents[2]
EHR = ROOT / "docs" / "examples" / "ehr_export.csv"


def render(tmp_path: Path, screenshot: Path) -> list[str]:
    """Write the report of the example export, run as a user would in a clean folder
    (so the report names no temporary folder), open it offline, check what is drawn and
    take a screenshot; the URLs the page asked for."""
    report = tmp_path / "report.html"
    shutil.copy(EHR, tmp_path / EHR.name)
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner(env={"SOURCE_DATE_EPOCH": "1772452800"}).invoke(
            main, ["audit", EHR.name, "--all", "--report", report.name]
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


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        render(Path(folder), ROOT / "docs" / "img" / "audit-report.png")
    print("wrote docs/img/audit-report.png")
