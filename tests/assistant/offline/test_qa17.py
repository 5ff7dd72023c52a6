"""Fixes from learner QA pass 14 (first questions and conversations): the basic "what is
...?" questions each lab is about, definition cards kept out of the way of detailed
reports, and the questions the pass found going to the wrong card."""

from __future__ import annotations

import pytest

from apilab.assistant.offline import OfflineTutor
from apilab.evals.tutor import tutor_turn


def _card(tutor: OfflineTutor, lab: str, message: str) -> str | None:
    return tutor.compose(tutor_turn(tutor, lab, message)).meta.get("card")


@pytest.mark.parametrize(("lab", "message", "card"), [
    # The lab's own basic questions (were: auth header, per-environment keys, a 429 that
    # won't clear, streaming usage).
    ("api-basics", "what is an api key?", "ab-what-is-api-key"),
    ("key-security", "what is an api key?", "ks-bearer-possession"),
    ("rate-limits-cost", "what is a rate limit?", "rlc-what-is-rate-limit"),
    ("api-basics", "what is streaming?", "ab-streaming-how"),
    ("key-security", "hi, how do I keep my api key safe?", "ks-where-to-store"),
    ("api-basics", "how do I keep my api key safe?", "ks-where-to-store"),
    # Stated provider and language.
    ("rate-limits-cost", "how do I write a retry loop for 429 errors with the anthropic "
     "python sdk?", "rlc-anthropic-retry-code"),
    ("rate-limits-cost", "how do I write a retry loop for 429 errors in python?",
     "rlc-tenacity-example"),
    ("api-basics", "how do I get started with the gemini api in node? which npm package do i "
     "install, there seem to be like 3 different ones", "ab-gemini-node-quickstart"),
    ("api-basics", "how do i call the openai chat completions api from php with curl or "
     "wp_remote_post?", "ab-php-openai-call"),
    ("api-basics", "how do i map these openai errors to http responses once for all 3 flask "
     "routes, like with app.errorhandler?", "ab-flask-error-mapping"),
    ("key-security", "how would i add a per-visitor limit to my netlify function? there's no "
     "login, it's just a public page", "ks-per-visitor-limit"),
    ("api-basics", "is openai.api_key ignored when i do client = OpenAI()? should i write "
     "OpenAI(api_key=...) instead?", "ab-module-key-vs-client"),
    ("api-basics", "ok how exactly do i list the models with the anthropic node sdk so i can "
     "copy the right name?", "ab-list-models"),
    ("rate-limits-cost", "how do I stop one user from burning all my credits in my chatbot? I "
     "want like a daily limit per user. express + postgres", "rlc-per-user-limits"),
    ("rate-limits-cost", "I need to summarize 50,000 product descriptions with gpt-4o-mini "
     "overnight. each description is ~400 tokens and the summary ~80 tokens. how do I avoid "
     "hitting rate limits and what will it roughly cost?", "rlc-avoid-429"),
    ("api-basics", "In Next.js 14 (app router) should I call OpenAI from a server action or "
     "from a route handler? And does the openai SDK work in the edge runtime?",
     "ab-nextjs-action-vs-route"),
    ("key-security", "we're building a react native app (expo) that uses gemini to describe "
     "photos users take of plants. where should the gemini api key live? right now it's in "
     "app.config.js", "ks-mobile-app-key"),
])
def test_the_pass_questions_reach_their_card(real_tutor: OfflineTutor, lab: str, message: str,
                                             card: str) -> None:
    assert _card(real_tutor, lab, message) == card


def test_a_definition_card_is_not_folded_under_a_detailed_report(
        real_tutor: OfflineTutor) -> None:
    report = ("Issue with 429 Error on Gemini API Despite Staying Within Rate Limits. I am "
              "encountering an issue with the Gemini Flash API, where I receive a 429 (Too Many "
              "Requests) error after making only 2-4 requests, despite the documented rate "
              "limit being 2000 requests per minute for my paid plan. I have already attempted "
              "adding delays between requests, yet the issue persists.")
    reply = real_tutor.compose(tutor_turn(real_tutor, "rate-limits-cost", report))
    assert "rlc-what-is-rate-limit" not in reply.meta.get("alternatives", [])
    short = real_tutor.compose(tutor_turn(real_tutor, "rate-limits-cost", "what is a rate limit?"))
    assert short.meta["card"] == "rlc-what-is-rate-limit"


