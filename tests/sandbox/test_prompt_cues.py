"""Prompt-aware, still deterministic replies: JSON shaped by the prompt, length cues, thinking."""

from __future__ import annotations

import json
import re

import anthropic
import jsonschema
import pytest

from apilab.sandbox.prompt_cues import example_schema, find_json, read_cues

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"},
                                           "age": {"type": "integer", "minimum": 0}},
          "required": ["name", "age"]}
# The system prompt instructor's JSON mode sends (its own wording, schema embedded).
INSTRUCTOR_JSON = ("As a genius expert, your task is to understand the content and provide "
                   "the parsed objects in json that match the following json_schema:\n\n"
                   f"{json.dumps(SCHEMA, indent=2)}\n\nMake sure to return an instance of the "
                   "JSON, not the schema itself")
INSTRUCTOR_MD_JSON = ("Return the correct JSON response within a ```json codeblock. not the "
                      "JSON_SCHEMA")


@pytest.mark.parametrize(("text", "words", "sentences"), [
    ("Say hello in five words.", 5, None),
    ("Give me a 12-word summary.", 12, None),
    ("Answer in one sentence.", None, 1),
    ("Explain it in 3 sentences.", None, 3),
    ("Answer in a word: yes or no?", 1, None),
    ("What does the word 'limit' mean?", None, None),
    ("Tell me about rate limits.", None, None),
])
def test_length_cues(text, words, sentences) -> None:  # type: ignore[no-untyped-def]
    cues = read_cues([text])
    assert (cues.words, cues.sentences) == (words, sentences)


def test_json_cues() -> None:
    assert find_json('Use this: {"a": 1, "b": [true]} thanks') == {"a": 1, "b": [True]}
    assert find_json("no json {here") is None
    example = read_cues(['Reply in JSON like {"city": "Paris", "temp": 18.5}'])
    assert example.json_wanted and example.schema == example_schema(
        {"city": "Paris", "temp": 18.5})
    schema = read_cues([INSTRUCTOR_JSON], json_mode=True)
    assert schema.schema == SCHEMA and not schema.fenced
    fenced = read_cues([INSTRUCTOR_JSON, INSTRUCTOR_MD_JSON])
    assert fenced.json_wanted and fenced.fenced
    assert not read_cues(["Tell me about JSON."]).json_wanted  # JSON named, none shown


def test_length_cue_stops_on_its_own(oai) -> None:  # type: ignore[no-untyped-def]
    reply = oai.chat.completions.create(
        model="gpt-4o-mini", max_tokens=20,
        messages=[{"role": "user", "content": "Say hello in five words."}])
    text = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop"
    assert len(re.findall(r"[A-Za-z]+", text)) == 5 and text.endswith(".")
    one = oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarize in one sentence."}])
    assert one.choices[0].message.content.count(".") == 1


def test_json_object_follows_the_schema_in_the_prompt(oai) -> None:  # type: ignore[no-untyped-def]
    reply = oai.chat.completions.create(
        model="gpt-4o-mini", response_format={"type": "json_object"},
        messages=[{"role": "system", "content": INSTRUCTOR_JSON},
                  {"role": "user", "content": "Ada is 36."}])
    jsonschema.validate(json.loads(reply.choices[0].message.content), SCHEMA)


def test_json_in_prompt_without_a_mode_and_fenced(oai) -> None:  # type: ignore[no-untyped-def]
    plain = oai.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "user", "content": 'Reply with JSON like {"city": "Paris", "temp": 18}'}])
    data = json.loads(plain.choices[0].message.content)
    assert set(data) == {"city", "temp"} and isinstance(data["temp"], int)
    fenced = oai.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": INSTRUCTOR_JSON},
        {"role": "user", "content": INSTRUCTOR_MD_JSON}])
    text = fenced.choices[0].message.content
    match = re.fullmatch(r"```json\n(.*)\n```", text, re.DOTALL)
    assert match is not None
    jsonschema.validate(json.loads(match.group(1)), SCHEMA)


def test_responses_follow_cues_too(oai) -> None:  # type: ignore[no-untyped-def]
    response = oai.responses.create(model="gpt-4o-mini", input="Say hello in three words.")
    assert len(response.output_text.rstrip(".").split()) == 3


def test_anthropic_length_cue_and_json_in_system(ant) -> None:  # type: ignore[no-untyped-def]
    short = ant.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=[
        {"role": "user", "content": "Describe the sea in four words."}])
    assert short.stop_reason == "end_turn"
    assert len(short.content[0].text.rstrip(".").split()) == 4
    shaped = ant.messages.create(model="claude-sonnet-4-5", max_tokens=300,
                                 system=INSTRUCTOR_JSON,
                                 messages=[{"role": "user", "content": "Ada is 36."}])
    jsonschema.validate(json.loads(shaped.content[0].text), SCHEMA)


def test_anthropic_structured_output_config(ant) -> None:  # type: ignore[no-untyped-def]
    message = ant.messages.create(
        model="claude-sonnet-4-5", max_tokens=300, messages=[{"role": "user", "content": "x"}],
        output_config={"format": {"type": "json_schema", "schema": SCHEMA}})
    jsonschema.validate(json.loads(message.content[0].text), SCHEMA)


def test_anthropic_thinking_block(ant, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    message = ant.messages.create(model="claude-sonnet-4-5", max_tokens=4000,
                                  thinking={"type": "enabled", "budget_tokens": 2000},
                                  messages=[{"role": "user", "content": "Plan a trip."}])
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking and thinking.signature
    assert text.type == "text" and text.text
    thought_tokens = len(thinking.thinking.split()) + thinking.thinking.count(".")
    assert message.usage.output_tokens >= thought_tokens > 2000 // 8 - 1
    assert message.usage.output_tokens <= 4000
    with ant.messages.stream(model="claude-sonnet-4-5", max_tokens=4000,
                             thinking={"type": "enabled", "budget_tokens": 2000},
                             messages=[{"role": "user", "content": "Plan a trip."}]) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == thinking.thinking
    assert final.content[0].signature == thinking.signature
    assert final.usage.output_tokens == message.usage.output_tokens
    entries = keys.key_usage(sandbox_db, keys.list_keys(sandbox_db)[0].id)
    assert [e.output_tokens for e in entries] == [message.usage.output_tokens] * 2


@pytest.mark.parametrize(("model", "thinking", "needle"), [
    ("claude-sonnet-4-5", {"type": "enabled", "budget_tokens": 500}, "greater than or equal"),
    ("claude-sonnet-4-5", {"type": "enabled", "budget_tokens": 5000}, "must be greater"),
    ("claude-3-5-haiku-latest", {"type": "enabled", "budget_tokens": 1024}, "does not support"),
])
def test_anthropic_thinking_errors(ant, model, thinking, needle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.BadRequestError, match=needle):
        ant.messages.create(model=model, max_tokens=4000 if "haiku" not in model else 2000,
                            thinking=thinking, messages=[{"role": "user", "content": "x"}])
