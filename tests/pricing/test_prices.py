"""The price table: schema, date selection, aliases, and refusing to guess."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apilab.errors import ConfigError, InvalidInputError, PriceNotFoundError, UnknownModelError
from apilab.pricing import all_prices, get_price, list_models, resolve_model
from apilab.pricing.prices import parse_table

D = dt.date


def test_every_entry_is_positive_dated_and_sourced() -> None:
    entries = all_prices()
    assert len(entries) > 30
    for e in entries:
        assert isinstance(e.input_per_m, Decimal) and e.input_per_m > 0
        # Embeddings have no output tokens and so no output rate (0); everything else > 0.
        assert isinstance(e.output_per_m, Decimal)
        assert e.output_per_m > 0 or (e.kind == "embedding" and e.output_per_m == 0)
        assert e.cached_input_per_m is None or 0 < e.cached_input_per_m <= e.input_per_m
        assert e.source and e.as_of and e.currency == "USD"
        assert e.context_window > 0


@pytest.mark.parametrize(("model", "day", "expected"), [
    ("gpt-4o", D(2024, 6, 1), ("5.00", "15.00", None)),
    ("gpt-4o", D(2024, 10, 1), ("5.00", "15.00", None)),  # last day of the launch price
    ("gpt-4o", D(2024, 10, 2), ("2.50", "10.00", "1.25")),
    ("gpt-4o-mini", D(2024, 8, 1), ("0.15", "0.60", None)),
    ("gpt-4o-mini", D(2025, 1, 1), ("0.15", "0.60", "0.075")),
    ("gpt-3.5-turbo", D(2023, 3, 15), ("2.00", "2.00", None)),  # $0.002 per 1K tokens
    ("gpt-3.5-turbo-1106", D(2024, 1, 1), ("1.00", "2.00", None)),  # not the 0125 price
    ("claude-3-5-haiku-latest", D(2025, 3, 1), ("0.80", "4.00", "0.08")),
    ("claude-sonnet-4-5", D(2025, 10, 1), ("3.00", "15.00", "0.30")),
    ("claude-3-haiku", D(2025, 1, 1), ("0.25", "1.25", "0.03")),
    ("gemini-2.0-flash", D(2025, 6, 1), ("0.10", "0.40", "0.025")),
    ("gemini-2.5-flash", D(2025, 9, 1), ("0.30", "2.50", "0.075")),
])
def test_price_selected_by_date(model: str, day: dt.date, expected: tuple) -> None:
    entry = get_price(model, day)
    cached = None if entry.cached_input_per_m is None else str(entry.cached_input_per_m)
    assert (str(entry.input_per_m), str(entry.output_per_m), cached) == expected
    assert entry.covers(day)


def test_gpt_4o_mid_2024_price_is_verified_and_explains_the_erratum() -> None:
    entry = get_price("gpt-4o", D(2024, 6, 1))
    assert entry.verified
    assert "erratum" in (entry.note or "")


def test_anthropic_entries_carry_cache_write_rates() -> None:
    entry = get_price("claude-sonnet-4-5", D(2025, 10, 1))
    assert entry.cache_write_per_m == Decimal("3.75")
    assert entry.long_context is not None and entry.long_context.above_tokens == 200_000


def test_date_before_first_price_is_an_error_not_zero() -> None:
    with pytest.raises(PriceNotFoundError, match="first price starts on 2024-05-13"):
        get_price("gpt-4o", D(2023, 1, 1))


@pytest.mark.parametrize(("name", "canonical"), [
    ("GPT-4o", "gpt-4o"), (" gpt-4o-mini-2024-07-18 ", "gpt-4o-mini"),
    ("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"),
    ("openai/gpt-4o", "gpt-4o"), ("models/gemini-2.0-flash", "gemini-2.0-flash"),
])
def test_aliases_and_prefixes_resolve(name: str, canonical: str) -> None:
    assert resolve_model(name) == canonical


def test_unknown_model_is_refused_with_suggestions() -> None:
    with pytest.raises(UnknownModelError) as info:
        resolve_model("claude-3.5-haiku")
    assert any("haiku" in s for s in info.value.suggestions)
    with pytest.raises(InvalidInputError):
        resolve_model("  ")


def test_list_models_gives_one_current_entry_per_model() -> None:
    current = list_models(D(2025, 10, 1))
    models = [e.model for e in current]
    assert len(models) == len(set(models))
    assert "gpt-4o" in models and "claude-sonnet-4-5-20250929" in models
    assert all(e.covers(D(2025, 10, 1)) for e in current)
    assert "claude-sonnet-4-5-20250929" not in [e.model for e in list_models(D(2025, 1, 1))]


def test_to_dict_has_no_floats() -> None:
    data = get_price("gpt-4o", D(2024, 6, 1)).to_dict()
    assert data["input_per_m"] == "5.00" and data["valid_from"] == "2024-05-13"
    assert not any(isinstance(v, float) for v in data.values())


_ROW = """
models:
  - id: m
    provider: openai
    context_window: 10
    prices:
      - {valid_from: 2024-01-01, valid_to: %s, input: "%s", output: "1", source: "somewhere",
         as_of: 2024-01-01, verified: false}
      - {valid_from: 2024-06-01, input: "1", output: "1", source: "somewhere",
         as_of: 2024-01-01, verified: false}
"""


@pytest.mark.parametrize(("valid_to", "rate", "problem"), [
    ("2024-06-01", "1", "overlaps"),  # periods overlap by a day
    ("null", "1", "overlaps"),  # open-ended period followed by another
    ("2024-05-31", "0", "greater than 0"),  # a $0 price is never accepted
    ("2024-05-31", "1.5e", "input"),  # not a number
])
def test_schema_rejects_bad_tables(valid_to: str, rate: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_table(_ROW % (valid_to, rate))


def test_dates_given_as_datetimes_or_strings() -> None:
    aware = dt.datetime(2024, 10, 2, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert get_price("gpt-4o", aware).input_per_m == Decimal("5.00")  # 2024-10-01 in UTC
    assert get_price("gpt-4o", dt.datetime(2024, 10, 2, 12)).input_per_m == Decimal("2.50")
    assert get_price("gpt-4o", "2024-06-01").input_per_m == Decimal("5.00")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="2024-06-01"):
        get_price("gpt-4o", "last june")  # type: ignore[arg-type]


def test_embedding_rows_need_no_output_rate_but_chat_rows_do() -> None:
    from apilab.errors import ConfigError

    row = """models:
  - id: e1
    provider: openai
    kind: {kind}
    context_window: 8191
    prices:
      - valid_from: 2024-01-25
        input: "0.02"
        source: "a source"
        as_of: 2024-01-25
        verified: true
"""
    table = parse_table(row.format(kind="embedding"))
    assert table.entries["e1"][0].kind == "embedding"
    assert table.entries["e1"][0].output_per_m == 0
    with pytest.raises(ConfigError, match="no output rate"):
        parse_table(row.format(kind="chat"))
