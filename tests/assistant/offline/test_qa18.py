"""Fixes from learner QA pass 17 (thirteenth session): plans that quote what the learner
said, plans asked for in everyday words, and details told after a plan."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apilab.assistant.httpinfo import bare_codes
from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.intents import detect_small_talk, model_candidates
from apilab.assistant.offline.policies import policy_rules
from apilab.assistant.offline.read import read_message
from apilab.assistant.offline.review import review_keys, review_prompt, review_retries
from apilab.assistant.offline.workload import (
    input_parts,
    monthly_budget,
    parse_quantities,
    parse_workload,
    rate_arithmetic,
)
from tests.assistant._helpers import converse

_KEY_OPENING = ["help me plan key management for my side project",
                "it's a next.js app on vercel, I'm solo, calling openai from api routes. budget "
                "maybe 20 dollars a month"]


@pytest.mark.parametrize(("text", "budget"), [
    ("budget maybe 20 dollars a month", Decimal(20)),
    ("our budget is $1,500/month", Decimal(1500)),
    ("I can spend about $2k a month", Decimal(2000)),
    ("we have 150 dollars a month, want gpt-4o-mini", Decimal(150)),
    ("Budget is tight, maybe $15/mo", Decimal(15)),
    ("i dont want to spend more than 25 bucks a month", Decimal(25)),
    # What something costs is not a limit; the budget said after it is.
    ("our bill is $40/month and our budget is $60 a month", Decimal(60)),
    ("it costs $150 a month", None),
    # Of several amounts, the one said as a limit (QA pass 18: "$5/mo" testing spend was
    # taken for the $400 budget).
    ("not launched yet so spend is ~$5/mo testing. i'd want total openai spend under $400 a "
     "month. no cap set yet", Decimal(400)),
    ("we currently spend $1,800 a month and the budget is $3k a month", Decimal(3000)),
    ("spend is $120 a month, and we have a $300 monthly cap set", Decimal(300)),
    ("we process 500 docs a month, $3 each", None),
    ("we have 3 devs", None),
])
def test_a_monthly_budget_is_read_from_everyday_wording(text: str,
                                                         budget: Decimal | None) -> None:
    assert monthly_budget(text) == budget


def test_the_key_plan_quotes_the_learners_budget_and_puts_their_items_first(
        real_tutor: OfflineTutor) -> None:
    plan = converse(real_tutor, "key-security", _KEY_OPENING)[-1]
    assert plan.meta["answer_kind"] == "plan"
    items = [line for line in plan.text.splitlines() if line.startswith("- [ ]")]
    assert any("$20/month" in item and "$10" in item for item in items)
    # Their host comes before the items every plan has.
    vercel = next(i for i, item in enumerate(items) if "Vercel" in item)
    always = next(i for i, item in enumerate(items) if "pre-commit secret scan" in item)
    assert vercel < always


def test_the_retry_plan_uses_the_budget_amount_instead_of_the_general_item(
        real_tutor: OfflineTutor) -> None:
    replies = converse(real_tutor, "rate-limits-cost", [
        "help me plan rate limits and budget for my app",
        "about 30 requests a minute at peak, each around 1500 tokens",
        "people wait for it in a chat widget",
        "we have 150 dollars a month, want gpt-4o-mini"])
    text = replies[-1].text
    assert "$150/month" in text and "$75" in text
    assert "Enforce the budget in code (reserve before the call" not in text


@pytest.mark.parametrize("ask", ["ok give me the plan", "what should the final checklist be?",
                                 "and the whole plan?"])
def test_a_plan_asked_for_in_everyday_words_is_given(real_tutor: OfflineTutor,
                                                     ask: str) -> None:
    reply = converse(real_tutor, "key-security", [*_KEY_OPENING, ask])[-1]
    assert "**Your plan**" in reply.text
    assert reply.meta["answer_kind"] in ("plan", "repeat")


def test_details_told_after_a_plan_update_it(real_tutor: OfflineTutor) -> None:
    reply = converse(real_tutor, "key-security", [
        *_KEY_OPENING, "no other people have access. I keep the key in .env.local"])[-1]
    assert reply.text.startswith("The plan again, with what you added")
    assert "git check-ignore" in reply.text
    assert reply.meta.get("card") is None  # not an answer card about strangers on a deployment


@pytest.mark.parametrize(("message", "kind"), [
    ("ok", "thanks"), ("thanks!", "thanks"), ("ok thanks that makes sense", "thanks"),
    ("great, thats all", "thanks"), ("perfect thank you so much", "thanks"),
    # An acknowledgement that goes on to ask for something is a request.
    ("ok give me the plan", None), ("cool now show me code", None),
    ("thanks, what about gemini", None), ("ok can you redo it for mini", None),
])
def test_an_acknowledgement_with_a_request_is_not_small_talk(message: str,
                                                             kind: str | None) -> None:
    assert detect_small_talk(message) == kind


def test_the_prompt_draft_takes_the_purpose_from_a_later_answer_and_its_topics_as_scope(
        real_tutor: OfflineTutor) -> None:
    """The opening named only "my support bot", so the purpose came as the answer to the
    next question; the draft used to say "<what it does>" and a generic scope."""
    plan = converse(real_tutor, "production-prompts", [
        "help me design the system prompt for my support bot",
        "it answers customer questions for my online plant shop, about orders, shipping and "
        "plant care",
        "a person reads it in the chat widget, plain text is fine"])[-1]
    assert "<what it does>" not in plan.text
    assert "feature: answers customer questions for our online plant shop" in plan.text
    assert "You cover orders, shipping and plant care only" in plan.text


@pytest.mark.parametrize(("text", "model"), [
    ("we use claude haiku 3.5 and do ~50k requests a month", "claude-3-5-haiku"),
    ("claude 3.5 haiku", "claude-3.5-haiku"),
    ("claude sonnet 3.7", "claude-3-7-sonnet"),
    ("is haiku 4.5 cheaper", "claude-haiku-4.5"),  # resolved as a family name later
    ("claude opus 4.1 or gpt 3.5", "claude-opus-4.1"),
])
def test_claude_names_in_the_learners_order_are_one_model(text: str, model: str) -> None:
    """"claude haiku 3.5" was read as gpt-3.5 (priced as gpt-5) and claude-haiku-4-5."""
    candidates = model_candidates(text)
    assert candidates[0] == model
    assert not any("-gpt-" in c for c in candidates)


def test_does_caching_save_money_is_priced_with_and_without_the_cache(
        real_tutor: OfflineTutor) -> None:
    text = converse(real_tutor, "rate-limits-cost", [
        "our system prompt is huge, like 6k tokens (product catalog + rules), same for every "
        "request. we use claude haiku 3.5 and do ~50k requests a month. does prompt caching "
        "actually save money here or is it a gimmick? how much roughly"])[0].text
    assert "claude-3-5-haiku" in text and "gpt-5" not in text
    assert "$240.00" in text and "**With the prompt cache**" in text and "$24.00" in text


def test_tpm_is_divided_by_prompt_plus_max_tokens_and_the_rush_is_compared() -> None:
    text = rate_arithmetic(
        "we're on openai tier 1 i think, gpt-4o, the limits page says 30,000 TPM and 500 RPM. "
        "we want to launch an internal tool for ~20 people who might all use it at 9am. each "
        "request is about 2.5k tokens prompt and we set max_tokens 1000. is that enough or "
        "will we get 429s?")
    assert "2,500 + 1,000 = 3,500" in text
    assert "30,000 / 3,500 = **8 requests a minute**" in text
    assert "20 people" in text and "expect 429s" in text


@pytest.mark.parametrize(("lab", "message", "card"), [
    # openai-node's own error text, pasted after "npx tsx index.ts": was the streaming card.
    ("api-basics", "when i run `npx tsx index.ts` i get\n\nOpenAIError: The OPENAI_API_KEY "
     "environment variable is missing or empty; either provide it, or instantiate the OpenAI "
     "client with an apiKey option, like new OpenAI({ apiKey: 'My API Key' }).",
     "ab-node-env-missing"),
    ("api-basics", "how do i load a .env file in node so process.env.OPENAI_API_KEY is set?",
     "ab-node-env-missing"),
    ("key-security", "OpenAIError: The OPENAI_API_KEY environment variable is missing or "
     "empty; either provide it, or instantiate the OpenAI client with an apiKey option",
     "ks-node-dotenv-order"),
    ("api-basics", "i saw someone mention reasoning_effort=\"low\" on reddit, is that a real "
     "parameter? would that fix my empty replies", "ab-reasoning-empty-content"),
    # finish_reason "length" beside "should i just retry?": was HTTP 408.
    ("production-prompts", "weird bug: my extraction sometimes returns json that just... stops "
     "in the middle, like {\"items\": [{\"name\": \"Widget\", \"qty\": 3}, {\"name\": "
     "\"Gad\nfinish_reason is \"length\". i have max_tokens=256 on gpt-4o. should i just "
     "retry?", "pp-answer-cut-off"),
    # An OpenAI 429 with its x-ratelimit headers: was the Groq headers card.
    ("rate-limits-cost", "getting this in prod and i dont get it, we only send like 5 requests "
     "at a time??\n\nopenai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit "
     "reached for gpt-4o in organization org-xxxx on tokens per min (TPM): Limit 30000, Used "
     "27412, Requested 6120. Please try again in 7.064s. Visit "
     "https://platform.openai.com/account/rate-limits to learn more.', 'type': 'tokens', "
     "'param': None, 'code': 'rate_limit_exceeded'}}\n\nresponse headers:\n"
     "x-ratelimit-limit-requests: 500\nx-ratelimit-remaining-requests: 494\n"
     "x-ratelimit-limit-tokens: 30000\nx-ratelimit-remaining-tokens: 0\n"
     "x-ratelimit-reset-tokens: 7.064s\n\nwhy is it saying tokens when requests remaining is "
     "494?", "rlc-ratelimit-headers"),
    ("api-basics", "my .env file is right next to main.py and has OPENAI_API_KEY=sk-proj-abc... "
     "but i get\n\nKeyError: 'OPENAI_API_KEY'\n\ndo i need to install something? i thought "
     "python reads .env automatically", "ab-no-api-key-provided"),
    ("key-security", "my coworker asked me to just dm him the openai key on slack so he can "
     "test locally. is that fine? its a company account, theres 4 of us", "ks-share-with-team"),
    ("production-prompts", "my ticket classifier (gpt-4o-mini, plain json mode) is supposed to "
     "return priority as one of low/medium/high/urgent but i keep seeing stuff like "
     "\"priority\": \"urgent-ish\" or \"High\" or \"P1\" and it breaks the dashboard. whats "
     "the proper way to validate + retry when it returns garbage? python, pydantic v2",
     "pp-enum-value-not-allowed"),
    ("api-basics", "I have an express backend and a plain html page. I got streaming working "
     "in the node terminal with the openai sdk (for await chunk of stream) but how do i send "
     "it to the browser as it comes in? right now i do res.json(fullText) at the end",
     "ab-stream-express-to-browser"),
    ("api-basics", "writing a small CLI in Go that calls claude. is there an official go sdk or "
     "do i just use net/http? if net/http what headers do i need", "ab-go-anthropic"),
    ("key-security", "why do people keep saying i need a \"proxy\" or backend for my ai app? "
     "my app is just a static site on netlify, cant i just call the api from the frontend if "
     "i restrict the domain or something", "ks-static-site-no-backend"),
    ("key-security", "chrome.storage.local vs chrome.storage.sync for the user's key? my "
     "extension lets people paste their own openai key", "ks-byok-extension-storage"),
    ("key-security", "can i just switch the workflow to pull_request_target so it gets the "
     "secret? fork PRs fail because OPENAI_API_KEY is empty", "ks-github-actions-secret-empty"),
    ("production-prompts", "how do i force gemini to give me json in node? using "
     "@google/genai, sometimes it wraps it in text", "pp-gemini-json-node"),
    ("api-basics", "my code already loops over the raw events from stream=True on anthropic. "
     "which event has the text and what field? like for event in stream: ???",
     "ab-anthropic-raw-stream-events"),
])
def test_the_pass_questions_reach_their_card(real_tutor: OfflineTutor, lab: str, message: str,
                                             card: str) -> None:
    assert converse(real_tutor, lab, [message])[0].meta.get("card") == card


def test_a_plan_asked_for_again_with_corrections_is_built_again(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: "again but fixed for my setup (sveltekit, no CI ...)" repeated the old plan
    with its CI, notebook and Next.js items."""
    replies = converse(real_tutor, "key-security", [
        "can you help me plan key management for my side project? its a recipe generator app",
        "its a next.js app on vercel, calling openai from api routes. budget 25 dollars a "
        "month. we have CI on github actions and a notebook for experiments",
        "ok can you give me the final checklist again but fixed for my setup (sveltekit on "
        "vercel, solo, no CI, no notebooks, 40 users, $25/mo)?"])
    first, fixed = replies[1].text, replies[2].text
    assert "CI secret store" in first and "Next.js" in first
    assert "**Your plan**" in fixed and "Here is the plan from above again" not in fixed
    assert "CI secret store" not in fixed and "notebook" not in fixed.lower()
    assert "In Next.js" not in fixed and "$env/static/private" in fixed
    assert "$25/month across 40 users is about $0.63 per user" in fixed


