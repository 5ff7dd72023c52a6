"""Reading a message: the learner's question apart from what they pasted."""

from __future__ import annotations

import time

import pytest

from apilab.assistant.offline.read import read_message

TRACEBACK = '''I am building a chatbot for my company and it was working yesterday. Now I get this:

Traceback (most recent call last):
  File "app.py", line 12, in <module>
    resp = client.chat.completions.create(model="gpt-4o", messages=msgs)
openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o \
on tokens per min (TPM): Limit 200000, Used 199000, Requested 2000.', 'type': 'tokens', \
'code': 'rate_limit_exceeded'}}

How should I handle this?'''


def test_a_traceback_is_evidence_and_the_question_is_the_focus() -> None:
    reading = read_message(TRACEBACK)
    assert {p.kind for p in reading.pasted} == {"traceback"}
    assert "How should I handle this?" in reading.focus
    assert "200000" not in reading.focus and "Traceback" not in reading.prose
    assert reading.signals.statuses == (429,)
    assert "rate_limit_exceeded" in reading.signals.error_codes
    assert "RateLimitError" in reading.signals.exceptions


def test_curl_and_json_in_prose_are_pasted_material() -> None:
    reading = read_message(
        "why does this return 401?\n"
        "curl https://api.openai.com/v1/chat/completions \\\n"
        '  -H "Content-Type: application/json" \\\n'
        '  -d \'{"model": "gpt-4o-mini", "messages": []}\'')
    assert "curl" in reading.pasted_kinds()
    assert reading.questions == ("why does this return 401?",) or reading.lead.startswith("why")
    assert 401 in reading.signals.statuses


def test_a_javascript_object_inside_a_sentence_is_lifted_out() -> None:
    reading = read_message("my request body is {model: 'gpt-4o', messages: msgs, stream: true} "
                           "- how do I read the chunks as they arrive?")
    assert reading.pasted_kinds() == {"js-object"}
    assert "chunks" in reading.focus and "model:" not in reading.focus


def test_inline_fences_and_text_after_a_closing_fence() -> None:
    reading = read_message('Is this ok? ```json\n{"age": "x"}\n``` schema: {"type": "object"}')
    assert [p.kind for p in reading.pasted] == ["json", "json"]
    assert "Is this ok?" in reading.prose


def test_fenced_code_and_env_files() -> None:
    reading = read_message("review my setup\n```python\nimport os\nkey = os.environ['K']\n```\n"
                           "```\nOPENAI_API_KEY=\nDEBUG=1\n```")
    assert [p.kind for p in reading.pasted] == ["code", "env"]


def test_issue_templates_and_generic_questions_are_not_the_focus() -> None:
    reading = read_message("Tier not upgraded after paying\n### What happened?\nI paid $50 a "
                           "week ago but my limits are still tier 1.\nAny idea?")
    assert reading.lead == "Tier not upgraded after paying"
    assert "What happened" not in reading.focus and "Any idea" not in reading.focus
    assert "tier 1" in reading.focus


def test_a_title_line_leads_the_focus() -> None:
    reading = read_message("The model `gtp-4` does not exist\nI'm getting this error and it "
                           "seems I'm not alone.\nWhat am I doing wrong?")
    assert reading.focus.startswith("The model `gtp-4` does not exist")
    assert any(m.written == "gtp-4" and m.suggestions for m in reading.signals.models)


@pytest.mark.parametrize("attack", [
    "{" * 8000, "[" * 8000, '{"a":' * 1600, "```" * 2600, "a: " * 2600,
    "Traceback (most recent call last):\n" * 250, "curl \\\n" * 1300, "x = f(\n" * 1100,
    "\\n" * 4000, "?" * 8000, "\u00e9" * 8000,
])
def test_reading_is_linear_on_hostile_input(attack: str) -> None:
    started = time.perf_counter()
    read_message(attack[:8000])
    assert time.perf_counter() - started < 1.0


def test_a_question_in_chinese_is_read_and_glossed() -> None:
    reading = read_message("maxtoken设置的值较小时 回答的内容会被截断。"
                           "当我将最大响应token设置的较小时模型输出的内容会被截断？")
    assert reading.questions and reading.lead
    assert any("max_tokens" in g for g in reading.glosses) and "truncated" in reading.focus


def test_english_text_gets_no_glosses() -> None:
    assert read_message("why is my reply truncated?").glosses == ()


def test_a_bare_why_carries_the_sentence_before_it() -> None:
    reading = read_message("My bot returns the same answer for every user. Why?")
    assert reading.questions == ("My bot returns the same answer for every user. Why?",)


def test_questions_without_a_question_mark() -> None:
    assert read_message("ty brother i made a bot and i run it with replit.\nidk how to make "
                        "my bot run safely").questions == ("idk how to make my bot run safely",)
    assert read_message("我fork了这个项目并部署。这个您是如何解决的呢!").questions


def test_issue_template_questions_are_headings_not_the_question() -> None:
    reading = read_message("Usage is missing\n\nWhat Model are you using?\n\ngpt-4o\n\n"
                           "Is your feature request related to a problem? Please describe.\n\n"
                           "How do I get response.usage.total_tokens?")
    assert reading.questions == ("How do I get response.usage.total_tokens?",)


