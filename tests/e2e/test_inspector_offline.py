"""The inspector on an offline-tutor reply: retrieval as a readable table, raw JSON behind
a toggle, at laptop and phone width."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


@pytest.mark.parametrize("width", [1280, 390])
def test_retrieval_is_a_table_with_json_behind_a_toggle(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/labs/api-basics")
    page.fill("#message", "What goes in the Authorization header?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant:not(.streaming) button.inspect[data-message-id]")
    page.locator(".msg.assistant button.inspect").last.click()
    dialog = page.locator("dialog#inspector")
    page.wait_for_selector("dialog#inspector table.ins-retrieval")
    facts = dialog.locator("dl.ins-facts").last.inner_text()
    assert "Answer card" in facts and "ab-auth-header" in facts
    assert "Counts toward completion" in facts
    # One row per candidate card: the one used is marked and says what it answers.
    used = dialog.locator("table.ins-retrieval tr.chosen")
    assert used.count() == 1
    row = used.inner_text()
    assert "ab-auth-header" in row and "used" in row and "authoriz" in row and "%" in row
    assert "How do I authenticate to the API?" in row
    # No raw JSON in view until asked for.
    raw = dialog.locator("details", has_text="Raw details (JSON)")
    assert raw.get_attribute("open") is None
    assert not dialog.locator("pre").first.is_visible()
    raw.locator("summary").click()
    data = json.loads(raw.locator("pre").inner_text())
    assert data["card"] == "ab-auth-header" and data["retrieval"]
    box = dialog.bounding_box()
    assert box is not None and box["width"] <= width
    context.close()
