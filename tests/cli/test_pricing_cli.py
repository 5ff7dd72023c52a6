"""`apilab tokens`, `apilab cost`, `apilab prices`: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apilab.cli import app

runner = CliRunner()


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def test_cost_course_notes_example() -> None:
    result = run("cost", "--model", "gpt-4o", "--date", "2024-06-01",
                 "--input-tokens", "6500000", "--output-tokens", "650000")
    assert result.exit_code == 0, result.output
    assert "Total: $42.25 ($32.50 input + $9.75 output)" in result.output
    assert "verified" in result.output


def test_cost_json_has_exact_strings() -> None:
    result = run("cost", "--model", "gpt-4o", "--date", "2024-06-01", "--input-tokens",
                 "6500000", "--output-tokens", "650000", "--cached-input-tokens", "0", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["total"] == "42.25"
    assert [line["amount"] for line in data["lines"]] == ["32.50", "9.75"]


def test_cost_with_cache_lines_and_unverified_note() -> None:
    result = run("cost", "-m", "claude-sonnet-4-5", "--date", "2025-10-01", "--input-tokens",
                 "1000", "--output-tokens", "10", "--cached-input-tokens", "100000",
                 "--cache-write-tokens", "5000")
    assert result.exit_code == 0
    assert "cached input" in result.output and "cache write" in result.output
    assert "UNVERIFIED" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "gpt4o"], "Did you mean: gpt-4o"),
    (["--model", "gpt-4o", "--date", "2023-01-01"], "No price for gpt-4o on 2023-01-01"),
    (["--model", "gpt-4o", "--date", "June 1st"], "--date must look like"),
])
def test_cost_bad_input_exits_2_with_a_message(args: list[str], message: str) -> None:
    result = run("cost", *args, "--input-tokens", "1", "--output-tokens", "1")
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cost_negative_tokens_is_a_usage_error() -> None:
    assert run("cost", "-m", "gpt-4o", "--input-tokens", "-5", "--output-tokens", "1"
               ).exit_code == 2


def test_tokens_text_from_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    path.write_text("tiktoken is great!", encoding="utf-8")
    result = run("tokens", "--model", "gpt-4o", str(path))
    assert result.exit_code == 0
    assert result.output.startswith("6 tokens (exact) for gpt-4o")


def test_tokens_messages_from_stdin_json() -> None:
    payload = json.dumps({"messages": [{"role": "user", "content": "hi"}], "tools": []})
    result = run("tokens", "-m", "gpt-4o-mini", "--json", "-", stdin=payload)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["tokens"] == 3 + 1 + 1 + 3 and data["exact"] is True
    assert data["input"].startswith("chat request (1 message)")


def test_tokens_text_flag_counts_json_as_text() -> None:
    payload = '[{"role": "user", "content": "hi"}]'
    result = run("tokens", "--text", "--json", "-", stdin=payload)
    assert json.loads(result.output)["input"].startswith("text")


def test_tokens_claude_is_labelled_estimated() -> None:
    result = run("tokens", "-m", "claude-3-5-haiku-latest", "-", stdin="hello there")
    assert result.exit_code == 0
    assert "(estimated)" in result.output and "not public" in result.output


def test_tokens_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("tokens", str(tmp_path / "missing.txt"))
    assert result.exit_code == 2
    assert "No such file" in result.output


def test_prices_lists_current_and_history() -> None:
    result = run("prices")
    assert result.exit_code == 0
    assert "gpt-4o-mini" in result.output and "claude-sonnet-4-5" in result.output
    history = run("prices", "--model", "gpt-4o")
    assert history.output.count("\ngpt-4o ") == 2
    assert "$5.00" in history.output and "$2.50" in history.output


def test_prices_json_for_a_date() -> None:
    result = run("prices", "--model", "gpt-4o", "--date", "2024-06-01", "--json")
    assert result.exit_code == 0
    (entry,) = json.loads(result.output)
    assert (entry["input_per_m"], entry["output_per_m"]) == ("5.00", "15.00")


def test_prices_unknown_model_exits_2() -> None:
    result = run("prices", "--model", "nope")
    assert result.exit_code == 2 and "Unknown model" in result.output


def test_tokens_remote_needs_a_key_and_a_claude_or_gemini_model() -> None:
    missing = run("tokens", "--remote", "-m", "claude-sonnet-4-5", "-", stdin="hello")
    assert missing.exit_code == 2
    assert "No API key for anthropic" in missing.output and "ANTHROPIC_API_KEY" in missing.output
    openai = run("tokens", "--remote", "-m", "gpt-4o", "-", stdin="hello")
    assert openai.exit_code == 2 and "exactly offline" in openai.output


def test_cost_on_a_future_date_says_the_price_is_the_latest_known_and_dated() -> None:
    result = runner.invoke(app, ["cost", "--model", "gpt-4o", "--input-tokens", "1000",
                                 "--output-tokens", "100", "--date", "2030-01-01"])
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("gpt-4o on 2030-01-01: price in force since ")
    assert "to still in force" not in result.stdout
    assert "2030-01-01 is in the future: this is the latest known price" in result.stdout
    assert "last checked on 20" in result.stdout
    past = runner.invoke(app, ["cost", "--model", "gpt-4o", "--input-tokens", "1000",
                               "--output-tokens", "100", "--date", "2024-06-01"]).stdout
    assert "price in force 2024-05-13 to 2024-10-01" in past
    assert "in the future" not in past
