"""Fixes from the third learner QA pass (QA15): backstory, telegraphic cost asks, sizes given
after a count, tool answers without a stray card, plural status codes."""

from __future__ import annotations

from apilab.assistant import httpinfo
from apilab.assistant.folds import without_folds
from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.read import read_message
from apilab.evals.tutor import reply_kind, tutor_turn
from tests.assistant._helpers import converse

_TEAM = ("we are team of 5 devs, github actions deploys to AWS ECS. how we should handle the "
         "openai keys? right now everyone uses same key from slack lol")


def test_an_opening_story_is_context_and_the_question_is_matched_on_its_own() -> None:
    reading = read_message(_TEAM)
    # "ECS." ends a sentence before a lower-case question word.
    assert reading.questions == ("how we should handle the openai keys?",)
    assert reading.backstory.startswith("we are team of 5 devs")
    assert reading.backstory not in reading.parts  # never matched alone
    assert "AWS ECS" in reading.focus  # still read with the question
    titled = read_message("Rate limit errors with batch jobs. How do I fix it?")
    assert titled.lead == "Rate limit errors with batch jobs."  # a title stays the lead


def test_a_team_key_question_behind_a_deploy_story_gets_the_team_card(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(tutor_turn(real_tutor, "key-security", _TEAM))
    assert reply.meta["card"] == "ks-team-members"
    assert "AWS access key" not in reply.text


def test_plural_status_codes_are_status_codes() -> None:
    assert httpinfo.bare_codes("a good backoff for 429s? and 503's") == [429, 503]
    assert httpinfo.bare_codes("the timeout is 500s") == []  # a duration, not a status


def test_another_labs_question_with_a_plural_status_is_answered_not_refused(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(tutor_turn(real_tutor, "key-security",
                                          "what's a good backoff strategy for 429s?"))
    assert reply_kind(reply.meta) == "other-lab"
    assert "outside what I can help with" not in reply.text
    assert "backoff" in reply.text.lower()


def test_a_telegraphic_cost_ask_runs_the_calculator(real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost", "cost for 10k requests, 500 tokens in 200 out, gpt-4o"))
    assert "total **$32.50**" in reply.text  # 5M x $2.50 + 2M x $10
    assert "$0.60" not in without_folds(reply.text)  # not the card's gpt-4o-mini example


def test_sizes_after_a_count_complete_it_and_total_reprices(real_tutor: OfflineTutor) -> None:
    _, sizes, total = converse(real_tutor, "rate-limits-cost", [
        "how much would it cost to summarize 50k support tickets with gpt-4o-mini?",
        "about 800 tokens each, summary maybe 100 tokens",
        "for 50000 tickets on gpt-4o-mini i mean. total?"])
    for reply in (sizes, total):
        assert "50,000 tickets = 50,000 x (800 input + 100 output tokens)" in reply.text
        assert "total **$9.00**" in reply.text  # 40M x $0.15 + 5M x $0.60
    # The calculation answered: no half-fitting card's sources or "Next:" about images.
    assert "image" not in without_folds(total.text).lower()


def test_a_capacity_question_gets_the_rpm_tpm_arithmetic(real_tutor: OfflineTutor) -> None:
    """QA15 7: the arithmetic lived only inside the retry guide."""
    limit = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost",
        "how many requests per minute can I do with 90k TPM if each request is 3k tokens?"))
    assert "90,000 / 3,000 = **30 requests a minute**" in limit.text
    both = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost", "ok back to work. im tier 1, 500 rpm 30000 tpm. my "
        "prompts are 4000 tokens. how many requests per minute can i actually do"))
    assert "**TPM binds: you can do about 7 requests a minute**" in both.text
    usage = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost", "I'm on tier 1 and get 429 even though I only send "
        "like 10 requests a minute. My prompts are big (about 20k tokens each). why?"))
    assert "**200,000 tokens per minute**" in usage.text
    # A status code is not a request count, and a question with no sizes gets no arithmetic.
    plain = real_tutor.compose(tutor_turn(real_tutor, "rate-limits-cost",
                                          "what is the difference between rpm and tpm?"))
    assert "rate_capacity" not in plain.tools_used


def test_a_nightly_batch_is_not_read_as_a_rate_per_minute(real_tutor: OfflineTutor) -> None:
    first, numbers = converse(real_tutor, "rate-limits-cost", [
        "how should I structure retries in my worker?",
        "about 3000 tickets a night, it doesnt matter if it takes an hour. tickets are maybe "
        "600 tokens and the summary 80"])
    assert "3,000 requests a minute" not in numbers.text
    assert "**50 requests a minute** x 600 tokens = about **30,000 tokens per minute**" in \
        numbers.text


def test_two_questions_joined_in_one_sentence_are_read_as_two() -> None:
    reading = read_message("what does stateless mean and how do i do streaming in node?")
    assert reading.questions == ("what does stateless mean?", "how do i do streaming in node?")
    assert reading.lead == ""  # the two questions stand for the sentence, not three copies
    assert read_message("what's jitter, and also how do I set a spending cap?").questions == (
        "what's jitter?", "how do I set a spending cap?")
    # "and" inside one question is not a second question.
    assert read_message("what is rpm and tpm?").lead == "what is rpm and tpm?"