def test_a_shared_dev_and_prod_key_is_split_not_treated_as_leaked(
        real_tutor: OfflineTutor) -> None:
    plan = converse(real_tutor, "key-security", [
        "help me plan key management for my side project",
        "its a sveltekit app on vercel, the openai call is in a +server.ts endpoint. the key "
        "is in vercel env vars for production and in my .env.local for dev (same key for both "
        "tbh). just me. dev on my laptop and production",
        "budget is 20 dollars a month"])[-1].text
    assert "Split the shared key now" in plan
    assert "counts as leaked" not in plan and "notebook" not in plan.lower()


def test_a_short_plan_again_request_still_repeats_the_plan(real_tutor: OfflineTutor) -> None:
    reply = converse(real_tutor, "key-security", [*_KEY_OPENING, "can you show the plan again"])
    assert reply[-1].meta["answer_kind"] == "repeat"


@pytest.mark.parametrize(("texts", "rules"), [
    (["stack is typescript, gpt-4.1. customers are logged in. policy: refunds only within 14 "
      "days of delivery, max = order total, anything over 100 eur needs a human. about 200 "
      "chats a day"],
     ["refunds only within 14 days of delivery", "max = order total",
      "anything over 100 eur needs a human"]),
    # Parentheses keep a rule's parts together.
    (["the bot knows our shipping (DE/AT only, 3-5 days, free over 60 eur), and we have a "
      "care-guide FAQ"], ["our shipping (DE/AT only, 3-5 days, free over 60 eur)"]),
    # Requests about the plan and workload numbers are not rules.
    (["final checklist please, with my numbers in it (14 days, 100 eur human limit)"], []),
    (["peak maybe 30 req/min, ~120k questions a month, 1.5k system prompt"], []),
])
def test_the_rules_a_learner_states_are_read(texts: list[str], rules: list[str]) -> None:
    assert policy_rules(texts) == rules


