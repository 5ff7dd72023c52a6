"""instructor's modes on the openai and anthropic SDKs against the sandbox.

Runs in its own venv (``.venv-compat-instructor``): instructor 1.17 requires
jiter < 0.15, which the current openai 3.x (jiter >= 0.16) does not allow, so
pip resolves the newest openai that instructor can share a venv with.
"""

from __future__ import annotations

import anthropic
import instructor
import openai
import pytest
from conftest import BAD_KEY
from pydantic import BaseModel, Field


class Ticket(BaseModel):
    title: str
    priority: int = Field(ge=0)


OPENAI_MODES = [instructor.Mode.TOOLS, instructor.Mode.JSON, instructor.Mode.MD_JSON,
                instructor.Mode.JSON_SCHEMA]
ANTHROPIC_MODES = [instructor.Mode.ANTHROPIC_TOOLS, instructor.Mode.ANTHROPIC_JSON]


@pytest.mark.parametrize("mode", OPENAI_MODES, ids=lambda m: m.name)
def test_openai_modes(sandbox, mode) -> None:  # type: ignore[no-untyped-def]
    client = instructor.from_openai(
        openai.OpenAI(base_url=sandbox.v1, api_key=sandbox.key, max_retries=0), mode=mode)
    ticket = client.chat.completions.create(
        model="gpt-4o-mini", response_model=Ticket, max_retries=0,
        messages=[{"role": "user", "content": "File a ticket about a 429."}])
    assert isinstance(ticket, Ticket)


@pytest.mark.parametrize("mode", ANTHROPIC_MODES, ids=lambda m: m.name)
def test_anthropic_modes(sandbox, mode) -> None:  # type: ignore[no-untyped-def]
    client = instructor.from_anthropic(
        anthropic.Anthropic(base_url=sandbox.url, api_key=sandbox.key, max_retries=0),
        mode=mode)
    ticket = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=500, response_model=Ticket, max_retries=0,
        messages=[{"role": "user", "content": "File a ticket about a 429."}])
    assert isinstance(ticket, Ticket)


def test_partial_streaming(sandbox) -> None:  # type: ignore[no-untyped-def]
    client = instructor.from_openai(
        openai.OpenAI(base_url=sandbox.v1, api_key=sandbox.key, max_retries=0))
    partials = list(client.chat.completions.create_partial(
        model="gpt-4o-mini", response_model=Ticket, max_retries=0,
        messages=[{"role": "user", "content": "File a ticket."}]))
    assert partials and partials[-1].title is not None


def test_errors_and_sdk_retries(sandbox, fresh_key) -> None:  # type: ignore[no-untyped-def]
    bad = instructor.from_openai(openai.OpenAI(base_url=sandbox.v1, api_key=BAD_KEY,
                                               max_retries=0))
    with pytest.raises(Exception) as unauthorized:  # instructor may wrap the SDK error
        bad.chat.completions.create(model="gpt-4o-mini", response_model=Ticket, max_retries=0,
                                    messages=[{"role": "user", "content": "x"}])
    chain = [unauthorized.value, unauthorized.value.__cause__, unauthorized.value.__context__]
    assert any(isinstance(e, openai.AuthenticationError) for e in chain) or \
        "401" in str(unauthorized.value)
    key_id, secret = fresh_key
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    limited = instructor.from_openai(openai.OpenAI(base_url=sandbox.v1, api_key=secret,
                                                   max_retries=2))
    with pytest.raises(Exception):  # noqa: B017 - the class depends on instructor's wrapping
        limited.chat.completions.create(model="gpt-4o-mini", response_model=Ticket,
                                        max_retries=0,
                                        messages=[{"role": "user", "content": "x"}])
    assert [row["retry_count"] for row in sandbox.usage(key_id)] == [0, 1, 2]