def test_each_part_of_a_joined_question_gets_its_own_answer(real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(tutor_turn(
        real_tutor, "api-basics", "what does stateless mean and how do i do streaming in node?"))
    assert reply_kind(reply.meta) == "multi"
    assert "stateless" in reply.text and "stream" in reply.text.lower()


def test_a_backoff_follow_up_changes_the_schedule_and_keeps_it(real_tutor: OfflineTutor) -> None:
    """QA15 5: "start at 2 seconds and 6 retries" (numbers before the word "retries") got
    the default table again, and "with jitter please" dropped the numbers."""
    _, changed, jitter = converse(real_tutor, "rate-limits-cost", [
        "can u give me a backoff schedule", "start at 2 seconds and 6 retries pls",
        "with jitter please, and in python with tenacity if possible"])
    for reply in (changed, jitter):
        assert "**Backoff schedule: 6 retries, base 2 s" in reply.text
        assert "Waits: 2, 4, 8, 16, 30, 30 seconds" in reply.text


def test_interjections_and_who_made_you_are_small_talk(real_tutor: OfflineTutor) -> None:
    for message in ("lol", "hmm", "who made you?"):
        reply = real_tutor.compose(tutor_turn(real_tutor, "key-security", message))
        assert reply_kind(reply.meta) == "small-talk", message
        assert not reply.on_topic
    laugh = real_tutor.compose(tutor_turn(real_tutor, "key-security", "lol"))
    assert "Glad it helped" not in laugh.text and "token" not in laugh.text.lower()


def test_a_far_better_card_in_another_lab_beats_a_fair_one_here(
        real_tutor: OfflineTutor) -> None:
    """QA15 4: "my key leaked on github" in Lab 1 got the GitHub Models endpoint card."""
    reply = real_tutor.compose(tutor_turn(real_tutor, "api-basics",
                                          "my key leaked on github, what do i do"))
    assert reply.meta["card"].startswith("ks-")
    assert "Lab 2" in reply.text and "revoke" in reply.text.lower()


def test_next_does_not_ask_for_what_the_message_just_said(real_tutor: OfflineTutor) -> None:
    from apilab.assistant.offline.tutor import _already_told

    assert _already_told("Are you using the openai package directly or the Vercel AI SDK, and "
                         "where is the app deployed?", "its a next.js app on vercel using the "
                         "openai node sdk. is there like a checklist?")
    assert not _already_told("Do you know why jitter matters when many clients hit the limit "
                             "together?", "can u give me a backoff schedule")
    reply = real_tutor.compose(tutor_turn(
        real_tutor, "key-security", "its a next.js app on vercel using the openai node sdk. "
        "is there like a checklist?"))
    assert "where is the app deployed" not in reply.text


def test_a_price_comparison_names_both_models_and_prices_them(real_tutor: OfflineTutor) -> None:
    """QA15: "is claude haiku cheaper than gpt-4o-mini?" got the switch-model card; the first
    name swallowed the second, and a bare family name priced nothing."""
    from apilab.assistant.offline.signals import read_signals

    models = [m.resolved for m in read_signals("is claude haiku cheaper than gpt-4o-mini?").models]
    assert models == ["claude-haiku-4-5-20251001", "gpt-4o-mini"]
    assert read_signals("claude haiku 4.5").models[0].resolved == "claude-haiku-4-5-20251001"
    reply = real_tutor.compose(tutor_turn(real_tutor, "rate-limits-cost",
                                          "is claude haiku cheaper than gpt-4o-mini?"))
    assert "**`claude-haiku-4-5-20251001`**" in reply.text and "**`gpt-4o-mini`**" in reply.text
    assert "$0.15 per 1M input tokens" in reply.text


def test_a_leak_thread_moves_on_from_what_the_learner_did(real_tutor: OfflineTutor) -> None:
    """QA15: "ok i revoked it and made a new one" got an unrelated stale-key card, and
    "thanks, and how do I make sure this doesnt happen again" was read as an answer to the
    tutor's "Next:" question."""
    _, done, again = converse(real_tutor, "key-security", [
        "i pushed my .env with my openai key to github, what do i do",
        "ok i revoked it and made a new one",
        "thanks, and how do I make sure this doesnt happen again"])
    assert done.text.startswith("Next: **2.** **Audit usage**")  # revoke (1), rotate (3) done
    assert "Then **4.** **Update and verify**" in done.text
    assert again.meta["card"] == "ks-root-cause"
    assert "pre-commit scanner" in again.text


def test_a_card_about_a_tool_the_learner_never_names_loses_a_near_tie(
        real_tutor: OfflineTutor) -> None:
    """A card whose id names a rare tool word ("inspect" in ks-docker-inspect-env) won
    general questions it shares a few words with."""
    def first(message: str) -> str:
        own, _ = real_tutor.retriever.search(message, "key-security")
        return own[0].doc.key

    assert first("How do you keep your API Key secret?") == "card:ks-where-to-store"
    assert first("docker inspect shows my OPENAI_API_KEY") == "card:ks-docker-inspect-env"
    anchors = real_tutor.retriever._anchors
    assert anchors["card:ks-docker-inspect-env"] == frozenset({"inspect"})
    assert "card:ks-where-to-store" not in anchors  # no rare word in its id


def test_a_retired_model_banner_only_when_the_learner_calls_that_model(
        real_tutor: OfflineTutor) -> None:
    """QA15: "some gpt-4 calls at 3am that werent me" led with gpt-4's retirement."""
    story = real_tutor.compose(tutor_turn(
        real_tutor, "key-security",
        "it looks like there were some gpt-4 calls at 3am that werent me. do i need to tell "
        "openai?"))
    assert "is retired" not in story.text
    for message in ("I switched my code to gpt-4 and now nothing works",
                    "```python\nclient.chat.completions.create(model=\"gpt-4\", messages=m)\n```"
                    "\nwhy does this fail?"):
        used = real_tutor.compose(tutor_turn(real_tutor, "api-basics", message))
        assert "`gpt-4` is retired" in used.text, message
