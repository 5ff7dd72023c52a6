"""The OpenAI front door, driven by the official openai SDK (2.8.1) and raw HTTP."""

from __future__ import annotations

import json

import httpx
import httpx2
import openai
import pytest
from pydantic import BaseModel

from apilab.sandbox.sse import parse_sse

HI = [{"role": "user", "content": "Say hello."}]


def test_plain_chat_completion(oai) -> None:  # type: ignore[no-untyped-def]
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI)
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "gpt-4o-mini-2024-07-18"  # the dated snapshot, as OpenAI does
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert len(choice.message.content.split()) > 5
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details.cached_tokens == 0
    headers = raw.headers
    assert headers["x-request-id"].startswith("req_")
    assert completion._request_id == headers["x-request-id"]
    for name in ("limit-requests", "limit-tokens", "remaining-requests", "remaining-tokens",
                 "reset-requests", "reset-tokens"):
        assert f"x-ratelimit-{name}" in headers
    assert headers["x-ratelimit-limit-requests"] == "500"  # tier-1 preset
    assert int(headers["x-ratelimit-remaining-requests"]) == 499


def test_same_request_and_seed_give_same_reply(oai) -> None:  # type: ignore[no-untyped-def]
    first = oai.chat.completions.create(model="gpt-4o", messages=HI, seed=7)
    again = oai.chat.completions.create(model="gpt-4o", messages=HI, seed=7)
    other = oai.chat.completions.create(model="gpt-4o", messages=HI, seed=8)
    assert first.choices[0].message.content == again.choices[0].message.content
    assert first.choices[0].message.content != other.choices[0].message.content


def test_length_finish_cuts_at_the_cap(oai) -> None:  # type: ignore[no-untyped-def]
    for field in ("max_tokens", "max_completion_tokens"):
        completion = oai.chat.completions.create(model="gpt-4o", messages=HI, **{field: 7})
        assert completion.choices[0].finish_reason == "length"
        assert completion.usage.completion_tokens == 7
        assert len(completion.choices[0].message.content.split()) <= 7


def test_n_choices_are_indexed(oai) -> None:  # type: ignore[no-untyped-def]
    completion = oai.chat.completions.create(model="gpt-4o-mini", messages=HI, n=3)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert len({c.message.content for c in completion.choices}) > 1
    one = oai.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert one.choices[0].message.content == completion.choices[0].message.content
    assert completion.usage.completion_tokens > one.usage.completion_tokens


def test_echo_model_repeats_the_last_user_message(oai) -> None:  # type: ignore[no-untyped-def]
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Echo these exact words, please."}]
    completion = oai.chat.completions.create(model="echo", messages=messages)
    assert completion.choices[0].message.content == "Echo these exact words, please."
    assert completion.usage.completion_tokens == 7


def test_stream_framing_and_usage_chunk(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "gpt-4o", "messages": HI, "stream": True,
            "stream_options": {"include_usage": True}, "max_tokens": 12}
    response = httpx.post(live_sandbox.v1 + "/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "x-ratelimit-remaining-tokens" in response.headers
    raw = response.text
    assert raw.endswith("data: [DONE]\n\n")
    assert "event:" not in raw
    events = parse_sse(raw)
    assert all(e.event is None for e in events)
    chunks = [e.json() for e in events[:-1]]
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "",
                                                "refusal": None}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-2]["choices"][0]["delta"] == {}
    final = chunks[-1]
    assert final["choices"] == []
    assert final["usage"]["completion_tokens"] == 12
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    assert len(text.split()) <= 12


def test_stream_without_include_usage_has_no_usage_field(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "gpt-4o", "messages": HI, "stream": True}
    response = httpx.post(live_sandbox.v1 + "/chat/completions", json=body,
                          headers={"Authorization": f"Bearer {secret}"})
    chunks = [e.json() for e in parse_sse(response.text)[:-1]]
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_sdk_streaming_matches_non_streaming(oai) -> None:  # type: ignore[no-untyped-def]
    plain = oai.chat.completions.create(model="gpt-4o", messages=HI, seed=3)
    stream = oai.chat.completions.create(model="gpt-4o", messages=HI, seed=3, stream=True,
                                         stream_options={"include_usage": True})
    parts, usage = [], None
    for chunk in stream:
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
        else:
            usage = chunk.usage
    assert "".join(parts) == plain.choices[0].message.content
    assert usage is not None and usage.completion_tokens == plain.usage.completion_tokens


WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city", "unit"], "additionalProperties": False}}}]


def test_tool_call_arguments_match_the_schema(oai) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    completion = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=WEATHER)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.id.startswith("call_") and call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments),
                        WEATHER[0]["function"]["parameters"])


def test_tool_choice_none_and_tool_result_give_text(oai) -> None:  # type: ignore[no-untyped-def]
    messages = [{"role": "user", "content": "What's the weather in Paris?"}]
    none = oai.chat.completions.create(model="gpt-4o", messages=messages, tools=WEATHER,
                                       tool_choice="none")
    assert none.choices[0].finish_reason == "stop" and none.choices[0].message.content
    forced = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hello"}], tools=WEATHER,
        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert forced.choices[0].message.tool_calls[0].function.name == "get_weather"
    call = forced.choices[0].message.tool_calls[0]
    followup = messages + [
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
    ]
    answer = oai.chat.completions.create(model="gpt-4o", messages=followup, tools=WEATHER)
    assert answer.choices[0].finish_reason == "stop"


def test_streamed_tool_call_deltas(oai) -> None:  # type: ignore[no-untyped-def]
    stream = oai.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "weather in Oslo"}],
        tools=WEATHER, stream=True)
    chunks = list(stream)
    first = chunks[0].choices[0].delta
    assert first.tool_calls[0].id.startswith("call_")
    assert first.tool_calls[0].function.name == "get_weather"
    assert first.tool_calls[0].function.arguments == ""
    arguments = "".join(c.choices[0].delta.tool_calls[0].function.arguments
                        for c in chunks[1:] if c.choices[0].delta.tool_calls)
    assert set(json.loads(arguments)) == {"city", "unit"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


class CalendarEvent(BaseModel):
    name: str
    date: str
    participants: list[str]


def test_parse_with_pydantic_model(oai) -> None:  # type: ignore[no-untyped-def]
    completion = oai.chat.completions.parse(
        model="gpt-4o-2024-08-06", response_format=CalendarEvent,
        messages=[{"role": "user", "content": "Alice and Bob meet on Friday."}])
    event = completion.choices[0].message.parsed
    assert isinstance(event, CalendarEvent)
    assert isinstance(event.participants, list)


def test_parse_raises_on_length(oai) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.LengthFinishReasonError):
        oai.chat.completions.parse(model="gpt-4o", response_format=CalendarEvent,
                                   messages=HI, max_completion_tokens=3)


def test_json_object_mode_returns_a_json_object(oai) -> None:  # type: ignore[no-untyped-def]
    completion = oai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Reply in JSON."}],
        response_format={"type": "json_object"})
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


def test_strict_schema_without_additional_properties_false_is_rejected(oai) -> None:  # type: ignore[no-untyped-def]
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=HI, response_format={
            "type": "json_schema", "json_schema": {"name": "x", "schema": schema,
                                                   "strict": True}})
    assert "additionalProperties" in info.value.message
    assert info.value.param == "response_format"


def test_models_list_and_retrieve(oai) -> None:  # type: ignore[no-untyped-def]
    ids = {m.id for m in oai.models.list()}
    for name in ("gpt-4o", "gpt-4o-mini", "claude-3-5-haiku-latest", "claude-sonnet-4-5",
                 "gemini-2.0-flash", "echo"):
        assert name in ids
    model = oai.models.retrieve("gpt-4o-mini")
    assert model.id == "gpt-4o-mini" and model.owned_by == "openai"
    from apilab.pricing import get_price

    price = get_price("gpt-4o-mini")
    assert model.context_window == price.context_window  # extra fields the SDK keeps
    assert model.pricing["input_per_m"] == str(price.input_per_m)
    with pytest.raises(openai.NotFoundError) as info:
        oai.models.retrieve("gpt-9-ultra")
    assert info.value.code == "model_not_found"


def test_unknown_model_is_404_model_not_found(oai) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.NotFoundError) as info:
        oai.chat.completions.create(model="gpt-4o-2099", messages=HI)
    assert info.value.code == "model_not_found"
    assert info.value.type == "invalid_request_error"
    assert info.value.request_id.startswith("req_")


