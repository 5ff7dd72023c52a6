"""The Lab 3 rate-limit arena in a real browser: run it, see progress, charts and the table."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_fits_viewport, wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def _run(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#arena-run")
    page.wait_for_selector("#arena-results:not([hidden])")


def _cells(page, strategy: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"#arena-table tr[data-strategy={strategy}] td").all_inner_texts()


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("width", [1280, 390])
def test_default_run_shows_the_lesson_and_how_to_read_it(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/labs/rate-limits-cost")
    # Tiers come from the server, with dated example figures; the default is a burst of
    # 50 clients at one moment against a tight tier.
    wait_until(page, "document.querySelectorAll('#arena-tier option').length > 2")
    assert page.locator("#arena-tier option[value=free]").count() == 1
    assert page.input_value("#arena-tier") == "anthropic-tier-1"
    assert "50 RPM" in page.inner_text("#arena-tier-note")
    assert page.input_value("#arena-clients") == "50"
    assert page.input_value("#arena-spread") == "0"
    assert "How to read a run" in page.inner_text("#panel-arena")
    _run(page)
    # Progress reached the end and says so.
    assert page.inner_text("#arena-progress-text") == "Done."
    assert page.get_attribute("#arena-progress-bar", "style") == "width: 100%;"
    # One inline SVG timeline per strategy, drawn at the width it is shown at.
    charts = page.locator("#arena-charts figure.arena-chart")
    assert charts.count() == 5
    for i in range(5):
        svg = charts.nth(i).locator("svg")
        assert svg.get_attribute("role") == "img"
        assert svg.locator("rect.bar-ok").count() > 0
        assert svg.locator("polyline.line-done").count() == 1
        view = float(svg.get_attribute("viewBox").split()[2])
        assert view == pytest.approx(svg.bounding_box()["width"], abs=2)
    assert page.locator("figure[data-strategy=retry_after] rect.bar-429").count() > 0
    # The table measures every strategy the same way: wasted calls = 429s.
    rows = {s: _cells(page, s) for s in ("immediate", "fixed", "exponential", "retry_after",
                                          "jitter")}
    for cells in rows.values():
        assert _int(cells[1]) - 100 == _int(cells[2])  # requests sent - work = wasted
    jitter, herd = rows["jitter"], rows["retry_after"]
    assert _int(herd[2]) > 3 * _int(jitter[2])  # the herd without jitter
    assert _int(rows["immediate"][2]) > 15 * _int(jitter[2])
    assert jitter[4] == herd[4] == "0"  # Retry-After honoured
    assert _int(rows["exponential"][4]) > 0
    # No "winner" in green for finishing first: the fastest is not the lesson.
    assert page.locator("#arena-table tbody td:nth-child(2).ok").count() == 0
    assert "ok" in (page.get_attribute(
        "#arena-table tr[data-strategy=exponential] td:nth-child(4)", "class") or "")
    # The reading names the pace, the herd and the price of hammering, from this run.
    reading = page.inner_text("#arena-reading")
    assert "about 60 s whatever the strategy" in reading
    assert "thundering herd" in reading and "times as many wasted calls" in reading
    assert_fits_viewport(page, f"arena at {width} px")
    context.close()


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
    assert page.locator("#arena-charts figure").count() == 3
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
