"""The current anthropic SDK (2.x) against the sandbox with no extra headers."""

from __future__ import annotations

import anthropic
import pytest
from conftest import BAD_KEY

HI = [{"role": "user", "content": "Say hello in five words."}]
WEATHER = {"name": "get_weather", "description": "Weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"]}}


@pytest.fixture
def client(sandbox):  # type: ignore[no-untyped-def]
    with anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.key, max_retries=0) as c:
        yield c


def test_plain_stream_tools_thinking(client) -> None:  # type: ignore[no-untyped-def]
    message = client.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=HI)
    assert message.stop_reason == "end_turn" and message.content[0].text
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=HI) as s:
        assert "".join(s.text_stream) == message.content[0].text
    tool = client.messages.create(model="claude-sonnet-4-5", max_tokens=300, tools=[WEATHER],
                                  messages=[{"role": "user", "content": "Weather in Paris?"}])
    assert tool.stop_reason == "tool_use" and tool.content[0].name == "get_weather"
    thought = client.messages.create(model="claude-sonnet-4-5", max_tokens=3000,
                                     thinking={"type": "enabled", "budget_tokens": 1024},
                                     messages=HI)
    assert [b.type for b in thought.content] == ["thinking", "text"]
    assert client.messages.count_tokens(model="claude-sonnet-4-5", messages=HI).input_tokens > 0
    assert any(m.id.startswith("claude-") for m in client.models.list())


def test_error_classes(sandbox, client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=sandbox.url, api_key=BAD_KEY, max_retries=0) \
            .messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    _id, scoped = sandbox.new_key(models=["claude-3-5-haiku-latest"])
    with pytest.raises(anthropic.PermissionDeniedError):
        anthropic.Anthropic(base_url=sandbox.url, api_key=scoped, max_retries=0) \
            .messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="claude-9-opus", max_tokens=5, messages=HI)
    with pytest.raises(anthropic.BadRequestError, match="maximum allowed number of output"):
        client.messages.create(model="claude-3-haiku", max_tokens=10_000, messages=HI)


def test_the_sdk_retries_429_and_529(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    key_id, secret = fresh_key
    client = anthropic.Anthropic(base_url=sandbox.url, api_key=secret, max_retries=2)
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    sandbox.chaos(key_id, {"p_529": 1.0, "retry_after_s": 0.1})
    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    assert [row["retry_count"] for row in sandbox.usage(key_id)] == [0, 1, 2, 0, 1, 2]
