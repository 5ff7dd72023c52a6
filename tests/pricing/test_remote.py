"""The providers' count endpoints, against a mock transport (no network)."""

from __future__ import annotations

import json

import httpx
import pytest

from apilab.errors import (
    AuthError,
    BadRequestError,
    InvalidInputError,
    ProviderConnectionError,
    RateLimitedError,
)
from apilab.pricing.remote import count_remote

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
TOOLS = [{"type": "function", "function": {"name": "f", "description": "d",
                                            "parameters": {"type": "object", "properties": {}}}}]


def _fake_key() -> str:
    return "test-" + "k" * 12  # built at run time, never a real-looking key


def _client(handler) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_anthropic_request_shape_and_label() -> None:
    seen: dict = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["headers"] = request.headers
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"input_tokens": 21})

    key = _fake_key()
    count = count_remote(MESSAGES, "claude-sonnet-4-5", api_key=key, tools=TOOLS,
                         client=_client(handler))
    assert seen["url"].endswith("/v1/messages/count_tokens")
    assert seen["headers"]["x-api-key"] == key and "anthropic-version" in seen["headers"]
    assert seen["body"]["model"] == "claude-sonnet-4-5-20250929"
    assert seen["body"]["system"] == "Be brief."
    assert seen["body"]["messages"] == [{"role": "user", "content": "Hi"}]
    assert seen["body"]["tools"][0]["input_schema"] == {"type": "object", "properties": {}}
    assert (count.tokens, count.exact, count.method) == (21, False,
                                                         "anthropic:messages.count_tokens")
    assert key not in repr(count)


def test_gemini_request_shape_is_exact() -> None:
    seen: dict = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"totalTokens": 9})

    count = count_remote(MESSAGES, "gemini-2.0-flash", api_key=_fake_key(),
                         client=_client(handler))
    assert seen["url"].endswith("/models/gemini-2.0-flash:countTokens")
    request = seen["body"]["generateContentRequest"]
    assert request["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert request["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]
    assert (count.tokens, count.exact) == (9, True)


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthError), (400, BadRequestError), (429, RateLimitedError),
])
def test_errors_are_translated_without_the_key(status: int, error: type) -> None:
    key = _fake_key()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": "nope"}},
                              headers={"retry-after": "3"})

    with pytest.raises(error) as info:
        count_remote(MESSAGES, "claude-3-haiku", api_key=key, client=_client(handler))
    assert key not in str(info.value) and "nope" in str(info.value)
    if status == 429:
        assert info.value.retry_after == 3.0


def test_connection_failure_and_openai_refusal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ProviderConnectionError):
        count_remote(MESSAGES, "gemini-2.5-flash", api_key=_fake_key(), client=_client(handler))
    with pytest.raises(InvalidInputError, match="exactly offline"):
        count_remote(MESSAGES, "gpt-4o", api_key=_fake_key())
    with pytest.raises(InvalidInputError, match="user message"):
        count_remote([{"role": "system", "content": "x"}], "claude-3-haiku", api_key="x")
