"""Follow-ups in a conversation: read with what came before, answered on what is new."""

from __future__ import annotations

import time

import pytest

from apilab.assistant.folds import without_folds
from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.answer import _OBJECTION, RECAP_MAX_LINES, _lines_about
from apilab.assistant.offline.intents import reports_still_failing
from tests.assistant._helpers import converse


@pytest.mark.parametrize(("message", "objects"), [
    ("but the .env is in .gitignore, so nobody can see it, right?", True),
    ("wait, so I have to pay for failed calls?", True),
    ("but why", True),
    ("that's it, right?", True),
    ("but what if I only use it for a demo?", False),  # a new case, not pushback
    ("but how would the backend look then?", False),
    ("wait, can I do the same in node?", False),
])
def test_a_new_question_opened_with_but_is_not_an_objection(message: str,
                                                            objects: bool) -> None:
    assert bool(_OBJECTION.search(message)) is objects


def test_lines_about_quotes_a_table_cell_with_its_column_and_skips_code() -> None:
    answer = ("Retry what can clear.\n\n| retry | do not retry |\n|---|---|\n"
              "| 429 rate limit | 400 bad request |\n| 500, 502, 503 | 404 unknown model |\n\n"
              "```python\nif status == 500: retry()\n```\n- A 500 that persists is an outage.")
    quoted = _lines_about(answer, ["500"])
    assert quoted.splitlines() == ["- 500, 502, 503: **retry**",
                                   "- A 500 that persists is an outage."]
    assert _lines_about(answer, ["jitter"]) == ""
    many = "\n".join(f"- line {n} about 500" for n in range(RECAP_MAX_LINES + 1))
    assert _lines_about(many, ["500"]) == ""  # quoting all of it is no recap


def test_a_follow_up_the_answer_given_already_covers_gets_the_lines_that_apply(
        real_tutor: OfflineTutor) -> None:
    *_, recap = converse(real_tutor, "rate-limits-cost", [
        "which errors should I retry and which not?",
        "what if its a 500 instead?",
    ])
    assert recap.meta["answer_kind"] == "recap"
    assert not recap.on_topic  # the topic counted when the answer was given
    assert "500" in recap.text and "retry" in recap.text.lower()
    assert "genai" not in recap.text.lower()  # not the next card over


def test_a_follow_ups_new_word_leads_over_the_earlier_question(
        real_tutor: OfflineTutor) -> None:
    _, demo = converse(real_tutor, "key-security", [
        "where should I store my openai key in a react app?",
        "but what if I only use it for a demo?",
    ])
    assert demo.meta["answer_kind"] not in ("repeat", "dont-know")
    assert "demo" in without_folds(demo.text).lower()


@pytest.mark.parametrize(("message", "fails"), [
    ("still getting the same error", True),
    ("tried that, didn't help", True),
    ("I have it enabled. It worked fine before the update.", True),
    ("no luck", True),
    ("it STILL says insufficient_quota. same key", True),
    ("how do I stream?", False),
    ("I still want to know about jitter", False),
    ("ok thanks", False),
])
def test_a_report_that_the_answer_did_not_settle_it(message: str, fails: bool) -> None:
    assert reports_still_failing(message) is fails


def test_still_failing_reads_the_earlier_question_and_points_to_the_answers_check(
        real_tutor: OfflineTutor) -> None:
    first, still = converse(real_tutor, "rate-limits-cost", [
        "my RAG app hits the rate limit after one question",
        "tried that, still getting the same error",
    ])
    assert still.meta["answer_kind"] == "recap" and not still.on_topic
    assert still.meta["card"] == first.meta["card"]
    assert "1. **" in still.text and "2. **" in still.text  # the answer's steps, in order


def test_the_still_failing_pattern_is_linear_on_hostile_input() -> None:
    from apilab.assistant.offline.intents import _STILL_FAILING

    for text in ("still " * 1400, "I have " * 1200 + "it", "it has been " * 700 + "x",
                 "we've already " * 600):
        started = time.perf_counter()
        _STILL_FAILING.search(text)
        assert time.perf_counter() - started < 0.5


def test_a_short_question_about_it_leans_on_the_one_before() -> None:
    from apilab.assistant.offline.intents import leans_on_reference

    assert leans_on_reference("how do I send it to the browser as it comes in?")
    assert not leans_on_reference("how do I send the reply to the browser as tokens come in?")
    assert not leans_on_reference("is it safe to keep my openai key in a public github repo "
                                  "if the repo is private later?")  # long: stands alone


