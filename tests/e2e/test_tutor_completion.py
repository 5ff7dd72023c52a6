"""Every lab completes with three honest beginner questions, never with three non-answers.

Questions in everyday wording (not the lab's starter questions), sent through the real
page in Chromium; the count, the completion state and the reason shown are read back.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_lab_chat import _send

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]

HONEST = {
    "api-basics": ["how do i send my api key with the request in python",
                   "why does the model forget what i told it before?",
                   "my answer gets cut off in the middle, why"],
    "key-security": ["where do I put my openai key so it's not in my code?",
                     "I accidentally pushed my key to github what now",
                     "can i put the key in my react app?"],
    "rate-limits-cost": ["what does 429 too many requests mean and what should i do",
                         "how much would 10k requests with 1000 tokens each cost on gpt-4o-mini",
                         "how many retries does the openai python library do by default?"],
    "production-prompts": ["how do i make gpt always answer in json",
                           "what is prompt injection?",
                           "how do I test if my new prompt is better than the old one?"],
}
UNANSWERABLE = ["how does the api's flux capacitor handle quantum requests on the moon base",
                "does the sdk support telepathic streaming over carrier pigeons",
                "what is the token price of unicorn horns in the api's wizard tier"]


@pytest.mark.parametrize("lab", sorted(HONEST))
def test_three_honest_questions_complete_the_lab(live_server, page, lab: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/{lab}")
    for number, question in enumerate(HONEST[lab], start=1):
        _send(page, question)
        assert page.inner_text("#exchange-count") == str(number), question
    assert "Lab complete" in page.inner_text("#completion-state")


@pytest.mark.parametrize("lab", ["api-basics", "production-prompts"])
def test_three_non_answers_do_not_count(live_server, page, lab: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/{lab}")
    for question in UNANSWERABLE:
        _send(page, question)
    assert page.inner_text("#exchange-count") == "0"
    assert "Lab complete" not in page.inner_text("#completion-state")
    assert page.locator(".msg.assistant .badge.warn", has_text="Not counted").count() == 3
    assert page.inner_text("#why-not-counted").strip() != ""


def test_a_correction_takes_back_the_last_count_on_the_page(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    _send(page, "how do i send my api key with the request in python")
    assert page.inner_text("#exchange-count") == "1"
    first = page.locator(".msg.assistant").first
    assert first.locator(".badge").inner_text() == "Counted"
    _send(page, "no, I mean why does the model forget what i told it before?")
    # The first answer is marked as not counted at once; the new answer counts instead.
    assert first.locator(".badge").inner_text() == "Not counted"
    assert page.inner_text("#exchange-count") == "1"
    page.reload()
    assert "taken back" in page.locator(".msg.assistant").first.inner_text()
