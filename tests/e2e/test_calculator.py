"""The Lab 3 token counter and cost calculator in a real browser."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import assert_fits_viewport, wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]

JARGON_EXCERPT = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "name": "example_user", "content": "New synergies will help drive growth."},
]


def _open(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/rate-limits-cost")
    page.wait_for_selector("#calc-models input[type=checkbox]")


def test_count_text_and_messages_with_exact_and_estimated_labels(live_server, page) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server)
    # Plain text on gpt-4o: exact, from tiktoken's o200k_base.
    page.fill("#calc-text", "tiktoken is great!")
    page.click("#calc-count-btn")
    page.wait_for_selector("#calc-count-result .badge")
    assert page.inner_text("#calc-count-result .calc-count-number") == "6 tokens"
    assert page.get_attribute("#calc-count-result .badge", "data-label") == "exact"
    # A messages array is counted as a chat request, overhead included.
    page.fill("#calc-text", json.dumps(JARGON_EXCERPT))
    page.click("#calc-count-btn")
    wait_until(page,
        "document.querySelector('#calc-count-result').textContent.includes('chat request')")
    # The same text on a Claude model is an estimate, and says so.
    page.select_option("#calc-count-model", "claude-3-5-haiku-20241022")
    page.fill("#calc-text", "tiktoken is great!")
    page.click("#calc-count-btn")
    wait_until(page,
        "document.querySelector('#calc-count-result .badge')?.dataset.label === 'estimated'")
    assert "not public" in page.inner_text("#calc-count-result")
    # The count can be carried into the workload form.
    page.click("#calc-use-count")
    assert page.input_value("#calc-per-item") == "6"


def test_lesson_example_table_and_chart(live_server, page) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server)
    page.click("#calc-example")
    page.wait_for_selector("#calc-results:not([hidden]) #calc-table tbody tr")
    gpt4o = page.locator("#calc-table tr[data-model='gpt-4o'] td").all_inner_texts()
    assert gpt4o[:3] == ["$32.50", "$9.75", "$42.25"]
    assert page.locator("#calc-table tbody tr").count() == 2
    # One bar per model, the longest for the most expensive one.
    bars = page.locator("#calc-chart rect.calc-bar-plain")
    assert bars.count() == 2
    widths = {bars.nth(i).get_attribute("data-model"): float(bars.nth(i).get_attribute("width"))
              for i in range(2)}
    assert widths["gpt-4o"] > 20 * widths["gpt-4o-mini"]
    assert "$42.25" in page.text_content("#calc-chart desc")


def test_prompt_cache_savings_and_validation(live_server, page) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server)
    for box in page.locator("#calc-models input[type=checkbox]").all():
        box.uncheck()
    page.check("#calc-model-gpt-4o-mini")
    page.check("#calc-model-claude-sonnet-4-5-20250929")
    page.check("#calc-model-gpt-4")  # no cached-input price: no saving shown
    page.fill("#calc-items", "1000")
    page.fill("#calc-per-item", "3000")
    page.fill("#calc-output", "100")
    page.fill("#calc-prefix", "2000")
    page.fill("#calc-date", "2025-10-01")
    page.click("#calc-estimate-btn")
    page.wait_for_selector("#calc-table tbody tr")
    claude = page.locator("#calc-table tr[data-model='claude-sonnet-4-5-20250929'] td")
    assert claude.nth(4).inner_text().startswith("$")  # with prompt cache
    assert page.locator("#calc-chart rect.calc-bar-cached").count() == 2
    assert page.locator("#calc-table tr[data-model='gpt-4'] td").nth(4).inner_text() == "—"
    assert "no cached-input price" in page.inner_text("#calc-notes")
    # A prefix longer than the prompt is refused with a readable message, not a crash.
    page.fill("#calc-prefix", "5000")
    page.click("#calc-estimate-btn")
    page.wait_for_selector("#calc-error:not([hidden])")
    assert "cannot be longer" in page.inner_text("#calc-error")


def test_calculator_is_keyboard_usable_and_labelled(live_server, page) -> None:  # type: ignore[no-untyped-def]
    _open(page, live_server)
    for control in ["#calc-text", "#calc-count-model", "#calc-items", "#calc-per-item",
                    "#calc-output", "#calc-prefix", "#calc-date"]:
        control_id = control[1:]
        assert page.locator(f"label[for='{control_id}']").count() == 1, control
    page.focus("#calc-items")
    page.fill("#calc-items", "100")
    page.keyboard.press("Enter")  # submits the workload form
    page.wait_for_selector("#calc-table tbody tr")
    assert page.locator("#calc-table tbody tr").count() >= 1


@pytest.mark.parametrize("width", [1280, 390])
def test_errors_clear_stale_results_and_speak_to_the_page(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    _open(page, live_server)
    page.click("#calc-example")
    page.wait_for_selector("#calc-results:not([hidden]) #calc-table tbody tr")
    # A date with no price: the old table goes, the error says why in the page's words.
    page.fill("#calc-date", "2020-01-01")
    page.click("#calc-estimate-btn")
    page.wait_for_selector("#calc-error:not([hidden])")
    message = page.inner_text("#calc-error")
    assert "None of the chosen models has a price on 2020-01-01" in message
    assert not any(word in message for word in ("`", "apilab ", "prices.yaml"))
    assert page.is_hidden("#calc-results")
    assert page.locator("#calc-table tbody tr").count() == 0
    # A good run brings results back and clears the error.
    page.fill("#calc-date", "2024-08-01")
    page.click("#calc-estimate-btn")
    page.wait_for_selector("#calc-results:not([hidden]) #calc-table tbody tr")
    assert page.is_hidden("#calc-error")
    # Each price says when it was checked against its source.
    assert "verified 2024-06-01" in page.inner_text("#calc-table tr[data-model='gpt-4o']")
    # Negative tokens: refused before sending, and again no stale table.
    page.fill("#calc-output", "-5")
    page.click("#calc-estimate-btn")
    page.wait_for_selector("#calc-error:not([hidden])")
    assert "Output tokens per item must be a whole number of at least 0" in page.inner_text(
        "#calc-error")
    assert page.is_hidden("#calc-results")
    # A future date: priced at the latest known price, and the notes say which and when.
    page.fill("#calc-output", "65")
    page.fill("#calc-date", "2030-01-01")
    page.click("#calc-estimate-btn")
    page.wait_for_selector("#calc-results:not([hidden]) #calc-table tbody tr")
    notes = page.inner_text("#calc-notes")
    assert "gpt-4o: 2030-01-01 is in the future: this is the latest known price" in notes
    assert_fits_viewport(page, "calculator with results")
    context.close()
