"""The app in real headless Chromium: `solara run viz/app.py --production` on a free port
(fixture `app_url`), driven with Playwright. Waits are Playwright's own (auto-waiting
locators and `expect` with timeouts)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOAD = 60_000  # ms: a cold kernel builds the model and the first frame
ACT = 30_000  # ms: one click and its redraw


def open_app(page: Page, url: str) -> list[str]:
    """Load the page; return the list that collects console errors and page errors."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(url)
    expect(page.get_by_text("Fund health")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text("Step: 0", exact=True)).to_be_visible(timeout=LOAD)
    expect(page.locator("img.abm-chart-img")).to_have_count(6, timeout=LOAD)
    return errors


def chart(page: Page, title: str):
    return page.locator(".abm-chart", has=page.locator(".abm-chart-title", has_text=title)).locator(
        "img"
    )


def pick(page: Page, title: str) -> None:
    """Choose a preset in the sidebar's preset picker."""
    page.locator(".abm-preset .v-select").click()
    page.get_by_role("option", name=title, exact=True).click()


def step_button(page: Page):
    return page.get_by_role("button", name="Step", exact=True)


def test_page_loads_with_no_console_error(page: Page, app_url: str):
    errors = open_app(page, app_url)
    expect(page.get_by_text("What just happened")).to_be_visible()
    expect(page.get_by_role("tab", name="Governance")).to_be_visible()
    expect(page.get_by_role("button", name="Reset", exact=True)).to_be_visible()
    for img in page.locator("img.abm-chart-img").all():
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 100
    assert errors == []


def test_step_advances_the_counter_and_changes_the_fund_chart(page: Page, app_url: str):
    errors = open_app(page, app_url)
    fund = chart(page, "Insurance fund")
    src = fund.get_attribute("src")
    before = fund.screenshot()
    step_button(page).click()
    expect(page.get_by_text("Step: 5", exact=True)).to_be_visible(timeout=ACT)
    expect(page.locator(".abm-health").get_by_text("Step 5", exact=True)).to_be_visible()
    expect(fund).not_to_have_attribute("src", src, timeout=ACT)
    expect(fund).to_have_js_property("complete", True)
    assert fund.screenshot() != before
    assert errors == []


def test_another_preset_and_reset_change_the_charts(page: Page, app_url: str):
    errors = open_app(page, app_url)
    fund = chart(page, "Insurance fund")
    calm = fund.screenshot()
    expect(page.locator(".abm-health")).to_contain_text("started at $250.0k")
    pick(page, "Thin fund: a new market")
    expect(page.locator(".abm-info")).to_contain_text("Thin fund", timeout=ACT)
    expect(page.locator(".abm-health")).to_contain_text("started at $5,000", timeout=ACT)
    step_button(page).click()
    expect(page.get_by_text("Step: 5", exact=True)).to_be_visible(timeout=ACT)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.get_by_text("Step: 0", exact=True)).to_be_visible(timeout=ACT)
    # Reset rebuilt the run from the preset's slider values: still the thin fund.
    expect(page.locator(".abm-health")).to_contain_text("started at $5,000", timeout=ACT)
    expect(fund).to_have_js_property("complete", True)
    assert fund.screenshot() != calm
    # A second pick and Reset: the sliders follow every preset, not just the first change.
    pick(page, "Governance response")
    expect(page.locator(".abm-health")).to_contain_text("started at $60.0k", timeout=ACT)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".abm-health")).to_contain_text("started at $60.0k", timeout=ACT)
    expect(page.get_by_role("tab", name="Governance")).to_be_visible()
    assert errors == []


def test_a_slider_changes_the_next_run(page: Page, app_url: str):
    errors = open_app(page, app_url)
    summary = page.locator(".abm-info .abm-caption")
    expect(summary).to_contain_text("500 traders")
    traders = page.get_by_role("slider", name="Number of traders")
    traders.focus()
    traders.press("ArrowRight")  # one step of 50
    expect(summary).to_contain_text("500 traders")  # nothing changes before Reset
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(summary).to_contain_text("550 traders", timeout=ACT)
    assert errors == []


def test_two_pages_hold_independent_models(context, app_url: str):
    first, second = context.new_page(), context.new_page()
    errors_first, errors_second = open_app(first, app_url), open_app(second, app_url)
    step_button(first).click()
    expect(first.get_by_text("Step: 5", exact=True)).to_be_visible(timeout=ACT)
    step_button(first).click()
    expect(first.get_by_text("Step: 10", exact=True)).to_be_visible(timeout=ACT)
    second.bring_to_front()
    expect(second.get_by_text("Step: 0", exact=True)).to_be_visible()
    expect(second.locator(".abm-health").get_by_text("Step 0", exact=True)).to_be_visible()
    step_button(second).click()
    expect(second.get_by_text("Step: 5", exact=True)).to_be_visible(timeout=ACT)
    expect(first.get_by_text("Step: 10", exact=True)).to_be_visible()
    assert errors_first == [] and errors_second == []
