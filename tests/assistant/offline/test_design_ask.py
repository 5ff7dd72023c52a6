"""Design requests in the learner's own words start the guide they ask for (QA pass 14),
and the JSON fields a learner names become the schema of the plan's draft."""

from __future__ import annotations

import dataclasses

import pytest

from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.fields import draft_schema, named_fields, record_name
from apilab.assistant.offline.guide import design_guide
from tests.assistant._helpers import make_turn


def _talk(tutor: OfflineTutor, lab: str, messages: list[str]) -> list:
    history: list[tuple[str, str]] = []
    replies = []
    for message in messages:
        turn = dataclasses.replace(make_turn(tutor.course, lab, message), history=list(history))
        reply = tutor.compose(turn)
        replies.append(reply)
        history += [("learner", message), ("assistant", reply.text)]
    return replies


@pytest.mark.parametrize(("lab", "message", "guide"), [
    ("production-prompts",
     "I need JSON output from the model for my invoice parser, help me design it", "prompt-plan"),
    ("rate-limits-cost", "help me design a budget for my chatbot", "retry-plan"),
    # Another lab's topic, asked in Lab 1.
    ("api-basics", "can you help us plan how our discord bot handles rate limits and costs",
     "retry-plan"),
    ("key-security", "how should we structure secrets for our saas app?", "key-plan"),
])
def test_a_design_request_in_other_words_picks_the_guide_by_topic(lab: str, message: str,
                                                                  guide: str) -> None:
    found = design_guide(message, lab)
    assert found is not None and found.id == guide


@pytest.mark.parametrize("message", [
    "help me figure out why my app gets 401",  # debugging, not design
    "how should i design my system prompt?",  # the notes answer what a prompt contains
    "help me design it",  # nothing of theirs named
    # A question of its own beside the request: the notes answer it.
    "help me structure my code for calling the api. i have a flask app where 3 routes call "
    "openai. what's a clean way to organize this?",
])
def test_questions_that_are_not_design_requests_start_no_guide(message: str) -> None:
    assert design_guide(message, "production-prompts") is None


def test_the_invoice_plan_drafts_the_fields_the_learner_named(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, "production-prompts", [
        "I need JSON output from the model for my invoice parser, help me design it",
        "yes, users upload PDF invoices. we use claude from python and extract vendor, date, "
        "total and line items",
    ])
    assert "question 3 of 3" in replies[0].text  # JSON and extraction were said already
    plan = replies[1].text
    assert "Your plan" in plan
    assert "{vendor, date, total, line_items}" in plan  # in the prompt, not a placeholder
    assert "class Invoice(BaseModel):" in plan and "total: float | None" in plan
    assert "line_items: list[LineItem]" in plan
    # Claude was named: the schema goes in as a forced tool, not OpenAI's parse().
    assert "tool_choice" in plan and "chat.completions.parse" not in plan
    assert "for this feature: the invoice parser." in plan  # not the request sentence


@pytest.mark.parametrize(("text", "fields"), [
    ("we extract vendor, date, total and line items. about 300 a day",
     ["vendor", "date", "total", "line_items"]),
    ("pull out the name, email, phone number and skills from resumes into json",
     ["name", "email", "phone_number", "skills"]),
    ("fields: sender, subject, priority, category", ["sender", "subject", "priority", "category"]),
    ("we extract data from emails", []),  # no list
    ("extract the total from receipts", []),  # one field is not a schema
    ("extract the usual stuff, etc", []),
])
def test_named_fields(text: str, fields: list[str]) -> None:
    assert named_fields(text) == fields


def test_the_record_is_named_after_the_document_not_a_field() -> None:
    said = "pull out name, email and skills from resumes"
    assert record_name(said, ["name", "email"]) == "Resume"
    assert "class Resume(BaseModel):" in draft_schema(
        "pull out name, email and skills from resumes", "gemini")
    assert draft_schema("no fields here") == ""


