"""pydantic-ai agents on OpenAIChatModel, OpenAIResponsesModel and AnthropicModel."""

from __future__ import annotations

import asyncio

import openai
import pytest
from conftest import BAD_KEY, MISSING_MODEL
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider


class Ticket(BaseModel):
    title: str
    priority: int


def _model(sandbox, kind: str, key: str | None = None, name: str | None = None,
           retries: int = 0):  # type: ignore[no-untyped-def]
    key = key or sandbox.key
    if kind == "anthropic":
        import anthropic

        client = anthropic.AsyncAnthropic(base_url=sandbox.url, api_key=key,
                                          max_retries=retries)
        return AnthropicModel(name or "claude-sonnet-4-5",
                              provider=AnthropicProvider(anthropic_client=client))
    client = openai.AsyncOpenAI(base_url=sandbox.v1, api_key=key, max_retries=retries)
    cls = OpenAIResponsesModel if kind == "responses" else OpenAIChatModel
    return cls(name or "gpt-4o-mini", provider=OpenAIProvider(openai_client=client))


KINDS = ["chat", "responses", "anthropic"]


@pytest.mark.parametrize("kind", KINDS)
def test_text_stream_tools_and_structured_output(sandbox, kind) -> None:  # type: ignore[no-untyped-def]
    # One event loop for the whole test: the SDK client binds to the loop it first runs on.
    async def main() -> None:
        model = _model(sandbox, kind)
        agent = Agent(model, instructions="Be brief.")
        result = await agent.run("Say hello in five words.")
        assert len(result.output.rstrip(".").split()) == 5
        assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
        async with agent.run_stream("Say hello in five words.") as run:
            assert await run.get_output() == result.output

        calls: list[str] = []
        weather = Agent(model, instructions="Use the tool.")

        @weather.tool_plain
        def get_weather(city: str) -> str:
            """Weather for a city."""
            calls.append(city)
            return f"18C in {city}"

        assert (await weather.run("What's the weather in Paris?")).output and calls
        ticket = await Agent(model, output_type=Ticket).run("File a ticket about a 429.")
        assert isinstance(ticket.output, Ticket)

    asyncio.run(main())


@pytest.mark.parametrize("kind", KINDS)
def test_errors_keep_their_status(sandbox, kind) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelHTTPError) as unauthorized:
        Agent(_model(sandbox, kind, key=BAD_KEY)).run_sync("hi")
    assert unauthorized.value.status_code == 401
    missing = "claude-9-opus" if kind == "anthropic" else MISSING_MODEL
    with pytest.raises(ModelHTTPError) as not_found:
        Agent(_model(sandbox, kind, name=missing)).run_sync("hi")
    assert not_found.value.status_code == 404
    allowed = "claude-3-5-haiku-latest" if kind == "anthropic" else "gpt-4o-mini"
    _id, scoped = sandbox.new_key(models=[allowed])
    other = "claude-sonnet-4-5" if kind == "anthropic" else "gpt-4o"
    with pytest.raises(ModelHTTPError) as forbidden:
        Agent(_model(sandbox, kind, key=scoped, name=other)).run_sync("hi")
    assert forbidden.value.status_code == 403


def test_rate_limits_are_retried_by_the_client(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    key_id, secret = fresh_key
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    with pytest.raises(ModelHTTPError) as limited:
        Agent(_model(sandbox, "chat", key=secret, retries=2)).run_sync("hi")
    assert limited.value.status_code == 429
    assert [row["retry_count"] for row in sandbox.usage(key_id)] == [0, 1, 2]
