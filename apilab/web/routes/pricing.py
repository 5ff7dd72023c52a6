"""Routes: the Lab 3 token counter and cost calculator's JSON API.

- ``GET  /api/pricing/models``    models with a price on a date (default today), for pickers.
- ``GET  /api/pricing/prices``    the dated table, optionally one model's history.
- ``POST /api/pricing/tokens``    count a text or a chat ``messages`` array (+ ``tools``).
- ``POST /api/pricing/cost``      itemised cost of token counts on a date.
- ``POST /api/pricing/estimate``  a workload priced on several models, with cache savings.

A thin translation of HTTP to ``apilab.pricing`` and back. Money travels as strings so no
float ever touches it; unknown models are 404 with close matches (the app's handler for
``NotFoundError``), bad input is 422. Errors are worded for the page (``web_message``): no
CLI commands, file names or Markdown backticks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.errors import InvalidInputError, NotFoundError, PriceNotFoundError, UnknownModelError
from apilab.pricing import (
    all_prices,
    cost,
    count_messages,
    count_text,
    encoding_for_model,
    estimate_workload,
    list_models,
)
from apilab.pricing.workload import TOKENS_PER_WORD, WorkloadEstimate

router = APIRouter()

MAX_TEXT_CHARS = 2_000_000  # ~500K tokens: far past any context window, still quick to count
MAX_MODELS = 40


class TokensIn(BaseModel):
    """Text, or a chat request, to count for one model."""

    model: str = Field("gpt-4o", description="Model name or alias.")
    text: str | None = Field(None, description="Plain text to count.")
    messages: list[dict[str, Any]] | None = Field(None, description="Chat messages array.")
    tools: list[dict[str, Any]] | None = Field(None, description="Tool definitions, if any.")


class CostIn(BaseModel):
    """Token counts to price."""

    model: str
    input_tokens: int = Field(ge=0, description="Uncached input tokens.")
    output_tokens: int = Field(ge=0)
    cached_input_tokens: int = Field(0, ge=0, description="Input read from the prompt cache.")
    cache_write_tokens: int = Field(0, ge=0, description="Input written to the prompt cache.")
    date: dt.date | None = Field(None, description="Price in force on this day (default today).")


class EstimateIn(BaseModel):
    """A batch workload to price on several models."""

    models: list[str] = Field(min_length=1, max_length=MAX_MODELS)
    items: int = Field(ge=1, description="How many requests (documents, messages...).")
    input_tokens_per_item: int | None = Field(None, ge=0)
    words_per_item: int | None = Field(None, ge=0, description="Converted at ~1.3 tokens/word.")
    output_tokens_per_item: int = Field(0, ge=0)
    cached_prefix_tokens: int = Field(0, ge=0, description="Shared, cacheable prompt prefix.")
    date: dt.date | None = None


@router.get("/api/pricing/models")
async def models(date: dt.date | None = None) -> dict[str, Any]:
    """Every model with a price on ``date`` (default today), and how its tokens are counted."""
    entries = list_models(date)
    return {
        "date": date.isoformat() if date else None,
        "tokens_per_word": str(TOKENS_PER_WORD),
        "models": [
            {**entry.to_dict(), "encoding": encoding_for_model(entry.model),
             "exact_tokens": encoding_for_model(entry.model) is not None}
            for entry in entries
        ],
    }


@router.get("/api/pricing/prices")
async def prices(model: str | None = None) -> dict[str, Any]:
    """The whole dated table (history included), or one model's history."""
    return {"prices": [entry.to_dict() for entry in all_prices(model)]}


def _count(body: TokensIn) -> dict[str, Any]:
    if (body.text is None) == (body.messages is None):
        raise InvalidInputError("Send either 'text' or 'messages' to count.")
    if body.messages is not None:
        count = count_messages(body.messages, body.model, tools=body.tools)
        kind = "messages"
    else:
        assert body.text is not None
        if len(body.text) > MAX_TEXT_CHARS:
            raise InvalidInputError(
                f"Text is {len(body.text):,} characters; the counter takes up to "
                f"{MAX_TEXT_CHARS:,}. Count it in parts."
            )
        count = count_text(body.text, body.model)
        kind = "text"
    return {**count.to_dict(), "input": kind}


def _for_the_web(exc: UnknownModelError | PriceNotFoundError) -> NotFoundError:
    """The same 404, worded for a page (the engine's message advises the command line)."""
    return NotFoundError(exc.web_message)


@router.post("/api/pricing/tokens")
async def tokens(body: TokensIn) -> dict[str, Any]:
    """Count tokens (exact for OpenAI encodings, otherwise a labelled estimate)."""
    try:
        return await run_in_threadpool(_count, body)
    except UnknownModelError as exc:
        raise _for_the_web(exc) from exc


@router.post("/api/pricing/cost")
async def price_tokens(body: CostIn) -> dict[str, Any]:
    """Itemised cost of token counts at the price in force on ``date``."""
    try:
        breakdown = cost(body.model, body.input_tokens, body.output_tokens,
                         body.cached_input_tokens, body.cache_write_tokens, at=body.date)
    except (UnknownModelError, PriceNotFoundError) as exc:
        raise _for_the_web(exc) from exc
    return breakdown.to_dict()


@router.post("/api/pricing/estimate")
async def estimate(body: EstimateIn) -> dict[str, Any]:
    """Price a workload on each model; a model with no price that day is reported, not $0."""
    kwargs: dict[str, Any] = {
        "input_tokens_per_item": body.input_tokens_per_item,
        "words_per_item": body.words_per_item,
        "output_tokens_per_item": body.output_tokens_per_item,
        "cached_prefix_tokens": body.cached_prefix_tokens,
        "at": body.date,
    }
    result: WorkloadEstimate | None = None
    rows: list[dict[str, Any]] = []
    missing: list[dict[str, str]] = []
    for name in dict.fromkeys(body.models):
        try:
            one = estimate_workload([name], body.items, **kwargs)
        except (UnknownModelError, PriceNotFoundError) as exc:  # say which, and why
            missing.append({"model": name, "error": exc.web_message})
            continue
        result = result or one
        rows.extend(row.to_dict() for row in one.rows)
    if result is None:
        day = body.date.isoformat() if body.date else "today"
        raise InvalidInputError(
            f"None of the chosen models has a price on {day}. "
            + " ".join(m["error"] for m in missing)
            + " Choose a date when they were on sale, or clear the date to use today's prices."
        )
    data = result.to_dict()
    data["rows"] = rows
    data["unpriced"] = missing
    return data
