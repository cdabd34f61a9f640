"""The app in real headless Chromium: `solara run viz/app.py --production` on a free port
(fixture `app_server`), driven with Playwright. Waits are Playwright's own (auto-waiting
locators and `expect` with timeouts) or polls of the server's log and memory."""

from __future__ import annotations

import re
import time

import psutil
import pytest
from playwright.sync_api import Page, expect

from viz import controls, presets

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOAD = 60_000  # ms: a cold kernel builds the model and the first frame
ACT = 30_000  # ms: one click and its redraw
ROOM = 10  # concurrent pages in the classroom test


def open_app(page: Page, url: str) -> list[str]:
    """Load the page; return the list that collects console errors and page errors."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.goto(url)
    expect(page.get_by_text("Fund health")).to_be_visible(timeout=LOAD)
    expect(step_display(page)).to_have_text("Step 0", timeout=LOAD)
    expect(page.locator(".abm-chart")).to_have_count(6, timeout=LOAD)
    return errors


def step_display(page: Page):
    """The app's own step counter (in the Run card)."""
    return page.locator(".abm-step")


def shown_step(page: Page) -> int:
    return int(re.sub(r"\D", "", step_display(page).inner_text()) or 0)


def chart(page: Page, title: str):
    return page.locator(".abm-chart", has=page.locator(".abm-chart-title", has_text=title))


def pick(page: Page, title: str) -> None:
    """Choose a preset in the preset picker."""
    page.locator(".abm-preset .v-select").click()
    page.get_by_role("option", name=title, exact=True).click()


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def step_button(page: Page):
    return page.get_by_role("button", name=re.compile(r"^Step \("))


