"""Guided design conversations: ask, react to the answer, end with a tailored plan."""

from __future__ import annotations

import dataclasses

import pytest

from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.guide import guides
from apilab.content.models import Course
from tests.assistant._helpers import make_turn


def _talk(tutor: OfflineTutor, course: Course, lab: str, messages: list[str]) -> list:
    history: list[tuple[str, str]] = []
    replies = []
    for message in messages:
        turn = dataclasses.replace(make_turn(course, lab, message), history=list(history))
        reply = tutor.compose(turn)
        replies.append(reply)
        history += [("learner", message), ("assistant", reply.text)]
    return replies


def test_every_lab_has_a_guide_with_three_steps(real_tutor: OfflineTutor) -> None:
    labs = {g.lab for g in guides()}
    assert labs == {lab.id for lab in real_tutor.course.labs}
    assert all(len(g.steps) == 3 and g.plan.get("always") for g in guides())


def test_key_management_plan_reacts_and_ends_tailored(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app",
        "it's a Chrome extension that calls OpenAI directly",
        "just me for now",
        "no cap yet, not sure",
    ])
    assert "question 1 of 3" in replies[0].text
    assert "backend" in replies[1].text and "question 2 of 3" in replies[1].text
    assert "separate keys" in replies[2].text or "own key" in replies[2].text
    plan = replies[3].text
    assert "Your plan" in plan and "behind your own backend" in plan
    assert "spending cap" in plan and "revoke first" in plan
    # The introduction and first question teach nothing yet; each reaction after does.
    assert not replies[0].on_topic
    assert all(r.on_topic for r in replies[1:])


def test_opening_message_answers_first_question_and_feeds_the_plan(
        real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my Chrome extension, it calls OpenAI directly",
        "just me for now",
        "no cap yet",
    ])
    assert "question 1 of 3" not in replies[0].text
    assert "question 2 of 3" in replies[0].text and "backend" in replies[0].text
    assert replies[0].on_topic  # it reacted to what the learner said
    plan = replies[2].text
    assert "Your plan" in plan and "behind your own backend" in plan


def test_an_answer_with_nothing_recognised_does_not_count(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app",
        "not sure honestly",
    ])
    assert "question 2 of 3" in replies[1].text  # the conversation goes on
    assert not replies[1].on_topic


def test_retry_guide_computes_tokens_per_minute(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "rate-limits-cost", [
        "how should I structure retries in my worker?",
        "about 300 requests per minute, 1,500 tokens each",
    ])
    assert "450,000 tokens per minute" in replies[1].text


def test_a_real_question_leaves_the_guide(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "production-prompts", [
        "help me design a system prompt",
        "Actually, what is the difference between JSON mode and structured outputs?",
    ])
    assert "question 2 of 3" not in replies[1].text and "schema" in replies[1].text.lower()


def test_guide_objectives_exist_in_their_lab(real_tutor: OfflineTutor) -> None:
    for guide in guides():
        valid = {o.id for o in real_tutor.course.lab(guide.lab).objectives}
        named = {o for step in guide.steps for o in step.objectives} | set(guide.plan_objectives)
        assert named and named <= valid, guide.id


def test_answering_a_step_covers_its_objectives(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app", "a flask backend on a server"])
    assert {"key-storage", "leak-vectors"} <= set(replies[1].objectives)


def test_a_question_typed_without_a_question_mark_also_leaves_the_guide(
        real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "rate-limits-cost", [
        "how should I structure retries in my worker?",
        "what's the difference between rpm and tpm and which one am i hitting with long prompts",
    ])
    assert "question 2 of 3" not in replies[1].text
    assert "requests per minute" in replies[1].text.lower()
    # An answer that happens to end in "?" but says what we asked about stays in the guide.
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app",
        "is it fine that it's a react app that runs in the browser?",
    ])
    assert "question 2 of 3" in replies[1].text


def test_a_side_question_pauses_the_plan_and_the_next_answer_resumes_it(
        real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app",
        "its a nextjs app on vercel, the call is in an api route",
        "wait actually, is vercel's env var thing encrypted?",
        "ok. just me for now but a friend might join. no CI yet",
        "no cap yet",
    ])
    assert "question 2 of 3" in replies[1].text
    # Next.js with the call in an API route: not told the key must leave "that code".
    assert "server route" in replies[1].text and "must not be in that code" not in replies[1].text
    assert replies[2].meta["answer_kind"] != "coach"  # the side question, from the notes
    assert replies[3].text.startswith("Back to the plan.") and "question 3 of 3" in replies[3].text
    assert "For CI" not in replies[3].text  # "no CI yet"
    plan = replies[4].text
    assert "Your plan" in plan
    assert "server-only" in plan  # from the answer to question 1, before the side question
    assert "CI secret store" not in plan  # "no CI yet"


