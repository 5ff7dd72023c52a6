"""Token estimates and prices for the call layer, on top of ``apilab.pricing``.

The layer needs two numbers before a call goes out (input tokens for the TPM
reservation, worst-case dollars for the budget) and one after (the actual
cost). Models the price table does not know (a local Ollama model, say) get a
labelled chars/4 estimate for tokens and ``None`` for price; the budget layer
decides what an unpriced model means.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING

from apilab.errors import ApilabError

if TYPE_CHECKING:
    from apilab.calls.base import Call, Usage

__all__ = ["NANO", "estimate_input", "from_nano", "price", "to_nano"]

NANO = Decimal("1000000000")  # budgets count integer nano-dollars: exact and atomic in Redis


def to_nano(usd: Decimal) -> int:
    """Dollars -> integer nano-dollars, rounded up (a reservation never rounds down)."""
    return int((usd * NANO).to_integral_value(rounding=ROUND_CEILING))


def from_nano(amount: int) -> Decimal:
    return Decimal(amount) / NANO


def _as_messages(call: Call) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = []
    if call.system:
        messages.append({"role": "system", "content": call.system})
    for message in call.messages:
        messages.append({k: v for k, v in message.items() if k in ("role", "content", "name")}
                        | {"content": message.get("content") or ""})
    return messages


def estimate_input(call: Call) -> tuple[int, str]:
    """Input tokens of ``call`` and how they were counted (exact tiktoken or estimate)."""
    tools = None
    if call.tools:
        tools = [{"type": "function", "function": t} for t in call.tools]
    try:
        from apilab.pricing import count_messages

        counted = count_messages(_as_messages(call), call.model, tools=tools)
        return counted.tokens, counted.method
    except ApilabError:
        chars = sum(len(str(m.get("content") or "")) for m in call.messages)
        chars += len(call.system or "") + len(str(call.tools or ""))
        return math.ceil(chars / 4) + 4 * (len(call.messages) + 1), "estimate:chars/4"


def price(model: str, usage: Usage) -> Decimal | None:
    """What ``usage`` costs on ``model`` today, or None when the table has no price.

    ``Usage.input_tokens`` counts every prompt token (cached and cache writes
    included); the price table's categories are disjoint, hence the subtraction.
    """
    from apilab.pricing.prices import today

    return _price_on(model, usage, today())


@functools.lru_cache(maxsize=1024)
def _price_on(model: str, usage: Usage, day: dt.date) -> Decimal | None:
    # Cached per (model, usage, UTC day): the same reservation (prompt + max_tokens) and
    # the same settled usage repeat call after call, and Decimal arithmetic over the
    # price table is a measurable part of the layer's per-call work. The day is in the
    # key because prices change at UTC midnight.
    try:
        from apilab.pricing import cost

        return cost(
            model,
            max(usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens, 0),
            usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            at=day,
        ).total
    except ApilabError:
        return None
