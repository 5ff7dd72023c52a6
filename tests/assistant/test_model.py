"""ModelAssistant: grounding, tools by function calling, streaming, budget fallback."""

from __future__ import annotations

import asyncio
import json

from apilab.assistant.base import ReplyDone, TextDelta, Turn
from apilab.assistant.model import ModelAssistant, load_system_prompt
from apilab.calls.ledger import MemoryLedger
from apilab.calls.stack import build_stack
from apilab.calls.state.memory import MemoryStore
from apilab.content import load_course
from apilab.providers.openai import OpenAIProvider
from tests.providers.mock_openai import MockOpenAI, error, sse

KEY = "sk-" + "model" + "z" * 30


def assistant_for(settings, mock: MockOpenAI, **overrides):  # type: ignore[no-untyped-def]
    settings = settings.with_overrides(backend="openai", model="gpt-4o-mini",
                                       fallback="offline", **overrides)
    sink = MemoryLedger()
    stack = build_stack(settings, sink=sink, store=MemoryStore(),
                        providers={"openai": OpenAIProvider(api_key=KEY,
                                                            http_client=mock.client())})
    return ModelAssistant(settings, stack), sink


def turn(message: str = "How much would 1,000 requests of 500 tokens cost on gpt-4o?") -> Turn:
    return Turn(lab=load_course().lab("rate-limits-cost"), message=message, history=[],
                learner_id=7)


def run(assistant: ModelAssistant, t: Turn) -> tuple[str, ReplyDone]:
    async def go() -> tuple[str, ReplyDone]:
        text, done = "", None
        async for event in assistant.respond(t):
            if isinstance(event, TextDelta):
                text += event.text
            else:
                done = event
        assert isinstance(done, ReplyDone)
        return text, done

    return asyncio.run(go())


def test_system_prompt_is_versioned_and_grounded(settings) -> None:  # type: ignore[no-untyped-def]
    assert "$grounding" in load_system_prompt("v1").template
    assistant, _ = assistant_for(settings, MockOpenAI(lambda b, n: sse(["ok"])))
    t = turn("What is exponential backoff with jitter?")
    docs = assistant.grounding(t)
    prompt = assistant.system_prompt(t, docs)
    assert docs and docs[0]["key"].startswith(("card:", "lesson:"))
    assert docs[0]["text"][:80] in prompt and t.lab.title in prompt and "$" + "lab" not in prompt


def test_tool_call_is_run_by_our_code_and_the_result_sent_back(settings) -> None:  # type: ignore[no-untyped-def]
    args = json.dumps({"text": "hello world", "model": "gpt-4o"})

    def responder(body, n):  # type: ignore[no-untyped-def]
        if n == 1:
            return sse([], tool=("count_tokens", args))
        return sse(["That text is", " 2 tokens."])

    mock = MockOpenAI(responder)
    assistant, sink = assistant_for(settings, mock)
    text, done = run(assistant, turn("How many tokens is 'hello world'?"))
    assert text == "That text is 2 tokens."
    assert done.tools_used == ["count_tokens"] and done.call_id
    assert done.backend == "openai:gpt-4o-mini"
    first = json.loads(mock.requests[0].content)
    assert {t["function"]["name"] for t in first["tools"]} >= {"count_tokens", "estimate_cost"}
    second = json.loads(mock.requests[1].content)
    tool_msg = second["messages"][-1]
    assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == "call_9"
    assert "2" in tool_msg["content"]
    assert [e.call["call_id"] for e in sink.entries] == [done.call_id] * 2
    assert [e.call["seq"] for e in sink.entries] == [0, 1]


def test_spent_budget_is_explained_with_figures_then_offline_answers(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda b, n: sse(["never"]))
    assistant, sink = assistant_for(settings, mock, budget_learner_daily_usd="0.0000001")
    text, done = run(assistant, turn("What is a rate limit?"))
    assert text.startswith("**Your daily AI budget is used up: $0.0000 of $0.0000")
    assert "offline tutor answers instead" in text
    assert done.backend == "offline" and done.meta["fallback_reason"] == "budget"
    assert done.call_id == sink.entries[0].call["call_id"] and mock.requests == []


def test_failing_model_falls_back_inside_the_stack(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda b, n: error(401, "bad key", code="invalid_api_key"))
    assistant, sink = assistant_for(settings, mock)
    text, done = run(assistant, turn("What is a rate limit?"))
    assert text and done.backend == "offline"
    assert done.meta["fallbacks"][0]["error"] == "AuthError"


def test_overlong_output_is_cut_with_a_note(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda b, n: sse(["word "] * 50))
    assistant, _ = assistant_for(settings, mock)
    assistant.max_reply_chars = 40
    text, done = run(assistant, turn("Tell me everything."))
    assert text.startswith("word " * 8) and "Reply shortened" in text and done.meta["cut"]


def test_class_budget_scope_is_applied_and_named(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda b, n: sse(["never"]))
    assistant, _ = assistant_for(settings, mock, budget_class="cs101",
                                 budget_class_daily_usd="0.0000001")
    text, done = run(assistant, turn("What is a rate limit?"))
    assert "The class 'cs101' daily AI budget is used up" in text
    assert done.meta["fallback_reason"] == "budget"


def test_from_settings_reuses_one_stack_per_settings_and_loop(settings) -> None:  # type: ignore[no-untyped-def]
    s = settings.with_overrides(backend="offline", fallback="")

    async def two() -> tuple[ModelAssistant, ModelAssistant]:
        return ModelAssistant.from_settings(s), ModelAssistant.from_settings(s)

    first, second = asyncio.run(two())
    assert first.stack is second.stack
    other, _ = asyncio.run(two())
    assert other.stack is not first.stack  # a new event loop gets its own clients


def test_endless_tool_calls_stop_after_the_round_limit(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda b, n: sse([], tool=("count_tokens", '{"text": "a"}')))
    assistant, sink = assistant_for(settings, mock)
    text, done = run(assistant, turn("Count forever."))
    assert "Stopped after 3 rounds" in text and len(mock.requests) == 4
    assert all("tools" in json.loads(r.content) for r in mock.requests)
    assert done.tools_used == ["count_tokens"] * 3