def poll(check, timeout: float, what: str):
    """Wait until `check()` returns a true value (a server-side condition), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


def test_page_loads_with_no_console_error(page: Page, app_url: str):
    errors = open_app(page, app_url)
    expect(page.get_by_text("What just happened")).to_be_visible()
    expect(page.get_by_role("tab", name="Governance")).to_be_visible()
    expect(button(page, "Reset")).to_be_visible()
    expect(step_button(page)).to_have_text("Step (one hour)")
    assert errors == []


def test_step_advances_one_step_and_changes_the_fund_chart(page: Page, app_url: str):
    errors = open_app(page, app_url)
    health = page.locator(".abm-health")
    before = chart(page, "Insurance fund").screenshot()
    for n in range(1, 6):
        step_button(page).click()
        expect(step_display(page)).to_have_text(f"Step {n}", timeout=ACT)
    expect(health.get_by_text("Step 5", exact=True)).to_be_visible()
    assert chart(page, "Insurance fund").screenshot() != before
    assert errors == []


def test_play_then_pause_stops_at_once(page: Page, app_server):
    errors = open_app(page, app_server.url)
    button(page, "▶ Play").click()
    expect(step_display(page)).not_to_have_text("Step 0", timeout=ACT)
    button(page, "❚❚ Pause").click()
    expect(button(page, "▶ Play")).to_be_visible(timeout=ACT)
    paused_at = shown_step(page)
    # the server's model stopped on the step the page shows: no step after the click
    poll(
        lambda: app_server.log_lines(f"model stopped at step {paused_at}: paused"),
        30,
        f"'model stopped at step {paused_at}: paused' in the server log",
    )
    expect(step_button(page)).to_be_enabled()
    step_button(page).click()
    expect(step_display(page)).to_have_text(f"Step {paused_at + 1}", timeout=ACT)
    assert errors == []


def test_another_preset_and_reset_change_the_run(page: Page, app_url: str):
    errors = open_app(page, app_url)
    health = page.locator(".abm-health")
    expect(health).to_contain_text("started at $250.0k")
    pick(page, "Thin fund: a new market")
    expect(page.locator(".abm-info")).to_contain_text("Thin fund", timeout=ACT)
    expect(health).to_contain_text("started at $5,000", timeout=ACT)
    step_button(page).click()
    expect(step_display(page)).to_have_text("Step 1", timeout=ACT)
    button(page, "Reset").click()
    expect(step_display(page)).to_have_text("Step 0", timeout=ACT)
    expect(health).to_contain_text("started at $5,000", timeout=ACT)
    pick(page, "Governance response")
    expect(health).to_contain_text("started at $15.0k", timeout=ACT)
    button(page, "Reset").click()
    expect(health).to_contain_text("started at $15.0k", timeout=ACT)
    expect(page.get_by_role("tab", name="Governance")).to_be_visible()
    assert errors == []


def test_a_slider_change_waits_for_reset_and_says_so(page: Page, app_url: str):
    errors = open_app(page, app_url)
    summary = page.locator(".abm-info .abm-caption")
    expect(summary).to_contain_text("500 traders")
    traders = page.get_by_role("slider", name=re.compile("^Number of traders"))
    traders.focus()
    traders.press("ArrowRight")  # one step of 50
    setting = page.locator(".abm-setting", has=traders)
    expect(setting).to_contain_text("changes at Reset", timeout=ACT)
    expect(summary).to_contain_text("500 traders")  # nothing changes before Reset
    button(page, "Reset").click()
    expect(summary).to_contain_text("550 traders", timeout=ACT)
    expect(setting).not_to_contain_text("changes at Reset", timeout=ACT)
    assert errors == []


@pytest.mark.parametrize("seed", ["abc", "", "2.5", "-1"])
def test_a_bad_seed_shows_a_message_and_the_page_keeps_working(page: Page, app_url: str, seed):
    errors = open_app(page, app_url)
    box = page.get_by_label("Seed (any whole number)")
    box.fill(seed)
    box.press("Enter")
    message = page.locator(".abm-settings .v-messages__message")
    expect(message).to_contain_text("The seed", timeout=ACT)
    button(page, "Reset").click()
    expect(page.locator(".abm-error")).to_contain_text("Not reset: The seed", timeout=ACT)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    step_button(page).click()
    expect(step_display(page)).to_have_text("Step 1", timeout=ACT)
    box.fill("7")
    box.press("Enter")
    expect(message).to_have_count(0, timeout=ACT)
    button(page, "Reset").click()
    expect(step_display(page)).to_have_text("Step 0", timeout=ACT)
    expect(page.locator(".abm-error")).to_have_count(0)
    assert errors == []


def test_two_pages_hold_independent_models(context, app_url: str):
    first, second = context.new_page(), context.new_page()
    errors_first, errors_second = open_app(first, app_url), open_app(second, app_url)
    step_button(first).click()
    expect(step_display(first)).to_have_text("Step 1", timeout=ACT)
    step_button(first).click()
    expect(step_display(first)).to_have_text("Step 2", timeout=ACT)
    second.bring_to_front()
    expect(step_display(second)).to_have_text("Step 0")
    step_button(second).click()
    expect(step_display(second)).to_have_text("Step 1", timeout=ACT)
    expect(step_display(first)).to_have_text("Step 2")
    assert errors_first == [] and errors_second == []


def test_a_room_of_pages_all_play_and_closed_pages_stop_and_free_their_models(browser, app_server):
    """Ten pages play at once; every one advances. Closing them stops their models on the
    server at once and frees them, and the server's memory returns near where it was."""
    server = psutil.Process(app_server.process.pid)
    baseline = server.memory_info().rss
    contexts = [browser.new_context(viewport={"width": 1024, "height": 768}) for _ in range(ROOM)]
    pages = [c.new_page() for c in contexts]
    errors = [open_app(p, app_server.url) for p in pages]
    for p in pages:
        button(p, "▶ Play").click()
    for p in pages:
        expect(step_display(p)).not_to_have_text(re.compile(r"^Step [0-9]$"), timeout=LOAD)
    firsts = [shown_step(p) for p in pages]
    for p, first in zip(pages, firsts, strict=True):
        expect(step_display(p)).not_to_have_text(f"Step {first}", timeout=LOAD)
    peak = server.memory_info().rss
    assert all(e == [] for e in errors), errors
    assert app_server.log_lines("Too many renders") == []
    assert app_server.log_lines("Traceback") == []
    stopped = len(app_server.log_lines("model stopped"))
    freed = len(app_server.log_lines("model freed"))
    for c in contexts:
        c.close()
    poll(
        lambda: len(app_server.log_lines("model stopped")) - stopped >= ROOM,
        60,
        f"{ROOM} more 'model stopped' lines in the server log",
    )
    poll(
        lambda: len(app_server.log_lines("model freed")) - freed >= ROOM,
        60,
        f"{ROOM} more 'model freed' lines in the server log",
    )
    poll(
        lambda: server.memory_info().rss < baseline + 0.5 * (peak - baseline) + 30e6,
        60,
        f"the server's memory to return near its start ({baseline / 1e6:.0f} MB, "
        f"{peak / 1e6:.0f} MB with {ROOM} pages playing)",
    )


def test_compare_mode_shows_two_funds_for_two_penalty_splits(page: Page, app_url: str):
    errors = open_app(page, app_url)
    page.get_by_role("tab", name="Compare two settings").click()
    panel = page.locator(".abm-compare")
    expect(panel).to_contain_text("Fund's share of the penalty", timeout=ACT)
    page.get_by_label("Steps to run").fill("150")
    button(page, "Run both").click()
    funds = page.locator(".abm-compare-fund")
    expect(funds).to_have_count(2, timeout=LOAD)
    a, b = funds.all_inner_texts()
    assert a.startswith("fund $") and b.startswith("fund $") and a != b
    expect(page.locator(".abm-compare-a")).to_contain_text("A: fund's share of the penalty 20 %")
    expect(page.locator(".abm-compare-b")).to_contain_text("B: fund's share of the penalty 80 %")
    assert errors == []


