"""The Anthropic adapter against an httpx2.MockTransport: request mapping, tool use, usage."""

from __future__ import annotations

import asyncio
import json

import httpx2
import pytest

from apilab.calls.base import Call
from apilab.errors import ProviderUnavailableError, QuotaExhaustedError
from apilab.providers.anthropic import AnthropicProvider

KEY = "sk-" + "ant-" + "mock" + "k" * 30


def provider(handler) -> tuple[AnthropicProvider, list[httpx2.Request]]:  # type: ignore[no-untyped-def]
    seen: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return handler(request)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(record))
    return AnthropicProvider(api_key=KEY, base_url="http://anthropic.test",
                             http_client=client), seen


def message(**over) -> httpx2.Response:  # type: ignore[no-untyped-def]
    body = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "text", "text": "Let me count."},
                        {"type": "tool_use", "id": "toolu_1", "name": "count_tokens",
                         "input": {"text": "hi"}}],
            "stop_reason": "tool_use", "stop_sequence": None,
            "usage": {"input_tokens": 50, "output_tokens": 9, "cache_read_input_tokens": 1000,
                      "cache_creation_input_tokens": 24}} | over
    return httpx2.Response(200, json=body, headers={"request-id": "req_a1"})


def test_request_and_response_mapping() -> None:
    adapter, seen = provider(lambda r: message())
    call = Call(provider="anthropic", model="claude-3-5-haiku-latest", system="Be brief.",
                tools=[{"name": "count_tokens", "description": "Count",
                        "parameters": {"type": "object", "properties": {}}}],
                messages=[
                    {"role": "user", "content": "How many tokens?"},
                    {"role": "assistant", "content": None,
                     "tool_calls": [{"id": "toolu_0", "name": "count_tokens",
                                     "arguments": '{"text": "x"}'}]},
                    {"role": "tool", "tool_call_id": "toolu_0", "name": "count_tokens",
                     "content": "1 token"},
                ])
    result = asyncio.run(adapter.ahandle(call))
    sent = json.loads(seen[0].content)
    assert sent["system"] == "Be brief." and sent["max_tokens"] == 1024
    assert sent["tools"][0]["input_schema"] == {"type": "object", "properties": {}}
    assert sent["messages"][1]["content"][0] == {"type": "tool_use", "id": "toolu_0",
                                                 "name": "count_tokens",
                                                 "input": {"text": "x"}}
    assert sent["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_0", "content": "1 token"}]}
    # anthropic 2.x sends the key as a Bearer token (0.x sent x-api-key); both are accepted.
    sent_key = seen[0].headers.get("x-api-key") or seen[0].headers["authorization"][7:]
    assert sent_key == KEY and "anthropic-version" in seen[0].headers
    assert result.tool_calls[0].name == "count_tokens"
    assert json.loads(result.tool_calls[0].arguments) == {"text": "hi"}
    usage = result.usage
    assert usage is not None and usage.input_tokens == 1074 and usage.cached_input_tokens == 1000
    assert usage.cache_write_tokens == 24 and result.request_id == "req_a1"
    assert KEY not in json.dumps(call.record.request)


@pytest.mark.parametrize(("status", "body", "cls"), [
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     ProviderUnavailableError),
    (400, {"type": "error", "error": {"type": "invalid_request_error",
                                      "message": "Your credit balance is too low to access "
                                                 "the Anthropic API."}},
     QuotaExhaustedError),
])
def test_errors(status: int, body: dict, cls: type) -> None:  # type: ignore[type-arg]
    adapter, _ = provider(lambda r: httpx2.Response(status, json=body))
    call = Call(provider="anthropic", model="claude-3-5-haiku-latest",
                messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(cls):
        asyncio.run(adapter.ahandle(call))
