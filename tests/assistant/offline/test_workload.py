"""Cost questions in the learner's own numbers (issue 9: numbers)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apilab.assistant.offline.workload import (
    apply_change,
    is_change,
    parse_quantities,
    parse_workload,
    price_workload,
)


@pytest.mark.parametrize(("text", "value"), [
    ("50k", 50_000), ("1.5M", 1_500_000), ("1,15,000", 115_000), ("2 million", 2_000_000),
    ("two million", 2_000_000), ("half a million", 500_000), ("1_000_000", 1_000_000),
    ("3 lakh", 300_000), ("12,345", 12_345), ("$3", 3),
])
def test_numbers_in_every_common_form(text: str, value: int) -> None:
    quantities = parse_quantities(f"about {text} tokens")
    assert [int(q.value) for q in quantities] == [value]


def test_items_times_per_item_tokens() -> None:
    w = parse_workload("50k tickets x 800 in / 100 out on gpt-4o, how much?")
    assert w is not None and w.totals() == (40_000_000, 5_000_000, 0)
    text, figures = price_workload(w, ["gpt-4o"])
    assert "50,000 tickets" in text and "40M input" in text
    assert figures[0]["total_usd"].startswith("150")
    assert "22.75" not in text and "$42" not in text  # no canned example from elsewhere


def test_frequency_times_duration() -> None:
    w = parse_workload("3 requests per second for 48 hours with 500 input tokens and 200 "
                       "output tokens each on gpt-4o-mini")
    assert w is not None and w.total_items == 3 * 3600 * 48
    assert w.totals() == (259_200_000, 103_680_000, 0)


def test_per_day_priced_per_month_when_asked() -> None:
    w = parse_workload("1.5M tokens per day, how much per month on gpt-4o?")
    assert w is not None and w.totals()[0] == 45_000_000 and w.period == "month"


def test_indian_grouping_and_per_item_sizes() -> None:
    w = parse_workload("we get 1,15,000 support emails a month, each about 600 tokens in and "
                       "150 tokens out")
    assert w is not None and w.items == 115_000 and w.totals()[:2] == (69_000_000, 17_250_000)


def test_documents_of_n_tokens_with_summaries() -> None:
    w = parse_workload("10,000 documents of 650 tokens with 65-token summaries")
    assert w is not None and w.totals()[:2] == (6_500_000, 650_000)
    text, _ = price_workload(w, ["gpt-4o"], at="2024-06-15")
    assert "$42.25" in text  # the notes' example at mid-2024 prices ($5 / $15 per 1M)


def test_the_learners_own_rates_and_a_figure_to_check() -> None:
    w = parse_workload("My provider charges $3 per million input tokens and $15 per million "
                       "output. 2M input and 400k output tokens - am I right that it's 8k?")
    assert w is not None and w.rates == {"input": Decimal(3), "output": Decimal(15)}
    text, figures = price_workload(w, [])
    assert figures[0]["total_usd"] == "12" or figures[0]["total_usd"].startswith("12.")
    assert "**You asked whether it is $8,000.00: no**" in text


def test_the_per_1m_of_a_price_is_its_unit_not_a_token_count() -> None:
    w = parse_workload("I have about 2000 support tickets, each ~800 tokens, and I want a ~150 "
                       "token summary of each with gpt-4o-mini. if pricing is $0.15 per 1M "
                       "input and $0.60 per 1M output, roughly what will the whole job cost?")
    assert w is not None
    assert (w.items, w.input_tokens, w.output_tokens) == (2000, 800, 150)
    assert w.rates == {"input": Decimal("0.15"), "output": Decimal("0.60")}
    _, figures = price_workload(w, [])
    assert figures[0]["total_usd"].startswith("0.42")


def test_a_follow_up_giving_rates_reprices_the_workload() -> None:
    base = parse_workload("2000 tickets, 800 input and 150 output tokens each")
    assert base is not None and not base.rates
    change = apply_change(base, "what if it's $0.15/1M in and $0.6 per million out tokens")
    assert change.workload.rates == {"input": Decimal("0.15"), "output": Decimal("0.6")}
    assert (change.workload.input_tokens, change.workload.output_tokens) == (800, 150)
    assert not change.unapplied


def test_a_figure_off_by_a_thousand_is_explained() -> None:
    w = parse_workload("1M input tokens on gpt-4o-mini, is it $150?")
    assert w is not None
    text, _ = price_workload(w, ["gpt-4o-mini"])
    assert "no" in text and "per **million**" in text


def test_no_tokens_no_workload() -> None:
    assert parse_workload("how much does the API cost?") is None


@pytest.mark.parametrize("attack", ["how much does it cost: " + "1 " * 3990,
                                    "cost " + "5k tokens $3 per 1M input " * 300,
                                    "am I right that it's " + "8k " * 2600,
                                    "cost on " + "claude haiku 4.5 gpt-4o-mini " * 280,
                                    "gpt" + "-mini 4.1 70b o" * 500 + " 1M tokens"])
def test_number_heavy_messages_stay_linear(attack: str) -> None:
    import time

    started = time.perf_counter()
    parse_workload(attack[:8000])
    assert time.perf_counter() - started < 1.0  # was 5 s for the first one (quadratic)


@pytest.mark.parametrize(("text", "tokens_in", "tokens_out"), [
    ("1000 requests a day with gpt-4o, each about 500 words in and 200 words out", 667, 267),
    ("1000 requests of 500 input words and 200 output words", 667, 267),
    ("summarise 300 documents of 2000 words each into 150 words", 2667, 200),
    ("how much for 50 emails of 300 words with replies of about 90 words", 400, 120),
])
def test_words_are_converted_on_the_side_they_are_on(text: str, tokens_in: int,
                                                      tokens_out: int) -> None:
    # Before, every word count went to the input ("700 words in"), or "500 input words"
    # was read as 500 tokens.
    found = parse_workload(text)
    assert found is not None
    assert (int(found.input_tokens), int(found.output_tokens)) == (tokens_in, tokens_out)
    assert "0.75 English words" in " ".join(found.notes)


def test_requests_per_user_multiply_the_users_and_replies_are_output() -> None:
    found = parse_workload("my chatbot has 3k daily users, each does like 8 messages, avg "
                           "prompt is 1.2k tokens and replies ~250 tokens. monthly cost?")
    assert found is not None
    assert (int(found.items), int(found.each), int(found.total_items)) == (3000, 8, 720_000)
    assert (int(found.input_tokens), int(found.output_tokens)) == (1200, 250)
    text, figures = price_workload(found, ["gpt-4o-mini"], "2025-07-01")
    assert "3,000 users x 8 messages each" in text
    assert figures[0]["total_usd"].startswith("237.6")


def test_token_totals_without_a_request_count_get_base_rates() -> None:
    # 1.5M input tokens is a total over many requests, not one long-context prompt.
    found = parse_workload("how much is 1.5 million input tokens and 300k output")
    assert found is not None
    _, figures = price_workload(found, ["claude-sonnet-4-5"], "2025-10-15")
    assert figures[0]["total_usd"].startswith("9.0")
    per_request = parse_workload("10 requests of 300k input tokens each and 1000 output each")
    assert per_request is not None
    text, _ = price_workload(per_request, ["claude-sonnet-4-5"], "2025-10-15")
    assert "$6.00/1M" in text  # each prompt is above 200K: the long-context rate


def test_the_side_can_be_named_a_few_words_before_the_number() -> None:
    found = parse_workload("about 20k emails, each maybe 600 tokens, output is just a label "
                           "like 5 tokens")
    assert found is not None
    assert (int(found.items), int(found.input_tokens), int(found.output_tokens)) == \
        (20_000, 600, 5)


def test_messages_a_day_per_user_are_priced_for_the_month_asked() -> None:
    # QA13 item 1: the day rate was dropped ($21.00, one day's worth called the month).
    found = parse_workload("how much per month for 20,000 users sending 5 messages a day "
                           "each, 600 input tokens and 200 output tokens per message on "
                           "gpt-4o-mini?")
    assert found is not None and int(found.total_items) == 3_000_000
    text, figures = price_workload(found, ["gpt-4o-mini"], "2025-07-01")
    assert figures[0]["total_usd"].startswith("630")
    assert "x 30 days a month" in text and "A month is taken as 30 days" in text


def test_users_then_messages_a_day_are_read_as_per_user_and_say_so() -> None:
    found = parse_workload("20k users, 5 messages a day, 600 tokens in 200 out, gpt-4o-mini, "
                           "per month?")
    assert found is not None and int(found.total_items) == 3_000_000
    assert any("per user" in note for note in found.notes)


@pytest.mark.parametrize(("text", "requests", "step"), [
    ("10 req/s average, 800 input tokens, 300 output, what's the daily cost", 864_000,
     "86,400 seconds a day"),
    ("5 rps with 1000 input tokens and 200 output, cost per day", 432_000,
     "86,400 seconds a day"),
    ("300 requests/min, 400 tokens in and 100 out, how much per hour", 18_000,
     "60 minutes an hour"),
])
def test_a_rate_per_second_or_minute_is_scaled_to_the_period_asked(text: str, requests: int,
                                                                   step: str) -> None:
    # "10 req/s ... daily cost" was 10 requests a day ($0.02 for ~$1,987).
    found = parse_workload(text)
    assert found is not None and int(found.total_items) == requests
    assert step in price_workload(found, ["gpt-4o-mini"], "2025-07-01")[0]


def test_counts_without_a_rate_are_taken_per_the_period_asked_and_say_so() -> None:
    found = parse_workload("20k users, 5 messages each, 600 in 200 out, monthly cost?")
    assert found is not None and int(found.total_items) == 100_000
    assert found.period == "month" and any("no rate" in note for note in found.notes)


def test_a_budget_says_how_long_it_lasts_and_short_messages_are_a_stated_assumption() -> None:
    # QA13 item 20: "$10 credit ... 200 messages a day, short ones" got "I don't know".
    found = parse_workload("ok i added $10 credit. how much will that last me on gpt-4o-mini\n"
                           "its like 200 messages a day, short ones")
    assert found is not None and found.budget == 10 and found.assumed_size
    assert (int(found.input_tokens), int(found.output_tokens)) == (300, 200)
    text, _ = price_workload(found, ["gpt-4o-mini"], "2025-07-01")
    assert "**$10.00 lasts about 303 days (about 10 months)**" in text
    assert "Assumed: a short message is about 300 input tokens" in text
    # Without a size word there is nothing to price.
    assert parse_workload("its like 200 messages a day") is None


@pytest.mark.parametrize(("text", "model", "total"), [
    # QA: "haiku 4.5" was read as 4 x the workload ($9.00), "gpt 4.1 mini" as 4.1 x ($2.95).
    ("how much does claude haiku 4.5 cost for 1M input and 200k output", "claude-haiku-4-5",
     "2.00"),
    ("how much for 1M input and 200k output on gpt 4.1 mini", "gpt-4.1-mini", "0.72"),
    ("1M input and 200k output on gpt-4.1-mini", "gpt-4.1-mini", "0.72"),
    ("gpt-4o 2 million input tokens, 500k output", "gpt-4o", "10.00"),
    ("claude 3.5 sonnet for 1M input and 100k output", "claude-3-5-sonnet", "4.50"),
    ("gemini 2.5 flash, 1M input and 1M output tokens", "gemini-2.5-flash", "2.80"),
])
def test_a_model_names_numbers_are_never_quantities(text: str, model: str, total: str) -> None:
    w = parse_workload(text)
    assert w is not None and w.total_items == 1
    _, figures = price_workload(w, [model], "2025-11-01")
    assert f"{Decimal(figures[0]['total_usd']):.2f}" == total


@pytest.mark.parametrize(("text", "totals"), [
    ("llama 3 70b, 2M input tokens", (2_000_000, 0, 0)),  # "70b" is parameters, not tokens
    ("on 4o mini 1M input", (1_000_000, 0, 0)),
    ("claude-sonnet-4 2M input tokens", (2_000_000, 0, 0)),
    ("on sonnet 5 requests a minute of 300 tokens", (1_500, 0, 0)),  # a count, not a version
])
def test_model_versions_and_sizes_are_left_out_but_counts_after_them_stay(
        text: str, totals: tuple[int, int, int]) -> None:
    w = parse_workload(text)
    assert w is not None and w.totals() == totals


@pytest.mark.parametrize(("text", "tokens_in", "tokens_out"), [
    # QA: the summary's 120 tokens were added to the input (920 input, no output priced).
    ("we want to summarize 20,000 support tickets per month, each ticket is about 800 tokens "
     "and the summary is like 120 tokens. how much on gpt-4o-mini?", 800, 120),
    ("5k docs of 2000 tokens, summaries of 200 tokens", 2000, 200),
    ("10k requests, completion is 200 tokens, prompt 1000 tokens", 1000, 200),
    ("generated text about 400 tokens, 2k input tokens, 300 calls", 2000, 400),
])
def test_what_the_model_writes_is_output(text: str, tokens_in: int, tokens_out: int) -> None:
    w = parse_workload(text)
    assert w is not None
    assert (int(w.input_tokens), int(w.output_tokens)) == (tokens_in, tokens_out)


def test_tickets_with_summaries_are_priced_with_their_output() -> None:
    w = parse_workload("20,000 support tickets per month, each ticket is about 800 tokens and "
                       "the summary is like 120 tokens")
    assert w is not None
    text, figures = price_workload(w, ["gpt-4o-mini"], "2025-07-01")
    assert figures[0]["total_usd"].startswith("3.84")  # 16M x $0.15 + 2.4M x $0.60
    assert "Only input is priced" not in text


_BASE = ("20,000 support tickets per month, each ticket is about 800 tokens and the summary "
         "is like 120 tokens")


@pytest.mark.parametrize(("follow_up", "applied", "totals"), [
    ("what if half of them are long, like 3000 tokens?",
     "half of the tickets at 3,000 input tokens each", (38_000_000, 2_400_000, 0)),
    ("what if 20% are 5000 tokens", "20% of the tickets at 5,000 input tokens each",
     (32_800_000, 2_400_000, 0)),
    ("what about 1 in 4 at 2k tokens", "1 in 4 of the tickets at 2,000 input tokens each",
     (22_000_000, 2_400_000, 0)),
    ("what if the summary is 300 tokens?", "300 output tokens per ticket",
     (16_000_000, 6_000_000, 0)),
    ("what if we get 50k tickets?", "50,000 tickets", (40_000_000, 6_000_000, 0)),
])
def test_a_follow_up_changes_one_parameter_and_keeps_the_rest(
        follow_up: str, applied: str, totals: tuple[int, int, int]) -> None:
    base = parse_workload(_BASE)
    assert base is not None and is_change(follow_up)
    change = apply_change(base, follow_up)
    assert change.applied == [applied] and not change.unapplied
    assert change.workload.totals() == totals
    assert base.totals() == (16_000_000, 2_400_000, 0)  # the earlier workload is untouched


def test_a_change_without_a_size_is_reported_not_guessed() -> None:
    base = parse_workload(_BASE)
    assert base is not None
    vague = apply_change(base, "what if half of them are long?")
    assert not vague.applied and "say how many tokens" in vague.unapplied
    model = apply_change(base, "what if half of them use gpt-4o instead?")
    assert model.share == Decimal("0.5") and not model.unapplied  # a model for that share


def test_a_count_of_weeks_is_the_duration() -> None:
    w = parse_workload("each student maybe 50 questions a week, 14 weeks, about 1500 tokens "
                       "in and 400 out per question")
    assert w is not None and w.total_items == 700 and w.period == "14 weeks"
    text, _ = price_workload(w, ["gpt-4o-mini"])
    assert "over 14 weeks" in text and "per 14 weeks" not in text


def test_a_follow_up_for_a_longer_period_rescales_and_a_shorter_one_is_reported() -> None:
    base = parse_workload(_BASE)
    assert base is not None
    yearly = apply_change(base, "how about per year?")
    assert yearly.applied == ["per year"] and yearly.workload.period == "year"
    daily = apply_change(base, "and per day?")
    assert not daily.applied and "your counts are per month" in daily.unapplied


@pytest.mark.parametrize("text", [
    "500 articles of 2000 words, the summaries are about 150 words each",
    "500 articles of 2000 words; the 150 words is the output",
])
def test_words_the_model_writes_are_output(text: str) -> None:
    w = parse_workload(text)
    assert w is not None
    assert (w.words_in, w.words_out) == (2000, 150)


def test_the_input_is_still_n_words_corrects_the_workload() -> None:
    assert is_change("no the 150 words is the OUTPUT, the summary the model writes. the input "
                     "is still 2000 words per article")


def test_history_growth_counts_the_nth_request_and_the_whole_conversation() -> None:
    from apilab.assistant.offline.workload import history_growth

    text = history_growth("like 50 messages, each one maybe 100 tokens. how many tokens would "
                          "the 50th request be roughly")
    assert "the 50th request carries about **5,000 input tokens**" in text
    assert "**127,500 input tokens** in all" in text
    assert history_growth("50 messages of 100 tokens each, what is a token?") == ""
    assert history_growth("how many tokens is the last request? 100000000 messages, 10 "
                          "tokens each") == ""  # beyond any chat: not a conversation


def test_history_growth_patterns_are_linear_on_hostile_input() -> None:
    import time

    from apilab.assistant.offline.workload import history_growth

    for text in ("how many " + "x " * 2000 + "5th request", "how much " * 500 + "whole",
                 "1 messages " * 400 + "how many in the 2nd turn"):
        started = time.perf_counter()
        history_growth(text)
        assert time.perf_counter() - started < 0.5


def test_groups_of_people_at_their_own_rates_are_added_up() -> None:
    w = parse_workload("each description is ~300 tokens in, 250 out. i expect 1000 free users "
                       "doing maybe 30 a month, and 50 paid users doing 500 a month")
    assert w is not None
    assert (w.items, w.frequency) == (55_000, "month")
    assert "1,000 free users x 30 + 50 paid users x 500 = 55,000 requests a month" in w.notes[0]
    one = parse_workload("300 tokens in, 250 out; 1000 users doing 30 a month")
    assert one is not None and not any(n.startswith("Counted") for n in one.notes)


def test_the_groups_pattern_is_linear_on_hostile_input() -> None:
    import time

    from apilab.assistant.offline.workload import _GROUP

    for text in ("1 users " * 300, "1 " * 1000 + "users", "12 free users " + "a " * 1000):
        started = time.perf_counter()
        list(_GROUP.finditer(text[:2000]))
        assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("said", "items"), [
    ("and if traffic doubles?", 2000), ("what if we get 3x the users", 3000),
    ("what if it halves", 500), ("and if it grows 10 times?", 10_000),
])
def test_a_factor_on_the_traffic_scales_the_count(said: str, items: int) -> None:
    base = parse_workload("1000 users, 500 input and 300 output tokens each")
    assert base is not None and is_change(said)
    change = apply_change(base, said)
    assert change.workload.items == items and not change.unapplied


def test_a_share_of_the_people_counted_before_uses_it_so_many_times() -> None:
    w = parse_workload("we have about 3000 paying customers at 29 dollars a month\ndocuments "
                       "are maybe 8000 tokens, summary 400 tokens. we guess 30% of customers "
                       "use it, maybe 10 times a month")
    assert w is not None
    assert (w.items, w.each, w.frequency) == (900, 10, "month")
    assert "30% of 3,000 customers = 900." in w.notes


def test_a_cap_the_learner_sets_is_a_budget_to_count_against() -> None:
    w = parse_workload("I want to cap my app at $20/month. each chat is 1,500 input tokens "
                       "and 400 output tokens at $0.80 per million input and $4 per million "
                       "output. how many chats can I afford?")
    assert w is not None and w.budget == 20
    text, _ = price_workload(w, [])
    assert "covers this workload about 7,143 times" in text


def test_the_side_named_before_a_price_is_its_side() -> None:
    w = parse_workload("I have $20. with input at $3/M and output $15/M tokens, and each call "
                       "is ~1000 in and 500 out, how many calls can i make?")
    assert w is not None and w.rates == {"input": Decimal(3), "output": Decimal(15)}
    assert w.budget == 20
    text, _ = price_workload(w, [])
    assert "covers this workload about 1,905 times" in text


def test_people_and_what_each_of_them_does_are_counted() -> None:
    notes = parse_workload("we have 3000 active users, they save maybe 8 notes a day, notes are "
                           "around 400 words, summary 50 words")
    assert notes is not None and (notes.items, notes.each, notes.each_noun) == (3000, 8, "notes")
    ppl = parse_workload("the error says limit 20. so 20 a day?? how much would it cost for 30 "
                         "ppl sending maybe 15 messages each per day, 300 tokens in 200 out")
    assert ppl is not None and (ppl.items, ppl.each) == (30, 15)
    total = parse_workload("100 requests a day from 20 users, 500 tokens in 100 out")
    assert total is not None and (total.items, total.each) == (100, 1)  # a total, not per user


def test_tokens_that_come_back_are_output() -> None:
    w = parse_workload("500 students, each asks 10 questions a week, each question sends like "
                       "6000 tokens of notes plus gets 500 tokens back")
    assert w is not None and (w.input_tokens, w.output_tokens) == (6000, 500)


def test_a_share_of_the_people_who_will_use_it_scales_the_count() -> None:
    base = parse_workload("500 students, each 10 questions a week, 6000 tokens in, 500 out")
    assert base is not None
    change = apply_change(base, "and realistically only like 40% of the students will "
                                "actually use it")
    assert change.workload.items == 200 and not change.unapplied


def test_a_new_count_and_the_period_asked_both_apply() -> None:
    base = parse_workload("200 articles a day, 2000 tokens in, 200 out")
    assert base is not None
    base.budget = Decimal(10)
    change = apply_change(base, "nice. and if i switch to gpt-4o and grow to 1000 articles a "
                                "day, whats that per month? will my 10 dollars last")
    assert change.workload.items == 1000 and change.workload.period == "month"
    assert change.workload.budget == 10


@pytest.mark.parametrize(("text", "items", "each", "noun"), [
    # QA pass 14: the x20 was dropped ($180 instead of $3,600); "msgs" was not a request.
    ("if each of the 2000 users does ~20 rewrites a day on claude haiku 4.5, ~500 input and "
     "500 output tokens each", 2000, 20, "rewrites"),
    ("2k users sending ~20 msgs a day, 300 in / 200 out", 2000, 20, "msgs"),
    # Everyone's messages together: not multiplied by the people (was 400 x 600 = 240,000).
    ("~400 employees. with 30k tokens of handbook, if employees send ~600 messages a day",
     600, 1, "messages"),
    ("400 employees, 600 messages a day in total, 30k input tokens", 600, 1, "messages"),
    ("2000 users sending 20 messages a day, 300 in / 200 out", 2000, 20, "messages"),
])
def test_per_person_and_everyones_counts(text: str, items: int, each: int, noun: str) -> None:
    w = parse_workload(text)
    assert w is not None and (w.items, w.each) == (items, each)
    assert noun in (w.item_noun, w.each_noun) and w.frequency == "day"


def test_with_and_without_caching_prices_the_cached_best_case() -> None:
    w = parse_workload("600 messages a day, 30k input tokens")
    assert w is not None
    text, _ = price_workload(w, ["gpt-4o"], caching=True)
    assert "$45.00" in text and "**$22.50** per day, 50% less" in text
    assert "1.25x" not in text  # the cache-write surcharge is Anthropic's, said for Claude
    plain, _ = price_workload(w, ["gpt-4o"])
    assert "prompt cache" not in plain


def test_a_usage_tier_is_not_a_token_count_and_output_tokens_count_per_request() -> None:
    """QA pass 14: "we're on usage tier 2" became "x 2 tokens = 8 tokens per minute"."""
    from apilab.assistant.offline.workload import rate_arithmetic

    said = rate_arithmetic("a worker that summarizes support tickets with gpt-4o-mini, around "
                           "5000 tickets a day, we're on usage tier 2")
    assert "4 requests a minute" in said and "2 tokens" not in said
    limits = rate_arithmetic("each ticket is about 1500 input tokens and we ask for ~200 "
                             "output tokens. tier 2 is 2,000,000 TPM and 5000 RPM")
    assert "2,000,000 / 1,700" in limits


def test_separate_input_and_output_limits_bind_on_their_own_side() -> None:
    """QA pass 15: "400k input tokens per minute, 80k output tokens per minute" with 800 in /
    400 out was read as 80,000 / 800, and "4 worker processes" as 4 tokens."""
    from apilab.assistant.offline.workload import rate_arithmetic

    said = rate_arithmetic(
        "a celery worker sends ~50k product descriptions a day to claude haiku. 4 worker "
        "processes. each description is about 800 input tokens and 400 output. our tier limits "
        "are 4000 RPM and 400k input tokens per minute, 80k output tokens per minute.")
    assert "400,000 / 800 = **500**" in said and "80,000 / 400 = **200**" in said
    assert "**output tokens per minute** limit binds" in said
    assert "across your 4 workers (40 each)" in said and "313 minutes" in said


@pytest.mark.parametrize(("text", "items", "each", "tokens_in", "tokens_out"), [
    # A size said another way is not a count, and "those 12k tokens" is the same 12k.
    ("the uploaded notes. 20 pages is maybe 12k tokens. if every message resends those 12k "
     "tokens, what does that cost for 500 users doing 15 messages a day?", 500, 15, 12_000, 0),
    # The product said again after "=" is the same workload.
    ("500 users x 15 messages = 7500 calls a day, each with 12000 input tokens", 500, 15,
     12_000, 0),
    # Limits are not sizes.
    ("50k descriptions a day, each about 800 input tokens and 400 output. our tier limits are "
     "4000 RPM and 400k input tokens per minute, 80k output tokens per minute.", 50_000, 1, 800,
     400),
])
def test_pages_as_tokens_repeats_and_limits_are_not_added(text: str, items: int, each: int,
                                                          tokens_in: int,
                                                          tokens_out: int) -> None:
    w = parse_workload(text)
    assert w is not None and (w.items, w.each) == (items, each)
    assert (w.input_tokens, w.output_tokens) == (tokens_in, tokens_out)


def test_input_is_more_like_n_corrects_that_side() -> None:
    w = parse_workload("300 users, each chats maybe 10 messages a day", assume_chat_size=True)
    assert w is not None
    change = apply_change(w, "hmm wait, my system prompt alone is about 2500 tokens, so input "
                             "is more like 3500 per message. redo it for mini please")
    assert change.workload.input_tokens == 3500
    assert change.applied == ["3,500 input tokens per message"]
    assert any("250 output tokens" in n for n in change.workload.notes)


def test_a_monthly_cap_is_a_rate_to_fit_under_not_a_sum_that_lasts() -> None:
    """QA pass 15: "cap spending at $50/month" was answered "$50 lasts about 14 months"."""
    w = parse_workload("1200 conversations a month, each 6 messages of 2000 input and 200 "
                       "output tokens. I want to cap spending at $50/month.")
    assert w is not None and w.budget == 50 and w.budget_monthly
    text, _ = price_workload(w, ["gpt-4o-mini"])
    assert "lasts" not in text
    credit = parse_workload("I added $10 credit, 200 messages a day of 500 tokens")
    assert credit is not None and not credit.budget_monthly
    assert "lasts" in price_workload(credit, ["gpt-4o-mini"])[0]


def test_each_persons_allowance_then_the_people_and_a_chat_average() -> None:
    """QA pass 15: "free users get 20 generations a day ... we expect 3000 free users" was
    priced and paced as 20 a day in all, "a batch" for the Batch API."""
    from apilab.assistant.offline.workload import rate_arithmetic

    said = ("free users get 20 generations a day, each generation ~1500 input + 700 output "
            "tokens. we expect 3000 free users.")
    w = parse_workload(said)
    assert w is not None and (w.items, w.item_noun, w.each) == (3000, "users", 20)
    paced = rate_arithmetic(said)
    assert paced.startswith("60,000 a day averages about **42 requests a minute**")
    assert "Batch API" not in paced and "busiest minute" in paced
    discord = rate_arithmetic("a discord bot, 30 servers, maybe 2000 questions a day but very "
                              "spiky during events")
    assert "30 tokens" not in discord and "busiest minute" in discord


@pytest.mark.parametrize(("text", "items", "each", "frequency", "period", "periods"), [
    # QA pass 16: "a day per month" was priced per month (the users took "per month").
    ("just give me a dollar number: 50 users x 20 questions a day per month", 50, 20, "day",
     "month", 30),
    # The learner's own product after "=" is not a rate of its own.
    ("no, 2,000 requests a DAY = 60,000/month. 150 tokens in, 600 out per request", 2000, 1,
     "day", "month", 30),
    # Each student's rate, the students, and "20 school days" as the duration.
    ("peak 30-40 req/min; 2,000 in / 400 out; 15 messages/day/student; 20 school days. 120 "
     "students", 120, 15, "day", "20 days", 20),
    # Conversations per user, messages per conversation, in either order.
    ("800 users, each ~3 conversations a month, each conversation ~6 messages", 800, 18,
     "month", "month", 1),
    ("each conversation ~6 messages. how much for 800 users? each ~3 conversations a month",
     800, 18, "month", "month", 1),
    ("800 users x 3 conversations x 6 messages, 500 tokens in 200 out", 800, 18, "", "", 1),
])
def test_counts_said_the_way_learners_say_them(text: str, items: int, each: int,
                                               frequency: str, period: str,
                                               periods: int) -> None:
    w = parse_workload(text, assume_chat_size=True)
    assert w is not None and (w.items, w.each) == (items, each)
    assert (w.frequency, w.period, w.periods) == (frequency, period, periods)


def test_a_status_is_not_a_count_and_a_peak_in_another_sentence_is_not_per_person() -> None:
    w = parse_workload("slack bot, 429s at 9am, 300 employees, tier 2.\n~80 req/min at 9am, "
                       "6,000 in / 500 out; 429 says input tokens per minute limit")
    assert w is not None and (w.items, w.item_noun, w.each) == (300, "employees", 1)