def test_a_question_that_says_it_but_stands_alone_is_answered_alone(
        real_tutor: OfflineTutor) -> None:
    *_, streaming = converse(real_tutor, "api-basics", [
        "What goes in the Authorization header?",
        "Why does my chatbot forget what I said two messages ago?",
        "How do I show the answer while it's being generated?",
    ])
    assert streaming.meta["card"] == "ab-streaming-how" and streaming.on_topic
    assert "earlier question" not in streaming.text


def test_another_models_price_after_a_price_is_the_same_look_up(
        real_tutor: OfflineTutor) -> None:
    first, again = converse(real_tutor, "rate-limits-cost", [
        "how much does gpt-4o-mini cost?", "and claude haiku?"])
    assert "per 1M input tokens" in first.text
    assert "estimate_cost" in again.tools_used
    assert "claude-haiku" in again.text and "per 1M input tokens" in again.text


def test_the_same_question_of_another_provider_finds_that_providers_card(
        real_tutor: OfflineTutor) -> None:
    _, claude = converse(real_tutor, "production-prompts", [
        "how do I get gpt-4o-mini to return json reliably?",
        "does this work with claude too?",
    ])
    # Claude's structured output, not whichever Claude card sounds most like "does this
    # work" (sending a tool result back).
    assert claude.meta["card"] == "pp-claude-structured"


def test_a_short_question_before_pasted_code_leans_on_the_error_before(
        real_tutor: OfflineTutor) -> None:
    error = ("anthropic.BadRequestError: Error code: 400 - {'type': 'error', 'error': {'type': "
             "'invalid_request_error', 'message': 'messages: roles must alternate between "
             "\"user\" and \"assistant\", but found multiple \"user\" roles in a row'}}")
    first, fix = converse(real_tutor, "api-basics", [
        error,
        "how do i fix it? i append the user message to history each time, here is my code: "
        "history.append({'role':'user','content':q}); r = client.messages.create("
        "model='claude-sonnet-4-5', max_tokens=500, messages=history)",
    ])
    # The error names its card (a phrasing shaped like another error must not win)...
    assert first.meta["card"] == "ab-message-order-rules"
    # ... and "how do i fix it?" is about that error, not every card that says "fix".
    assert "insufficient" not in without_folds(fix.text).lower()
    assert "earlier question" in fix.text


def test_a_lead_in_before_two_joined_questions_does_not_hide_them() -> None:
    from apilab.assistant.offline.read import read_message

    reading = read_message("ok more specific: which gemini errors should my flask route "
                           "retry and what should the user see when it fails?")
    assert reading.parts == ["which gemini errors should my flask route retry?",
                             "what should the user see when it fails?"]


def test_an_error_handling_design_ask_starts_the_call_plan(real_tutor: OfflineTutor) -> None:
    (plan,) = converse(real_tutor, "api-basics", [
        "im designing error handling for my flask app that calls gemini. what should my "
        "plan be?"])
    assert plan.meta["answer_kind"] in ("coach", "plan", "clarify")
    assert "GEMINI_API_KEY" in plan.text or "question 1 of" in plan.text


@pytest.mark.parametrize(("message", "leans"), [
    ("we dont have user accounts yet, the app is anonymous. what then", True),
    ("how do i authenticate them then", True),  # no "?", still a question about "them"
    ("ok, then what?", True),
    ("what is an api key", False),
    ("it is raining", False),
])
def test_what_then_and_unmarked_questions_about_them_lean_on_the_answer(
        message: str, leans: bool) -> None:
    from apilab.assistant.offline.intents import detect_follow_up, leans_on_reference

    assert (detect_follow_up(message) or leans_on_reference(message)) is leans


def test_an_anonymous_app_follow_up_gets_the_proxy_check_not_i_dont_know(
        real_tutor: OfflineTutor) -> None:
    _, anonymous = converse(real_tutor, "key-security", [
        "my startup has a mobile app (react native) that calls claude. how should the key "
        "flow work",
        "we dont have user accounts yet, the app is anonymous. what then",
    ])
    assert anonymous.meta["answer_kind"] not in ("dont-know", "off-topic")
    assert "app check" in without_folds(anonymous.text).lower() or \
        "attest" in without_folds(anonymous.text).lower()


