"""The Lab 3 rate-limit arena in a real browser: run it, see progress, charts and the table."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def _run(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#arena-run")
    page.wait_for_selector("#arena-results:not([hidden])")


def test_run_the_arena_and_read_the_chart_and_table(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/rate-limits-cost")
    # Tiers come from the server, with dated example figures.
    wait_until(page, "document.querySelectorAll('#arena-tier option').length > 2")
    assert page.locator("#arena-tier option[value=free]").count() == 1
    assert page.input_value("#arena-clients") == "20"
    _run(page)
    # Progress reached the end and says so.
    assert page.inner_text("#arena-progress-text") == "Done."
    assert page.get_attribute("#arena-progress-bar", "style") == "width: 100%;"
    # One inline SVG timeline per strategy, with bars for 429s and successes.
    charts = page.locator("#arena-charts figure.arena-chart")
    assert charts.count() == 4
    for i in range(4):
        svg = charts.nth(i).locator("svg")
        assert svg.get_attribute("role") == "img"
        assert svg.locator("rect.bar-ok").count() > 0
        assert svg.locator("polyline.line-done").count() == 1
    assert page.locator("figure[data-strategy=immediate] rect.bar-429").count() > 0
    # The table: one row per strategy; retrying at once wastes requests, jitter wastes none.
    rows = page.locator("#arena-table tbody tr")
    assert rows.count() == 4
    immediate = page.locator("#arena-table tr[data-strategy=immediate] td").all_inner_texts()
    jitter = page.locator("#arena-table tr[data-strategy=jitter] td").all_inner_texts()
    assert int(immediate[2].replace(",", "")) > 10 * int(jitter[2].replace(",", ""))
    assert jitter[3] == "0"


def test_same_seed_same_table_and_a_new_seed_changes_it(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/rate-limits-cost")
    page.fill("#arena-clients", "10")
    page.fill("#arena-seed", "7")
    _run(page)
    first = page.inner_text("#arena-table tbody")
    page.click("#arena-run")
    wait_until(page, "document.getElementById('arena-progress-text').textContent"
                           " === 'Done.' && !document.getElementById('arena-run').disabled")
    assert page.inner_text("#arena-table tbody") == first
    page.fill("#arena-seed", "8")
    page.click("#arena-run")
    wait_until(page, "t => document.querySelector('#arena-table tbody').innerText !== t",
                           arg=first)


def test_only_the_chosen_strategies_run_and_bad_input_is_explained(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/rate-limits-cost")
    page.uncheck("input[name=strategies][value=fixed]")
    page.uncheck("input[name=strategies][value=exponential]")
    _run(page)
    assert page.locator("#arena-charts figure").count() == 2
    page.fill("#arena-clients", "0")
    page.click("#arena-run")
    page.wait_for_selector("#arena-error:not([hidden])")
    assert "clients" in page.inner_text("#arena-error")


def test_usable_at_phone_width(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 380, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/labs/rate-limits-cost")
    _run(page)
    width = page.evaluate("document.getElementById('panel-arena').scrollWidth")
    assert width <= 380
    context.close()