@pytest.mark.parametrize("attack", [
    "extract " + ", ".join(f"field{i}" for i in range(50_000)) + " and more",
    "need " * 2000, "extract a, " * 1000, "{a, " * 2000 + "}", "extract (" * 1000,
])
def test_field_parsing_is_bounded(attack: str) -> None:
    import time

    from apilab.assistant.offline.fields import list_start

    started = time.perf_counter()
    assert len(named_fields(attack)) <= 12
    list_start(attack)
    draft_schema(attack)
    assert time.perf_counter() - started < 1.0  # many list openings: not quadratic


def test_a_plan_asked_for_at_the_end_is_built_from_the_whole_conversation(
        real_tutor: OfflineTutor) -> None:
    """QA pass 14: "write the whole setup as a checklist for our team" got "I don't know"
    and repeats of earlier replies."""
    replies = _talk(real_tutor, "key-security", [
        "our team (5 devs) shares one openai key in a slack message. we have a nextjs app on "
        "vercel and python data jobs that run in github actions. what should our setup look like?",
        "great. can you write the whole setup as a checklist for our team?",
    ])
    plan = replies[1].text
    assert "Your plan" in plan and replies[1].on_topic
    first = plan.split("- [ ] ")[1]
    assert first.startswith("Today: the key that was shared")  # the exposed key comes first
    assert "On Vercel" in plan and "CI secret store" in plan and "server-only" in plan
    assert "One key per person" in plan


def test_a_bulk_job_beside_a_button_gets_separate_queues(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, "rate-limits-cost", [
        "it's a django + celery app on gpt-4o. customers upload 5000 products at once as a bulk "
        "job, and there's a 'regenerate' button users click in the UI",
        "can you put it all together into a plan for our setup?",
    ])
    assert "Both kinds at once" in replies[1].text and "Batch API" in replies[1].text


def test_a_plan_request_with_nothing_said_before_is_not_a_summary(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(real_tutor.course, "key-security",
                                         "can you write the whole setup as a checklist?"))
    assert "from what you've told me" not in reply.text


def test_write_one_after_asking_about_a_system_prompt_drafts_it(real_tutor: OfflineTutor) -> None:
    """QA pass 14: "can you write one for my bakery?" was called off-topic."""
    replies = _talk(real_tutor, "production-prompts", [
        "how do i write a good system prompt for a customer support chatbot for my bakery?",
        "can you write one for my bakery? we're called Rosie's Bakes, we do custom cakes and "
        "sell bread, people ask about opening hours, allergens and ordering cakes",
    ])
    draft = replies[1].text
    assert replies[1].on_topic and "A first draft of the system prompt" in draft
    assert "this feature: we're called Rosie's Bakes" in draft
    assert "can you write one" not in draft.split("```text")[1]
    # "one" means a prompt only when the prompt was what the learner asked about.
    other = _talk(real_tutor, "rate-limits-cost", ["how do i add retries?",
                                                   "can you write one for my worker?"])
    assert "A first draft of the system prompt" not in other[1].text


def test_nested_fields_become_a_nested_schema_in_the_learners_language() -> None:
    from apilab.assistant.offline.fields import named_tree

    said = ("I need name, email, phone, list of jobs (company, title, start, end), skills from "
            "resumes")
    tree = named_tree(said)
    assert [f.name for f in tree] == ["name", "email", "phone", "jobs", "skills"]
    assert tree[3].children == ("company", "title", "start", "end")
    python = draft_schema(said)
    assert "class Job(BaseModel):" in python and "jobs: list[Job]" in python
    assert 'null while it is ongoing ("present")' in python
    zod = draft_schema("recipe json {title, ingredients, steps}", "anthropic", "js")
    assert "const Recipe = z.object({" in zod and "ingredients: z.array(z.string())," in zod
    assert "z.toJSONSchema(Recipe)" in zod and "client.messages" not in zod


