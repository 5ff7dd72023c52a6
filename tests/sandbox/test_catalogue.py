"""The catalogue: the price table's models and aliases plus echo; counting and pricing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apilab.errors import NotFoundError
from apilab.pricing import cost, get_price
from apilab.sandbox import catalogue


def test_aliases_resolve_to_canonical_models() -> None:
    haiku = catalogue.lookup_model("claude-3-5-haiku-latest")
    assert haiku.id == "claude-3-5-haiku-20241022" and haiku.provider == "anthropic"
    assert haiku.cache_min_tokens == 2048
    assert catalogue.lookup_model("CLAUDE-SONNET-4-5").cache_min_tokens == 1024
    names = {name for name, _ in catalogue.list_catalogue()}
    assert {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "echo"} <= names
    assert any(n.startswith("gemini-") for n in names)


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(NotFoundError, match="gpt-4o"):
        catalogue.lookup_model("gpt-4oo")
    with pytest.raises(NotFoundError):
        catalogue.lookup_model("  ")


def test_prices_come_from_the_price_table() -> None:
    info = catalogue.lookup_model("gpt-4o")
    assert catalogue.price_usage(info, input_tokens=1000, output_tokens=500,
                                 cached_tokens=2048) == Decimal(
        cost("gpt-4o", 1000, 500, cached_input_tokens=2048).total)
    assert info.openai_object()["pricing"]["input_per_m"] == str(get_price("gpt-4o").input_per_m)
    echo = catalogue.lookup_model("echo")
    assert catalogue.price_usage(echo, input_tokens=10**6, output_tokens=10**6) == 0
    assert catalogue.count_text(echo, "hello world") == 2
