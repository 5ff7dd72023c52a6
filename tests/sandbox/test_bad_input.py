"""Bad input gets each provider's own 4xx shape with a useful message, never a stack trace."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.anyio

OK_MSG = [{"role": "user", "content": "hi"}]

OPENAI_CASES = [
    ("malformed JSON", b'{"model": "gpt-4o", "messages": [', 400, "parse the JSON"),
    ("not an object", b"[1, 2]", 400, "JSON object"),
    ("model wrong type", {"model": 5, "messages": OK_MSG}, 400, "model"),
    ("messages wrong type", {"model": "gpt-4o", "messages": "hi"}, 400, "messages"),
    ("empty messages", {"model": "gpt-4o", "messages": []}, 400, "empty array"),
    ("unknown role", {"model": "gpt-4o", "messages": [{"role": "wizard", "content": "x"}]},
     400, "Supported values"),
    ("missing content", {"model": "gpt-4o", "messages": [{"role": "user"}]}, 400, "content"),
    ("max_tokens string", {"model": "gpt-4o", "messages": OK_MSG, "max_tokens": "10"}, 400,
     "max_tokens"),
    ("max_tokens zero", {"model": "gpt-4o", "messages": OK_MSG, "max_tokens": 0}, 400,
     "max_tokens"),
    ("temperature too hot", {"model": "gpt-4o", "messages": OK_MSG, "temperature": 7}, 400,
     "temperature"),
    ("unknown field", {"model": "gpt-4o", "messages": OK_MSG, "colour": "red"}, 400,
     "Unrecognized request argument"),
    ("stream_options without stream", {"model": "gpt-4o", "messages": OK_MSG,
                                       "stream_options": {"include_usage": True}}, 400,
     "stream_options"),
    ("tool_choice without tools", {"model": "gpt-4o", "messages": OK_MSG,
                                   "tool_choice": "required"}, 400, "tool_choice"),
    ("bad response_format", {"model": "gpt-4o", "messages": OK_MSG,
                             "response_format": {"type": "xml"}}, 400, "json_schema"),
    ("output cap above the model's", {"model": "gpt-4o", "messages": OK_MSG,
                                      "max_tokens": 10_000_000}, 400, "at most 16384"),
    ("context too long", {"model": "gpt-4", "max_tokens": 100, "messages": [
        {"role": "user", "content": "hello " * 9000}]}, 400, "maximum context length"),
]


@pytest.mark.parametrize(("label", "body", "status", "phrase"), OPENAI_CASES,
                         ids=[c[0] for c in OPENAI_CASES])
async def test_openai_bad_input(aclient, secret, label, body, status, phrase) -> None:  # type: ignore[no-untyped-def]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await aclient.post("/v1/chat/completions", content=content, headers={
        "Authorization": f"Bearer {secret}", "content-type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert phrase.lower() in error["message"].lower()
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"].startswith("req_")


ANTHROPIC_CASES = [
    ("malformed JSON", b"{nope", "not valid JSON"),
    ("model wrong type", {"model": 1, "max_tokens": 5, "messages": OK_MSG}, "model"),
    ("max_tokens string", {"model": "claude-sonnet-4-5", "max_tokens": "5",
                           "messages": OK_MSG}, "max_tokens"),
    ("empty messages", {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": []},
     "at least 1 item"),
    ("unknown role", {"model": "claude-sonnet-4-5", "max_tokens": 5,
                      "messages": [{"role": "system", "content": "x"}]}, "'user' or 'assistant'"),
    ("extra field", {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": OK_MSG,
                     "colour": 1}, "Extra inputs"),
    ("bad block", {"model": "claude-sonnet-4-5", "max_tokens": 5,
                   "messages": [{"role": "user", "content": [{"text": "no type"}]}]}, "type"),
    ("bad temperature", {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": OK_MSG,
                         "temperature": 1.5}, "temperature"),
]


@pytest.mark.parametrize(("label", "body", "phrase"), ANTHROPIC_CASES,
                         ids=[c[0] for c in ANTHROPIC_CASES])
async def test_anthropic_bad_input(aclient, secret, label, body, phrase) -> None:  # type: ignore[no-untyped-def]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await aclient.post("/v1/messages", content=content, headers={
        "x-api-key": secret, "anthropic-version": "2023-06-01",
        "content-type": "application/json"})
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
    assert phrase.lower() in payload["error"]["message"].lower()
    assert payload["request_id"] == response.headers["request-id"]


async def test_ten_megabyte_body_is_413_in_both_shapes(aclient, secret) -> None:  # type: ignore[no-untyped-def]
    huge = json.dumps({"model": "gpt-4o", "max_tokens": 5, "messages": [
        {"role": "user", "content": "x" * (10 * 1024 * 1024)}]}).encode()
    openai_style = await aclient.post("/v1/chat/completions", content=huge, headers={
        "Authorization": f"Bearer {secret}", "content-type": "application/json"})
    assert openai_style.status_code == 413
    assert openai_style.json()["error"]["type"] == "invalid_request_error"
    anthropic_style = await aclient.post("/v1/messages", content=huge, headers={
        "x-api-key": secret, "anthropic-version": "2023-06-01"})
    assert anthropic_style.status_code == 413
    assert anthropic_style.json()["error"]["type"] == "request_too_large"


async def test_bad_input_is_audited(aclient, secret, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    await aclient.post("/v1/chat/completions", content=b"{", headers={
        "Authorization": f"Bearer {secret}", "User-Agent": "curl/8"})
    record = keys.list_keys(sandbox_db)[0]
    [entry] = keys.key_usage(sandbox_db, record.id)
    assert (entry.status, entry.error_type, entry.user_agent) == (400, "invalid_request_error",
                                                                  "curl/8")