def test_a_documents_size_is_input_and_a_size_correction_reprices(
        real_tutor: OfflineTutor) -> None:
    from apilab.assistant.offline.workload import parse_workload

    sized = parse_workload("jobs are summaries of ~2000 token docs")
    assert sized is not None and (sized.input_tokens, sized.output_tokens) == (2000, 0)
    *_, fixed = converse(real_tutor, "rate-limits-cost", [
        "we run 5k summary jobs a day on gpt-4o-mini, each doc is 2000 tokens and the summary "
        "is 2000 tokens. monthly cost?",
        "wait, the 2000 tokens is the INPUT doc, the summary output is like 200 tokens. redo "
        "the math?",
    ])
    # 150,000 jobs x (2,000 in x $0.15/1M + 200 out x $0.60/1M) = $45 + $18.
    assert "total **$63.00** per month" in fixed.text


def test_a_max_tokens_cap_bounds_the_output_of_the_earlier_workload(
        real_tutor: OfflineTutor) -> None:
    _, capped = converse(real_tutor, "rate-limits-cost", [
        "200 users, each sends 20 messages a day, 100 tokens in and 300 out, on gpt-4o-mini. "
        "monthly cost?",
        "what if i cap max_tokens at 150 and each user gets 10 messages a day instead?",
    ])
    assert "output capped at 150 tokens" in capped.text
    assert "(100 input + 150 output tokens)" in capped.text


def test_the_cap_pattern_is_linear_on_hostile_input() -> None:
    from apilab.assistant.offline.workload import _MAX_TOKENS, _OUTPUT_CAP

    for text in ("max_tokens " * 900 + "x", "cap the " * 1000 + "output", "cap " * 2000):
        started = time.perf_counter()
        _MAX_TOKENS.search(text) or _OUTPUT_CAP.search(text)
        assert time.perf_counter() - started < 0.5


def test_a_narrower_question_about_the_answer_given_gets_the_part_that_says_it(
        real_tutor: OfflineTutor) -> None:
    *_, narrower = converse(real_tutor, "api-basics", [
        "anthropic.BadRequestError: Error code: 400 - {'type': 'error', 'error': {'type': "
        "'invalid_request_error', 'message': 'messages: roles must alternate between \"user\" "
        "and \"assistant\", but found multiple \"user\" roles in a row'}}",
        "what?? this is about roles must alternate. do i need to add the assistant reply to "
        "history too?",
    ])
    assert narrower.meta["answer_kind"] == "recap" and not narrower.on_topic
    assert "append the assistant's reply" in narrower.text
    # Not a paragraph that only shares the topic's words.
    *_, other = converse(real_tutor, "key-security", [
        "i have a chrome extension that calls the openai api. where do i keep the key?",
        "ok. its a chrome extension, users dont have accounts. how do i authenticate them then",
    ])
    assert "You can't hide it" not in without_folds(other.text)


def test_people_counted_earlier_multiply_a_rate_they_send_and_a_recount_comes_first(
        real_tutor: OfflineTutor) -> None:
    _, per_user, recount = converse(real_tutor, "rate-limits-cost", [
        "help me set up a budget for my side project chatbot. about 500 users, gpt-4o-mini, "
        "i don't want to spend more than $50/month",
        "users send maybe 10 messages a day each, short messages, replies ~150 tokens. system "
        "prompt is about 400 tokens. will $50 cover it?",
        "no, it's 500 users EACH sending 10 messages a day. so 5000 messages a day",
    ])
    # 500 x 10 x 30 = 150,000 x (400 in x $0.15/1M + 150 out x $0.60/1M) = $22.50.
    assert "500 users x 10 messages each per day" in per_user.text
    assert "total **$22.50** per month" in per_user.text
    assert per_user.meta["answer_kind"] == "tool" and per_user.on_topic
    assert "500 users x 10 messages each per day = 5,000" in recount.text


def test_a_card_whose_code_is_all_in_another_language_loses_a_near_tie(
        real_tutor: OfflineTutor) -> None:
    from apilab.assistant.offline.retrieve import code_languages, languages_said

    assert code_languages("```python\nx = 1\n```\n```ts\nconst x = 1\n```") == {"python", "js"}
    assert languages_said("my backend is express") == {"js"}
    assert languages_said("using the python sdk") == {"python"}
    assert languages_said("what is a token?") == frozenset()
    *_, proxy = converse(real_tutor, "api-basics", [
        "my python script just hangs forever on client.chat.completions.create, no error "
        "nothing",
        "i set timeout=30 and now i get APITimeoutError every time. the request is just a "
        "short question",
        "i'm on my work laptop if that matters. same code works at home",
        "we do have a corporate proxy i think. how do i make the python openai client use it?",
    ])
    assert proxy.meta["card"] != "ab-node-proxy"  # the Node card's code is all JavaScript