def test_a_plan_for_node_and_claude_drafts_zod_and_drops_streaming_when_told(
        real_tutor: OfflineTutor) -> None:
    """QA pass 15: the summed-up plan kept "stream replies" after "forget streaming" and
    ignored the recipe JSON and the cache."""
    replies = _talk(real_tutor, "api-basics", [
        "I'm building an express (node) backend for a recipe app and want to use claude to "
        "generate recipes from a list of ingredients. how should I set up the api calls? help "
        "me design it",
        "ok forget streaming. can you sum up the plan for our setup: express + anthropic node "
        "sdk, recipe json {title, ingredients, steps}, fallback to a cached recipe keyed by the "
        "ingredient list",
    ])
    plan = replies[1].text
    assert "Your plan" in plan and "Stream replies" not in plan
    assert "Cache answers under a normalised key" in plan and "forced tool" in plan
    assert "const Recipe = z.object({" in plan


def test_details_told_after_a_plan_update_it(real_tutor: OfflineTutor) -> None:
    replies = _talk(real_tutor, "production-prompts", [
        "I need structured output for my resume parser, help me design it. python, openai. I "
        "need name, email, phone, list of jobs (company, title, start, end), skills.",
        "it's a resume parser for a small recruiting agency. recruiters upload PDFs, the model "
        "turns it into structured data, then we save to postgres. about 200 resumes a day",
    ])
    assert "class Resume(BaseModel):" in replies[0].text
    assert replies[1].text.startswith("The plan again, with what you added:")
    assert "small recruiting agency" in replies[1].text and replies[1].on_topic


def test_the_key_plan_hears_render_gemini_and_a_keyless_ci(real_tutor: OfflineTutor) -> None:
    """QA pass 15: an incident-plan request got "I don't know"; the plan kept a CI-key item
    after "the tests mock the apis" and a notebook item after "local dev"."""
    replies = _talk(real_tutor, "key-security", [
        "we need an incident plan for if our api key leaks. small startup, 2 engineers, node "
        "backend on render, openai and gemini both used. can you help me write one?",
        "2 engineers as I said, plus render for prod. no staging, just local dev and prod. "
        "github actions runs tests but the tests mock the apis",
        "we have a $200 monthly budget on openai but nothing on gemini"])
    assert "question" in replies[0].text  # the key plan started, not "I don't know"
    plan = replies[-1].text
    assert "Your plan" in plan and "On Render" in plan and "Gemini keys belong" in plan
    assert "CI secret store" not in plan and "notebook" not in plan.lower()


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "unknown"])
@pytest.mark.parametrize("language", ["python", "js"])
def test_every_schema_draft_renders(provider: str, language: str) -> None:
    """QA pass 16: a TypeScript + OpenAI plan crashed on the template's own braces
    (KeyError: ' zodResponseFormat ')."""
    out = draft_schema("we extract merchant, date, total and items from receipts", provider,
                       language)
    assert "Receipt" in out and out.count("```") == 2
    assert ("z.object" in out) == (language == "js")


def test_a_question_of_their_own_leaves_the_guide_and_evals_are_not_a_prompt_plan(
        real_tutor: OfflineTutor) -> None:
    """QA pass 16: "plan evals for our HR bot" got the prompt questionnaire, and "but I'm
    asking about evals - how do I test prompt changes?" got its next question."""
    # (an eval plan of its own since the thirteenth session, never the prompt plan)
    found = design_guide("help me plan evals for our HR FAQ bot", "production-prompts")
    assert found is not None and found.id == "eval-plan"
    replies = _talk(real_tutor, "production-prompts", [
        "help me design the prompt for my HR FAQ bot, it answers leave and payroll questions "
        "from policy docs",
        "a person reads it in slack. but I'm asking about evals - how do I test prompt changes "
        "before shipping?"])
    assert "question 3 of 3" not in replies[1].text
    assert replies[1].meta["card"] == "pp-eval-prompt-change"


def test_a_chat_platform_bot_is_not_told_to_stream_and_gemini_gets_its_errors(
        real_tutor: OfflineTutor) -> None:
    """QA pass 16: a Discord bot on Gemini was told to stream and given OpenAI's errors."""
    reply = _talk(real_tutor, "api-basics", [
        "plan error handling for discord.js bot answering with gemini, ~150 people, don't "
        "crash or go silent"])[0]
    assert "Your plan" in reply.text and "Stream replies" not in reply.text
    assert "typing indicator" in reply.text and "google.genai.errors.ClientError" in reply.text
