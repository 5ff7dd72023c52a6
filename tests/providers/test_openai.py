"""The OpenAI adapter against an httpx.MockTransport: mapping, streaming, errors, no key leaks."""

from __future__ import annotations

import asyncio
import json

import pytest

from apilab.calls.base import Call
from apilab.errors import (
    AuthError,
    BadRequestError,
    ProviderUnavailableError,
    QuotaExhaustedError,
    RateLimitedError,
)
from apilab.providers.openai import OpenAIProvider
from tests.calls.fakes import collect
from tests.providers.mock_openai import MockOpenAI, completion, error, sse

KEY = "sk-" + "test" + "x" * 30 + "canary"


def make_call(**kw: object) -> Call:
    return Call(provider="openai", model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                system="Be brief.", **kw)  # type: ignore[arg-type]


def provider(mock: MockOpenAI, base_url: str = "https://api.openai.com/v1") -> OpenAIProvider:
    return OpenAIProvider(api_key=KEY, base_url=base_url, http_client=mock.client())


def test_plain_call_maps_request_and_response() -> None:
    mock = MockOpenAI(lambda body, n: completion("Hello!", headers={
        "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}))
    call = make_call(tools=[{"name": "count_tokens", "description": "d",
                             "parameters": {"type": "object"}}])
    result = asyncio.run(provider(mock).ahandle(call))
    sent = json.loads(mock.requests[0].content)
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["max_completion_tokens"] == 1024 and "max_tokens" not in sent
    assert sent["tools"][0]["function"]["name"] == "count_tokens"
    assert mock.requests[0].headers["x-stainless-retry-count"] == "0"
    assert result.text == "Hello!" and result.usage and result.usage.total == 15
    assert result.request_id == "req_1" and result.rate_limit
    assert result.rate_limit.remaining_requests == 0
    assert call.record.request and KEY not in json.dumps(call.record.request)


def test_compatible_servers_get_max_tokens() -> None:
    mock = MockOpenAI(lambda body, n: completion())
    asyncio.run(provider(mock, "http://localhost:11434/v1").ahandle(make_call()))
    assert json.loads(mock.requests[0].content)["max_tokens"] == 1024


def test_stream_yields_chunks_usage_and_tool_calls() -> None:
    mock = MockOpenAI(lambda body, n: sse(["Hel", "lo"], tool=("count_tokens", '{"text":"x"}')))
    call = make_call()
    text, final = asyncio.run(collect(provider(mock).astream(call)))
    sent = json.loads(mock.requests[0].content)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert text == "Hello" and final is not None
    assert final.usage and final.usage.output_tokens == 2
    assert final.tool_calls[0].name == "count_tokens"
    assert final.tool_calls[0].arguments == '{"text":"x"}'
    assert call.record.events and call.record.streamed_output_tokens == 2


@pytest.mark.parametrize(("response", "cls"), [
    (error(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key"), AuthError),
    (error(429, "You exceeded your current quota", type_="insufficient_quota",
           code="insufficient_quota"), QuotaExhaustedError),
    (error(429, "Rate limit reached", type_="requests", code="rate_limit_exceeded",
           headers={"retry-after-ms": "644", "retry-after": "1"}), RateLimitedError),
    (error(503, "overloaded", type_="server_error"), ProviderUnavailableError),
    (error(404, "The model does not exist", code="model_not_found"), BadRequestError),
])
def test_errors_are_translated_and_scrubbed(response, cls) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda body, n: response)
    with pytest.raises(cls) as info:
        asyncio.run(provider(mock).ahandle(make_call()))
    assert KEY not in str(info.value)
    assert info.value.__cause__ is not None
    if cls is RateLimitedError:
        assert info.value.retry_after == 0.644


def test_mid_stream_error_event_is_translated() -> None:
    mock = MockOpenAI(lambda body, n: sse(["a", "b", "c"], error_after=2))
    with pytest.raises(ProviderUnavailableError, match="mid-stream"):
        asyncio.run(collect(provider(mock).astream(make_call())))