def test_the_prompt_plan_ends_with_a_draft_built_from_the_answers(
        real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, real_tutor.course, "production-prompts", [
        "help me design a system prompt",
        "it turns support emails into tickets with a category and a priority",
        "our code reads it, it goes into the ticket database",
        "yes, the emails come from customers",
    ])
    plan = replies[3].text
    assert "A first draft of the system prompt" in plan
    draft = plan.split("```text", 1)[1]
    assert "feature: turns support emails into tickets with a category and a priority" in draft
    assert "Reply only with JSON" in draft  # code reads it
    assert "<user_input>" in draft  # the emails are untrusted
    assert "extract the requested fields" in draft


def test_the_key_plan_uses_what_the_learner_already_said(real_tutor: OfflineTutor) -> None:
    """QA: "3 devs, a next.js frontend on vercel, python backend on fly.io, openai and
    anthropic" got "the key must not be in that code at all" (client-only), then "Who needs
    the key?", and a generic plan with the spending cap, said to come first, listed last."""
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my startup's app",
        "we have 3 devs, a next.js frontend on vercel, python backend on fly.io, and we use "
        "openai and anthropic",
        "no cap yet, probably a few thousand dollars before anyone notices",
    ])
    setup = replies[1].text
    assert "must not be in that code at all" not in setup
    assert "Who needs the key" not in setup and "question 3 of 3" in setup
    plan = replies[2].text
    assert replies[2].meta["answer_kind"] == "plan"
    items = [line for line in plan.splitlines() if line.startswith("- [ ]")]
    assert "spending cap" in items[0]
    for named in ("Vercel", "fly secrets set", "Anthropic workspace", "One key per person"):
        assert named in plan, named


def test_retry_guide_reads_limits_and_says_which_one_binds(real_tutor: OfflineTutor) -> None:
    """QA14 item 13: "50 RPM and 40k input TPM, each request ~2k tokens. how many can we
    actually do per minute?" got "50 requests a minute x 40,000 tokens each is about
    2,000,000 tokens per minute"; 40,000 / 2,000 = 20 a minute, so TPM binds."""
    replies = _talk(real_tutor, real_tutor.course, "rate-limits-cost", [
        "how should I structure retries in my worker? I have a celery worker with 8 processes "
        "each calling the anthropic api, we get lots of 429",
        "our tier is 50 RPM and 40k input TPM, each request ~2k tokens. how many can we "
        "actually do per minute?"])
    text = replies[1].text
    assert "2,000,000" not in text
    assert "40,000 / 2,000 = **20 requests a minute**" in text
    assert "**TPM binds: you can do about 20 requests a minute**, not 50" in text
    # The plan goes on, past what the opening said on purpose ("a celery worker": not
    # asked again whether a person waits).
    assert "question 3 of 3" in text and "question 2 of 3" not in text


@pytest.mark.parametrize(("answer", "said"), [
    ("we send 100 rpm, 500 tokens each, our limit is 30k TPM",
     "**50,000 tokens per minute**. Your TPM limit allows 30,000 / 500 = **60 requests a "
     "minute**"),
    ("TPM: 90k, RPM: 3500, prompts are ~1.2k tokens", "**TPM binds: you can do about 75"),
    ("limits are 500 RPM and 200k TPM", "above 400 tokens a request"),
    ("we do 600 rpm, tier allows 500 rpm", "120% of your 500 RPM limit (over it"),
])
def test_the_numbers_reaction_labels_each_number(answer: str, said: str) -> None:
    from apilab.assistant.offline.guide import _numbers_reaction

    assert said in _numbers_reaction(answer)


def test_wider_openers_and_facts_start_and_shape_the_guides(real_tutor: OfflineTutor) -> None:
    """QA15: "help me design the prompt and output handling ..." got "I don't know"; "people
    wait for the answer" in a discord bot was not read as interactive."""
    opener = _talk(real_tutor, real_tutor.course, "production-prompts", [
        "help me design the prompt and output handling for our invoice feature"])[0]
    # "invoice" says what the feature does (extraction): the guide asks question 2 next.
    assert "question 2 of 3" in opener.text and "**Next:**" not in opener.text
    bot = _talk(real_tutor, real_tutor.course, "rate-limits-cost", [
        "help me plan retries and costs for my app pls",
        "about 20 requests a minute, 1000 tokens each",
        "its a discord bot, people wait for the answer",
        "free if possible lol. maybe 10 dollars. claude haiku"])
    assert "With someone waiting, keep retries short" in bot[2].text
    assert "Interactive path" in bot[3].text


