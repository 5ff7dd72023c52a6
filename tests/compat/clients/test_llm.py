"""Simon Willison's ``llm`` (Python API) on the sandbox through extra-openai-models.yaml."""

from __future__ import annotations

import json
import os

import openai
import pytest
from conftest import BAD_KEY, MISSING_MODEL
from pydantic import BaseModel


class Ticket(BaseModel):
    title: str
    priority: int


@pytest.fixture
def models(sandbox, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """``llm`` configured the way its docs describe for an OpenAI-compatible server."""
    entries = [{"model_id": f"sandbox-{name}", "model_name": name, "api_base": sandbox.v1,
                "api_key_name": "sandbox", "supports_schema": True, "supports_tools": True}
               for name in ("gpt-4o-mini", "gpt-4o", MISSING_MODEL)]
    (tmp_path / "extra-openai-models.yaml").write_text(json.dumps(entries))  # YAML 1.2 ⊃ JSON
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path))
    import llm

    return llm


def test_prompt_stream_schema_and_tools(sandbox, models) -> None:  # type: ignore[no-untyped-def]
    model = models.get_model("sandbox-gpt-4o-mini")
    response = model.prompt("Say hello in five words.", key=sandbox.key)
    assert len(response.text().rstrip(".").split()) == 5
    assert response.usage().input > 0 and response.usage().output > 0
    streamed = "".join(model.prompt("Say hello in five words.", key=sandbox.key, stream=True))
    assert streamed == response.text()
    shaped = model.prompt("File a ticket.", schema=Ticket, key=sandbox.key)
    Ticket.model_validate_json(shaped.text())
    seen: list[str] = []

    def get_weather(city: str) -> str:
        """Weather for a city."""
        seen.append(city)
        return f"18C in {city}"

    chain = model.chain("What's the weather in Paris?", tools=[get_weather], key=sandbox.key)
    assert chain.text() and seen


def test_errors_and_retries(sandbox, models, fresh_key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.AuthenticationError):
        models.get_model("sandbox-gpt-4o-mini").prompt("hi", key=BAD_KEY).text()
    with pytest.raises(openai.NotFoundError):
        models.get_model(f"sandbox-{MISSING_MODEL}").prompt("hi", key=sandbox.key).text()
    _id, scoped = sandbox.new_key(models=["gpt-4o-mini"])
    with pytest.raises(openai.PermissionDeniedError):
        models.get_model("sandbox-gpt-4o").prompt("hi", key=scoped).text()
    key_id, secret = fresh_key
    sandbox.chaos(key_id, {"p_429": 1.0, "retry_after_s": 0.1})
    with pytest.raises(openai.RateLimitError):
        models.get_model("sandbox-gpt-4o-mini").prompt("hi", key=secret, stream=False).text()
    # llm leaves retries to the openai SDK's default (two).
    assert [row["retry_count"] for row in sandbox.usage(key_id)] == [0, 1, 2]
    assert os.environ["LLM_USER_PATH"]  # never the user's real llm directory
