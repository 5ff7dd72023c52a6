"""The OpenAI Agents SDK with its default model (Responses API) against the sandbox."""

from __future__ import annotations

import asyncio

import openai
import pytest
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    Runner,
    function_tool,
    set_default_openai_client,
    set_tracing_disabled,
)
from agents.models import get_default_model
from conftest import BAD_KEY
from pydantic import BaseModel


class Trip(BaseModel):
    city: str
    days: int


@function_tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"18C in {city}"


@pytest.fixture
def client(sandbox):  # type: ignore[no-untyped-def]
    set_tracing_disabled(True)  # traces would otherwise be exported to OpenAI
    made = openai.AsyncOpenAI(base_url=sandbox.v1, api_key=sandbox.key, max_retries=0)
    set_default_openai_client(made, use_for_tracing=False)
    return made


def test_runner_with_the_default_model(sandbox, client) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        agent = Agent(name="Helper", instructions="Be brief.")
        result = await Runner.run(agent, "Say hello in five words.")
        assert len(result.final_output.rstrip(".").split()) == 5
        (response,) = result.raw_responses
        assert response.usage.output_tokens > 0

        weather = Agent(name="Weather", instructions="Use the tool.", tools=[get_weather])
        result = await Runner.run(weather, "What's the weather in Paris?")
        kinds = [type(item).__name__ for item in result.new_items]
        assert "ToolCallItem" in kinds and "ToolCallOutputItem" in kinds
        assert kinds[-1] == "MessageOutputItem" and result.final_output

        planner = Agent(name="Planner", instructions="Plan.", output_type=Trip)
        assert isinstance((await Runner.run(planner, "Plan a trip.")).final_output, Trip)

        streamed = Runner.run_streamed(agent, "Tell me about rate limits.")
        events = [event.type async for event in streamed.stream_events()]
        assert "raw_response_event" in events and streamed.final_output

    asyncio.run(main())
    # The default model went over the Responses API to the sandbox, which served it.
    rows = sandbox.usage(sandbox.key_id)
    assert any(row["model"] == get_default_model() for row in rows)


def test_chat_completions_model_and_errors(sandbox, client) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        model = OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client)
        agent = Agent(name="Chat", instructions="Be brief.", model=model, tools=[get_weather])
        result = await Runner.run(agent, "What's the weather in Paris?")
        assert result.final_output
        bad = openai.AsyncOpenAI(base_url=sandbox.v1, api_key=BAD_KEY, max_retries=0)
        broken = Agent(name="Bad", model=OpenAIChatCompletionsModel(model="gpt-4o-mini",
                                                                     openai_client=bad))
        with pytest.raises(openai.AuthenticationError):
            await Runner.run(broken, "hi")

    asyncio.run(main())