def test_unknown_and_missing_keys_are_401(live_sandbox) -> None:  # type: ignore[no-untyped-def]
    bad = openai.OpenAI(base_url=live_sandbox.v1, api_key="sk-sbx-" + "x" * 40, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="gpt-4o", messages=HI)
    assert info.value.code == "invalid_api_key"
    assert "x" * 40 not in info.value.message  # the secret is not echoed back
    response = httpx.post(live_sandbox.v1 + "/chat/completions",
                          json={"model": "gpt-4o", "messages": HI})
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_revoked_key_fails_on_next_request(oai, live_sandbox, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    oai.chat.completions.create(model="gpt-4o-mini", messages=HI)
    record = keys.list_keys(sandbox_db)[0]
    keys.revoke_key(sandbox_db, record.id)
    with pytest.raises(openai.AuthenticationError):
        oai.chat.completions.create(model="gpt-4o-mini", messages=HI)
    statuses = [e.status for e in keys.key_usage(sandbox_db, record.id)]
    assert statuses == [401, 200]


def test_model_outside_allow_list_is_403(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    _record, secret = make_key(models=["gpt-4o-mini"])
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    with pytest.raises(openai.PermissionDeniedError) as info:
        client.chat.completions.create(model="gpt-4o", messages=HI)
    assert "does not have access" in info.value.message


def test_reasoning_models_refuse_max_tokens(oai) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="o3-mini", messages=HI, max_tokens=10)
    assert info.value.code == "unsupported_parameter" and info.value.param == "max_tokens"
    ok = oai.chat.completions.create(model="o3-mini", messages=HI, max_completion_tokens=10)
    assert ok.usage.completion_tokens <= 10


def test_audit_row_records_tokens_cost_and_user_agent(oai, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from apilab.pricing import cost
    from apilab.sandbox import keys

    completion = oai.chat.completions.create(model="gpt-4o", messages=HI)
    record = keys.list_keys(sandbox_db)[0]
    [entry] = keys.key_usage(sandbox_db, record.id)
    assert entry.status == 200 and entry.model == "gpt-4o" and entry.api == "openai"
    assert entry.input_tokens == completion.usage.prompt_tokens
    assert entry.output_tokens == completion.usage.completion_tokens
    assert entry.user_agent.startswith("OpenAI/Python")
    assert entry.retry_count == 0
    assert entry.request_id == completion._request_id
    expected = cost("gpt-4o", completion.usage.prompt_tokens,
                    completion.usage.completion_tokens).total
    assert entry.cost == Decimal(expected) and entry.cost > 0


@pytest.mark.anyio
async def test_async_client_over_asgi_transport(sandbox_app, secret) -> None:  # type: ignore[no-untyped-def]
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox_app))
    client = openai.AsyncOpenAI(base_url="http://sandbox/v1", api_key=secret, http_client=http,
                                max_retries=0)
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert completion.choices[0].finish_reason == "stop"
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HI,
                                                  stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == completion.choices[0].message.content
    await client.close()


def test_output_cap_per_model(oai) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=20000)
    assert info.value.code == "invalid_value" and info.value.param == "max_tokens"
    assert "at most 16384 completion tokens" in info.value.message
    ok = oai.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=16384)
    assert ok.choices[0].finish_reason == "stop"


def test_embedding_model_is_not_a_chat_model(oai) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(openai.NotFoundError) as info:
        oai.chat.completions.create(model="text-embedding-3-small", messages=HI)
    assert "not supported in the v1/chat/completions endpoint" in info.value.message


def test_unknown_path_404_has_no_model_code(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(live_sandbox.v1 + "/nothing/here", json={},
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] is None
    ok = httpx.post(live_sandbox.v1 + "/chat/completions", json={"model": "gpt-4o-mini",
                    "messages": HI}, headers={"Authorization": f"Bearer {secret}"})
    # Error and success request ids have the same shape: req_ + 32 hex digits.
    for rid in (response.headers["x-request-id"], ok.headers["x-request-id"]):
        assert rid.startswith("req_") and len(rid) == 36 and int(rid[4:], 16) >= 0
    missing = httpx.post(live_sandbox.v1 + "/chat/completions", json={"model": "gpt-9",
                         "messages": HI}, headers={"Authorization": f"Bearer {secret}"})
    assert missing.json()["error"]["code"] == "model_not_found"