def _covered(page: Page, selector: str) -> bool:
    """Whether something else is drawn over the centre of the element."""
    return page.evaluate(
        """(sel) => {
            const el = document.querySelector(sel);
            const r = el.getBoundingClientRect();
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !(top && el.contains(top));
        }""",
        selector,
    )


def test_the_fund_is_above_the_fold_on_a_projector_and_nothing_covers_it(browser, app_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    errors = open_app(page, app_url)
    fund = chart(page, "Insurance fund")
    expect(fund.locator("canvas")).to_have_count(1, timeout=LOAD)
    box = fund.locator(".abm-echart").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 768, box
    assert page.locator(".abm-health").bounding_box()["y"] < 200
    expect(page.get_by_text("This website runs on")).to_have_count(0)
    assert not _covered(page, ".abm-echart")
    assert not _covered(page, ".abm-health")
    assert errors == []
    context.close()


def test_on_a_phone_the_controls_stack_above_the_charts_and_nothing_covers_them(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors = open_app(page, app_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    side, main = page.locator(".abm-side").bounding_box(), page.locator(".abm-main").bounding_box()
    assert side["width"] >= 350 and main["width"] >= 350
    assert side["y"] + side["height"] <= main["y"] + 1  # stacked, not side by side
    expect(page.locator(".v-navigation-drawer:visible")).to_have_count(0)
    assert not _covered(page, ".abm-controls")
    step_button(page).click()
    expect(step_display(page)).to_have_text("Step 1", timeout=ACT)
    page.locator(".abm-health").scroll_into_view_if_needed()
    assert not _covered(page, ".abm-health")
    assert errors == []
    context.close()


def test_the_badge_turns_red_on_the_crashs_first_bad_debt_step(page: Page, app_url: str):
    """The page's badge, where the badge rule's own tests count every step of the crash."""
    m = presets.build("flash_crash")
    (crash,) = controls.crash_steps(m)
    for _ in range(crash + 30):
        m.step()
    bad = m.datacollector.model_vars["bad_debt_step"]
    first = next(s for s in range(crash, crash + 30) if bad[s] > 0)
    errors = open_app(page, app_url)
    pick(page, "Flash crash")
    badge = page.locator(".abm-state-word")
    expect(badge).to_have_text("GREEN", timeout=ACT)
    page.get_by_label("Go to step").fill(str(first))
    button(page, "Go").click()
    expect(step_display(page)).to_have_text(f"Step {first}", timeout=LOAD)
    expect(badge).to_have_text("RED", timeout=ACT)
    assert errors == []


def test_a_multi_market_preset_picks_a_market_for_its_charts_and_lists_every_market(
    page: Page, app_url: str
):
    errors = open_app(page, app_url)
    expect(page.locator(".abm-markets")).to_have_count(0)  # one market: no picker, no table
    pick(page, "Correlated crash in four markets")
    panel = page.locator(".abm-markets")
    expect(panel).to_be_visible(timeout=ACT)
    rows = panel.locator(".abm-market-table tr")
    expect(rows).to_have_count(6)  # the heading, four markets and the totals
    expect(rows.last).to_contain_text("All markets")
    expect(chart(page, "Price · BTC (first market)")).to_have_count(1)
    for n in range(1, 4):
        step_button(page).click()
        expect(step_display(page)).to_have_text(f"Step {n}", timeout=ACT)
    table = panel.locator(".abm-market-table")
    before = table.inner_text()
    panel.get_by_role("button", name="SOL", exact=True).click()
    expect(chart(page, "Price · SOL")).to_have_count(1, timeout=ACT)
    expect(chart(page, "Insurance fund · SOL")).to_contain_text("SOL draws on the shared fund")
    expect(chart(page, "Open interest and the LP vault · SOL")).to_have_count(1)
    expect(chart(page, "Price · BTC (first market)")).to_have_count(0)
    expect(panel.locator("tr.abm-picked")).to_contain_text("SOL")
    step_button(page).click()
    expect(step_display(page)).to_have_text("Step 4", timeout=ACT)
    expect(table).not_to_have_text(before, timeout=ACT)  # the table follows the steps
    panel.get_by_role("button", name="All markets", exact=True).click()
    expect(chart(page, "Bad debt: who paid (loss waterfall) · all markets")).to_have_count(
        1, timeout=ACT
    )
    panel.get_by_role("button", name="DOGE", exact=True).click()
    expect(chart(page, "Price · DOGE")).to_have_count(1, timeout=ACT)
    page.get_by_role("tab", name="Governance").click()
    page.get_by_role("tab", name="Charts").click()
    expect(chart(page, "Price · DOGE")).to_have_count(1, timeout=ACT)  # the pick is kept
    expect(panel.locator(".v-btn--active")).to_have_text("DOGE", timeout=ACT)
    pick(page, "Flash crash")
    expect(page.locator(".abm-info")).to_contain_text("Flash crash", timeout=ACT)
    expect(page.locator(".abm-markets")).to_have_count(0)
    expect(chart(page, "Price")).to_have_count(1)
    assert errors == []
