"""Signals: what a pasted error says, and the cards written for it."""

from __future__ import annotations

import pytest

from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.read import read_message
from apilab.assistant.offline.signals import read_signals, signal_table
from tests.assistant._helpers import make_turn


def test_every_card_a_signal_names_exists(real_tutor: OfflineTutor) -> None:
    ids = {card.id for card in real_tutor.course.cards}
    table = signal_table()
    named = {c for section in ("error_codes", "exceptions") for entry in table[section].values()
             for c in entry.get("cards", [])}
    assert named and named <= ids, named - ids


def test_error_phrases_without_a_status_are_recognised() -> None:
    cases = {
        "openai.BadRequestError: This model's maximum context length is 8192 tokens":
            "context_length_exceeded",
        "TypeError: 'Choice' object is not subscriptable": "sdk_v1_objects",
        "SyntaxError: Unexpected token D in JSON at position 1": "stream_done_sentinel",
        "Error: Invalid URL (POST /chat/completions)": "base_url_wrong",
        "You exceeded your current quota, please check your plan and billing details":
            "insufficient_quota",
    }
    for text, code in cases.items():
        assert code in read_message(text).signals.error_codes, text


def test_a_pasted_error_reaches_the_card_written_for_it(real_tutor: OfflineTutor) -> None:
    message = ("I set everything up like the tutorial but get this now, help:\n"
               "openai.NotFoundError: Error code: 404 - {'error': {'message': 'Invalid URL "
               "(POST /chat/completions)', 'type': 'invalid_request_error'}}")
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics", message))
    assert reply.meta["card"] == "ab-base-url-v1" and reply.on_topic


def test_a_real_model_followed_by_a_word_is_not_a_misspelt_model() -> None:
    from apilab.assistant.offline.signals import read_signals

    def models(text: str) -> list[tuple[str, str | None, tuple[str, ...]]]:
        return [(m.written, m.resolved, m.suggestions) for m in read_signals(text).models]

    # Real learner wording: the model, then "api" / a verb, or "gpt 3.5 turbo" with spaces.
    # gpt-3.5-turbo shut down on 2026-10-23: read as the (retired) model, not as a typo.
    mention, = read_signals("How to keep session with gpt-3.5-turbo api?").models
    assert (mention.written, mention.suggestions, mention.typo) == ("gpt-3.5-turbo", (), False)
    assert mention.retired and "2026-10-23" in mention.retired
    assert [m[0] for m in models("I want to use gpt 3.5 turbo API for a chat")] == [
        "gpt-3.5-turbo"]
    assert models("claude 3.5 sonnet latest is slow")[0][0] == "claude-3.5-sonnet-latest"
    assert models("gpt-4o-mini-2024-07-18 broke")[0][:2] == ("gpt-4o-mini-2024-07-18",
                                                            "gpt-4o-mini")
    # A name that really is wrong is still caught, without the word after it.
    written, resolved, suggestions = models("model gpt-4-turbo-preview returns 404")[0]
    assert written == "gpt-4-turbo-preview" and resolved is None and suggestions
    assert models("gtp-4 is not working")[0][2] == ("gpt-4",)


def test_a_model_apilab_does_not_price_is_never_called_wrong(real_tutor: OfflineTutor) -> None:
    # Real models missing from the price table, and bare family names, in questions that
    # are not about a model being found: no note about the model at all.
    for text in ("I use claude-3-7-sonnet-20250219 and gemini for my bot, how do I stream?",
                 "Is o1-mini-2024-09-12 cheaper than gpt-4o?",
                 "with gpt-4-1106-preview my prompt is ignored"):
        reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics", text)).text
        assert "looks like a typo" not in reply and "Check the model id" not in reply, text
        assert "not a model name" not in reply, text
    # Behind a 404 the same kind of name is worth checking; a misspelling always is.
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics",
        "Error code: 404 - The model `gpt-4o-mni` does not exist or you do not have access "
        "to it. why?")).text
    assert "Check the model id `gpt-4o-mni`" in reply and "client.models.list()" in reply
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics",
                                           "gtp-4 gives an error")).text
    assert "`gtp-4` looks like a typo for `gpt-4`" in reply


