"""Prompt caching: OpenAI cached_tokens and Anthropic cache_control, billed at cached rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apilab.pricing import cost
from apilab.sandbox.caching import PromptCache, openai_cached_tokens

LONG = " ".join(["The sandbox keeps a long shared system prompt for this test."] * 160)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_openai_increments() -> None:
    assert openai_cached_tokens(1023) == 0
    assert openai_cached_tokens(1024) == 1024
    assert openai_cached_tokens(1151) == 1024
    assert openai_cached_tokens(1152) == 1152


def test_openai_prefix_hits_within_ttl_only() -> None:
    clock = Clock()
    cache = PromptCache(clock)
    system = {"role": "system", "content": "x"}

    def count(prefix):  # type: ignore[no-untyped-def]
        return 1500 * len(prefix)

    first = [system, {"role": "user", "content": "a"}]
    assert cache.openai("k", "m", first, None, 3000, count) == 0
    second = [system, {"role": "user", "content": "b"}]
    assert cache.openai("k", "m", second, None, 3000, count) == 1408  # system prefix: 1500
    assert cache.openai("other-key", "m", second, None, 3000, count) == 0
    clock.now += 301
    assert cache.openai("k", "m", [system, {"role": "user", "content": "c"}], None, 3000,
                        count) == 0


def test_anthropic_write_then_read_and_minimum() -> None:
    cache = PromptCache(Clock())
    blocks = [({"type": "text", "text": "sys"}, "5m"), ({"type": "text", "text": "q1"}, None)]
    first = cache.anthropic("k", "m", blocks, lambda p: 2000 * len(p), 1024, 2100)
    assert (first.read, first.write_5m) == (0, 2000)
    second = cache.anthropic("k", "m", blocks, lambda p: 2000 * len(p), 1024, 2100)
    assert (second.read, second.write) == (2000, 0)
    small = cache.anthropic("k", "m2", blocks, lambda p: 500 * len(p), 1024, 600)
    assert (small.read, small.write) == (0, 0)


def test_openai_cached_tokens_reported_and_billed(oai, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    def ask(question: str):  # type: ignore[no-untyped-def]
        return oai.chat.completions.create(model="gpt-4o", messages=[
            {"role": "system", "content": LONG}, {"role": "user", "content": question}])

    first = ask("First question?")
    assert first.usage.prompt_tokens > 1024
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    second = ask("A different question?")
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= 1024 and (cached - 1024) % 128 == 0
    assert cached <= second.usage.prompt_tokens
    record = keys.list_keys(sandbox_db)[0]
    entry = keys.key_usage(sandbox_db, record.id)[0]
    assert entry.cached_tokens == cached
    expected = cost("gpt-4o", second.usage.prompt_tokens - cached,
                    second.usage.completion_tokens, cached_input_tokens=cached).total
    assert entry.cost == Decimal(expected)
    uncached = cost("gpt-4o", second.usage.prompt_tokens, second.usage.completion_tokens).total
    assert entry.cost < uncached


@pytest.mark.parametrize("model", ["claude-sonnet-4-5"])
def test_anthropic_cache_control(ant, sandbox_db, model: str) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]

    def ask(question: str):  # type: ignore[no-untyped-def]
        return ant.messages.create(model=model, max_tokens=20, system=system,
                                   messages=[{"role": "user", "content": question}])

    first = ask("One?")
    assert first.usage.cache_creation_input_tokens > 1024
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == \
        first.usage.cache_creation_input_tokens
    second = ask("Two?")
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens < 50  # only the uncached remainder
    record = keys.list_keys(sandbox_db)[0]
    read_entry, write_entry = keys.key_usage(sandbox_db, record.id)[:2]
    assert write_entry.cache_write_tokens == first.usage.cache_creation_input_tokens
    assert read_entry.cached_tokens == second.usage.cache_read_input_tokens
    assert read_entry.cost < write_entry.cost


def test_too_many_breakpoints_is_400(ant) -> None:  # type: ignore[no-untyped-def]
    import anthropic

    block = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    with pytest.raises(anthropic.BadRequestError) as info:
        ant.messages.create(model="claude-sonnet-4-5", max_tokens=5, system=[block] * 5,
                            messages=[{"role": "user", "content": "hi"}])
    assert "maximum of 4" in info.value.message
