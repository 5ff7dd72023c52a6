"""The tools the offline tutor runs, through whole conversations (QA14: the cost calculator)."""

from __future__ import annotations

from apilab.assistant.folds import without_folds
from apilab.assistant.offline import OfflineTutor
from tests.assistant._helpers import converse, make_turn

_TICKETS = ("we want to summarize 20,000 support tickets per month, each ticket is about 800 "
            "tokens and the summary is like 120 tokens. how much on gpt-4o-mini?")


def test_a_what_if_follow_up_reprices_the_earlier_workload_with_the_change(
        real_tutor: OfflineTutor) -> None:
    """QA14 1c: "what if half of them are long" got the card's canned $42.25 example, and
    "and on gpt-4o instead?" then priced 3,920 input tokens for every ticket."""
    first, half, other = converse(real_tutor, "rate-limits-cost", [
        _TICKETS, "what if half of them are long, like 3000 tokens?", "and on gpt-4o instead?"])
    assert "total **$3.84** per month" in first.text
    assert "half of the tickets at 3,000 input tokens" in half.text
    assert "10,000 x (800 input + 120 output tokens) + 10,000 x (3,000 input" in half.text
    assert "total **$7.14** per month" in half.text  # 38M x $0.15 + 2.4M x $0.60, gpt-4o-mini
    assert "**`gpt-4o`**" in other.text and "total **$119.00** per month" in other.text
    for reply in (half, other):
        answer = without_folds(reply.text)  # a folded alternative card is not the answer
        assert "$42.25" not in answer and "10,000 documents" not in answer
        assert "estimate_cost" in reply.tools_used


def test_a_change_it_cannot_read_is_named_and_no_canned_figure_replaces_it(
        real_tutor: OfflineTutor) -> None:
    _, vague = converse(real_tutor, "rate-limits-cost", [
        _TICKETS, "what if half of them are long?"])
    assert "I couldn't apply" in vague.text and "say how many tokens" in vague.text
    assert "total **$3.84** per month" in vague.text  # the earlier workload, unchanged
    assert "$42.25" not in without_folds(vague.text)


def test_counts_per_student_multiply_the_class_named_before_and_keep_its_model(
        real_tutor: OfflineTutor) -> None:
    """QA14 1d: one student for one week was priced ($0.02), with "You didn't name a
    model"; 30 x 50 x 14 = 21,000 questions on gpt-4o-mini is about $9.77."""
    _, plan, half = converse(real_tutor, "rate-limits-cost", [
        "help me plan a budget for our class of 30 students using gpt-4o-mini for a semester",
        "each student maybe 50 questions a week, 14 weeks, about 1500 tokens in and 400 out "
        "per question",
        "what if half of them use gpt-4o instead?"])
    assert "30 students x 50 questions each per week x 14 weeks = 21,000" in plan.text
    assert "**`gpt-4o-mini`**" in plan.text and "total **$9.77** over 14 weeks" in plan.text
    assert "didn't name a model" not in plan.text
    # Half the class on gpt-4o, the other half still on gpt-4o-mini: $81.38 + $4.88.
    assert "$81.38" in half.text and "$4.88" in half.text and "total $86.26" in half.text


def test_every_model_named_is_priced(real_tutor: OfflineTutor) -> None:
    """QA14 1e: "gpt-4o-mini vs claude-sonnet-4" priced only the first."""
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "startup CTO here: 2,000 daily active users, each sends about 15 messages a day, avg "
        "1,200 input tokens and 250 output tokens per message. monthly cost on gpt-4o-mini vs "
        "claude-sonnet-4?"))
    assert "total **$297.00** per month" in reply.text
    assert "**`claude-sonnet-4" in reply.text and "total **$6,615.00** per month" in reply.text


def test_a_close_but_unknown_model_beside_a_known_one_is_priced_and_said(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "how much is 1M input and 200k output on gpt-4o-mini or claude-haiku-4.5?"))
    assert "**`gpt-4o-mini`**" in reply.text and "**`claude-haiku-4-5" in reply.text
    assert "I took `claude-haiku-4.5` to mean" in reply.text


def test_a_raise_after_the_retry_loop_is_reviewed_with_the_code(real_tutor: OfflineTutor) -> None:
    """QA14 item 4: the function's last line, "    raise RuntimeError('failed')", was read as
    a traceback and cut off the code, so the review said it returns None."""
    v1, v2 = converse(real_tutor, "rate-limits-cost", [
        "can you review my retry code?\n\nimport time, openai\ndef call(msgs):\n    for i in "
        "range(10):\n        try:\n            return client.chat.completions.create(model="
        "'gpt-4o-mini', messages=msgs)\n        except Exception as e:\n            print("
        "'error', e)\n            time.sleep(1)\n    raise RuntimeError('failed')",
        "ok here is v2:\n\nimport time, random, openai\ndef call(msgs):\n    for attempt in "
        "range(6):\n        try:\n            return client.chat.completions.create(model="
        "'gpt-4o-mini', messages=msgs, max_tokens=300)\n        except openai.RateLimitError "
        "as e:\n            ra = e.response.headers.get('retry-after')\n            delay = "
        "float(ra) if ra else min(30, 2 ** attempt) * random.uniform(0.5, 1.5)\n            "
        "time.sleep(delay)\n        except openai.APIStatusError as e:\n            if "
        "e.status_code >= 500:\n                time.sleep(min(30, 2 ** attempt) + "
        "random.random())\n            else:\n                raise\n    raise "
        "RuntimeError('gave up')"])
    for reply in (v1, v2):
        assert reply.meta["answer_kind"] == "review"
        assert "returns `None`" not in reply.text
        assert "the last failure is raised, not swallowed" in reply.text
    assert "No jitter" in v1.text and "retried whatever its code" in v2.text