def test_the_same_code_in_another_language_gets_that_languages_card(
        real_tutor: OfflineTutor) -> None:
    _, node = converse(real_tutor, "rate-limits-cost", [
        "how do i add retries with backoff to my openai calls in python?",
        "can you show the same thing in node / typescript?",
    ])
    assert node.meta["card"] == "rlc-node-retries"
    assert "maxRetries" in node.text and "```ts" in node.text
    _, claude_ts = converse(real_tutor, "production-prompts", [
        "how do I get structured json out of claude?",
        "can you show that with the typescript sdk? we use node",
    ])
    assert claude_ts.meta["card"] == "pp-claude-structured-ts"


def test_a_new_place_is_a_new_question_and_what_is_not_used_is_not_asked_about() -> None:
    from apilab.assistant.offline.answer import without_negated

    assert reports_still_failing("it worked yesterday")
    assert not reports_still_failing("it worked yesterday on my laptop but now on render.com "
                                     "the key is undefined")
    assert without_negated("no, i dont use n8n or comfyui, i just have a plain node app") == (
        "no, , i just have a plain node app")
    assert "anthropic" not in without_negated("its openai not anthropic. the key is set")
    assert without_negated("i dont use python") == "i dont use python"  # nothing left: kept


def test_the_negation_pattern_is_linear_on_hostile_input() -> None:
    from apilab.assistant.offline.answer import _NEGATED_MENTION

    for text in ("i dont use " * 700, "we don't run x " * 600 + "but", "not " * 2000):
        started = time.perf_counter()
        _NEGATED_MENTION.sub(" ", text)
        assert time.perf_counter() - started < 0.5


def test_a_beginner_saying_brand_new_and_a_card_about_another_status(
        real_tutor: OfflineTutor) -> None:
    from apilab.evals.tutor import tutor_turn

    first = real_tutor.compose(tutor_turn(
        real_tutor, "api-basics",
        "im brand new, how do i make my first call to the openai api in python?"))
    assert first.meta["card"] == "ab-first-call-python"  # not "brand new account" quota
    azure = real_tutor.compose(tutor_turn(
        real_tutor, "api-basics",
        "my azure openai call says 404 Resource not found, i copied the endpoint straight "
        "from the portal"))
    assert azure.meta["card"] != "ab-azure-401-key"  # a 401 card for a 404


def test_the_same_question_in_another_language_reaches_code_in_it(
        real_tutor: OfflineTutor) -> None:
    *_, node = converse(real_tutor, "api-basics", [
        "ok I got choices[0].message.content working with openai. whats the anthropic "
        "equivalent?",
        "and in node?",
    ])
    assert node.meta["card"] == "ab-anthropic-node"
    assert "```js" in node.text and "@anthropic-ai/sdk" in node.text


def test_draft_the_prompt_uses_what_the_learner_said_before(
        real_tutor: OfflineTutor) -> None:
    first, draft = converse(real_tutor, "production-prompts", [
        "I'm building a customer support bot for my bike shop, what should the system "
        "prompt have?",
        "ok can you draft the prompt for me?",
    ])
    assert first.meta["card"] == "pp-system-prompt-contents"
    # The support bot said before answers the guide's first question, and a draft asked
    # for comes now, on assumptions it states, not after two more questions.
    assert "question 2 of 3" not in draft.text and "customer-facing" in draft.text
    assert "Assumed, since you asked for the draft now" in draft.text
    assert "```text" in draft.text
    assert "a customer support bot for our bike shop" in draft.text
    assert "draft the prompt" not in draft.text.split("```text")[1]  # the ask is no purpose


def test_a_draft_asked_for_without_a_purpose_starts_with_the_purpose_question(
        real_tutor: OfflineTutor) -> None:
    (reply,) = converse(real_tutor, "production-prompts", ["can you write the system prompt "
                                                           "for me?"])
    assert "question 1 of 3" in reply.text and "```text" not in reply.text


def test_write_the_prompt_for_a_named_bot_drafts_it_at_once(real_tutor: OfflineTutor) -> None:
    (reply,) = converse(real_tutor, "production-prompts", [
        "ok can you write the system prompt for me? its a recipe bot called ChefBuddy, should "
        "only talk about cooking, and be friendly"])
    draft = reply.text.split("```text")[1]
    assert "a recipe bot called ChefBuddy, should only talk about cooking" in draft


