"""`apilab ask / reset / progress`: one exchange per call, JSON shapes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from apilab.cli import app
from tests.assistant._helpers import fake_openai_key

runner = CliRunner()


def _ask(*args: str) -> dict:
    result = runner.invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ask_json_shape_and_three_calls_complete_the_lab() -> None:
    first = _ask("--lab", "api-basics", "What goes in the Authorization header?")
    assert set(first) == {"reply", "counted", "why_not_counted", "objectives_covered",
                          "backend", "answer_kind", "card", "retracted_reply_id"}
    assert first["counted"] is True and first["why_not_counted"] is None
    assert first["answer_kind"] == "answer" and first["card"]  # which card answered
    assert first["backend"] == "offline" and "Bearer" in first["reply"]
    assert "request-anatomy" in first["objectives_covered"]
    _ask("--lab", "api-basics", "Why does my chatbot forget what I said two messages ago?")
    _ask("--lab", "api-basics", "How do I show the answer while it's being generated?")
    progress = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    lab = next(x for x in progress["labs"] if x["lab"] == "api-basics")
    assert lab["exchange_count"] == 3 and lab["completed"] and lab["completed_at"]
    assert {"request-anatomy", "stateless-context", "streaming"} <= set(
        lab["objectives_covered"])
    other = next(x for x in progress["labs"] if x["lab"] == "key-security")
    assert other["exchange_count"] == 0 and other["completed_at"] is None


def test_ask_text_mode_prints_the_reply_and_the_count() -> None:
    result = runner.invoke(app, ["ask", "--lab", "rate-limits-cost", "RPM vs TPM?"])
    assert result.exit_code == 0
    assert "tokens per minute" in result.stdout
    assert "Exchange counted (1/3)" in result.output


def test_counts_past_the_labs_need_are_not_shown_as_a_fraction() -> None:
    questions = ["RPM vs TPM?", "How do I add jitter to backoff?", "What is a 429?",
                 "How much do 1M input tokens cost on gpt-4o-mini?"]
    for question in questions:
        result = runner.invoke(app, ["ask", "--lab", "rate-limits-cost", question])
        assert result.exit_code == 0
    assert "(4/3)" not in result.output
    assert "Exchange counted (4 in this lab; it needed 3)." in result.output


def test_offline_note_once_per_conversation() -> None:
    first = runner.invoke(app, ["ask", "--lab", "production-prompts", "What is a system prompt?"])
    second = runner.invoke(app, ["ask", "--lab", "production-prompts", "What is JSON mode?"])
    assert "offline tutor" in first.output and "APILAB_BACKEND" in first.output
    assert "APILAB_BACKEND" not in second.output
    assert "APILAB_BACKEND" not in first.stdout  # the note is not part of the reply itself


def test_off_topic_says_why_not_counted() -> None:
    out = _ask("--lab", "api-basics", "What's the best pizza in Rome?")
    assert out["counted"] is False and "Not counted" in out["why_not_counted"]


def test_pasted_key_is_not_echoed() -> None:
    key = fake_openai_key()
    result = runner.invoke(app, ["ask", "--lab", "key-security", "--json", f"my key {key}"])
    assert result.exit_code == 0 and key not in result.output
    assert "revoke" in json.loads(result.stdout)["reply"].lower()


def test_bad_input_exits_2_with_a_message() -> None:
    unknown = runner.invoke(app, ["ask", "--lab", "nope", "hi"])
    assert unknown.exit_code == 2 and "Unknown lab 'nope'" in unknown.output
    empty = runner.invoke(app, ["ask", "--lab", "api-basics", "  "])
    assert empty.exit_code == 2 and "empty" in empty.output
    missing = runner.invoke(app, ["ask", "hi"])
    assert missing.exit_code == 2
    assert runner.invoke(app, ["reset", "--lab", "nope"]).exit_code == 2


def test_reset_clears_one_lab(tmp_path: Path) -> None:
    data = str(tmp_path / "elsewhere")
    runner.invoke(app, ["ask", "--data-dir", data, "--lab", "api-basics", "--json", "429?"])
    runner.invoke(app, ["ask", "--data-dir", data, "--lab", "key-security", "--json",
                        "where do I keep my key?"])
    result = runner.invoke(app, ["reset", "--data-dir", data, "--lab", "api-basics"])
    assert result.exit_code == 0 and "2 message(s)" in result.stdout
    progress = json.loads(runner.invoke(app, ["progress", "--data-dir", data, "--json"]).stdout)
    counts = {x["lab"]: x["exchange_count"] for x in progress["labs"]}
    assert counts["api-basics"] == 0 and counts["key-security"] == 1
    # The default data dir was never touched by the --data-dir calls.
    default = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    assert all(x["exchange_count"] == 0 for x in default["labs"])


def test_progress_text() -> None:
    _ask("--lab", "production-prompts", "What should a good system prompt contain?")
    result = runner.invoke(app, ["progress"])
    assert result.exit_code == 0
    assert "production-prompts" in result.stdout and "1/3 exchanges" in result.stdout


def test_progress_prints_readable_times_and_a_reset_after_completion() -> None:
    import re

    for question in ("RPM vs TPM?", "why add jitter to retries?",
                     "How much do 2 million input tokens and 500k output tokens cost on "
                     "gpt-4o-mini?"):
        _ask("--lab", "rate-limits-cost", question)
    text = runner.invoke(app, ["progress"]).stdout
    line = next(x for x in text.splitlines() if x.startswith("rate-limits-cost"))
    assert re.search(r"complete since \d{4}-\d\d-\d\d \d\d:\d\d UTC$", line), line
    assert not re.search(r"T\d\d:\d\d:\d\d|\.\d{6}", text)  # no raw ISO, no microseconds
    runner.invoke(app, ["reset", "--lab", "rate-limits-cost"])
    line = next(x for x in runner.invoke(app, ["progress"]).stdout.splitlines()
                if x.startswith("rate-limits-cost"))
    assert "complete since" in line
    assert "conversation reset, 0/3 exchanges in this conversation" in line


def test_the_real_ask_process_prints_stores_and_exits_cleanly(tmp_path: Path) -> None:
    """``apilab ask`` as its own process leaves through the fast exit (apilab.cli.main):
    the reply and the count are printed in full and the exchange is stored."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "APILAB_DATA_DIR": str(tmp_path / "data"),
           "APILAB_CACHE_DIR": str(tmp_path / "cache")}

    def apilab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "apilab", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    first = apilab("ask", "--lab", "rate-limits-cost", "Why add jitter to retries?")
    assert first.returncode == 0, first.stderr
    assert "jitter" in first.stdout.lower() and "Exchange counted (1/3)." in first.stderr
    second = apilab("ask", "--lab", "rate-limits-cost", "RPM vs TPM?", "--json")
    assert second.returncode == 0 and json.loads(second.stdout)["counted"] is True
    progress = json.loads(apilab("progress", "--json").stdout)
    lab = next(p for p in progress["labs"] if p["lab"] == "rate-limits-cost")
    assert lab["exchange_count"] == 2
    # A failing ask still exits with its error code and message.
    bad = apilab("ask", "--lab", "nope", "x")
    assert bad.returncode == 2 and "Unknown lab" in bad.stderr