def test_a_greeting_line_is_not_the_topic() -> None:
    reading = read_message("ty brother\n\ni made a bot and i run it with replit, idk how to "
                           "make my bot run safely")
    assert reading.lead == "" and "replit" in reading.focus


@pytest.mark.parametrize("sentence", [
    "It asks for an open AI API key, which I already put into the .env file.",
    "It was not able to detect the openai api key using the export command.",
    "The key is not picked up from my shell.",
])
def test_problem_statements_without_error_words_are_found(sentence: str) -> None:
    reading = read_message(f"So, unless you have Modal, it's useless. {sentence}")
    assert sentence in reading.problems and sentence in reading.focus


@pytest.mark.parametrize(("sentence", "asks"), [
    ("Do not output anything that is not json.", False),  # a line of a pasted prompt
    ("Doesn't work with the v1 endpoint.", False),
    ("When using GPT-3.5 the plugin runs first and then GPT answers.", False),
    ("When should I retry a 429", True),
    ("When is the limit reset", True),
    ("Don't know how to set the key in Colab", True),
    ("Does the SDK retry by itself", True),
    ("Don't I need a paid account?", True),
])
def test_statements_and_instructions_are_not_questions(sentence: str, asks: bool) -> None:
    from apilab.assistant.offline.read import is_question

    assert is_question(sentence) is asks


def test_backticks_mentioned_in_a_sentence_do_not_open_a_block() -> None:
    reading = read_message("how do i get the model to always return valid json? sometimes it "
                           "adds ```json at the start and my json.loads breaks")
    assert not reading.pasted
    assert "json.loads breaks" in reading.prose
    fenced = read_message('is this ok? ```json\n{"a": 1}\n```')
    assert [p.kind for p in fenced.pasted] == ["json"]


def test_informal_sentences_end_in_lower_case_too() -> None:
    """QA: "... for each row. how do i get just the text out of the response object? right
    now i print it ..." was one sentence, so the question was never matched on its own and
    the reply was "I don't know"."""
    from apilab.assistant.offline.read import read_message, sentences

    text = ("I loop over it calling the api for each row. how do i get just the text out of "
            "the response object? right now i print it and get a giant ChatCompletion thing")
    assert sentences(text) == [
        "I loop over it calling the api for each row.",
        "how do i get just the text out of the response object?",
        "right now i print it and get a giant ChatCompletion thing"]
    assert "how do i get just the text out of the response object?" in read_message(
        text).questions
    assert len(sentences("use e.g. the sdk. it works, see v1.2 docs")) == 1


@pytest.mark.parametrize(("message", "story", "question"), [
    ("I'm building a customer support bot for my bike shop, what should the system prompt "
     "have?", "I'm building a customer support bot for my bike shop",
     "what should the system prompt have?"),
    ("we have a flask app on heroku, so how do i keep the key out of git?",
     "we have a flask app on heroku", "how do i keep the key out of git?"),
])
def test_a_story_and_a_question_in_one_sentence_are_read_apart(
        message: str, story: str, question: str) -> None:
    reading = read_message(message)
    assert reading.backstory == story
    assert reading.questions == (question,)


def test_a_question_with_a_comma_is_not_split() -> None:
    reading = read_message("how do i retry, and what should the cap be?")
    assert reading.backstory == ""
    assert "how do i retry" in reading.focus


def test_backticks_mentioned_mid_sentence_do_not_swallow_the_question() -> None:
    reading = read_message("json.loads(resp) keeps throwing JSONDecodeError. the model output "
                           "starts with ```json ... how do i fix this")
    assert not reading.pasted
    assert "```json ... how do i fix this" in reading.prose
    fenced = read_message("why does this fail? ```json\n{\"a\": 1,}\n```")
    assert fenced.pasted and fenced.pasted[0].kind == "json"


def test_a_question_about_doing_that_is_matched_with_the_story_it_refers_to() -> None:
    reading = read_message("im trying to stream the response so it types out like chatgpt. "
                           "how do i do that in python with the openai sdk")
    assert reading.parts == ["im trying to stream the response so it types out like chatgpt. "
                             "how do i do that in python with the openai sdk"]
    plain = read_message("we use flask. how do i stream the reply?")
    assert plain.parts == ["how do i stream the reply?"]


def test_a_lower_case_sentence_about_the_asker_after_a_full_stop_is_its_own() -> None:
    from apilab.assistant.offline.read import sentences

    assert sentences("help me plan evals for invoice extraction using gpt-4o. we have never "
                     "done evals") == ["help me plan evals for invoice extraction using "
                                       "gpt-4o.", "we have never done evals"]
    assert len(sentences("use a vendor name, e.g. it could be acme")) == 1


def test_what_even_is_that_is_matched_with_the_sentence_it_points_at() -> None:
    reading = read_message("my friend said i should use streaming?? how do i do that with the "
                           "openai python sdk")
    assert "my friend said i should use streaming?? how do i do that with the openai python " \
        "sdk" in reading.parts
    evals = read_message("my boss says i need 'evals' before we ship. what even is that")
    assert any(p.startswith("my boss says i need 'evals'") and p.endswith("what even is that")
               for p in evals.parts)
    assert evals.focus.count("evals") == 1  # the focus is not doubled
