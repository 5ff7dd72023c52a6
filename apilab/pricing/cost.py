"""Cost of a call or a batch: itemised, exact ``Decimal`` dollars from the dated price table.

This module owns turning token counts (or a provider's ``usage`` object) into money. The
token categories are disjoint, Anthropic-style, so nothing is billed twice:

    input_tokens         uncached input billed at the full input rate
    cached_input_tokens  input read from the prompt cache (cache hits)
    cache_write_tokens   input written to the prompt cache (Anthropic cache creation)
    output_tokens        everything generated, reasoning/thinking tokens included

OpenAI reports ``prompt_tokens`` *including* ``cached_tokens``; ``cost_from_usage`` does
that subtraction so callers can pass a provider's usage object as it came. Amounts are
exact (no float anywhere); ``format_usd`` rounds only for display.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from apilab.errors import InvalidInputError
from apilab.pricing.prices import PriceEntry, as_date, get_price, today

__all__ = ["CostBreakdown", "cost", "cost_from_usage", "format_usd"]

_MILLION = Decimal(1_000_000)
_CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class CostBreakdown:
    """An itemised cost in USD; every amount is an exact ``Decimal``."""

    model: str
    at: dt.date
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    input: Decimal
    output: Decimal
    cached_input: Decimal
    cache_write: Decimal
    total: Decimal
    price: PriceEntry
    rates: dict[str, Decimal]
    long_context: bool = False
    notes: tuple[str, ...] = ()

    def lines(self) -> list[tuple[str, int, Decimal, Decimal]]:
        """``(label, tokens, rate per 1M, amount)`` for each category that has tokens."""
        rows = [
            ("input", self.input_tokens, self.rates["input"], self.input),
            ("cached input", self.cached_input_tokens, self.rates["cached_input"],
             self.cached_input),
            ("cache write", self.cache_write_tokens, self.rates["cache_write"],
             self.cache_write),
            ("output", self.output_tokens, self.rates["output"], self.output),
        ]
        return [row for row in rows if row[1] or row[0] in {"input", "output"}]

    @property
    def total_rounded(self) -> Decimal:
        """The total rounded half-up to the cent, for display and invoices."""
        return self.total.quantize(_CENT, rounding=ROUND_HALF_UP)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; money as strings so no float ever appears."""
        return {
            "model": self.model,
            "at": self.at.isoformat(),
            "currency": self.price.currency,
            "lines": [
                {"label": label, "tokens": tokens, "rate_per_m": str(rate), "amount": str(amount),
                 "display": format_usd(amount)}
                for label, tokens, rate, amount in self.lines()
            ],
            "total": str(self.total),
            "total_display": format_usd(self.total),
            "long_context": self.long_context,
            "notes": list(self.notes),
            "price": self.price.to_dict(),
        }


def format_usd(amount: Decimal) -> str:
    """Dollars for display: cents from one cent up, more places below (``$0.000375``)."""
    if amount == 0:
        return "$0.00"
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value >= _CENT:
        return f"{sign}${value.quantize(_CENT, rounding=ROUND_HALF_UP):,}"
    text = f"{value.quantize(Decimal('0.00000001'), rounding=ROUND_HALF_UP):f}".rstrip("0")
    return f"{sign}${text}"


