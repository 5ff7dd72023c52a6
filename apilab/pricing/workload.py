"""Batch planning: N items x tokens (or words) per item x expected output, priced per model.

This module owns the workload estimate behind the Lab 3 calculator and the assistant's
cost tool: the plain cost per model, and, where the model has cached-input pricing, the
cost when a shared prompt prefix (system prompt, instructions, few-shot examples) is served
from the provider's prompt cache. Words -> tokens is an approximation and is labelled so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal
from typing import Any

from apilab.errors import InvalidInputError
from apilab.pricing.cost import CostBreakdown, cost, format_usd
from apilab.pricing.prices import as_date, get_price

__all__ = [
    "TOKENS_PER_WORD",
    "WorkloadEstimate",
    "WorkloadRow",
    "estimate_workload",
    "min_cacheable_tokens",
    "words_to_tokens",
]

# The course notes' figure (a 500-word document is about 650 tokens). OpenAI's rule of thumb
# ("a token is about 3/4 of a word", i.e. 1.33) agrees within 3%. English prose only.
TOKENS_PER_WORD = Decimal("1.3")

# Shortest prompt prefix each provider caches. OpenAI: 1,024 tokens (Prompt Caching guide);
# Anthropic: 1,024 for Sonnet/Opus, 2,048 for the Haiku models (prompt caching docs);
# Gemini implicit caching: 1,024 for Flash, 2,048 for Pro (caching docs). Shorter prefixes
# are not cached, so no saving is shown for them.
_MIN_CACHE = {"openai": 1024, "anthropic": 1024, "google": 1024}
_MIN_CACHE_BY_PREFIX = {"claude-3-haiku": 2048, "claude-3-5-haiku": 2048,
                        "claude-haiku": 2048, "gemini-2.5-pro": 2048}

MAX_ITEMS = 10**12
MAX_TOKENS_PER_ITEM = 10**8


def min_cacheable_tokens(model: str, provider: str) -> int:
    """The shortest prefix the provider will cache for this model."""
    for prefix, minimum in _MIN_CACHE_BY_PREFIX.items():
        if model.startswith(prefix):
            return minimum
    return _MIN_CACHE.get(provider, 1024)


def words_to_tokens(words: int) -> int:
    """Approximate tokens for English words (x1.3, rounded up). An estimate, not a count."""
    return math.ceil(Decimal(words) * TOKENS_PER_WORD)


@dataclasses.dataclass(frozen=True)
class WorkloadRow:
    """One model's price for the workload, plain and with the prompt cache."""

    model: str
    provider: str
    cost: CostBreakdown
    cached_cost: CostBreakdown | None
    cache_note: str | None

    @property
    def savings(self) -> Decimal | None:
        """Dollars the prompt cache saves, or None when it does not apply."""
        return None if self.cached_cost is None else self.cost.total - self.cached_cost.total

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict for the calculator panel."""
        savings = self.savings
        return {
            "model": self.model,
            "provider": self.provider,
            "total": str(self.cost.total),
            "total_display": format_usd(self.cost.total),
            "cached_total": None if self.cached_cost is None else str(self.cached_cost.total),
            "cached_total_display": None if self.cached_cost is None
            else format_usd(self.cached_cost.total),
            "savings": None if savings is None else str(savings),
            "savings_display": None if savings is None else format_usd(savings),
            "cache_note": self.cache_note,
            "verified": self.cost.price.verified,
            "price": self.cost.price.to_dict(),
            "breakdown": self.cost.to_dict()["lines"],
            "cached_breakdown": None if self.cached_cost is None
            else self.cached_cost.to_dict()["lines"],
            "notes": list(self.cost.notes),
        }


@dataclasses.dataclass(frozen=True)
class WorkloadEstimate:
    """A priced workload: the inputs as understood, and one row per model."""

    items: int
    input_tokens_per_item: int
    output_tokens_per_item: int
    cached_prefix_tokens: int
    tokens_from_words: bool
    at: dt.date | None
    rows: list[WorkloadRow]

    @property
    def notes(self) -> list[str]:
        """What the numbers assume."""
        notes = []
        if self.tokens_from_words:
            notes.append(
                f"Input tokens estimated from words (x{TOKENS_PER_WORD}, English prose); "
                "paste a sample to count exactly."
            )
        if self.cached_prefix_tokens:
            notes.append(
                "Cache savings assume items run within the cache lifetime (5 minutes, "
                "refreshed on each hit), so the prefix is written once and read by the rest."
            )
        return notes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict for the calculator panel and the CLI."""
        return {
            "items": self.items,
            "input_tokens_per_item": self.input_tokens_per_item,
            "output_tokens_per_item": self.output_tokens_per_item,
            "cached_prefix_tokens": self.cached_prefix_tokens,
            "tokens_from_words": self.tokens_from_words,
            "input_label": "estimated" if self.tokens_from_words else "given",
            "at": self.at.isoformat() if self.at else None,
            "rows": [row.to_dict() for row in self.rows],
            "notes": self.notes,
        }