def test_the_prompt_plan_quotes_the_learners_rules_and_keeps_replies_as_text(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: the draft began "You are the assistant for this feature: I'm scared of it
    refunding everyone.", asked for JSON in a chat customers read, and had none of the
    learner's refund rules."""
    plan = converse(real_tutor, "production-prompts", [
        "help me design the prompt and guardrails for a support agent that can actually DO "
        "things: look up orders and issue refunds via function calling. I'm scared of it "
        "refunding everyone",
        "both: the customer reads the chat replies, and the tool calls are consumed by our "
        "code. policy: refunds only within 14 days of delivery, max = order total, anything "
        "over 100 eur needs a human",
        "yes, the customer messages, and get_order returns the order notes customers type"])[-1]
    text = plan.text
    assert "I'm scared" not in text
    assert "feature: a support agent that can actually DO things" in text
    assert "Reply only with JSON" not in text and "plain text" in text
    assert "- refunds only within 14 days of delivery" in text
    assert "Check your rules in code" in text and "anything over 100 eur needs a human" in text


def test_an_extraction_plan_does_not_ask_to_stream(real_tutor: OfflineTutor) -> None:
    plan = converse(real_tutor, "production-prompts", [
        "I need to plan an invoice extraction feature for our bookkeeping app. users upload PDF "
        "invoices and we want the fields pulled out into our DB. can you help me design the "
        "prompt + output handling?"])[-1].text
    assert "**Your plan**" in plan
    assert "Stream user-facing replies" not in plan and "Set a timeout" in plan


def test_an_eval_setup_is_planned_from_the_learners_labels_history_and_ci(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: "help me plan it concretely: how many zendesk tickets ..." was called
    outside the lab, and evals had no guided plan."""
    replies = converse(real_tutor, "production-prompts", [
        "can you help me set up evals for my prompts? we keep breaking stuff when we tweak the "
        "prompt of our ticket triage bot and nobody notices for days",
        "we have 6 months of tickets in zendesk with the category the agent finally picked",
        "run it in github actions on every prompt change, without it costing a lot"])
    assert "Planning evals for your prompt" in replies[0].text
    plan = replies[-1].text
    assert replies[-1].meta["answer_kind"] == "plan"
    assert "confusion matrix" in plan and "stratified by label" in plan
    assert "`paths:` filter" in plan and "cache results by prompt hash" in plan


def test_a_bots_servers_are_not_its_requests() -> None:
    workload = parse_workload("its in ~40 servers now. each call ~400 tokens in and ~250 out")
    assert workload is not None and workload.item_noun != "servers"


def test_a_monthly_total_said_as_a_rates_product_is_per_month(real_tutor: OfflineTutor) -> None:
    """QA pass 17: "over a month its more like 8/min average = ~345k messages" was priced as
    345k a minute ($3.1M), with "you didn't name a model" and "$0.03" taken as a budget."""
    replies = converse(real_tutor, "rate-limits-cost", [
        "i have a discord bot (node, discord.js) that answers questions with gemini 2.5 flash. "
        "it's in ~40 servers now and sometimes whole servers spam it. help me plan rate "
        "limiting so it doesn't die or cost me a fortune?",
        "peak maybe 60 messages a minute across all servers when a big server gets going, "
        "normally 5-10/min. each call ~400 tokens in and ~250 out",
        "$0.03 is for one message per server lol. over a month its more like 8/min average = "
        "~345k messages. should i limit per server, per user, or both?"])
    assert "40 servers = 40 x" not in replies[1].text
    text = replies[2].text
    assert "345,000 messages per month" in text and "gemini-2.5-flash" in text
    assert "**$257.03** per month" in text
    assert "You didn't name a model" not in text and "over $0.03" not in text


def test_the_parts_of_one_requests_input_add_up() -> None:
    text = ("each request: 1.5k system prompt (same every time), 6 retrieved chunks of ~700 "
            "tokens, chat history up to 3k, question ~50 tokens. answers ~350 tokens.")
    assert input_parts(text) == [("system prompt", 1500), ("6 x chunks", 4200),
                                 ("chat history", 3000), ("question", 50)]
    assert input_parts("what is question 2 about") == []


def test_a_plan_to_cut_a_bill_prices_each_lever_on_the_learners_numbers(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: a RAG bot's 8.75k-token requests were priced at 750 input tokens, the
    $1,900 bill was taken for a budget, and the plan was about retries."""
    plan = converse(real_tutor, "rate-limits-cost", [
        "our RAG chatbot bill doubled last month ($1,900 on openai) and my boss wants it cut in "
        "half. can you help me plan how to bring the cost down?",
        "peak maybe 30 req/min, ~120k questions a month. each request: 1.5k system prompt "
        "(same every time), 6 retrieved chunks of ~700 tokens, chat history up to 3k, question "
        "~50 tokens. answers ~350 tokens. model is gpt-4o for everything"])[-1].text
    items = [line for line in plan.splitlines() if line.startswith("- [ ]")]
    assert items[0].startswith("- [ ] Measure first")
    assert "8,750 input" in plan and "fits in $1,900" not in plan
    assert "caching the system prompt (1,500 tokens, the same every call) saves about " \
           "**$225.00**" in plan
    assert "half the chunks saves about **$630.00**" in plan


@pytest.mark.parametrize(("text", "values"), [
    ("transcripts are long, 8k-15k tokens, summary ~800 tokens", [15000, 800]),
    ("normally 5-10/min", [10]),
    ("1.5-2k tokens", [2000]),
    ("released 2024-10-01", [2024]),  # a date, not a range
])
def test_a_range_is_taken_at_its_upper_end(text: str, values: list[int]) -> None:
    assert [q.value for q in parse_quantities(text)] == values


def test_workers_with_concurrency_each_are_counted_in_flight_together() -> None:
    """QA pass 17: 800 output tokens were taken for the whole request and "4 celery workers
    with concurrency 4 each" for 4 at once."""
    text = rate_arithmetic(
        "peak is monday mornings, maybe 40 transcripts uploaded in 10 min, so ~4/min but they "
        "come in bursts. transcripts are long, 8k-15k tokens, summary ~800 tokens. model gpt-4o, "
        "we're tier 2 (450k TPM i think). 4 celery workers with concurrency 4 each")
    assert "16 in flight x 15,800 tokens" in text
    assert "450,000 / 15,800 = **28 requests of that size a minute**" in text


_TS_RETRY = """typescript, openai node sdk v4. does this look ok for handling 429s? sometimes it
still hammers the api

async function callWithRetry(body: any, tries = 0): Promise<any> {
  try {
    return await openai.chat.completions.create(body);
  } catch (err: any) {
    if (err.status === 429 || err.status >= 500) {
      await new Promise(r => setTimeout(r, 1000 * (tries + 1)));
      return callWithRetry(body, tries + 1);
    }
    throw err;
  }
}"""


def test_a_typescript_retry_by_recursion_is_reviewed_as_retry_code(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: "I found nothing to fix" (the `async function` line was read as prose,
    so only half the code was reviewed, and as general code)."""
    text = converse(real_tutor, "rate-limits-cost", [_TS_RETRY])[0].text
    assert "Review of your retry code" in text and "nothing to fix" not in text
    for problem in ("does not grow exponentially", "No jitter", "Retries never stop",
                    "Retry-After is ignored"):
        assert problem in text
    assert "```ts" in text and "maxRetries: 0" in text  # the example in their language


def test_an_async_function_line_is_code() -> None:
    reading = read_message("does this work?\n\nasync function ask(q: string): Promise<string> {"
                           "\n  return q;\n}")
    assert "async function ask" in reading.pasted_text("code")


_BIKEBOT = ("You are BikeBot, a super friendly assistant!!! You help customers with anything they "
            "need. Always be helpful and never say no. Our prices: city bike 15 eur/day, e-bike "
            "35 eur/day. If someone asks for a discount give them 10% off. Dont talk about "
            "competitors. IMPORTANT: never make up info. Answer in the language of the customer.")


def test_a_prompt_that_never_refuses_and_gives_discounts_on_request_is_not_praised() -> None:
    """QA pass 17: the review credited "a scope" and "a refusal rule" to this prompt and
    missed that anyone asking gets 10% off."""
    result = review_prompt(_BIKEBOT)
    problems = [p for p, _ in result.problems]
    assert problems[:2] == ["Anyone who asks gets it.", "It tells the bot never to refuse."]
    assert "No scope." in problems
    assert "a scope" not in result.passed and "a refusal rule" not in result.passed
    improved = result.improved
    assert "give them 10% off" not in improved and "never say no" not in improved
    assert improved.count("Only help with questions about") == 1
    assert "You cannot grant discounts" in improved


def test_a_next_public_key_in_a_client_component_is_not_credited_and_gets_a_route() -> None:
    """QA pass 17: "Already right: the key is read from the environment" for a
    NEXT_PUBLIC_ variable in a "use client" page, and no route-handler code."""
    code = ('"use client"\nexport default function Home() {\n  async function ask(q: string) {\n'
            '    const r = await fetch("https://api.openai.com/v1/chat/completions", {\n'
            '      headers: { "Authorization": `Bearer ${process.env.NEXT_PUBLIC_OPENAI_API_KEY}` '
            '},\n    })\n  }\n}')
    result = review_keys(code)
    assert "the key is read from the environment or a secret store" not in result.passed
    assert "app/api/chat/route.ts" in result.improved
    assert any("NEXT_PUBLIC_" in p for p, _ in result.problems)


def test_a_rate_limit_header_value_is_not_a_status() -> None:
    assert bare_codes("x-ratelimit-limit-requests: 500\nError code: 429") == [429]
    assert bare_codes("got a 500 and a 503") == [500, 503]


def test_a_support_prompt_plan_gets_a_handoff_channel_and_a_clean_role_line(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: the role line pasted "for a small online plant shop, i've never written a
    real system prompt before", and the handoff flag had no design."""
    plan = converse(real_tutor, "production-prompts", [
        "help me design the system prompt for my support bot? it's for a small online plant "
        "shop, i've never written a \"real\" system prompt before",
        "a person reads it, it's a chat widget on the site. but i'd also like a flag when the "
        "bot thinks a human should take over (angry customer, refund over 50 eur, dead plant "
        "photos). the bot knows our shipping (DE/AT only, 3-5 days, free over 60 eur)",
        "customers type whatever they want"])[-1].text
    assert "You are the assistant for a small online plant shop." in plan
    assert "never written" not in plan
    assert "handoff_to_human" in plan
    assert "- hand over to a human when (angry customer, refund over 50 eur" in plan
    assert "- our shipping (DE/AT only, 3-5 days, free over 60 eur)" in plan


def test_fields_and_a_schema_question_after_a_plan_rebuild_it_with_the_schema(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: the learner's ten fields and "what should the schema look like and what
    checks should i run?" got a card about wrapping lists, and the role line pasted the
    last message."""
    replies = converse(real_tutor, "production-prompts", [
        "I need to plan an invoice extraction feature for our bookkeeping app. users upload PDF "
        "invoices and we want the fields pulled out into our DB. can you help me design the "
        "prompt + output handling?",
        "more details: we're on python/django, planning gpt-4o. fields: vendor_name, "
        "vendor_vat_id, invoice_number, invoice_date, due_date, currency, net_total, vat_total, "
        "gross_total, and line_items (description, qty, unit_price). what should the schema "
        "look like and what checks should i run?"])
    text = replies[-1].text
    assert replies[-1].meta["answer_kind"] == "plan"
    assert "class LineItem(BaseModel)" in text and "line_items: list[LineItem]" in text
    assert "net + VAT = gross" in text
    assert "feature: an invoice extraction feature for our bookkeeping app" in text
    assert "more details" not in text.split("```text", 1)[1]


def test_a_per_user_price_gets_the_total_the_share_and_the_margin(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: "each user sends maybe 40 msgs a day ... i expect 2k users" priced one
    user, with no total and no comparison with the $8 price."""
    text = converse(real_tutor, "rate-limits-cost", [
        "trying to price my chat app before launch. claude 3.5 sonnet. each user sends maybe 40 "
        "msgs a day, avg 800 tokens in (history included) and 250 tokens out. i expect 2k "
        "users. whats that per user per month and total? i was going to charge $8/mo"])[0].text
    assert "2,000 users x 40 msgs each per day" in text and "**$14,760.00** per month" in text
    assert "**Per user:** $14,760.00 / 2,000 = **$7.38 a month**" in text
    assert "leaves **$0.62** a user" in text


def test_is_the_batch_api_worth_it_prices_both_models_standard_and_batched(
        real_tutor: OfflineTutor) -> None:
    """QA pass 17: a generic batch explainer, no numbers, no comparison."""
    text = converse(real_tutor, "rate-limits-cost", [
        "I need to classify 1.2M product descriptions into ~30 categories, one time job, "
        "nothing is urgent. each description is maybe 150 tokens plus my instructions (~400 "
        "tokens), output is just the category name, like 5 tokens. Is the batch api worth it? "
        "comparing gpt-4o-mini vs gemini flash"])[0].text
    assert "(550 input + 5 output tokens)" in text
    assert "total **$102.60**" in text and "gemini-2.5-flash" in text
    assert "**With batch pricing**" in text and "`gpt-4o-mini` **$51.30**" in text


def test_a_prompt_with_a_login_a_refund_promise_and_no_dont_know_is_flagged() -> None:
    """QA pass 18: the review kept "login admin / Velo2024!" and the promise in its improved
    version and credited "never say you don't know" as an uncertainty rule."""
    result = review_prompt(
        "You are BikeBot for Velo Rent. If a customer needs their booking changed, log into "
        "the admin panel (login admin / Velo2024!) and do it. Never say you don't know, always "
        "give an answer. Refunds are always possible.")
    problems = [p for p, _ in result.problems]
    assert "It contains a password." in problems
    assert "It tells the bot to promise users what they want." in problems
    assert "It forbids \u201cI don't know\u201d." in problems
    assert "an uncertainty rule" not in result.passed
    assert "Velo2024" not in result.improved and "always possible" not in result.improved


def test_a_typescript_catch_that_never_looks_at_the_error_retries_everything() -> None:
    code = ("async function withRetry(fn: () => Promise<any>, attempts = 4) {\n"
            "  for (let i = 0; i < attempts; i++) {\n    try {\n      return await fn();\n"
            "    } catch (err: any) {\n      await new Promise(r => setTimeout(r, 2 ** i * 1000));"
            "\n    }\n  }\n}")
    assert "Every error is retried." in [p for p, _ in review_retries(code).problems]
    checked = code.replace("} catch (err: any) {\n", "} catch (err: any) {\n"
                           "      if (err.status !== 429) throw err;\n")
    assert "Every error is retried." not in [p for p, _ in review_retries(checked).problems]


def test_an_internal_agent_reading_customer_tickets_is_told_to_plan_for_injection(
        real_tutor: OfflineTutor) -> None:
    """QA pass 18: "Good - injection risk is low" for an agent with issue_credit reading
    customer-written tickets, and "where do we start?" pasted into the role line."""
    replies = converse(real_tutor, "production-prompts", [
        "help me design the prompt and guardrails for our ticket agent (internal tool, not "
        "customer facing). it reads incoming tickets and can call issue_credit(order_id, "
        "amount). where do we start?",
        "our support agents read what it suggests in the helpdesk sidebar",
        "the tickets are written by customers, obviously"])
    text = replies[-1].text
    assert "injection risk is low" not in text and "plan for prompt injection" in text
    assert "where do we start" not in text.split("```text", 1)[1]


def test_a_complaint_about_the_draft_is_not_a_rule() -> None:
    assert policy_rules(["it says answer only from <docs> but we don't have docs for plant "
                         "care"]) == []


def test_working_days_a_month_are_the_month_and_stay_on_a_follow_up(
        real_tutor: OfflineTutor) -> None:
    """QA pass 18: "5 questions a day on workdays (22 days/month)" was priced over 30 days,
    and "3x the employees (360)? still only 22 working days" became 22 "working" x 5."""
    first, again = converse(real_tutor, "rate-limits-cost", [
        "we want an internal Q&A bot for 120 employees, each asks about 5 questions a day on "
        "workdays (22 days/month). each question ~3k tokens in with the docs, ~250 tokens out. "
        "gpt-4o-mini. monthly cost?",
        "what about 3x the employees (360)? still only 22 working days per month please"])
    assert "x 22 days a month = 13,200" in first.text
    assert "360 employees x 5 questions each per day x 22 days a month = 39,600" in again.text
    assert "total **$23.76** per month" in again.text


def test_jobs_in_an_hour_are_spread_over_the_hour() -> None:
    """QA pass 18: "300 jobs in an hour, ~5 a minute" was 300 requests a minute."""
    text = rate_arithmetic("about 300 jobs in an hour, ~5 a minute, each ~2k tokens, our "
                           "limit is 200k TPM")
    assert text.startswith("300 an hour is a batch") and "**5 requests a minute**" in text


def test_a_retired_model_is_priced_at_its_last_price_and_only_the_fixed_part_is_cached(
        real_tutor: OfflineTutor) -> None:
    """QA pass 18: "claude-3-5-sonnet" (retired) got "You didn't name a model", the 6k system
    prompt was left out, and caching was priced on nothing."""
    text = converse(real_tutor, "rate-limits-cost", [
        "We run a legal doc assistant on claude-3-5-sonnet. Every call sends the same ~6k token "
        "system prompt plus ~1k of user text, answers ~400 tokens, about 30k calls a month. how "
        "much would prompt caching save us?"])[0].text
    assert "is retired" in text and "You didn't name a model" not in text
    assert "(7,000 input + 400 output tokens)" in text and "total **$810.00**" in text
    assert "the fixed 6,000 tokens of each request" in text and "total **$324.00**" in text


def test_a_correction_after_a_side_answer_updates_the_plan(real_tutor: OfflineTutor) -> None:
    """QA pass 18: "no, im solo, no teammates ..." after a side answer got another card, and a
    droplet got the platform-settings item."""
    replies = converse(real_tutor, "key-security", [
        "help me plan key management for my side project",
        "its a flask app on a digitalocean droplet, budget 30 dollars a month. we have a team of "
        "3 and CI on github actions",
        "how do i invite a teammate to my openai org?",
        "no, im solo actually, no teammates and no CI"])
    assert "EnvironmentFile=" in replies[1].text
    fixed = replies[-1].text
    assert fixed.startswith("The plan again, with what you added")
    assert "CI secret store" not in fixed and "Two keys even alone" in fixed