def _tokens(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            raise InvalidInputError(f"{name} must be a whole number of tokens.") from None
    if value < 0:
        raise InvalidInputError(f"{name} must not be negative (got {value}).")
    return value


def cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_tokens: int = 0,
    at: dt.date | None = None,
    *,
    request_count: int | None = None,
) -> CostBreakdown:
    """Itemised cost of the given tokens at the price in force on ``at`` (default today).

    Categories are disjoint (see the module docstring). Cached input on a model without a
    cache rate, and cache writes on a model without a write surcharge, bill at the input
    rate. ``request_count`` (when known) lets long-context tiers apply if the average
    prompt per request exceeds the tier's threshold; without it base rates are used.
    Unknown model or date -> ``UnknownModelError`` / ``PriceNotFoundError``, never $0.
    """
    input_tokens = _tokens("input_tokens", input_tokens)
    output_tokens = _tokens("output_tokens", output_tokens)
    cached_input_tokens = _tokens("cached_input_tokens", cached_input_tokens)
    cache_write_tokens = _tokens("cache_write_tokens", cache_write_tokens)
    price = get_price(model, at)
    notes: list[str] = []
    in_rate, out_rate = price.input_per_m, price.output_per_m
    cached_rate, write_rate = price.cached_input_per_m, price.cache_write_per_m
    long_context = False
    prompt = input_tokens + cached_input_tokens + cache_write_tokens
    lc = price.long_context
    if lc and request_count and prompt / request_count > lc.above_tokens:
        long_context = True
        in_rate, out_rate = lc.input_per_m, lc.output_per_m
        cached_rate = lc.cached_input_per_m or cached_rate
        write_rate = lc.cache_write_per_m or write_rate
        notes.append(f"Long-context rates: prompts above {lc.above_tokens:,} tokens.")
    if cached_rate is None:
        if cached_input_tokens:
            notes.append("No cached-input price for this model: cached tokens bill as input.")
        cached_rate = in_rate
    if write_rate is None:
        write_rate = in_rate
    if not price.verified:
        notes.append(f"Price not verified (source: {price.source}); check before relying on it.")
    day = as_date(at) or today()
    if day > today() and price.valid_to is None:
        # The table cannot know a future price: say which one was used, and how old it is.
        notes.append(f"{day} is in the future: this is the latest known price, in force since "
                     f"{price.valid_from} and last checked on {price.as_of}. Prices change.")
    amounts = {
        "input": input_tokens * in_rate / _MILLION,
        "output": output_tokens * out_rate / _MILLION,
        "cached_input": cached_input_tokens * cached_rate / _MILLION,
        "cache_write": cache_write_tokens * write_rate / _MILLION,
    }
    return CostBreakdown(
        model=price.model,
        at=day,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached_input_tokens,
        cache_write_tokens=cache_write_tokens,
        total=sum(amounts.values(), Decimal(0)),
        price=price,
        rates={"input": in_rate, "output": out_rate, "cached_input": cached_rate,
               "cache_write": write_rate},
        long_context=long_context,
        notes=tuple(notes),
        **amounts,
    )


def _get(usage: Mapping[str, Any], *path: str) -> int:
    value: Any = usage
    for key in path:
        if not isinstance(value, Mapping):
            return 0
        value = value.get(key)
    return _tokens(".".join(path), value or 0)


def cost_from_usage(
    model: str, usage: Mapping[str, Any], at: dt.date | None = None
) -> CostBreakdown:
    """Cost of one call from the provider's own ``usage`` object, whatever its shape.

    Understands OpenAI Chat Completions (``prompt_tokens`` incl.
    ``prompt_tokens_details.cached_tokens``), OpenAI Responses (``input_tokens`` incl.
    ``input_tokens_details.cached_tokens``), Anthropic Messages (``input_tokens`` excl.
    ``cache_read_input_tokens`` / ``cache_creation_input_tokens``) and Gemini
    ``usageMetadata`` (``promptTokenCount`` incl. ``cachedContentTokenCount``; thinking
    tokens bill as output).
    """
    if not isinstance(usage, Mapping):
        raise InvalidInputError("usage must be an object like the provider's 'usage' field.")
    if "promptTokenCount" in usage or "candidatesTokenCount" in usage:
        cached = _get(usage, "cachedContentTokenCount")
        prompt = _get(usage, "promptTokenCount")
        output = _get(usage, "candidatesTokenCount") + _get(usage, "thoughtsTokenCount")
        return cost(model, max(prompt - cached, 0), output, cached, 0, at, request_count=1)
    if "prompt_tokens" in usage:
        cached = _get(usage, "prompt_tokens_details", "cached_tokens")
        prompt = _get(usage, "prompt_tokens")
        output = _get(usage, "completion_tokens")
        return cost(model, max(prompt - cached, 0), output, cached, 0, at, request_count=1)
    if "input_tokens_details" in usage:
        cached = _get(usage, "input_tokens_details", "cached_tokens")
        prompt = _get(usage, "input_tokens")
        return cost(model, max(prompt - cached, 0), _get(usage, "output_tokens"), cached, 0, at,
                    request_count=1)
    if "input_tokens" in usage or "output_tokens" in usage:
        return cost(
            model,
            _get(usage, "input_tokens"),
            _get(usage, "output_tokens"),
            _get(usage, "cache_read_input_tokens"),
            _get(usage, "cache_creation_input_tokens"),
            at,
            request_count=1,
        )
    raise InvalidInputError(
        "usage has no token counts: expected prompt_tokens/completion_tokens (OpenAI), "
        "input_tokens/output_tokens (Anthropic) or promptTokenCount (Gemini)."
    )
