"""Tokens and prices: exact offline token counts, a dated price table, cost estimates.

A leaf package (it imports only ``apilab.settings``/``apilab.errors``), used by the call
layer (TPM reservations, budgets, the ledger), the sandbox (``usage``), the lab assistant's
tools, the CLI (``apilab tokens|cost|prices``) and the Lab 3 calculator panel.

    count_text / count_messages   -> TokenCount (exact for OpenAI encodings, else estimated)
    get_price / list_models        -> PriceEntry (Decimal USD per 1M tokens, dated, sourced)
    cost / cost_from_usage         -> CostBreakdown (itemised, exact Decimals)
    estimate_workload              -> WorkloadEstimate (N items, per model, cache savings)

Unknown models raise ``UnknownModelError`` (with close matches); a date with no price
raises ``PriceNotFoundError``. Nothing here ever prices a call at $0 by default.
"""

from apilab.pricing.cost import CostBreakdown, cost, cost_from_usage, format_usd
from apilab.pricing.prices import (
    LongContextRate,
    PriceEntry,
    all_prices,
    get_price,
    list_models,
    resolve_model,
)
from apilab.pricing.tokens import TokenCount, count_messages, count_text, encoding_for_model
from apilab.pricing.workload import (
    WorkloadEstimate,
    WorkloadRow,
    estimate_workload,
    words_to_tokens,
)

__all__ = [
    "CostBreakdown",
    "LongContextRate",
    "PriceEntry",
    "TokenCount",
    "WorkloadEstimate",
    "WorkloadRow",
    "all_prices",
    "cost",
    "cost_from_usage",
    "count_messages",
    "count_text",
    "encoding_for_model",
    "estimate_workload",
    "format_usd",
    "get_price",
    "list_models",
    "resolve_model",
    "words_to_tokens",
]