def _count(name: str, value: int | None, maximum: int, minimum: int = 0) -> int:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be a whole number.")
    if not minimum <= value <= maximum:
        raise InvalidInputError(f"{name} must be between {minimum:,} and {maximum:,}.")
    return value


def estimate_workload(
    models: list[str] | str,
    items: int,
    *,
    input_tokens_per_item: int | None = None,
    words_per_item: int | None = None,
    output_tokens_per_item: int = 0,
    cached_prefix_tokens: int = 0,
    at: dt.date | None = None,
) -> WorkloadEstimate:
    """Price ``items`` requests of the given size on each model.

    Give either ``input_tokens_per_item`` (exact, e.g. from ``count_text``) or
    ``words_per_item`` (converted at ``TOKENS_PER_WORD``, labelled estimated).
    ``cached_prefix_tokens`` is the part of each item's input that is the same for every
    item; where the model has cached-input pricing and the prefix is long enough to be
    cached, a second price with the cache is given.
    """
    at = as_date(at)
    names = [models] if isinstance(models, str) else list(models)
    if not names:
        raise InvalidInputError("Choose at least one model.")
    items = _count("items", items, MAX_ITEMS, minimum=1)
    if (input_tokens_per_item is None) == (words_per_item is None):
        raise InvalidInputError("Give either input tokens per item or words per item.")
    from_words = words_per_item is not None
    if words_per_item is not None:
        per_item = words_to_tokens(_count("words_per_item", words_per_item, MAX_TOKENS_PER_ITEM))
    else:
        per_item = _count("input_tokens_per_item", input_tokens_per_item, MAX_TOKENS_PER_ITEM)
    out = _count("output_tokens_per_item", output_tokens_per_item, MAX_TOKENS_PER_ITEM)
    prefix = _count("cached_prefix_tokens", cached_prefix_tokens, MAX_TOKENS_PER_ITEM)
    if prefix > per_item:
        raise InvalidInputError(
            f"The shared prefix ({prefix:,} tokens) cannot be longer than the input per item "
            f"({per_item:,} tokens)."
        )
    rows = []
    for name in dict.fromkeys(names):
        price = get_price(name, at)
        plain = cost(price.model, items * per_item, items * out, at=at, request_count=items)
        cached, note = None, None
        if prefix and price.cached_input_per_m is not None:
            minimum = min_cacheable_tokens(price.model, price.provider)
            if prefix < minimum:
                note = f"Prefix under {minimum:,} tokens: {price.model} does not cache it."
            else:
                cached = cost(
                    price.model,
                    input_tokens=items * (per_item - prefix),
                    output_tokens=items * out,
                    cached_input_tokens=(items - 1) * prefix,
                    cache_write_tokens=prefix,
                    at=at,
                    request_count=items,
                )
        elif prefix:
            note = f"{price.model} has no cached-input price in the table."
        rows.append(WorkloadRow(price.model, price.provider, plain, cached, note))
    return WorkloadEstimate(items, per_item, out, prefix, from_words, at, rows)
