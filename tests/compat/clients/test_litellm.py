"""LiteLLM (its own OpenAI and Anthropic routes) against the sandbox, cost tracking included."""

from __future__ import annotations

import json
from decimal import Decimal

import litellm
import pytest
from conftest import BAD_KEY, MISSING_MODEL
from pydantic import BaseModel

HI = [{"role": "user", "content": "Say hello in five words."}]
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


class Ticket(BaseModel):
    title: str
    priority: int


def _openai(sandbox, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("api_key", sandbox.key)
    return {"api_base": sandbox.v1, "num_retries": 0, **kwargs}


def test_openai_route_plain_stream_tools_structured(sandbox) -> None:  # type: ignore[no-untyped-def]
    plain = litellm.completion(model="openai/gpt-4o-mini", messages=HI, **_openai(sandbox))
    assert plain.choices[0].finish_reason == "stop"
    assert len(plain.choices[0].message.content.rstrip(".").split()) == 5
    chunks = list(litellm.completion(model="openai/gpt-4o-mini", messages=HI, stream=True,
                                     stream_options={"include_usage": True},
                                     **_openai(sandbox)))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    tool = litellm.completion(model="openai/gpt-4o-mini", tools=[WEATHER],
                              messages=[{"role": "user", "content": "Weather in Paris?"}],
                              **_openai(sandbox))
    call = tool.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    structured = litellm.completion(model="openai/gpt-4o-mini", messages=HI,
                                    response_format=Ticket, **_openai(sandbox))
    Ticket.model_validate_json(structured.choices[0].message.content)


def test_cost_tracking_matches_the_sandbox_bill(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    key_id, secret = fresh_key
    reply = litellm.completion(model="openai/gpt-4o-mini", messages=HI,
                               **_openai(sandbox, api_key=secret))
    (row,) = sandbox.usage(key_id)
    assert row["input_tokens"] == reply.usage.prompt_tokens
    assert row["output_tokens"] == reply.usage.completion_tokens
    # The audit log keeps 8 decimal places; LiteLLM's own price map gives the same figure.
    assert Decimal(str(litellm.completion_cost(reply))).quantize(Decimal("1e-8")) == \
        Decimal(row["cost"]) > 0


def test_responses_and_embeddings(sandbox) -> None:  # type: ignore[no-untyped-def]
    response = litellm.responses(model="openai/gpt-4o-mini", input="Say hello in five words.",
                                 **_openai(sandbox))
    texts = [part.text for item in response.output if item.type == "message"
             for part in item.content]
    assert texts and texts[0]
    vectors = litellm.embedding(model="openai/text-embedding-3-small", input=["a", "b"],
                                **_openai(sandbox))
    assert len(vectors.data) == 2 and vectors.usage.prompt_tokens > 0


def test_anthropic_route(sandbox) -> None:  # type: ignore[no-untyped-def]
    reply = litellm.completion(model="anthropic/claude-sonnet-4-5", messages=HI, max_tokens=50,
                               api_base=sandbox.url, api_key=sandbox.key, num_retries=0)
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.content
    chunks = list(litellm.completion(model="anthropic/claude-sonnet-4-5", messages=HI,
                                     max_tokens=50, stream=True, api_base=sandbox.url,
                                     api_key=sandbox.key, num_retries=0))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    tool = litellm.completion(model="anthropic/claude-sonnet-4-5", tools=[WEATHER],
                              max_tokens=200, api_base=sandbox.url, api_key=sandbox.key,
                              messages=[{"role": "user", "content": "Weather in Paris?"}],
                              num_retries=0)
    assert tool.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_error_classes_and_its_own_retries(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(model="openai/gpt-4o-mini", messages=HI,
                           **_openai(sandbox, api_key=BAD_KEY))
    _id, scoped = sandbox.new_key(models=["gpt-4o-mini"])
    # LiteLLM's OpenAI route maps a 403 to its generic APIError (status kept).
    with pytest.raises(litellm.APIError) as forbidden:
        litellm.completion(model="openai/gpt-4o", messages=HI, **_openai(sandbox, api_key=scoped))
    assert forbidden.value.status_code == 403
    with pytest.raises(litellm.NotFoundError):
        litellm.completion(model=f"openai/{MISSING_MODEL}", messages=HI, **_openai(sandbox))
    with pytest.raises(litellm.BadRequestError):
        litellm.completion(model="openai/gpt-4o-mini", messages=HI, max_tokens=20000,
                           **_openai(sandbox))
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(model="anthropic/claude-sonnet-4-5", messages=HI, max_tokens=5,
                           api_base=sandbox.url, api_key=BAD_KEY, num_retries=0)
    key_id, secret = fresh_key
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    with pytest.raises(litellm.RateLimitError):
        litellm.completion(model="openai/gpt-4o-mini", messages=HI, max_retries=0,
                           **_openai(sandbox, api_key=secret, num_retries=2))
    rows = sandbox.usage(key_id)
    # LiteLLM retried on its own (how many times depends on its layering of SDK retries).
    assert len(rows) >= 3 and {row["status"] for row in rows} == {429}
