"""Workload estimates: batch planning per model, words -> tokens, prompt-cache savings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apilab.errors import InvalidInputError, UnknownModelError
from apilab.pricing import estimate_workload, words_to_tokens

D = dt.date


def test_notes_example_by_tokens_and_by_words() -> None:
    by_tokens = estimate_workload("gpt-4o", 10_000, input_tokens_per_item=650,
                                  output_tokens_per_item=65, at=D(2024, 6, 1))
    assert by_tokens.rows[0].cost.total == Decimal("42.25")
    assert not by_tokens.tokens_from_words
    by_words = estimate_workload("gpt-4o", 10_000, words_per_item=500,
                                 output_tokens_per_item=65, at=D(2024, 6, 1))
    assert by_words.input_tokens_per_item == 650  # the notes' "500 words is about 650 tokens"
    assert by_words.tokens_from_words
    assert by_words.to_dict()["input_label"] == "estimated"
    assert any("estimated from words" in n for n in by_words.notes)


def test_words_to_tokens_rounds_up() -> None:
    assert words_to_tokens(1) == 2 and words_to_tokens(10) == 13 and words_to_tokens(0) == 0


def test_prompt_cache_savings_openai_and_anthropic() -> None:
    est = estimate_workload(["gpt-4o", "claude-sonnet-4-5"], 1_000, input_tokens_per_item=3_000,
                            output_tokens_per_item=100, cached_prefix_tokens=2_000,
                            at=D(2025, 10, 1))
    gpt, claude = est.rows
    # gpt-4o: 1M uncached + 2K first write at input rate + 1.998M cached at $1.25
    assert gpt.cached_cost is not None
    assert gpt.cached_cost.total == (Decimal(1_002_000) * Decimal("2.50")
                                     + Decimal(1_998_000) * Decimal("1.25")
                                     + Decimal(100_000) * 10) / 10**6
    assert gpt.savings == gpt.cost.total - gpt.cached_cost.total > 0
    # Claude: cache write once at $3.75, reads at $0.30
    assert claude.cached_cost is not None and claude.cached_cost.cache_write == Decimal("0.0075")
    assert claude.savings is not None and claude.savings > 0


def test_no_savings_where_cache_does_not_apply() -> None:
    est = estimate_workload(["gpt-4o", "claude-3-5-haiku-latest", "gpt-4"], 100,
                            input_tokens_per_item=3_000, output_tokens_per_item=10,
                            cached_prefix_tokens=1_500, at=D(2025, 3, 1))
    gpt4o, haiku, gpt4 = est.rows
    assert gpt4o.savings is not None
    assert haiku.savings is None and "2,048" in (haiku.cache_note or "")
    assert gpt4.savings is None and "no cached-input price" in (gpt4.cache_note or "")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"input_tokens_per_item": 10, "words_per_item": 10}, "either"),
    ({}, "either"),
    ({"input_tokens_per_item": 10, "cached_prefix_tokens": 20}, "longer than"),
    ({"input_tokens_per_item": -1}, "between"),
])
def test_bad_workloads_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        estimate_workload("gpt-4o", 10, **kwargs)


def test_zero_items_and_unknown_model() -> None:
    with pytest.raises(InvalidInputError, match="items"):
        estimate_workload("gpt-4o", 0, input_tokens_per_item=1)
    with pytest.raises(UnknownModelError):
        estimate_workload(["gpt-4o", "nope-model"], 1, input_tokens_per_item=1)
