"""The lab page in a real browser: streaming replies, completion, inert HTML, no key on the page."""

from __future__ import annotations

import secrets
import string

import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def _send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    before = page.locator(".msg.assistant:not(.streaming)").count()
    page.fill("#message", text)
    page.click("#send")
    wait_until(page,
        "n => document.querySelectorAll('.msg.assistant:not(.streaming)').length > n", arg=before
    )


def test_three_on_topic_questions_stream_and_complete_the_lab(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    assert "offline tutor" in page.inner_text("#backend-notice")
    page.evaluate(
        "window.__deltas = 0; document.getElementById('chat')"
        ".addEventListener('apilab:delta', () => window.__deltas++)"
    )
    questions = [
        "What goes in the Authorization header?",
        "Why does my chatbot forget what I said two messages ago?",
        "what's the difference between a 429 and a 503?",
    ]
    for number, question in enumerate(questions, start=1):
        _send(page, question)
        assert page.inner_text("#exchange-count") == str(number)
    assert page.evaluate("window.__deltas") >= 3 * 2, "replies should arrive as several deltas"
    replies = page.locator(".msg.assistant .body").all_inner_texts()
    assert "Bearer" in replies[0]
    assert "Lab complete" in page.inner_text("#completion-state")
    assert page.locator("#objectives li.covered").count() >= 2
    # Completion survives a reload (it is stored, not just drawn).
    page.reload()
    assert "Lab complete" in page.inner_text("#completion-state")
    assert page.locator(".msg.learner").count() == 3


def test_off_topic_message_does_not_count_and_says_why(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    _send(page, "What's the best pizza topping for a party?")
    assert page.inner_text("#exchange-count") == "0"
    assert page.locator(".msg.assistant .badge.warn", has_text="Not counted").count() == 1
    assert page.inner_text("#why-not-counted").strip() != ""


def test_html_in_a_message_is_shown_inert(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    payload = (
        "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
        " what does a 401 status mean?"
    )
    _send(page, payload)
    assert page.evaluate("window.__pwned") is None
    learner = page.locator(".msg.learner").last.inner_text()
    assert "<script>" in learner and "onerror" in learner
    page.reload()  # the stored transcript is escaped too
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".msg.learner img").count() == 0
    assert page.locator("#transcript script").count() == 0


def test_a_pasted_key_never_appears_on_the_page(live_server, page) -> None:  # type: ignore[no-untyped-def]
    alphabet = string.ascii_letters + string.digits
    key = "sk-proj-" + "".join(secrets.choice(alphabet) for _ in range(120))
    page.goto(f"{live_server}/labs/key-security")
    _send(page, f"I accidentally put this key in my repo: {key} what now?")
    html = page.content()
    assert key not in html
    assert key[-24:] not in html
    reply = page.locator(".msg.assistant .body").last.inner_text().lower()
    assert "revoke" in reply
    page.reload()
    assert key not in page.content()


def test_a_near_tie_shows_the_other_answer_folded(live_server, page) -> None:  # type: ignore[no-untyped-def]
    """When two cards are about as close, the second follows the answer closed: one line
    ("If you meant ...") the learner opens only if the first answer missed."""
    page.goto(f"{live_server}/labs/api-basics")
    _send(page, "streaming works in curl but my Flask endpoint returns the whole answer at "
                "once at the end, why is it not streaming?")
    folded = page.locator(".msg.assistant").last.locator("details")
    assert folded.count() >= 1
    first = folded.first
    assert first.locator("summary").inner_text().startswith("If you meant")
    assert first.get_attribute("open") is None
    body = first.locator("p").first
    assert not body.is_visible()
    first.locator("summary").click()
    assert first.get_attribute("open") is not None and body.is_visible()
    assert "::: details" not in page.locator(".msg.assistant").last.inner_text()
    page.reload()  # the stored transcript renders the same fold
    assert page.locator(".msg.assistant").last.locator("details summary").count() >= 1