def test_a_clean_review_is_shown_only_when_a_review_was_asked(real_tutor: OfflineTutor) -> None:
    code = ("```python\nfrom openai import OpenAI\nclient = OpenAI(timeout=30)\n"
            "r = client.chat.completions.create(model=\"gpt-4o-mini\", temperature=0,\n"
            "    messages=[{\"role\": \"user\", \"content\": q}], max_tokens=200)\n```")
    asked_why = real_tutor.compose(make_turn(
        real_tutor.course, "api-basics",
        "temperature=0 still gives different answers each time, what could be the issue?\n"
        + code)).text
    assert "Review of your code" not in asked_why and "nothing to fix" not in asked_why
    # The question itself is answered first (after the line saying how it was read).
    answer = asked_why.split("\n\n", 1)[1] if asked_why.startswith("_I took") else asked_why
    assert answer.startswith("Temperature 0")
    asked_review = real_tutor.compose(make_turn(
        real_tutor.course, "api-basics", "can you review my code?\n" + code)).text
    assert "Review of your code" in asked_review


def test_headers_pasted_as_a_js_object_are_not_checked_as_json(real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "retry-after header missing from the 429 response, what should my retry wait?\n"
        "```\n{\n  'anthropic-ratelimit-requests-remaining': '0',\n"
        "  'anthropic-ratelimit-requests-reset': '2024-03-26T20:00:00Z'\n}\n```")).text
    assert "Not valid JSON" not in reply
    assert "retry-after" in reply.lower()


def test_a_card_about_another_status_is_not_the_answer(real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "api-basics",
        '404 Error\n\n"message":"Request failed with status code 401","name":"Error"'))
    assert reply.meta.get("card") != "ab-status-422"
    assert "422 Unprocessable" not in reply.text and "401 Unauthorized" in reply.text


def test_a_reported_status_is_answered_by_its_status_card(real_tutor: OfflineTutor) -> None:
    """The status of an error report ("status code 401") names its card; a card that lists
    every status (which errors to retry) shared more words and won before."""
    from apilab.assistant.offline.signals import read_signals

    message = ('404 Error\n\n"message":"Request failed with status code 401","name":"Error",'
               '"stack":"Error: Request failed with status code 401\\n')
    assert read_signals(message).reported == 401
    assert read_signals("should I retry a 401 or a 429?").reported is None
    reply = real_tutor.compose(make_turn(real_tutor.course, "api-basics", message))
    assert reply.meta["card"] == "ab-status-401"


def test_a_context_length_error_from_a_local_server_names_the_local_server_card() -> None:
    """The pasted phrase names every card about it; the one about vLLM/Ollama servers wins
    when the learner runs one (reported by a card author)."""
    from apilab.assistant.base import Turn
    from apilab.assistant.offline import OfflineTutor

    tutor = OfflineTutor()
    lab = tutor.course.lab("api-basics")
    local = tutor.compose(Turn(lab=lab, history=[], message=(
        "vllm says maximum context length exceeded but my prompt is short")))
    hosted = tutor.compose(Turn(lab=lab, history=[], message=(
        "This model's maximum context length is 8192 tokens, however you requested 9000")))
    assert local.meta["card"] == "ab-local-server-context-length"
    assert hosted.meta["card"] == "ab-context-length-exceeded"


def test_a_status_without_a_generic_card_finds_the_card_about_it() -> None:
    """405, 415 and Cloudflare's 52x have no `ab-status-NNN` card; signals.yaml names the
    cards that answer them, and the status explainer knows them (it dropped them before)."""
    from apilab.assistant import httpinfo
    from apilab.assistant.base import Turn
    from apilab.assistant.offline import OfflineTutor

    assert {405, 415, 520, 522, 524} <= set(httpinfo.STATUSES)
    assert httpinfo.bare_codes("a 524 after 100 seconds, then a 405") == [524, 405]
    tutor = OfflineTutor()
    lab = tutor.course.lab("api-basics")
    for message, card in (("what does a 415 error mean from the api?", "ab-missing-content-type"),
                          ("is a 524 retryable like a 503?", "ab-cloudflare-52x"),
                          ("405 Method Not Allowed from the chat completions url",
                           "ab-get-instead-of-post")):
        reply = tutor.compose(Turn(lab=lab, history=[], message=message))
        assert reply.meta["card"] == card, message