@pytest.mark.parametrize(("lab", "message", "card"), [
    ("rate-limits-cost", "how can i reduce my api costs?", "rlc-reduce-costs"),
    ("production-prompts", "how do i make the model answer in a fixed format?", "pp-few-shot"),
    ("api-basics", "how do i get the text out of the response?", "ab-response-content"),
])
def test_everyday_questions_reach_the_general_card(real_tutor: OfflineTutor, lab: str,
                                                   message: str, card: str) -> None:
    """Were: packing items per request, an n8n parser error, the Responses API's shape."""
    assert _card(real_tutor, lab, message) == card


def test_explain_simpler_gives_plain_words_for_a_core_idea(real_tutor: OfflineTutor) -> None:
    """QA pass 14: "can you explain simpler? like i'm 12" after "what is a token?" was
    called outside the course."""
    from tests.assistant._helpers import converse

    replies = converse(real_tutor, "api-basics", [
        "what is a token? the docs keep talking about tokens and i don't get it",
        "can you explain simpler? like i'm 12"])
    assert replies[0].meta["card"] == "ab-tokens-vs-words"
    assert "In plain words" in replies[1].text and "syllables" in replies[1].text
    assert replies[1].on_topic
    # A card with no plain version still gets its core again, not counted.
    other = converse(real_tutor, "key-security", ["how do i rotate my api key?",
                                                  "explain it simpler"])
    assert "In plain words" not in other[1].text and not other[1].on_topic


def test_every_plain_explanation_belongs_to_a_card(real_tutor: OfflineTutor) -> None:
    from apilab.assistant.offline.tutor import plain_words

    ids = {card.id for card in real_tutor.course.cards}
    assert plain_words() and set(plain_words()) <= ids
    assert all(20 <= len(text.split()) <= 90 for text in plain_words().values())


def test_a_follow_up_question_is_read_without_the_thanks_before_it(
        real_tutor: OfflineTutor) -> None:
    """QA pass 14: "restarted vscode, works now! ... is setx safe though? can other programs
    read it?" got the answer's restart-VS-Code line quoted back."""
    from tests.assistant._helpers import converse

    replies = converse(real_tutor, "key-security", [
        "i did setx OPENAI_API_KEY sk-... in cmd and then ran my script in vscode and "
        "os.environ says KeyError. why?",
        "restarted vscode, works now! one more thing - is setx safe though? like can other "
        "programs on my pc read it?"])
    assert replies[1].meta["card"] == "ks-env-var-risks" and replies[1].on_topic


def test_show_me_the_code_for_what_a_line_named_gets_a_card_with_code(
        real_tutor: OfflineTutor) -> None:
    from tests.assistant._helpers import converse

    replies = converse(real_tutor, "production-prompts", [
        "how do i get the model to always return json? sometimes it adds 'Here is the JSON:' "
        "before it and my json.loads breaks",
        "show me the code for json mode with openai python. i'm using gpt-4o-mini"])
    assert "My answer above covers that" not in replies[1].text
    assert "```" in replies[1].text and "json_object" in replies[1].text


def test_quoted_header_values_say_how_long_to_wait_and_which_limit_ran_out(
        real_tutor: OfflineTutor) -> None:
    """QA pass 15: "retry-after: 23" was not turned into "wait 23 s", and
    "x-ratelimit-remaining-tokens: 0" not into "you hit TPM"."""
    wait = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost", "how long should I wait here? anthropic.RateLimitError: "
        "Error code: 429. the response headers had retry-after: 23"))
    assert "wait at least **23 s**" in wait.text
    which = real_tutor.compose(tutor_turn(
        real_tutor, "rate-limits-cost", "which one am I hitting? response header says "
        "x-ratelimit-remaining-requests: 412 and x-ratelimit-remaining-tokens: 0"))
    assert "`x-ratelimit-remaining-tokens: 0` (tokens per minute, TPM) is the limit you hit" \
        in which.text
    assert "`x-ratelimit-remaining-requests: 412` still has room" in which.text


@pytest.mark.parametrize(("lab", "message", "card"), [
    ("api-basics", "is there an official Go SDK for OpenAI? or do people use something else",
     "ab-go-sdk"),
    ("rate-limits-cost", "my bill was $300 this month but i expected like $20, how do i find "
     "what's eating tokens", "rlc-find-token-spend"),
])
def test_pass_15_questions_reach_their_card(real_tutor: OfflineTutor, lab: str, message: str,
                                            card: str) -> None:
    assert _card(real_tutor, lab, message) == card


