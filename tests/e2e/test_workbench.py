"""The Lab 1 workbench in a real browser: send, watch the stream arrive, provoke failures."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def _lab_secret(settings) -> str:  # type: ignore[no-untyped-def]
    from apilab.sandbox.keys import ensure_lab_key
    from apilab.storage.db import open_database

    return ensure_lab_key(open_database(settings.db_url), settings)


def _wait_done(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#wb-explain:not([hidden])")
    wait_until(page, "!document.getElementById('wb-send').disabled")


def test_build_send_and_watch_the_stream_arrive(live_server, page, settings) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox.chaos import set_chaos
    from apilab.sandbox.keys import find_key
    from apilab.storage.db import open_database

    secret = _lab_secret(settings)
    db = open_database(settings.db_url)
    # Slow the lab key's stream to 40 tokens/s so arrival one by one is observable.
    set_chaos(db, {"tokens_per_s": 40}, key_id=find_key(db, secret).id)
    page.goto(f"{live_server}/labs/api-basics")
    wait_until(page, "document.querySelectorAll('#wb-model option').length > 3")
    page.fill("#wb-user", "Describe what a token is.")
    page.fill("#wb-max-tokens", "400")
    page.evaluate("""() => {
        window.__arrivals = [];
        new MutationObserver(() => window.__arrivals.push(performance.now()))
          .observe(document.getElementById('wb-events'), {childList: true});
    }""")
    page.click("#wb-send")
    _wait_done(page)
    arrivals = page.evaluate("window.__arrivals")
    assert len(arrivals) >= 5
    assert arrivals[-1] - arrivals[0] > 300, "events should arrive over time, not all at once"
    request = page.inner_text("#wb-request")
    assert request.startswith("POST http://127.0.0.1:")
    assert "/sandbox/v1/chat/completions" in request
    assert re.search(r"^Authorization: Bearer sk-(sbx-)?…\w{4}$", request, re.MULTILINE)
    assert '"content": "Describe what a token is."' in request
    assert secret not in page.content()
    assert "Bearer $SANDBOX_API_KEY" in page.text_content("#wb-curl")
    assert page.inner_text("#wb-sum-status").startswith("200")
    assert page.inner_text("#wb-sum-finish") == "stop"
    assert "completion_tokens" in page.inner_text("#wb-sum-usage")
    assert page.inner_text("#wb-sum-ttft").endswith("ms")
    assert "data: [DONE]" in page.inner_text("#wb-events li:last-child")
    assert page.inner_text("#wb-text").strip()
    assert "x-ratelimit-remaining-requests" in page.inner_text("#wb-response-head")


def test_anthropic_style_shows_named_events(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    wait_until(page, "document.querySelectorAll('#wb-model option').length > 3")
    page.check("input[name=style][value=anthropic]")
    assert page.input_value("#wb-model") == "claude-haiku-4-5"
    page.fill("#wb-max-tokens", "400")
    page.click("#wb-send")
    _wait_done(page)
    assert re.search(r"^x-api-key: sk-(sbx-)?…\w{4}$", page.inner_text("#wb-request"),
                     re.MULTILINE)
    assert "anthropic-version: 2023-06-01" in page.inner_text("#wb-request")
    assert "event: message_start" in page.inner_text("#wb-events li:first-child")
    assert page.inner_text("#wb-sum-finish") == "end_turn"


def test_responses_style_shows_typed_events(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    page.wait_for_function("document.querySelectorAll('#wb-model option').length > 3")
    page.check("input[name=style][value=responses]")
    assert page.input_value("#wb-model") == "gpt-4o-mini"
    assert page.inner_text("#wb-max-tokens-label") == "max_output_tokens"
    assert page.inner_text("#wb-system-label") == "Instructions"
    page.fill("#wb-max-tokens", "400")
    page.click("#wb-send")
    _wait_done(page)
    request = page.inner_text("#wb-request")
    assert "/sandbox/v1/responses" in request and '"instructions":' in request
    assert "event: response.created" in page.inner_text("#wb-events li:first-child")
    assert "event: response.completed" in page.inner_text("#wb-events li:last-child")
    assert page.inner_text("#wb-sum-finish-label") == "status"
    assert page.inner_text("#wb-sum-finish") == "completed"
    usage = page.inner_text("#wb-sum-usage")  # counts, and how many detail fields were 0
    assert "output_tokens" in usage and "other fields 0" in usage
    assert page.inner_text("#wb-text").strip()


def test_provoke_a_429(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    page.click("button[data-scenario=rate_limit]")
    _wait_done(page)
    assert page.inner_text("#wb-sum-status").startswith("429")
    attempts = page.locator("#wb-attempts li").all_inner_texts()
    assert attempts[-1].startswith(f"attempt {len(attempts)}: HTTP 429")
    assert "retry-after:" in page.inner_text("#wb-response-head")
    assert "rate_limit_exceeded" in page.inner_text("#wb-response-body")
    explanation = page.inner_text("#wb-explanation")
    assert "retry-after" in explanation and "backoff" in explanation
    assert "free-tier" in page.inner_text("#wb-intent")


def test_provoke_a_truncated_reply(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    page.click("button[data-scenario=truncated]")
    _wait_done(page)
    assert page.inner_text("#wb-sum-status").startswith("200")
    assert page.inner_text("#wb-sum-finish") == "length"
    assert "completion_tokens 8" in page.inner_text("#wb-sum-usage")
    assert '"max_tokens": 8' in page.inner_text("#wb-request")
    assert "cut off" in page.inner_text("#wb-explanation")


@pytest.mark.parametrize(("scenario", "status"), [("malformed", "400"), ("bad_key", "401"),
                                                  ("unavailable", "503")])
def test_provoke_errors(live_server, page, scenario: str, status: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    page.click(f"button[data-scenario={scenario}]")
    _wait_done(page)
    assert page.inner_text("#wb-sum-status").startswith(status)
    assert page.inner_text("#wb-explanation").startswith(status)
    assert page.get_attribute("#wb-explain", "class") == "notice bad"


def test_real_provider_without_a_key_says_so(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/api-basics")
    wait_until(page, "document.querySelectorAll('#wb-model option').length > 3")
    page.select_option("#wb-target", "provider")
    assert "No openai key is configured" in page.inner_text("#wb-target-note")
    page.click("#wb-send")
    page.wait_for_selector("#wb-error:not([hidden])")
    assert "OPENAI_API_KEY" in page.inner_text("#wb-error")


def test_usable_at_phone_width(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 380, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/labs/api-basics")
    page.click("button[data-scenario=truncated]")
    _wait_done(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    # The explanation's `code` spans are real <code> elements, not literal backticks.
    assert page.locator("#wb-explanation code", has_text="max_tokens").count() >= 1
    assert "`" not in page.inner_text("#wb-explanation")
    context.close()


# The selected option's text, measured in the select's own font, against the room inside it
# (its width less padding and the arrow).
_CLIPPED_SELECT = """(id) => {
  const select = document.getElementById(id);
  const style = getComputedStyle(select);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = select.options[select.selectedIndex].text;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - 24;
  return ctx.measureText(text).width > room ? text : null;
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_newcomer_snags_are_gone(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.conftest import assert_fits_viewport

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server}/labs/api-basics")
    wait_until(page, "document.querySelectorAll('#wb-model option').length > 3")
    # "Send to" reads whole, whichever target is chosen; the note says what it means.
    for target in ("sandbox", "provider"):
        page.select_option("#wb-target", target)
        assert page.evaluate(_CLIPPED_SELECT, "wb-target") is None
    # A refused provider request (no key in the tests) leaves no summary field at "…".
    page.click("#wb-send")
    page.wait_for_selector("#wb-error:not([hidden])")
    wait_until(page, "!document.getElementById('wb-send').disabled")
    summary = page.inner_text("#wb-summary")
    assert "…" not in summary and "not sent" in summary
    # The usage line lists the counts, not every zero detail field.
    page.select_option("#wb-target", "sandbox")
    page.uncheck("#wb-stream")  # one JSON body, every usage field in it
    page.click("#wb-send")
    _wait_done(page)
    usage = page.inner_text("#wb-sum-usage")
    assert re.search(r"prompt_tokens \d+ · completion_tokens \d+ · total_tokens \d+", usage)
    assert " 0 ·" not in usage and not usage.endswith(" 0")
    assert "other field" in usage  # the zero details are counted, and are in the raw body
    assert "cached_tokens" in page.inner_text("#wb-response-body")
    # The 429 scenario says that it sends max_tokens 1, not streamed.
    page.click("button[data-scenario=rate_limit]")
    _wait_done(page)
    intent = page.inner_text("#wb-intent")
    assert "max_tokens 1" in intent and "not streamed" in intent
    assert_fits_viewport(page, f"workbench at {width} px")
    context.close()
