"""The API inspector in a real browser, with the assistant on the built-in sandbox backend:
a model reply streams through the call layer, Inspect opens a keyboard-usable dialog with
the attempts, tokens, cost and the request as sent, and no key appears on the page."""

from __future__ import annotations

import pytest

from apilab.settings import Settings, get_settings

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


@pytest.fixture
def settings(clean_environ) -> Settings:  # type: ignore[no-untyped-def]
    """The lab server with the assistant on the sandbox provider (overrides conftest's)."""
    return get_settings(backend="sandbox", model="gpt-4o-mini", fallback="offline")


def test_model_reply_can_be_inspected_with_the_keyboard(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    assert "sandbox" in page.inner_text("#backend-notice")
    page.fill("#message", "What does a 429 status code mean?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant:not(.streaming) button.inspect[data-message-id]")
    button = page.locator(".msg.assistant button.inspect").last
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#inspector")
    dialog.wait_for(state="visible")
    page.wait_for_selector("dialog#inspector table.data")
    text = dialog.inner_text()
    assert "Answered by" in text and "sandbox:gpt-4o-mini" in text
    assert "Time to first token" in text and "reserved $" in text
    assert "Request as sent (key redacted)" in text
    summary = dialog.locator("summary", has_text="Request as sent")
    summary.focus()
    page.keyboard.press("Enter")  # <details> opens from the keyboard
    request = dialog.locator("details[open] pre").first.inner_text()
    assert "Bearer sk-" in request and "…" in request
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate(
        "document.activeElement.matches('button.inspect[data-message-id]')"
    ), "focus returns to the Inspect button"
    secret = (page.context.request.get(f"{live_server}/api/inspector/"
                                       f"{button.get_attribute('data-message-id')}").text())
    assert "sk-" in secret and "…" in secret  # masked, never the whole key


def test_inspector_fits_a_phone_screen(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 390, "height": 800})  # phone width
    page.goto(f"{live_server}/labs/api-basics")
    page.fill("#message", "What goes in the Authorization header?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant:not(.streaming) button.inspect[data-message-id]")
    page.locator(".msg.assistant button.inspect").last.click()
    page.wait_for_selector("dialog#inspector dl.ins-facts")
    box = page.locator("dialog#inspector").bounding_box()
    assert box is not None and box["width"] <= 390