def test_folded_answers_print_as_ruled_headings_in_the_terminal() -> None:
    """The page folds the tutor's other answers (``::: details``); a terminal has no fold,
    so the markers become a heading and a blank line, however the stream is cut."""
    from apilab.assistant.folds import TerminalFolds

    reply = ("Answer.\n\n::: details If you meant \u201cx?\u201d\nOther answer.\n:::\n\n"
             "A line ending in :::\n:::not a marker\n**Next:** y")
    expected = ("Answer.\n\n\u2500\u2500 If you meant \u201cx?\u201d \u2500\u2500\nOther answer."
                "\n\n\nA line ending in :::\n:::not a marker\n**Next:** y")
    for size in (1, 2, 3, 4, 11, len(reply)):
        folds = TerminalFolds()
        printed = "".join(folds.feed(reply[i:i + size]) for i in range(0, len(reply), size))
        assert printed + folds.flush() == expected, size


def test_ask_prints_a_near_tie_as_the_answer_then_the_other_one() -> None:
    result = runner.invoke(app, [
        "ask", "--lab", "api-basics", "streaming works in curl but my Flask endpoint returns "
        "the whole answer at once at the end, why is it not streaming?"])
    assert result.exit_code == 0, result.output
    assert "\u2500\u2500 If you meant" in result.stdout and "::: details" not in result.stdout