def test_tokens_in_a_page_is_not_read_as_token_by_token(real_tutor: OfflineTutor) -> None:
    (reply,) = converse(real_tutor, "api-basics", ["whats a token, how many is a page?"])
    assert reply.meta["card"] == "ab-tokens-vs-words"
    assert "page" in without_folds(reply.text)


def test_a_short_question_about_the_learners_own_statement_is_weighed_alone(
        real_tutor: OfflineTutor) -> None:
    *_, install = converse(real_tutor, "api-basics", [
        "trying to make my first call to openai from python. i wrote client = OpenAI() but it "
        "says OpenAIError: The api_key client option must be set",
        "i made a .env file with OPENAI_API_KEY=sk-proj-... next to my main.py. i didnt call "
        "load_dotenv, do i need to install something for that?",
    ])
    assert install.meta["card"] == "ab-sdk-import-errors"
    assert "pip install python-dotenv" in without_folds(install.text)


def test_a_corrected_side_keeps_the_earlier_count(real_tutor: OfflineTutor) -> None:
    *_, summaries, corrected = converse(real_tutor, "rate-limits-cost", [
        "how much would it cost to summarize 500 articles with gpt-4o-mini? each article is "
        "like 2000 words",
        "oh right, say the summaries are about 150 words each. whats the total then",
        "no the 150 words is the OUTPUT, the summary the model writes. the input is still "
        "2000 words per article",
    ])
    for reply in (summaries, corrected):
        assert "500 x (2,667 input + 200 output tokens)" in reply.text
        assert "total **$0.26**" in reply.text
    assert "covered best in" not in corrected.text  # the numbers answered, not a card


def test_a_follow_up_about_the_answer_given_quotes_its_line_even_in_common_words(
        real_tutor: OfflineTutor) -> None:
    _, page = converse(real_tutor, "api-basics", [
        "what is a token exactly and how do i count them before sending a request",
        "so how many tokens is a page then? like a normal word doc page",
    ])
    assert page.meta["answer_kind"] == "recap"
    assert "650 tokens, about one printed page" in page.text
    assert "stream=True" not in page.text  # not the "token by token in my web page" card


def test_a_question_with_none_of_this_labs_words_is_answered_from_the_lab_it_belongs_to(
        real_tutor: OfflineTutor) -> None:
    (reply,) = converse(real_tutor, "key-security", [
        "how do i stream responses in node with the anthropic sdk? want to show text as it "
        "arrives"])
    assert reply.meta["card"] == "ab-stream-node"
    assert "Lab 1" in reply.text
    assert not reply.on_topic  # streaming is not this lab's business: it does not count here


def test_another_model_instead_is_priced_beside_the_one_it_replaces(
        real_tutor: OfflineTutor) -> None:
    *_, doubled, haiku = converse(real_tutor, "rate-limits-cost", [
        "estimate: 1000 daily users, each sends around 20 messages a day, each message ~500 "
        "input tokens and ~300 output tokens, using gpt-4o-mini. how much per month?",
        "and if traffic doubles?",
        "ok and per year? and what if i used claude haiku instead",
    ])
    assert "total **$306.00** per month" in doubled.text
    assert "claude-haiku" in haiku.text and "`gpt-4o-mini`" in haiku.text
    assert "per year" in haiku.text


def test_a_report_that_it_still_fails_gets_the_card_written_for_that_report(
        real_tutor: OfflineTutor) -> None:
    _, still = converse(real_tutor, "api-basics", [
        "getting openai.RateLimitError: Error code: 429 - {'error': {'message': 'You exceeded "
        "your current quota, please check your plan and billing details.', 'type': "
        "'insufficient_quota', 'code': 'insufficient_quota'}}",
        "i added 5 dollars credit like 10 min ago and it STILL says insufficient_quota. same key",
    ])
    assert still.meta["card"] == "rlc-added-credit-still-quota"
    assert "Lab 3" in still.text


def test_code_asked_for_beside_a_worked_schedule_keeps_the_cards_code(
        real_tutor: OfflineTutor) -> None:
    _, code = converse(real_tutor, "rate-limits-cost", [
        "my script loops over 500 product descriptions and calls gpt-4o-mini for each, after "
        "about 60 i get 429 Too Many Requests and it crashes. how do i fix",
        "yes show me the code with backoff pls, python",
    ])
    assert "**Backoff schedule:" in code.text
    assert code.meta["card"] == "rlc-tenacity-example" and "@retry" in code.text