def test_retired_openai_models_are_dated_and_working_ones_are_not_retired() -> None:
    """Only models already shut down are in ``retired_models``; a deprecated model that
    still answers (gpt-5 until 2026-12-11, gpt-4o-mini) must not be reported as failing."""
    import re

    from apilab.assistant.offline.signals import read_signals, signal_table

    retired = signal_table()["retired_models"]
    for model in ("gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "gpt-4o-2024-05-13", "o1",
                  "o1-mini", "o3-mini", "o4-mini", "gpt-4.1-nano"):
        assert retired[model].startswith("retired: "), model
        assert re.search(r"\b20\d\d-\d\d-\d\d\b", retired[model]), model
    for model in ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-mini",
                  "gpt-5-nano", "o3"):
        assert model not in retired, model
        assert not any(m.retired for m in read_signals(f"I call {model} here").models), model


def test_lm_studio_refusing_json_mode_names_its_card(real_tutor: OfflineTutor) -> None:
    """The pasted 400 from LM Studio's server ("'response_format.type' must be ...") reaches
    the card about it, not another provider's JSON-mode failure."""
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "production-prompts",
        "Error code: 400 - {'error': \"'response_format.type' must be 'json_schema'\"}"))
    assert reply.meta["card"] == "pp-lmstudio-json-object"
    assert "json_schema" in reply.text


def test_a_printed_chat_completion_object_points_at_choices() -> None:
    from apilab.assistant.offline.read import read_message

    reading = read_message("how do i get the actual text out? i printed response and got this "
                           "giant ChatCompletion(id=..., choices=[Choice(...)]) blob thing")
    assert "ab-response-content" in reading.signals.cards()


def test_a_model_id_sent_without_its_hyphen_is_named_before_its_retirement(
        real_tutor: OfflineTutor) -> None:
    from apilab.evals.tutor import tutor_turn

    reply = real_tutor.compose(tutor_turn(
        real_tutor, "api-basics",
        "openai.NotFoundError: Error code: 404 - {'error': {'message': 'The model `gpt4` does "
        "not exist or you do not have access to it.', 'code': 'model_not_found'}} i have a "
        "paid account so why no access"))
    assert "`gpt4` is not a model id" in reply.text
    assert "`gpt-4` with a hyphen" in reply.text
    plain = real_tutor.compose(tutor_turn(real_tutor, "api-basics", "is gpt-4 still available?"))
    assert "not a model id" not in plain.text


@pytest.mark.parametrize(("prose", "reported"), [
    ("help me figure out why my app gets 401", 401),
    ("my flask app keeps getting a 429 even with one user", 429),
    ("it returns http 503 at night", 503),
    ("what's the difference between 429 and 503", None),  # two codes named, none reported
    ("does a 401 cost anything?", None),  # named, not got
])
def test_a_status_said_as_what_the_learner_gets_is_the_report(prose: str,
                                                              reported: int | None) -> None:
    """QA pass 14: "help me figure out why my app gets 401" got "I don't know"."""
    assert read_signals(prose, prose).reported == reported


def test_claude_3_sonnet_is_retired_and_a_bare_family_word_is_the_provider() -> None:
    """QA pass 14: "use claude api ... model='claude-3-sonnet'" was told to check the model
    id `claude`, and offered claude-3-5-sonnet (itself retired) as the fix."""
    text = ("i am try to use claude api from python but it say error 404 not_found_error "
            "model. in my code i write model='claude-3-sonnet'")
    models = read_signals(text, text).models
    assert [m.written for m in models] == ["claude-3-sonnet"]
    assert models[0].retired and "claude-sonnet-4-5" in models[0].retired
    # A model id that really is just the family name is still a problem to point out.
    said = 'client.messages.create(model="claude", max_tokens=10)'
    assert [m.written for m in read_signals(said, said).models] == ["claude"]


def test_a_system_message_sent_to_claude_points_at_the_top_level_system(
        real_tutor: OfflineTutor) -> None:
    """QA pass 15: "where do i put the system prompt in anthropic's api?" with the failing
    list pasted led with "can I keep my system prompt secret?"."""
    text = ("where do i put the system prompt in anthropic's api? I did this and it errors:\n\n"
            "messages=[{\"role\": \"system\", \"content\": \"You are a helpful cooking "
            "assistant\"}, {\"role\": \"user\", \"content\": q}]")
    assert "anthropic_system_role" in read_signals(text, text).error_codes
    for lab, card in (("production-prompts", "pp-system-prompt-per-provider"),
                      ("api-basics", "ab-anthropic-system-top-level")):
        assert real_tutor.compose(make_turn(real_tutor.course, lab, text)).meta["card"] == card
    openai = text.replace("anthropic's api", "the openai api")
    assert "anthropic_system_role" not in read_signals(openai, openai).error_codes
