"""The current openai SDK (3.x) against the sandbox: every endpoint it serves, errors, retries."""

from __future__ import annotations

import json

import openai
import pytest
from conftest import BAD_KEY, MISSING_MODEL
from pydantic import BaseModel

HI = [{"role": "user", "content": "Say hello in five words."}]
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"], "additionalProperties": False}, "strict": True}}


class Ticket(BaseModel):
    title: str
    priority: int


@pytest.fixture
def client(sandbox):  # type: ignore[no-untyped-def]
    with openai.OpenAI(base_url=sandbox.v1, api_key=sandbox.key, max_retries=0) as c:
        yield c


def test_chat_plain_stream_parse_tools(client) -> None:  # type: ignore[no-untyped-def]
    plain = client.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=20)
    assert plain.choices[0].finish_reason == "stop"
    assert len(plain.choices[0].message.content.rstrip(".").split()) == 5
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True,
                                                 stream_options={"include_usage": True}))
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    parsed = client.chat.completions.parse(model="gpt-4o-mini", messages=HI,
                                           response_format=Ticket)
    assert isinstance(parsed.choices[0].message.parsed, Ticket)
    tool = client.chat.completions.create(model="gpt-4o-mini", tools=[WEATHER], messages=[
        {"role": "user", "content": "What's the weather in Paris?"}])
    call = tool.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)


def test_responses_create_stream_parse(client) -> None:  # type: ignore[no-untyped-def]
    first = client.responses.create(model="gpt-4o-mini", input="My name is Ada.")
    second = client.responses.create(model="gpt-4o-mini", input="What is my name?",
                                     previous_response_id=first.id)
    assert second.status == "completed" and second.output_text
    with client.responses.stream(model="gpt-4o-mini", input="Stream please.") as stream:
        final = stream.get_final_response()
    assert final.output_text
    parsed = client.responses.parse(model="gpt-4o-mini", input="File a ticket.",
                                    text_format=Ticket)
    assert isinstance(parsed.output_parsed, Ticket)


def test_embeddings_and_completions(client) -> None:  # type: ignore[no-untyped-def]
    vectors = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) == 1536
    assert vectors.usage.prompt_tokens == vectors.usage.total_tokens > 0
    legacy = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once")
    assert legacy.choices[0].finish_reason == "length"


def test_error_classes(sandbox, client) -> None:  # type: ignore[no-untyped-def]
    bad = openai.OpenAI(base_url=sandbox.v1, api_key=BAD_KEY, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="gpt-4o-mini", messages=HI)
    _id, scoped = sandbox.new_key(models=["gpt-4o-mini"])
    with pytest.raises(openai.PermissionDeniedError):
        openai.OpenAI(base_url=sandbox.v1, api_key=scoped, max_retries=0).chat.completions \
            .create(model="gpt-4o", messages=HI)
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.create(model=MISSING_MODEL, input="x")
    assert info.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad_request:
        client.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=20000)
    assert bad_request.value.param == "max_tokens"


def test_the_sdk_retries_429_on_its_own(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    key_id, secret = fresh_key
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    client = openai.OpenAI(base_url=sandbox.v1, api_key=secret, max_retries=2)
    with pytest.raises(openai.RateLimitError):
        client.responses.create(model="gpt-4o-mini", input="x")
    assert [row["retry_count"] for row in sandbox.usage(key_id)] == [0, 1, 2]
