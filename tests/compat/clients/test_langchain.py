"""LangChain's ChatOpenAI (Chat Completions and Responses) and ChatAnthropic against the sandbox."""

from __future__ import annotations

import anthropic
import openai
import pytest
from conftest import BAD_KEY, MISSING_MODEL
from langchain_anthropic import ChatAnthropic
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel


class Ticket(BaseModel):
    """A support ticket."""

    title: str
    priority: int


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"18C in {city}"


def _openai(sandbox, **kwargs):  # type: ignore[no-untyped-def]
    return ChatOpenAI(**{"model": "gpt-4o-mini", "base_url": sandbox.v1,
                         "api_key": sandbox.key, "max_retries": 0, **kwargs})


def _anthropic(sandbox, **kwargs):  # type: ignore[no-untyped-def]
    return ChatAnthropic(**{"model": "claude-sonnet-4-5", "base_url": sandbox.url,
                            "api_key": sandbox.key, "max_retries": 0, "max_tokens": 300,
                            **kwargs})


@pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])
def test_chat_openai(sandbox, responses) -> None:  # type: ignore[no-untyped-def]
    llm = _openai(sandbox, use_responses_api=responses)
    reply = llm.invoke("Say hello in five words.")
    assert len(reply.text.rstrip(".").split()) == 5
    assert reply.usage_metadata["input_tokens"] > 0
    streamed = "".join(chunk.text for chunk in llm.stream("Say hello in five words."))
    assert streamed == reply.text
    called = llm.bind_tools([get_weather]).invoke("What's the weather in Paris?")
    assert called.tool_calls[0]["name"] == "get_weather"
    assert "city" in called.tool_calls[0]["args"]
    ticket = llm.with_structured_output(Ticket).invoke("File a ticket about a 429.")
    assert isinstance(ticket, Ticket)


def test_chat_openai_json_mode_parses(sandbox) -> None:  # type: ignore[no-untyped-def]
    llm = _openai(sandbox).with_structured_output(Ticket, method="json_mode")
    ticket = llm.invoke('Reply in JSON like {"title": "Rate limits", "priority": 2}.')
    assert isinstance(ticket, Ticket)


def test_chat_anthropic(sandbox) -> None:  # type: ignore[no-untyped-def]
    llm = _anthropic(sandbox)
    reply = llm.invoke("Say hello in five words.")
    assert len(reply.text.rstrip(".").split()) == 5
    assert "".join(chunk.text for chunk in llm.stream("Say hello in five words."))
    called = llm.bind_tools([get_weather]).invoke("What's the weather in Paris?")
    assert called.tool_calls[0]["name"] == "get_weather"
    assert isinstance(llm.with_structured_output(Ticket).invoke("File a ticket."), Ticket)


def test_errors_and_retries(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.AuthenticationError):
        _openai(sandbox, api_key=BAD_KEY).invoke("hi")
    with pytest.raises(anthropic.AuthenticationError):
        _anthropic(sandbox, api_key=BAD_KEY).invoke("hi")
    _id, scoped = sandbox.new_key(models=["gpt-4o-mini"])
    with pytest.raises(openai.PermissionDeniedError):
        _openai(sandbox, api_key=scoped, model="gpt-4o").invoke("hi")
    with pytest.raises(openai.NotFoundError):
        _openai(sandbox, model=MISSING_MODEL).invoke("hi")
    with pytest.raises(anthropic.BadRequestError):
        _anthropic(sandbox, model="claude-3-haiku", max_tokens=10_000).invoke("hi")
    key_id, secret = fresh_key
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    with pytest.raises(openai.RateLimitError):
        _openai(sandbox, api_key=secret, max_retries=2).invoke("hi")
    assert [row["retry_count"] for row in sandbox.usage(key_id)] == [0, 1, 2]