def test_an_if_question_with_a_number_but_no_cost_is_not_a_workload_change(
        real_tutor: OfflineTutor) -> None:
    *_, crash = converse(real_tutor, "rate-limits-cost", [
        "each job calls openai to translate a document and writes the result to postgres. how "
        "should i structure retries",
        "peak maybe 20 jobs a minute, documents are like 3000 to 20000 tokens, gpt-4o-mini",
        "if a job fails halfway through the 6 retries and the worker crashes, could the same "
        "document get translated twice and charged twice? how do i avoid that",
    ])
    assert "I couldn't apply" not in crash.text and "**Workload:**" not in crash.text


def test_still_failing_somewhere_the_answer_names_quotes_that_part(
        real_tutor: OfflineTutor) -> None:
    _, nginx = converse(real_tutor, "api-basics", [
        "how do i stream the openai response to my website? i have a fastapi backend and a "
        "plain html/js frontend. right now i wait for the whole answer and return it as json",
        "i wrote the getReader loop myself. but the text still shows up all at once at the end, "
        "not word by word. locally with uvicorn it works, on my server behind nginx it doesnt",
    ])
    assert nginx.meta["answer_kind"] == "recap"
    assert "proxy_buffering" in nginx.text and "```python" not in nginx.text


def test_do_the_math_with_my_numbers_prices_them_without_another_labs_card(
        real_tutor: OfflineTutor) -> None:
    """QA pass 14: "can you just do the math with my numbers?" got Lab 4's card on models
    being bad at arithmetic instead of the figure."""
    replies = converse(real_tutor, "rate-limits-cost", [
        "how much does gpt-4o-mini cost? i want to know if i can afford it for my app",
        "can you just do the math with my numbers? 500 users, 10 messages a day, 1000 input "
        "and 800 output tokens, gpt-4o-mini, per month"])
    text = replies[1].text
    assert "**$94.50** per month" in text and "covered best in" not in text


def test_more_like_n_output_tokens_reprices_the_assumed_workload(
        real_tutor: OfflineTutor) -> None:
    replies = converse(real_tutor, "rate-limits-cost", [
        "ok how much would gpt-4o-mini be for 500 users? each user sends maybe 10 messages a day",
        "hmm the answers are long though, more like 800 output tokens each. what's that per "
        "month?"])
    assert "120M output" in replies[1].text and "$72.00" in replies[1].text


def test_a_new_total_in_a_follow_up_is_priced_on_its_own(real_tutor: OfflineTutor) -> None:
    """QA pass 15: "how much do 90 million input tokens a day cost?" after a priced chat
    workload became 7,500 x 90M tokens ($202,527 a day instead of $27)."""
    replies = converse(real_tutor, "rate-limits-cost", [
        "500 users x 15 messages = 7500 calls a day, each with 12000 input tokens. how much per "
        "day on gemini-2.5-flash?",
        "how much do 90 million input tokens a day cost on gemini-2.5-flash?"])
    assert "90M input" in replies[1].text and "675B" not in replies[1].text


def test_redo_it_for_mini_reprices_on_that_familys_mini(real_tutor: OfflineTutor) -> None:
    replies = converse(real_tutor, "rate-limits-cost", [
        "how much would 300 users cost on gpt-4o? each one chats maybe 10 messages a day",
        "hmm wait, my system prompt alone is about 2500 tokens, so input is more like 3500 per "
        "message. redo it for mini please"])
    assert "`gpt-4o-mini`" in replies[1].text and "3,500 input" in replies[1].text


def test_with_those_numbers_uses_the_numbers_said_before(real_tutor: OfflineTutor) -> None:
    replies = converse(real_tutor, "rate-limits-cost", [
        "each description is about 800 input tokens and 400 output. our anthropic tier limits "
        "are 4000 RPM and 400k input tokens per minute, 80k output tokens per minute. 4 worker "
        "processes, 50k descriptions a day",
        "so with those numbers, how many requests per minute should my workers send in total?"])
    assert "about **200 requests a minute** in all" in replies[1].text


def test_a_big_token_total_in_a_follow_up_is_priced_alone(real_tutor: OfflineTutor) -> None:
    replies = converse(real_tutor, "rate-limits-cost", [
        "check my Gemini 2.5 Flash estimate: 30,000 calls x 2,000 in / 300 out = $40.50/month",
        "how much do 60M input and 9M output tokens cost on gemini 2.5 flash?"])
    assert "60M input x $0.30/1M = $18.00" in replies[1].text
    assert "total **$40.50**" in replies[1].text and "1.8B" not in replies[1].text
