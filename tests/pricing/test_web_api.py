"""The calculator's JSON API (apilab/web/routes/pricing.py) through the in-process app."""

from __future__ import annotations

import datetime as dt

import pytest


def test_models_lists_current_prices_and_counting_method(client) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/api/pricing/models").json()
    by_id = {m["model"]: m for m in data["models"]}
    assert by_id["gpt-4o"]["exact_tokens"] is True
    assert by_id["gpt-4o"]["encoding"] == "o200k_base"
    assert by_id["claude-sonnet-4-5-20250929"]["exact_tokens"] is False
    assert isinstance(by_id["gpt-4o"]["input_per_m"], str)
    dated = client.get("/api/pricing/models", params={"date": "2024-06-01"}).json()
    gpt = next(m for m in dated["models"] if m["model"] == "gpt-4o")
    assert gpt["input_per_m"] == "5.00"


def test_prices_history_for_one_model(client) -> None:  # type: ignore[no-untyped-def]
    rows = client.get("/api/pricing/prices", params={"model": "gpt-4o"}).json()["prices"]
    assert [r["input_per_m"] for r in rows] == ["5.00", "2.50"]
    assert client.get("/api/pricing/prices", params={"model": "gtp-4o"}).status_code == 404


def test_count_text_and_messages(client) -> None:  # type: ignore[no-untyped-def]
    text = client.post("/api/pricing/tokens",
                       json={"model": "gpt-4o", "text": "tiktoken is great!"})
    assert text.status_code == 200
    assert text.json()["tokens"] == 6 and text.json()["label"] == "exact"
    msgs = client.post("/api/pricing/tokens", json={
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).json()
    assert msgs["tokens"] == 8 and msgs["input"] == "messages"
    claude = client.post("/api/pricing/tokens", json={"model": "claude-3-haiku", "text": "hello"})
    assert claude.json()["label"] == "estimated"


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"model": "gpt-4o"}, 422, "either 'text' or 'messages'"),
    ({"model": "gpt-4o", "text": "a", "messages": [{"role": "user"}]}, 422, "either"),
    ({"model": "gpt4o", "text": "a"}, 404, "Did you mean"),
    ({"model": "gpt-4o", "messages": [{"content": "x"}]}, 422, "role"),
])
def test_count_errors_are_clear(client, body: dict, status: int, fragment: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/pricing/tokens", json=body)
    assert response.status_code == status
    assert fragment in response.json()["error"]


def test_cost_course_notes_example(client) -> None:  # type: ignore[no-untyped-def]
    data = client.post("/api/pricing/cost", json={
        "model": "gpt-4o", "input_tokens": 6_500_000, "output_tokens": 650_000,
        "date": "2024-06-01"}).json()
    assert data["total"] == "42.25" and data["total_display"] == "$42.25"
    missing = client.post("/api/pricing/cost", json={
        "model": "gpt-4o", "input_tokens": 1, "output_tokens": 1, "date": "2020-01-01"})
    assert missing.status_code == 404 and "No price" in missing.json()["error"]
    negative = client.post("/api/pricing/cost", json={
        "model": "gpt-4o", "input_tokens": -1, "output_tokens": 1})
    assert negative.status_code == 422


def test_estimate_compares_models_and_reports_unpriced(client) -> None:  # type: ignore[no-untyped-def]
    data = client.post("/api/pricing/estimate", json={
        "models": ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5"], "items": 10_000,
        "input_tokens_per_item": 650, "output_tokens_per_item": 65, "date": "2024-08-01"}).json()
    totals = {row["model"]: row["total"] for row in data["rows"]}
    assert totals == {"gpt-4o": "42.25", "gpt-4o-mini": "1.365"}
    assert data["unpriced"][0]["model"] == "claude-sonnet-4-5"
    assert "No price" in data["unpriced"][0]["error"]


def test_estimate_with_words_and_cache(client) -> None:  # type: ignore[no-untyped-def]
    data = client.post("/api/pricing/estimate", json={
        "models": ["gpt-4o-mini"], "items": 100, "words_per_item": 2_000,
        "output_tokens_per_item": 10, "cached_prefix_tokens": 1_500}).json()
    assert data["input_label"] == "estimated" and data["input_tokens_per_item"] == 2_600
    row = data["rows"][0]
    assert row["savings"] is not None and float(row["savings"]) > 0


def test_estimate_bad_input(client) -> None:  # type: ignore[no-untyped-def]
    none_priced = client.post("/api/pricing/estimate", json={
        "models": ["nope"], "items": 1, "input_tokens_per_item": 1})
    assert none_priced.status_code == 422 and "Unknown model" in none_priced.json()["error"]
    both = client.post("/api/pricing/estimate", json={
        "models": ["gpt-4o"], "items": 1, "input_tokens_per_item": 1, "words_per_item": 1})
    assert both.status_code == 422
    zero = client.post("/api/pricing/estimate", json={
        "models": ["gpt-4o"], "items": 0, "input_tokens_per_item": 1})
    assert zero.status_code == 422


def test_lab_page_renders_the_calculator_partial(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/labs/rate-limits-cost")
    assert page.status_code == 200
    for marker in ('id="calc-count-form"', 'id="calc-workload-form"', 'id="calc-chart"',
                   "/static/calculator.js", "/static/calculator.css"):
        assert marker in page.text
    assert client.get("/static/calculator.js").status_code == 200


def test_errors_are_worded_for_the_web_not_the_command_line(client) -> None:  # type: ignore[no-untyped-def]
    cli_words = ("`", "apilab ", "prices.yaml", "--model")
    unknown = client.post("/api/pricing/cost", json={"model": "gpt-4-turbo-ultra",
                                                     "input_tokens": 1, "output_tokens": 1})
    assert unknown.status_code == 404 and "Unknown model" in unknown.json()["error"]
    no_price = client.post("/api/pricing/cost", json={"model": "gpt-4o", "input_tokens": 1,
                                                      "output_tokens": 1, "date": "2020-01-01"})
    assert no_price.status_code == 404 and "No price for gpt-4o on 2020-01-01" in \
        no_price.json()["error"]
    none = client.post("/api/pricing/estimate", json={
        "models": ["gpt-4o", "gpt-4o-mini"], "items": 10, "input_tokens_per_item": 100,
        "date": "2020-01-01"})
    assert none.status_code == 422
    message = none.json()["error"]
    assert message.startswith("None of the chosen models has a price on 2020-01-01.")
    assert "clear the date" in message
    for text in (unknown.json()["error"], no_price.json()["error"], message):
        assert not any(word in text for word in cli_words), text
    # The engine's own message still advises the command line.
    from apilab.errors import PriceNotFoundError
    from apilab.pricing import get_price

    with pytest.raises(PriceNotFoundError, match="apilab prices"):
        get_price("gpt-4o", dt.date(2020, 1, 1))


def test_a_future_date_is_priced_at_the_latest_known_price_and_says_so(client) -> None:  # type: ignore[no-untyped-def]
    data = client.post("/api/pricing/estimate", json={
        "models": ["gpt-4o"], "items": 10, "input_tokens_per_item": 100,
        "date": "2030-01-01"}).json()
    notes = data["rows"][0]["notes"]
    assert any("2030-01-01 is in the future: this is the latest known price" in n for n in notes)
