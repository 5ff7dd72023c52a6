"""Cost: the course notes' example, Decimal exactness, rounding, usage shapes, errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apilab.errors import InvalidInputError, PriceNotFoundError, UnknownModelError
from apilab.pricing import cost, cost_from_usage, format_usd

D = dt.date


def test_course_notes_ten_thousand_documents() -> None:
    """10,000 documents x 650 tokens in, ~65-token summaries out, gpt-4o mid-2024."""
    c = cost("gpt-4o", 6_500_000, 650_000, at=D(2024, 6, 1))
    assert c.input == Decimal("32.50")
    assert c.output == Decimal("9.75")
    assert c.total == Decimal("42.25")
    assert format_usd(c.total) == "$42.25"
    assert c.lines() == [
        ("input", 6_500_000, Decimal("5.00"), Decimal("32.50")),
        ("output", 650_000, Decimal("15.00"), Decimal("9.75")),
    ]


def test_same_workload_at_later_price() -> None:
    assert cost("gpt-4o", 6_500_000, 650_000, at=D(2025, 1, 1)).total == Decimal("22.75")


def test_amounts_are_exact_decimals() -> None:
    c = cost("gpt-4o-mini", 1, 1, at=D(2024, 8, 1))
    assert c.input == Decimal("0.00000015") and c.output == Decimal("0.0000006")
    assert c.total == Decimal("0.00000075")
    many = sum((cost("gpt-4o-mini", 1, 0, at=D(2024, 8, 1)).total for _ in range(10)), Decimal(0))
    assert many == Decimal("0.0000015")  # a float sum would drift


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal("42.25"), "$42.25"), (Decimal("0.005"), "$0.005"), (Decimal("0.015"), "$0.02"),
    (Decimal("1234.5"), "$1,234.50"), (Decimal("0.000000751"), "$0.00000075"),
    (Decimal(0), "$0.00"), (Decimal("-0.125"), "-$0.13"),
])
def test_format_usd_rounds_half_up_for_display(amount: Decimal, shown: str) -> None:
    assert format_usd(amount) == shown


def test_total_rounded_half_up_to_cent() -> None:
    c = cost("gpt-4o", 1_000, 1_000, at=D(2024, 6, 1))  # 0.005 + 0.015
    assert c.total == Decimal("0.02") and c.total_rounded == Decimal("0.02")
    c = cost("gpt-4o", 1_000, 0, at=D(2024, 6, 1))
    assert c.total_rounded == Decimal("0.01")  # 0.005 rounds up, not to even


def test_anthropic_cache_read_and_write_lines() -> None:
    c = cost("claude-sonnet-4-5", 1_000_000, 100_000, cached_input_tokens=2_000_000,
             cache_write_tokens=500_000, at=D(2025, 10, 1))
    assert [line[0] for line in c.lines()] == ["input", "cached input", "cache write", "output"]
    assert c.cached_input == Decimal("0.60")  # 2M x $0.30
    assert c.cache_write == Decimal("1.875")  # 0.5M x $3.75
    assert c.total == Decimal("3.00") + Decimal("0.60") + Decimal("1.875") + Decimal("1.50")


def test_cached_tokens_without_a_cache_rate_bill_as_input() -> None:
    c = cost("gpt-4o", 0, 0, cached_input_tokens=1_000_000, at=D(2024, 6, 1))
    assert c.total == Decimal("5.00")
    assert any("bill as input" in n for n in c.notes)


def test_unverified_price_is_flagged() -> None:
    c = cost("gemini-2.5-flash", 10, 10, at=D(2025, 9, 1))
    assert any("not verified" in n for n in c.notes)


def test_long_context_rates_apply_per_request_only_when_known() -> None:
    base = cost("claude-sonnet-4-5", 300_000, 1_000, at=D(2025, 10, 1))
    assert not base.long_context and base.input == Decimal("0.90")
    one = cost("claude-sonnet-4-5", 300_000, 1_000, at=D(2025, 10, 1), request_count=1)
    assert one.long_context and one.input == Decimal("1.80")
    two = cost("claude-sonnet-4-5", 300_000, 1_000, at=D(2025, 10, 1), request_count=2)
    assert not two.long_context  # 150K per request


def test_openai_usage_subtracts_cached_tokens() -> None:
    usage = {"prompt_tokens": 2_000, "completion_tokens": 100,
             "prompt_tokens_details": {"cached_tokens": 1_536}}
    c = cost_from_usage("gpt-4o", usage, at=D(2025, 1, 1))
    assert (c.input_tokens, c.cached_input_tokens, c.output_tokens) == (464, 1_536, 100)
    assert c.total == (464 * Decimal("2.50") + 1_536 * Decimal("1.25") + 100 * Decimal(10)) / (
        10**6)


def test_anthropic_and_gemini_usage_shapes() -> None:
    usage = {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 3000,
             "cache_creation_input_tokens": 1000}
    c = cost_from_usage("claude-3-5-haiku-latest", usage, at=D(2025, 3, 1))
    assert (c.input_tokens, c.cached_input_tokens, c.cache_write_tokens) == (10, 3000, 1000)
    gem = {"promptTokenCount": 1000, "cachedContentTokenCount": 400, "candidatesTokenCount": 50,
           "thoughtsTokenCount": 150}
    g = cost_from_usage("gemini-2.5-flash", gem, at=D(2025, 9, 1))
    assert (g.input_tokens, g.cached_input_tokens, g.output_tokens) == (600, 400, 200)
    responses = {"input_tokens": 100, "output_tokens": 5,
                 "input_tokens_details": {"cached_tokens": 60}}
    r = cost_from_usage("gpt-4o", responses, at=D(2025, 1, 1))
    assert (r.input_tokens, r.cached_input_tokens) == (40, 60)


def test_errors_never_zero() -> None:
    with pytest.raises(UnknownModelError):
        cost("gpt-9-ultra", 1, 1)
    with pytest.raises(PriceNotFoundError):
        cost("gpt-4o-mini", 1, 1, at=D(2024, 1, 1))
    with pytest.raises(InvalidInputError, match="negative"):
        cost("gpt-4o", -1, 0)
    with pytest.raises(InvalidInputError, match="whole number"):
        cost("gpt-4o", "lots", 0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="no token counts"):
        cost_from_usage("gpt-4o", {"total": 3})


def test_to_dict_is_json_ready() -> None:
    import json

    data = cost("gpt-4o", 6_500_000, 650_000, at=D(2024, 6, 1)).to_dict()
    assert data["total"] == "42.25" and data["total_display"] == "$42.25"
    assert json.loads(json.dumps(data)) == data

_MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "gpt-3.5-turbo"]
_tokens = st.integers(min_value=0, max_value=10**10)


@given(st.sampled_from(_MODELS), _tokens, _tokens, _tokens, _tokens, _tokens)
def test_cost_is_additive_and_never_zero_for_real_usage(model, a, b, out, cached, write) -> None:  # type: ignore[no-untyped-def]
    day = D(2025, 10, 1)
    whole = cost(model, a + b, out, cached, write, at=day)
    parts = cost(model, a, out, cached, write, at=day).total + cost(model, b, 0, at=day).total
    assert whole.total == parts  # exact: no rounding drift, however it is split
    assert whole.total == sum(line[3] for line in whole.lines())
    if a + b + out + cached + write:
        assert whole.total > 0
