"""The progress page's chart and the lab page after a reset, at laptop and phone width."""

from __future__ import annotations

import pytest

from apilab.content import load_course
from tests.e2e.conftest import assert_fits_viewport, wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]

QUESTIONS = ("RPM vs TPM?", "why add jitter to retries?",
             "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?")

# Send one message from inside the page (same origin, JSON, as chat.js does) and wait for
# the whole SSE reply; resolves to the response status.
_ASK = """async ([lab, message]) => {
  const r = await fetch('/api/labs/' + lab + '/messages', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({message})});
  await r.text();
  return r.status;
}"""


def _complete(page, base: str, lab: str = "rate-limits-cost") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/labs/{lab}")
    for question in QUESTIONS:
        assert page.evaluate(_ASK, [lab, question]) == 200


# Every label and value inside the chart's box, none cut short by its own box.
_CLIPPED = """() => {
  const box = document.querySelector('.progress-chart').getBoundingClientRect();
  return [...document.querySelectorAll('.pc-label, .pc-value, .pc-state')]
    .filter((el) => { const r = el.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1
        || el.scrollWidth > el.clientWidth + 1; })
    .map((el) => el.textContent.trim());
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_chart_fits_its_labels_at_every_width(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    _complete(page, live_server)
    page.goto(f"{live_server}/progress")
    course = load_course()
    # Full lab titles, not "Lab 1: Your first AI API c".
    assert page.locator(".pc-label").all_inner_texts() == [lab.title for lab in course.labs]
    assert page.evaluate(_CLIPPED) == []
    row = page.locator(".pc-row[data-lab='rate-limits-cost']")
    assert row.locator(".pc-value").all_inner_texts() == ["3/3 exchanges", "3/6 objectives"]
    assert "Lab complete" in row.inner_text()
    # Bars are drawn to scale at this width: full for 3/3, half for 3/6.
    fills = row.locator("rect.pc-fill")
    tracks = row.locator("rect.pc-track")
    full = tracks.first.bounding_box()["width"]
    assert fills.nth(0).bounding_box()["width"] == pytest.approx(full, abs=1)
    assert fills.nth(1).bounding_box()["width"] == pytest.approx(
        tracks.nth(1).bounding_box()["width"] / 2, abs=1)
    # Readable on a phone: a bar is at least 45% of the screen wide, labels at 14 px or more
    # (the old 560-unit SVG drew 12 px text at 5.6 px and its bars in 150 px on a phone).
    assert full >= (0.45 * width if width < 600 else 300)
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.pc-value')).fontSize)")
    assert size >= 14
    # No large empty area under the last row.
    gap = page.evaluate("""() =>
        document.querySelector('.progress-chart').getBoundingClientRect().bottom
        - document.querySelector('.pc-row:last-child').getBoundingClientRect().bottom""")
    assert gap < 40
    # The table's "Completed" column is on screen.
    done = page.locator("#progress-table tr[data-lab='rate-limits-cost'] td").last
    assert done.bounding_box()["x"] + done.bounding_box()["width"] <= width
    assert "UTC" in done.inner_text()
    assert_fits_viewport(page, "/progress")
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_reset_after_completion_says_both_truthfully(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    _complete(page, live_server)
    page.reload()
    assert "Lab complete" in page.inner_text("#completion-state")
    page.click("#reset-form button")
    page.wait_for_selector("#empty-hint")
    state = page.inner_text("#completion-state")
    assert "Lab complete" not in state
    assert "Completed on" in state and "0 of 3 in this conversation" in state
    assert page.inner_text("#exchange-count") == "0"
    assert "in this conversation" in page.inner_text("#lab-progress")
    assert page.locator("#objectives li.covered").count() == 0
    assert "is kept" in page.inner_text("#reset-hint")
    assert_fits_viewport(page, "lab page after reset")
    # A new counted exchange updates the count live and keeps telling both facts.
    page.fill("#message", "What is a token bucket?")
    page.click("#send")
    wait_until(page, "document.getElementById('exchange-count').textContent === '1'")
    assert "1 of 3 in this conversation" in page.inner_text("#completion-state")
    # The progress page tells the same story.
    page.goto(f"{live_server}/progress")
    row = page.locator(".pc-row[data-lab='rate-limits-cost']").inner_text()
    assert "Completed on" in row and "1 of 3 in this conversation" in row
    context.close()
