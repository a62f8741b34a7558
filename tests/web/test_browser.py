"""The page in a real browser (Debian's chromium, driven by Playwright): CMS Example 3
gives 2 and 1 units with no tie; Example 2 shows the tie note.

Run ``python -m tests.web.test_browser`` to refresh the screenshot in docs/img/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from unitcalc.payers import load_profiles
from unitcalc.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium in a closed network: no background connections, no sandbox as root.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"the browser test needs chromium at {CHROMIUM}; .ci/run installs it")
    pytest.skip("chromium is not installed here (CI installs it)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@contextmanager
def serving() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(profiles=load_profiles(ROOT / "docs" / "payers.toml"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def browser_page() -> Iterator[Page]:
    with serving() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(url)
            expect(page.locator("#code-2")).to_be_visible()
            yield page
        finally:
            browser.close()


def enter(page: Page, row: int, code: str, minutes: str) -> None:
    page.locator(f"#code-{row}").fill(code)
    page.locator(f"#minutes-{row}").fill(minutes)


def units_of(page: Page, code: str) -> str:
    return page.locator(f'#units tbody tr[data-code="{code}"] td.units').inner_text()


def test_example_3_and_example_2_in_the_browser(tmp_path: Path) -> None:
    with browser_page() as page:
        enter(page, 1, "97110", "33")
        enter(page, 2, "97140 - manual therapy", "7")
        expect(page.locator('#units tbody tr[data-code="97140"] td.units')).to_have_text("1")
        assert units_of(page, "97110") == "2"
        expect(page.locator("#total")).to_have_text("3")
        expect(page.locator("#tie")).to_be_hidden()
        expect(page.locator("#explanation")).to_contain_text(
            "1 unit remains and goes to 97140, the largest leftover"
        )
        page.screenshot(path=str(tmp_path / "example-3.png"), full_page=True)

        enter(page, 1, "97112", "20")
        enter(page, 2, "97110", "20")
        expect(page.locator("#tie")).to_be_visible()
        expect(page.locator("#tie")).to_contain_text("Tie: 97112, 97110 have 5 min left each")
        expect(page.locator("#tie")).to_contain_text("Also compliant: 97112 x1, 97110 x2")


def test_keyboard_and_labels() -> None:
    with browser_page() as page:
        # Every form field has a label; the page works from the keyboard alone.
        for field in page.locator("input, select").all():
            field_id = field.get_attribute("id")
            assert field_id
            assert page.locator(f'label[for="{field_id}"]').count() == 1, field_id
        page.locator("#code-1").focus()
        page.keyboard.type("97530")
        page.keyboard.press("Tab")
        page.keyboard.type("23")
        expect(page.locator('#units tbody tr[data-code="97530"] td.units')).to_have_text("2")


def test_assistant_minutes_show_the_cq_split() -> None:
    with browser_page() as page:
        enter(page, 1, "97110", "13")
        page.locator("#assistant-1").fill("23")
        page.locator("#discipline-1").select_option("PT")
        row = page.locator('#units tbody tr[data-code="97110"]')
        expect(row.locator("td.assistant")).to_have_text("CQ x1 (paid 85%), x1 without")
        expect(row.locator("td.units")).to_have_text("2")
        expect(page.locator("#explanation")).to_contain_text("97110 unit 1: CQ")


def test_bad_input_is_explained_on_the_page() -> None:
    with browser_page() as page:
        enter(page, 1, "97001", "")
        expect(page.locator("#status")).to_contain_text("97001 was deleted on 2017-01-01")


def test_a_date_of_service_counts_a_2016_visit() -> None:
    with browser_page() as page:
        page.locator("#date").fill("2016-06-01")
        enter(page, 1, "97001", "")
        expect(page.locator("#total")).to_have_text("1")


if __name__ == "__main__":
    with browser_page() as page:
        enter(page, 1, "97110", "33")
        enter(page, 2, "97140 - manual therapy", "7")
        expect(page.locator("#total")).to_have_text("3")
        page.locator("#add").click()
        enter(page, 3, "97161 - PT evaluation, low complexity", "")
        expect(page.locator("#total")).to_have_text("4")
        (ROOT / "docs" / "img").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / "img" / "web-page.png"), full_page=True)
        print("wrote docs/img/web-page.png")