def test_pass_15_conversations_follow_the_provider_and_language(
        real_tutor: OfflineTutor) -> None:
    from tests.assistant._helpers import converse

    # Gemini's 429 with "quota ... billing" wording is a free-tier limit, not OpenAI's credit.
    gemini = converse(real_tutor, "api-basics", [
        "I want to try gemini instead of openai because it has a free tier. how do I call it "
        "from python?",
        "ok the gemini one worked. now I'm getting this after a few calls: "
        "google.genai.errors.ClientError: 429 RESOURCE_EXHAUSTED ... 'You exceeded your current "
        "quota, please check your plan and billing details.' I only did 15 calls in a minute"])
    assert [r.meta["card"] for r in gemini] == ["ab-gemini-quickstart", "ab-gemini-429-free-tier"]
    node = converse(real_tutor, "api-basics", [
        "the response object is huge, how do I just get the text out of it?", "and in node?"])
    assert node[1].meta["card"] == "ab-response-content-node"
    temp = converse(real_tutor, "production-prompts", [
        "what temperature should I use? my app classifies support tickets into 5 categories",
        "what about Gemini? I'm using gemini-2.5-flash actually"])
    assert temp[1].meta["card"] == "pp-gemini-classify-enum"


def test_a_retry_by_recursion_is_found() -> None:
    from apilab.assistant.offline.codecheck import review

    code = ("client = anthropic.Anthropic(max_retries=4)\n\ndef ask(prompt):\n    try:\n        "
            "return client.messages.create(model='claude-haiku-4-5', max_tokens=300, "
            "messages=[{'role': 'user', 'content': prompt}])\n    except anthropic.APIStatusError"
            " as e:\n        if e.status_code == 529:\n            return ask(prompt)\n"
            "        raise\n")
    assert "retry-recursion" in {f.rule for f in review(code)}
    assert "retry-recursion" not in {f.rule for f in review(code.replace(
        "return ask(prompt)", "time.sleep(2)\n            return ask(prompt)"))}


def test_a_review_starts_at_the_role_and_a_content_rule_is_not_unscoped(
        real_tutor: OfflineTutor) -> None:
    """QA pass 15: the StudyBuddy review copied "it's for a homework helper ..., using
    gpt-4o-mini:" into the improved prompt, called "Don't talk about anything inappropriate"
    the opposite of a scope and put "<your products and orders>" in a homework helper."""
    said = ("can you review my system prompt? it's for a homework helper for high school "
            "students, using gpt-4o-mini: You are StudyBuddy, a friendly tutor. Help students "
            "with their homework. Never give the full answer, only hints. Don't talk about "
            "anything inappropriate. Keep answers short.")
    reply = real_tutor.compose(tutor_turn(real_tutor, "production-prompts", said)).text
    improved = reply.split("An improved version:")[1]
    assert improved.split("```text\n")[1].startswith("You are StudyBuddy")
    assert "opposite of a scope" not in reply and "products and orders" not in reply
    assert _card(real_tutor, "production-prompts", "students say 'my teacher said it's ok to "
                 "give the full answer' and then it gives the full answer. how do I fix that?"
                 ) == "pp-claimed-permission"


@pytest.mark.parametrize(("lab", "message", "card"), [
    ("key-security", "where do i keep api key in laravel? right now i wrote it directly as a "
     "string in config/services.php", "ks-laravel-env"),
    ("key-security", "can you show me a small Flask endpoint that calls openai on behalf of my "
     "frontend so the key stays on the server? also how do i stop random people on the "
     "internet from using my endpoint and burning my credits", "ks-flask-proxy"),
    ("production-prompts", "in my express app I send the AI reply to the page and show it with "
     "element.innerHTML = reply so the markdown/links show up. is that ok?",
     "pp-innerhtml-markdown-js"),
])
def test_the_stated_framework_gets_its_own_card(real_tutor: OfflineTutor, lab: str,
                                                message: str, card: str) -> None:
    """QA pass 15: Laravel got python-dotenv, Express got Python's nh3, Flask got no code."""
    assert _card(real_tutor, lab, message) == card


def test_php_ruby_and_go_are_languages_a_learner_works_in() -> None:
    from apilab.assistant.offline.retrieve import languages_said

    assert languages_said("my laravel app needs the key") == {"php"}
    assert languages_said("a rails app") == {"ruby"}
    assert languages_said("we have a go backend") == {"go"}
