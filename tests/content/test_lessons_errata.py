"""Lessons 3 and 4 (and their answer cards) fix the course notes' errata and date their claims.

The notes give GPT-4o's *output* price as its input price, quote rate-limit tiers
as if they were permanent, date the Bing Chat injection demonstrations to
September 2023, and tell several anecdotes that cannot be verified. These tests
pin the corrected text so a later edit cannot quietly reintroduce the errors.
"""

from __future__ import annotations

import ast
import re

import pytest

from apilab.content.loader import load_course
from apilab.content.models import Card, Course, Lesson

SANDBOX_URL = "http://127.0.0.1:8000/sandbox/v1"


@pytest.fixture(scope="module")
def course() -> Course:
    return load_course()


@pytest.fixture(scope="module")
def lesson3(course: Course) -> Lesson:
    return course.lesson("rate-limits-and-cost")


@pytest.fixture(scope="module")
def lesson4(course: Course) -> Lesson:
    return course.lesson("production-prompts")


def _plain(markdown: str) -> str:
    """Lesson text without emphasis/code markers, whitespace collapsed."""
    return re.sub(r"\s+", " ", markdown.replace("*", "").replace("`", ""))


def _sentences(markdown: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", markdown.replace("*", "")) if s]


def _paragraphs(markdown: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, re.S)


def _card_texts(course: Course, *labs: str) -> list[tuple[str, str]]:
    return [(c.id, c.answer) for lab in labs for c in course.cards_for(lab)]


# --- lesson 3: prices -----------------------------------------------------------------------


def test_gpt4o_mid_2024_price_is_5_input_15_output(lesson3: Lesson) -> None:
    text = _plain(lesson3.body)
    assert re.search(r"GPT-4o \(launch\) \| 5\.00 \| 15\.00 \| May 2024", text)
    assert re.search(r"\$15/M was GPT-4o's output price; input was \$5/M", text)


def test_42_25_example_is_worked_with_input_and_output_prices(lesson3: Lesson) -> None:
    text = _plain(lesson3.body)
    assert "6,500,000 tokens; 6.5 x $5 = $32.50" in text
    assert "650,000 tokens; 0.65 x $15 = $9.75" in text
    assert "total: $42.25" in text


@pytest.mark.parametrize("lab", ["rate-limits-cost", "production-prompts"])
def test_no_text_calls_15_dollars_the_gpt4o_input_price(course: Course, lab: str) -> None:
    lesson = course.lesson_for_lab(lab)
    texts = [("lesson", lesson.body)] + _card_texts(course, lab)
    for where, body in texts:
        for sentence in _sentences(body):
            if "$15" in sentence and "input" in sentence and "GPT-4o" in sentence:
                # Only allowed where it states the output price or corrects the notes.
                assert "output" in sentence or "notes" in sentence, (where, sentence)


def test_later_and_mini_prices_are_dated(lesson3: Lesson) -> None:
    text = _plain(lesson3.body)
    assert "| 2.50 | 10.00 | Aug 2024 |" in text
    assert "GPT-4o mini | 0.15 | 0.60 | Jul 2024 |" in text
    assert "$0.30 + $0.30 = $0.60" in text


# --- lesson 3: tiers and anecdotes ----------------------------------------------------------


def test_tier_figures_are_dated_examples(lesson3: Lesson) -> None:
    body = lesson3.body
    for figure in ("2,000,000", "10,000 | 2,000,000", "| 3 | 40,000"):
        at = body.index(figure)
        window = body[max(0, at - 800) : at + 1500]
        assert "2024" in window, figure
        assert "dashboard" in window, figure
    assert "as published in 2024" in body.lower()


def test_free_tier_gpt4_claim_is_flagged(lesson3: Lesson) -> None:
    text = _plain(lesson3.body)
    assert 'The course notes say "3 RPM on GPT-4"' in text
    assert "GPT-4 was not on the free tier" in text


@pytest.mark.parametrize(
    ("lab", "marker"),
    [
        ("rate-limits-cost", "Notion"),
        ("rate-limits-cost", "$47,000"),
        ("production-prompts", "Stripe"),
    ],
)
def test_anecdotes_are_marked_reported(course: Course, lab: str, marker: str) -> None:
    lesson = course.lesson_for_lab(lab)
    paragraphs = [p for p in _paragraphs(lesson.body) if marker in p and "|" not in p]
    assert paragraphs, marker
    # The first telling of the story says it is reported.
    assert "reported" in paragraphs[0].lower(), paragraphs[0]
    for card_id, answer in _card_texts(course, lab):
        if marker in answer:
            assert "reported" in answer.lower(), card_id


def test_anecdote_sources_say_reported(lesson3: Lesson, lesson4: Lesson) -> None:
    anecdotes = {"notion-ai-launch", "runaway-47k", "stripe-docs-ai"}
    sources = {s.id: s for s in (*lesson3.sources, *lesson4.sources)}
    for source_id in anecdotes:
        assert "reported" in (sources[source_id].note or "").lower(), source_id


def test_every_source_is_dated_or_explained(lesson3: Lesson, lesson4: Lesson) -> None:
    for source in (*lesson3.sources, *lesson4.sources):
        assert source.date or source.note or source.url, source.id


def test_prompt_caching_figures(lesson3: Lesson) -> None:
    text = _plain(lesson3.body)
    assert "Anthropic (August 2024)" in text
    assert "at least 1,024 tokens" in text
    assert "5 minutes" in text
    assert "10% of the base input price" in text
    assert "1.25x" in text
    assert "OpenAI (October 2024)" in text
    assert "50% discount at launch" in text


# --- lesson 4: prompt-injection history -----------------------------------------------------


def test_bing_chat_injection_is_dated_early_2023(lesson4: Lesson) -> None:
    text = _plain(lesson4.body)
    assert "In February 2023 Stanford student Kevin Liu reportedly" in text
    assert "In February and March 2023, Kai Greshake and colleagues" in text
    assert "named in September 2022" in text


@pytest.mark.parametrize("lab", ["production-prompts"])
def test_september_2023_only_appears_as_a_correction(course: Course, lab: str) -> None:
    lesson = course.lesson_for_lab(lab)
    texts = [("lesson", lesson.body)] + _card_texts(course, lab)
    seen = False
    for where, body in texts:
        for sentence in _sentences(body):
            if "September 2023" in sentence:
                seen = True
                assert "course notes" in sentence, (where, sentence)
    assert seen, "the lesson should correct the notes' September 2023 dating"


# --- both lessons: coverage and runnable code ------------------------------------------------

LESSON3_TOPICS = [
    "RPM", "TPM", "ITPM", "OTPM", "max_tokens", "Retry-After", "retry-after-ms", "503",
    "529", "insufficient_quota", "thundering herd", "Full jitter", "Decorrelated jitter",
    "tiktoken", "0.75 words", "650 tokens", "GPT-4o mini", "Claude Haiku", "Batch API",
    "hard limit", "cache", "$47,000", "Notion", "four questions", "Try it in the lab",
    "token bucket", "max_retries=0",
]

LESSON4_TOPICS = [
    "Role", "Scope", "Format", "Tone and length", "Edge cases", "I don't know",
    "200 to 800", "version", "JSON mode", "json_schema", "strict", "Function calling",
    "tool use", "pydantic", "parse -> check the schema -> check business rules -> act",
    "XSS", "nh3", "Direct injection", "Indirect injection", "jailbreak", "Kevin Liu",
    "Greshake", "Least privilege", "Human confirmation", "Canary tokens", "timeouts",
    "Streaming", "Graceful degradation", "Stripe", "eval suite", "pass rates", "promptfoo",
    "CI", "LLM-as-judge", "Try it in the lab",
]


@pytest.mark.parametrize(
    ("lesson_id", "topics"),
    [("rate-limits-and-cost", LESSON3_TOPICS), ("production-prompts", LESSON4_TOPICS)],
)
def test_lesson_covers_every_topic(course: Course, lesson_id: str, topics: list[str]) -> None:
    text = _plain(course.lesson(lesson_id).body)
    missing = [t for t in topics if t.replace("`", "") not in text]
    assert not missing


@pytest.mark.parametrize("lesson_id", ["rate-limits-and-cost", "production-prompts"])
def test_lesson_length_and_structure(course: Course, lesson_id: str) -> None:
    body = course.lesson(lesson_id).body
    # Lesson 4 carries a runnable eval config and its output (issue 12): code, not prose.
    longest = 3500 if lesson_id == "production-prompts" else 3000
    assert 1500 <= len(body.split()) <= longest
    headings = re.findall(r"^## (.+)$", body, re.M)
    assert "Summary" in headings
    assert "Try it in the lab" in headings


@pytest.mark.parametrize("lesson_id", ["rate-limits-and-cost", "production-prompts"])
def test_lesson_code_is_valid_python_against_the_sandbox(course: Course, lesson_id: str) -> None:
    body = course.lesson(lesson_id).body
    blocks = _python_blocks(body)
    assert blocks
    for block in blocks:
        ast.parse(block)
    calls_api = [b for b in blocks if "openai.OpenAI(" in b]
    assert calls_api
    for block in calls_api:
        assert SANDBOX_URL in block
        assert 'os.environ["SANDBOX_API_KEY"]' in block
        assert "api_key=\"" not in block and "api_key='" not in block


# --- answer cards: the public sample questions -----------------------------------------------

SAMPLES: list[tuple[str, str, list[str]]] = [
    (
        "rate-limits-cost",
        "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?",
        ["per million", "input", "output", "$0.15", "$0.60", "$0.30", "total"],
    ),
    (
        "rate-limits-cost",
        "RPM vs TPM?",
        ["requests per minute", "tokens per minute", "at the same time", "max_tokens", "429"],
    ),
    (
        "rate-limits-cost",
        "Give me a backoff schedule for 5 retries starting at 1 second with a 30 second cap",
        ["| 1 | 1 s", "| 2 | 2 s", "| 3 | 4 s", "| 4 | 8 s", "| 5 | 16 s", "30 s", "jitter"],
    ),
    (
        "rate-limits-cost",
        "Why add jitter to retries?",
        ["de-synchronises", "thundering herd", "spike"],
    ),
    (
        "production-prompts",
        "How do I get JSON back that my code can parse reliably?",
        ["json_schema", "strict", "tool use", "JSON mode", "syntax", "pydantic", "finish_reason"],
    ),
    (
        "production-prompts",
        "What should a good system prompt contain?",
        ["Role", "Scope", "Format", "Tone and length", "Edge cases", "I don't know"],
    ),
    (
        "production-prompts",
        "I summarize web pages with an LLM. How could a page attack my app?",
        ["indirect prompt injection", "hidden", "data, not instructions", "no tools",
         "validate output"],
    ),
    (
        "production-prompts",
        "How do I test that a prompt change didn't break anything?",
        ["eval suite", "Representative cases", "Property asserts", "compare pass rates", "CI"],
    ),
]


def _card_for(course: Course, lab: str, question: str) -> Card:
    for card in course.cards_for(lab):
        if question in card.questions:
            return card
    raise AssertionError(f"no {lab} card lists the question {question!r}")


@pytest.mark.parametrize(("lab", "question", "ideas"), SAMPLES)
def test_sample_question_card_has_key_ideas(
    course: Course, lab: str, question: str, ideas: list[str]
) -> None:
    answer = _card_for(course, lab, question).answer.replace("*", "")
    missing = [idea for idea in ideas if idea not in answer]
    assert not missing


@pytest.mark.parametrize("lab", ["rate-limits-cost", "production-prompts"])
def test_card_sources_name_lesson_sources(course: Course, lab: str) -> None:
    source_ids = {s.id for s in course.lesson_for_lab(lab).sources}
    for card in course.cards_for(lab):
        assert set(card.sources) <= source_ids, card.id
        assert len(card.questions) >= 3, card.id
        assert 60 <= len(card.answer.split()) <= 200, card.id


# --- the lessons' code runs: executed against a fake OpenAI-compatible transport -------------


def _completion(content: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _error(status: int, message: str, code: str | None, headers: dict[str, str] | None = None):
    import httpx2 as httpx  # the openai SDK is built on httpx2

    body = {"error": {"message": message, "type": code or "server_error", "param": None,
                      "code": code}}
    return httpx.Response(status, json=body, headers=headers or {})


def _run_blocks(monkeypatch: pytest.MonkeyPatch, blocks: list[str], handler) -> dict:
    """Exec lesson code with openai.OpenAI wired to ``handler`` and sleeps recorded."""
    import functools
    import time

    import httpx2 as httpx  # the openai SDK is built on httpx2
    import openai

    sleeps: list[float] = []
    monkeypatch.setenv("SANDBOX_API_KEY", "sandbox-test-" + "x" * 8)
    monkeypatch.setattr(time, "sleep", sleeps.append)
    transport = httpx.MockTransport(handler)
    monkeypatch.setattr(
        openai, "OpenAI",
        functools.partial(openai.OpenAI, http_client=httpx.Client(transport=transport)),
    )
    namespace: dict = {"__name__": "lesson", "_sleeps": sleeps}
    for block in blocks:
        # dont_inherit: run the lesson as a learner would, without this file's __future__ flags.
        exec(compile(block, "<lesson>", "exec", dont_inherit=True), namespace)  # noqa: S102
    return namespace


def test_lesson3_retry_example_honours_retry_after_and_stops_on_quota(
    lesson3: Lesson, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import httpx2 as httpx  # the openai SDK is built on httpx2

    block = next(b for b in _python_blocks(lesson3.body) if "tenacity" in b)
    calls: list[httpx.Request] = []
    script = [
        _error(429, "Rate limit reached", "rate_limit_exceeded", {"retry-after-ms": "1500"}),
        _error(503, "overloaded", None),
        httpx.Response(200, json=_completion("A rate limit caps calls per minute.")),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return script[len(calls) - 1]

    ns = _run_blocks(monkeypatch, [block], handler)
    assert "A rate limit caps calls per minute." in capsys.readouterr().out
    assert len(calls) == 3
    assert str(calls[0].url).startswith(SANDBOX_URL)
    first_wait, second_wait = ns["_sleeps"]
    assert 1.5 <= first_wait <= 2.0  # retry-after-ms honoured, plus a little jitter
    assert 0 <= second_wait <= 2.0  # full jitter, attempt 2: uniform(0, 2)

    # Billing stops (insufficient_quota, OpenAI's hard spend-limit codes as of 2026-12) and
    # "request too large" are never retried.
    import openai

    for message, code in (("You exceeded your current quota", "insufficient_quota"),
                          ("Spend limit reached", "organization_spend_limit_exceeded"),
                          ("Spend limit reached", "project_spend_limit_exceeded"),
                          ("Request too large for gpt-4o", "rate_limit_exceeded")):
        calls.clear()
        script[:] = [_error(429, message, code)] * 3
        with pytest.raises(openai.RateLimitError):
            ns["ask"]("hello")
        assert len(calls) == 1, code


def test_lesson4_examples_validate_sanitise_and_fall_back(
    lesson4: Lesson, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    import httpx2 as httpx  # the openai SDK is built on httpx2

    def handler(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if payload.get("stream"):
            if payload["model"] == "gpt-4o":
                return _error(503, "overloaded", None)
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1,
                     "model": payload["model"],
                     "choices": [{"index": 0, "delta": {"content": "Fallback reply"},
                                  "finish_reason": None}]}
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"},
                content=f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n",
            )
        assert payload["response_format"]["json_schema"]["strict"] is True
        message = payload["messages"][-1]["content"]
        category = "billing" if "charged" in message else "bug" if "crash" in message else "other"
        refund = 49.0 if "$49" in message else (900.0 if "$900" in message else None)
        ticket = {"category": category, "priority": "normal", "summary": message[:60],
                  "refund_amount_usd": refund}
        return httpx.Response(200, json=_completion(json.dumps(ticket)))

    ns = _run_blocks(monkeypatch, _python_blocks(lesson4.body), handler)
    out = capsys.readouterr().out
    assert "category='billing'" in out and "refund_amount_usd=49.0" in out
    assert "onerror" not in out and "<strong>Thanks</strong>" in out
    assert "current: 1.0" in out  # the eval harness ran every case
    # Business rules reject what the schema allows.
    with pytest.raises(ValueError, match="route to a human"):
        ns["triage"]("I was charged $900 twice")
    # Canary check and the fallback chain.
    assert ns["safe_to_show"]("a normal answer")
    assert not ns["safe_to_show"](f"leaked {ns['canary']}")
    monkeypatch.setattr(ns["client"], "max_retries", 0)
    assert ns["answer"]("hi") == "Fallback reply"