def test_a_template_in_a_description_is_not_syntax_checked(real_tutor: OfflineTutor) -> None:
    """QA14 item 5a: `{"category": ..., "priority": 1-5}` (what the learner wants back) was
    parsed as model output: "Not valid JSON: Expecting value at line 1, column 14"."""
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "production-prompts",
        'I need the model to return {"category": ..., "priority": 1-5} for each ticket. '
        "sometimes it wraps it in ```json fences and json.loads fails. fix?"))
    assert "Not valid JSON" not in reply.text and "check_json" not in reply.tools_used
    broken = real_tutor.compose(make_turn(real_tutor.course, "production-prompts",
                                          'is this valid json? {"category": "billing",}'))
    assert "Not valid JSON" in broken.text  # a real document is still checked


def test_output_that_parses_but_breaks_a_range_the_learner_stated_is_not_ok(
        real_tutor: OfflineTutor) -> None:
    """QA14 item 5b: priority 9 against the 1-5 stated two turns earlier got "Valid JSON"."""
    replies = converse(real_tutor, "production-prompts", [
        'I need the model to return {"category": ..., "priority": 1-5} for each ticket. '
        "sometimes it wraps it in ```json fences and json.loads fails. fix?",
        "is pydantic enough or do I need json schema too",
        'here\'s the output I got: {"category": "billing", "priority": 9}  -- it parsed fine '
        "so its ok right?"])
    text = replies[-1].text
    assert "breaks a rule you stated" in text and "`priority` is 9, outside the 1-5" in text
    assert "Field(ge=1, le=5)" in text and "do not act on it" in text


def test_without_stated_rules_parsing_is_step_one_and_this_objects_checks_are_named(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "production-prompts",
        'here\'s the output I got: {"category": "billing", "priority": 9}  -- it parsed fine '
        "so its ok right?"))
    assert "**Valid JSON**" in reply.text and "Parsing is only step one" in reply.text
    assert "`category` present and a string" in reply.text
    assert "`priority` present and an integer" in reply.text
    assert "`priority` within the range" in reply.text


def test_a_what_if_that_changes_no_number_is_not_a_reprice(real_tutor: OfflineTutor) -> None:
    _, caching = converse(real_tutor, "rate-limits-cost", [
        _TICKETS, "what if we cache the instructions, would that help?"])
    # Not the same workload priced again: the notes answer a question about caching.
    assert "**Workload:**" not in caching.text and "estimate_cost" not in caching.tools_used


def test_follow_ups_change_count_and_size_then_models_then_period(
        real_tutor: OfflineTutor) -> None:
    _, bigger, models, yearly = converse(real_tutor, "rate-limits-cost", [
        _TICKETS, "what if it is 50k tickets of 1000 tokens each?",
        "and what about claude-haiku-4-5 vs gpt-4.1-mini?", "ok and per year?"])
    assert "50,000 x (1,000 input + 120 output tokens)" in bigger.text
    assert "total **$11.10** per month" in bigger.text  # 50M x $0.15 + 6M x $0.60
    assert "I couldn't apply" not in models.text  # "4-5" is a model's version
    assert "total **$80.00** per month" in models.text and "**$29.60** per month" in models.text
    assert "per year" in yearly.text and "A year is taken as 365 days" in yearly.text
    assert "**`gpt-4.1-mini`**" in yearly.text  # the models named last are kept


def test_a_how_to_whose_only_cost_word_is_its_purpose_gets_the_cards_code(
        real_tutor: OfflineTutor) -> None:
    from apilab.evals.tutor import tutor_turn

    reply = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost",
        "how do i count tokens before i send a request so i know what it will cost? python, "
        "using gpt-4o"))
    assert "tiktoken" in reply.text and "```python" in reply.text
    assert "per 1M input tokens" not in reply.text  # no price list in place of the code
    priced = real_tutor.compose(tutor_turn(real_tutor, "rate-limits-cost",
                                           "how much does gpt-4o cost?"))
    assert "per 1M input tokens" in priced.text


def test_how_long_money_lasts_is_asked_in_a_sentence_without_a_cost_word(
        real_tutor: OfflineTutor) -> None:
    (reply,) = converse(real_tutor, "rate-limits-cost", [
        "ok i added 10 dollars. how long will that last? my app summarizes news articles, each "
        "article is maybe 1500 words and the summary is like 150 words, using gpt-4o-mini. i do "
        "about 200 a day"])
    assert "**$10.00 lasts about 119 days" in reply.text