def test_a_nightly_job_plan_is_priced_against_the_budget_and_a_question_after_it_is_answered(
        real_tutor: OfflineTutor) -> None:
    """QA17: the retry plan never priced "10k docs every night" against "$50/month", and
    "does $50 even cover it?" after the plan got the same plan again ("Back to the plan")."""
    replies = _talk(real_tutor, real_tutor.course, "rate-limits-cost", [
        "how should I structure retries in my worker? It's a celery worker that sends ~10k "
        "docs to gpt-4o-mini every night for summarizing, and lately half the run dies on 429s",
        "peak is maybe 300 requests/min, each doc ~2500 tokens in and we ask for max 300 out",
        "background job, nobody is waiting. it just has to be done by 6am",
        "budget is like $50/month, model is gpt-4o-mini",
        "wait does $50 even cover it? 10k docs x 2500 tokens in and 300 out, every night"])
    assert "With someone waiting" not in replies[2].text  # "nobody is waiting"
    plan = replies[3].text
    assert "Your plan" in plan and "total **$166.50** per month" in plan
    assert "**no**: that is over $50.00 a month" in plan
    after = replies[4].text
    assert "Back to the plan" not in after and "Your plan" not in after
    assert "total **$5.55** per day" in after and "about **$166.50**" in after
    assert "the model you named earlier" in after


def test_no_cap_or_alerts_yet_is_uncapped(real_tutor: OfflineTutor) -> None:
    """QA17: "we don't have a cap or alerts yet" got "Good - a cap turns a leak ..."."""
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app. It's a Flask backend on Render plus a React "
        "Native mobile app, and we call Claude for a recipe feature. 3 devs.",
        "we don't have a cap or alerts yet, honestly maybe $500 could go before anyone noticed"])
    assert "Good - a cap" not in replies[1].text
    assert "Set a spending cap and an alert today" in replies[1].text


def test_an_opening_that_answers_everything_gets_a_plan_without_contradictions(
        real_tutor: OfflineTutor) -> None:
    """QA17: an invoice-extraction design got agent rules ("database" was an agent word) and
    both "Reply only with JSON" and "Answer in at most <N> sentences of plain text"."""
    plan = _talk(real_tutor, real_tutor.course, "production-prompts", [
        "help me design the prompt for my feature: users paste the text of an invoice and we "
        "need vendor name, invoice date, total and currency saved into our database"])[0].text
    assert "Your plan" in plan
    assert "Reply only with JSON" in plan and "sentences of plain text" not in plan
    assert "confirm before any action" not in plan  # not an agent
    assert "dates parse and are plausible" in plan
    assert "You are the assistant for this feature: users paste the text of an invoice" in plan


def test_asking_for_the_plan_again_shows_it_without_counting(real_tutor: OfflineTutor) -> None:
    """QA18: "can you summarise the whole plan for us as a checklist?" got "I don't know"."""
    replies = _talk(real_tutor, real_tutor.course, "key-security", [
        "help me plan key management for my app", "its a flask backend on render", "3 devs",
        "no cap yet", "great. can you summarise the whole plan for us as a checklist?"])
    assert "Your plan" in replies[3].text
    again = replies[4]
    assert "Here is the plan from above again" in again.text and "Your plan" in again.text
    assert not again.on_topic


def test_a_complaint_in_the_answer_is_not_the_features_purpose(
        real_tutor: OfflineTutor) -> None:
    from tests.assistant._helpers import converse

    *_, plan = converse(real_tutor, "production-prompts", [
        "can you write the system prompt for me?",
        "its a recipe chatbot on my cooking blog, visitors ask it for recipes and "
        "substitutions. i already said that lol, just write the prompt",
        "a person reads it, its just chat text",
        "only the visitors messages, no files or anything",
    ])
    draft = plan.text.split("```text")[1]
    assert "a recipe chatbot on our cooking blog" in draft
    assert "already said" not in draft and "write the prompt" not in draft


def test_a_key_plan_opening_that_names_the_team_and_environments_skips_that_question(
        real_tutor: OfflineTutor) -> None:
    from tests.assistant._helpers import converse

    (reply,) = converse(real_tutor, "key-security", [
        "can you help me plan key management for my app? its a flask app on render that calls "
        "openai and anthropic, 3 of us work on it, we have dev and prod"])
    assert "question 3 of 3" in reply.text
    assert "One key per environment" in reply.text


def test_every_unless_names_facts_of_its_own_step() -> None:
    """A fact list placed under ``unless:`` by mistake silently drops those facts (it did:
    the call plan's json and cache)."""
    for guide in guides():
        for step in guide.steps:
            for fact, cancelled_by in step.unless.items():
                assert fact in step.facts, (guide.id, fact)
                assert set(cancelled_by) <= set(step.facts), (guide.id, cancelled_by)
            assert all(f in step.react or f in guide.plan or any(
                f in k.split("+") for k in guide.plan) for f in step.facts
                if f not in ("ci_keyless",)), guide.id
