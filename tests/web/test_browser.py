"""The page in a real browser (Debian's chromium, driven by Playwright): CMS Example 3
gives 2 and 1 units with no tie; Example 2 shows the tie note; invalid input leaves no
units on screen and no printing; a payer profile shows its rule; a compliant note is not
a warning; ids stay unique; contrast; phone width; the printed summary's details.

Run ``python -m tests.web.test_browser`` to refresh the screenshot in docs/img/."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

import unitcalc
from unitcalc.engine.payers import load_profiles
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


def expect_no_result(page: Page) -> None:
    """Nothing of an earlier count is left on screen, and printing is off."""
    expect(page.locator("#units")).to_be_hidden()
    expect(page.locator("#tie")).to_be_hidden()
    expect(page.locator("#notes")).to_be_hidden()
    expect(page.locator("#warnings")).to_be_hidden()
    expect(page.locator("#why")).to_be_hidden()
    expect(page.locator("#totals")).to_be_hidden()
    expect(page.locator("#span")).to_be_hidden()
    expect(page.locator("#explanation li")).to_have_count(0)
    expect(page.locator("#total")).to_have_text("")
    expect(page.locator("#print")).to_be_disabled()


def test_invalid_input_clears_the_count_and_turns_printing_off() -> None:
    with browser_page() as page:
        expect(page.locator("#print")).to_be_disabled()
        enter(page, 1, "97112", "20")
        enter(page, 2, "97110", "20")
        expect(page.locator("#tie")).to_be_visible()
        expect(page.locator("#print")).to_be_enabled()
        page.locator("#minutes-2").fill("7.5")
        expect(page.locator("#status")).to_have_text(
            "No units yet. Service 2, minutes: 97110: minutes '7.5' has a fraction; give "
            "whole minutes as documented (unitcalc never rounds)"
        )
        expect_no_result(page)
        # Put right, the count and printing come back.
        page.locator("#minutes-2").fill("7")
        expect(page.locator("#total")).to_have_text("2")
        expect(page.locator("#print")).to_be_enabled()
        # An unknown code, then an empty form: nothing stale either.
        page.locator("#code-1").fill("97111")
        expect(page.locator("#status")).to_contain_text("97111 is not in the code table")
        expect_no_result(page)
        page.locator("#code-1").fill("")
        page.locator("#code-2").fill("")
        expect(page.locator("#status")).to_have_text("Enter a service to see its units.")
        expect_no_result(page)


def test_a_payer_profile_shows_the_rule_it_counts_by() -> None:
    with browser_page() as page:
        enter(page, 1, "97110", "33")
        enter(page, 2, "97140", "7")
        expect(page.locator("#total")).to_have_text("3")
        page.locator("#payer").select_option("anthem-example")  # counts by ama
        expect(page.locator("#rule")).to_have_value("ama")
        expect(page.locator("#rule")).to_be_disabled()
        expect(page.locator("#rule-note")).to_contain_text(
            "The payer profile anthem-example counts by its own rule (ama)"
        )
        expect(page.locator("#status")).to_have_text(
            "2 units under the ama rule (payer profile anthem-example)."
        )
        page.locator("#payer").select_option("")
        expect(page.locator("#rule")).to_be_enabled()
        expect(page.locator("#rule-note")).to_be_hidden()
        page.locator("#rule").select_option("cms")
        expect(page.locator("#status")).to_have_text("3 units under the cms rule.")


def test_a_compliant_note_is_not_shown_as_a_warning() -> None:
    with browser_page() as page:
        enter(page, 1, "97110", "33")
        enter(page, 2, "97140", "7")
        notes = page.locator("#notes")
        expect(notes).to_contain_text("97140 bills 1 unit for 7 min, fewer than 8: compliant")
        expect(page.locator("#warnings")).to_be_hidden()
        # A real warning still shows as one: 5 minutes in all bill nothing.
        enter(page, 1, "97110", "5")
        page.locator("#code-2").fill("")
        warnings = page.locator("#warnings")
        expect(warnings).to_contain_text("No timed unit: 5 timed min in all")
        expect(notes).to_be_hidden()
        warn_colour = warnings.evaluate("e => getComputedStyle(e).backgroundColor")
        enter(page, 2, "97140", "7")
        enter(page, 1, "97110", "33")
        expect(notes).to_be_visible()
        assert notes.evaluate("e => getComputedStyle(e).backgroundColor") != warn_colour


def test_ids_stay_unique_and_labels_follow_the_rows() -> None:
    with browser_page() as page:
        page.get_by_role("button", name="Remove service 1").click()
        page.locator("#add").click()
        page.locator("#add").click()
        ids = page.locator("[id]").evaluate_all("nodes => nodes.map(n => n.id)")
        assert len(ids) == len(set(ids))
        rows = page.locator("#services tbody tr")
        expect(rows).to_have_count(3)
        for n in range(1, 4):
            field = page.get_by_label(f"Minutes of service {n}", exact=True)
            expect(field).to_have_count(1)
            assert field.evaluate(
                "(e, r) => e.closest('tr') === r", rows.nth(n - 1).element_handle()
            )
        # Typing into "service 3" by its label counts in the third row.
        page.get_by_label("Code of service 3", exact=True).fill("97530")
        page.get_by_label("Minutes of service 3", exact=True).fill("23")
        expect(page.locator('#units tbody tr[data-code="97530"] td.units')).to_have_text("2")


def luminance(colour: str) -> float:
    """The relative luminance (WCAG 2.1) of a CSS ``rgb(...)`` or ``rgba(...)`` colour."""
    red, green, blue = (int(v) / 255 for v in re.findall(r"[0-9.]+", colour)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_focus_ring_and_field_borders_have_3_to_1_contrast() -> None:
    assert round(contrast("rgb(255, 255, 255)", "rgb(245, 166, 35)"), 1) == 2.0  # the old ring
    with browser_page() as page:
        page_colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page_colour = "rgb(255, 255, 255)" if "0, 0, 0, 0" in page_colour else page_colour
        page.locator("#code-1").focus()
        page.keyboard.press("Tab")  # keyboard focus: :focus-visible
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
        width = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
        assert contrast(ring, page_colour) >= 3, ring
        assert width == "3px"
        for field in page.locator("#visit input, #visit select").all():
            border = field.evaluate("e => getComputedStyle(e).borderTopColor")
            assert contrast(border, page_colour) >= 3, (field.get_attribute("id"), border)


@pytest.mark.parametrize("width", [320, 375])
def test_no_sideways_scrolling_at_phone_width(width: int) -> None:
    with browser_page() as page:
        page.set_viewport_size({"width": width, "height": 800})
        enter(page, 1, "97110", "13")
        page.locator("#assistant-1").fill("23")
        page.locator("#discipline-1").select_option("PT")
        enter(page, 2, "97161 - PT evaluation, low complexity", "")
        page.locator("#discipline-2").select_option("PT")
        page.locator("#add").click()
        enter(page, 3, "97112", "20")
        page.locator("#discipline-3").select_option("PT")
        expect(page.locator('#units tbody tr[data-code="97110"] td.assistant')).to_contain_text(
            "CQ"
        )
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{scroll} px of page in a {client} px window"


def test_the_printed_summary_names_patient_date_clinician_print_date_and_version() -> None:
    with browser_page() as page:
        page.evaluate(
            "() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }"
        )
        page.locator("#patient").fill("Chart 1234")
        page.locator("#clinician").fill("A. Therapist, PT")
        page.locator("#date").fill("2026-03-02")
        enter(page, 1, "97110", "33")
        enter(page, 2, "97140", "7")
        expect(page.locator("#total")).to_have_text("3")
        page.locator("#print").click()
        assert page.evaluate("window.printed") == 1
        page.emulate_media(media="print")
        header = page.locator("#print-header")
        expect(header).to_be_visible()
        expect(page.locator("#visit")).to_be_hidden()
        expect(page.locator("#print")).to_be_hidden()
        expect(page.locator("#print-patient")).to_have_text("Chart 1234")
        expect(page.locator("#print-date")).to_have_text("2026-03-02")
        expect(page.locator("#print-clinician")).to_have_text("A. Therapist, PT")
        expect(page.locator("#print-version")).to_have_text(f"unitcalc {unitcalc.__version__}")
        today = datetime.date.today()
        printed = page.locator("#print-time").inner_text()
        assert printed.startswith(
            (today.isoformat(), (today - datetime.timedelta(days=1)).isoformat())
        )
        expect(page.locator("#units")).to_be_visible()


def test_the_optional_details_are_marked_when_left_empty() -> None:
    with browser_page() as page:
        enter(page, 1, "97110", "33")
        expect(page.locator("#total")).to_have_text("2")
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # Ctrl+P
        expect(page.locator("#print-patient")).to_have_text("not given")
        expect(page.locator("#print-clinician")).to_have_text("not given")


ERROR_RED = "rgb(164, 0, 0)"


def enter_33_timed_and_20_untimed(page: Page) -> None:
    enter(page, 1, "97110", "33")
    enter(page, 2, "97161 - PT evaluation, low complexity", "20")
    expect(page.locator("#total")).to_have_text("3")


def test_the_totals_and_whether_the_minutes_fit_the_visit() -> None:
    """Issue 25, item 6: timed minutes, treatment time (timed plus untimed minutes given)
    and units under the table; with a visit start and end, whether the minutes fit."""
    with browser_page() as page:
        enter_33_timed_and_20_untimed(page)
        expect(page.locator("#totals li")).to_have_text(
            ["Timed minutes 33", "Total treatment time 53 min (timed + untimed)", "Units 3"]
        )
        span = page.locator("#span")
        page.locator("#visit-start").fill("09:00")
        expect(span).to_be_hidden()  # one time alone says nothing
        page.locator("#visit-end").fill("10:00")
        expect(span).to_have_text(
            "53 min of treatment in a 60-min visit (09:00-10:00): the minutes fit"
        )
        expect(span).not_to_have_class(re.compile(r"\berror\b"))
        page.locator("#visit-end").fill("09:45")  # 53 min do not fit in 45
        expect(span).to_have_text(
            "53 min of treatment is more than the 45-min visit (09:00-09:45): check the minutes"
        )
        page.locator("#visit-end").fill("09:30")
        expect(span).to_have_text(
            "53 min of treatment is more than the 30-min visit (09:00-09:30): check the minutes"
        )
        expect(span).to_have_class(re.compile(r"\berror\b"))
        assert span.evaluate("e => getComputedStyle(e).color") == ERROR_RED
        page.locator("#visit-end").fill("08:30")
        expect(span).to_have_text(
            "The visit end 08:30 is not after its start 09:00: check the times (a visit past "
            "midnight is not supported)."
        )
        expect(span).to_have_class(re.compile(r"\berror\b"))
        # The check follows the minutes: 97110 at 20 min fits 40 min in 09:00-09:45.
        page.locator("#visit-end").fill("09:45")
        page.locator("#minutes-1").fill("20")
        expect(page.locator("#total-timed")).to_have_text("20")
        expect(span).to_have_text(
            "40 min of treatment in a 45-min visit (09:00-09:45): the minutes fit"
        )
        # An entry that cannot be counted leaves no totals or span check on screen.
        page.locator("#minutes-1").fill("7.5")
        expect_no_result(page)


def test_the_printed_summary_carries_the_totals_and_the_visit_span() -> None:
    with browser_page() as page:
        enter_33_timed_and_20_untimed(page)
        page.locator("#visit-start").fill("09:00")
        page.locator("#visit-end").fill("09:30")
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # Ctrl+P
        expect(page.locator("#visit")).to_be_hidden()
        expect(page.locator("#totals")).to_be_visible()
        expect(page.locator("#totals li")).to_have_text(
            ["Timed minutes 33", "Total treatment time 53 min (timed + untimed)", "Units 3"]
        )
        expect(page.locator("#span")).to_be_visible()
        expect(page.locator("#span")).to_have_text(
            "53 min of treatment is more than the 30-min visit (09:00-09:30): check the minutes"
        )


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


def test_an_unknown_code_offers_the_nearest_codes_and_says_who_can_add_it() -> None:
    """Issue 25, item 5: the page's own words for a code the table lacks (no Python or
    command-line advice), the nearest codes as buttons that fill the service's row."""
    with browser_page() as page:
        enter(page, 1, "97110", "20")
        enter(page, 2, "97999", "20")
        status = page.locator("#status")
        expect(status).to_contain_text("Service 2: 97999 is not in the code table.")
        expect(status).to_contain_text("an administrator can add it")
        assert "define_code" not in status.inner_text()
        page.get_by_role("button", name=re.compile(r"^Use 97129\b")).click()
        expect(page.locator("#code-2")).to_have_value("97129")
        expect(page.locator('#units tbody tr[data-code="97129"] td.units')).to_have_text("1")
