"""The Responses API front door, driven by the official openai SDK (3.60) and raw HTTP."""

from __future__ import annotations

import json

import httpx
import jsonschema
import openai
import pytest
from pydantic import BaseModel

from apilab.sandbox.sse import parse_sse

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"], "additionalProperties": False},
           "strict": True}


def test_create_plain(oai) -> None:  # type: ignore[no-untyped-def]
    raw = oai.responses.with_raw_response.create(model="gpt-4o-mini", input="Say hello.",
                                                 instructions="Be brief.")
    response = raw.parse()
    assert response.object == "response" and response.id.startswith("resp_")
    assert response.status == "completed" and response.error is None
    assert response.model == "gpt-4o-mini-2024-07-18"
    assert response.output[0].type == "message" and response.output[0].role == "assistant"
    assert response.output_text and response.output_text == \
        response.output[0].content[0].text
    usage = response.usage
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["x-ratelimit-remaining-requests"].isdigit()


def test_same_request_same_reply(oai) -> None:  # type: ignore[no-untyped-def]
    a = oai.responses.create(model="gpt-4o-mini", input="Deterministic?")
    b = oai.responses.create(model="gpt-4o-mini", input="Deterministic?")
    assert a.output_text == b.output_text and a.id != b.id


def test_stream_events_in_order(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(live_sandbox.v1 + "/responses",
                          headers={"Authorization": f"Bearer {secret}"},
                          json={"model": "gpt-4o-mini", "input": "Hi", "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert all(e.event == e.json()["type"] for e in events)
    data = [e.json() for e in events]
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    kinds = [d["type"] for d in data]
    deltas = kinds.count("response.output_text.delta")
    assert deltas > 3
    assert kinds == (["response.created", "response.in_progress",
                      "response.output_item.added", "response.content_part.added"]
                     + ["response.output_text.delta"] * deltas
                     + ["response.output_text.done", "response.content_part.done",
                        "response.output_item.done", "response.completed"])
    assert data[0]["response"]["status"] == "in_progress" and data[0]["response"]["usage"] is None
    text = "".join(d["delta"] for d in data if d["type"] == "response.output_text.delta")
    assert data[-1]["response"]["output"][0]["content"][0]["text"] == text
    assert data[-1]["response"]["usage"]["output_tokens"] > 0
    assert "[DONE]" not in response.text


def test_sdk_stream_helper(oai) -> None:  # type: ignore[no-untyped-def]
    with oai.responses.stream(model="gpt-4o-mini", input="Tell me about rate limits.") as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert "".join(deltas) == final.output_text and final.status == "completed"


def test_max_output_tokens_makes_it_incomplete(oai) -> None:  # type: ignore[no-untyped-def]
    response = oai.responses.create(model="gpt-4o-mini", input="Explain HTTP in detail.",
                                    max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 16
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gpt-4o-mini", input="hi", max_output_tokens=15)
    assert info.value.code == "integer_below_min_value"
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gpt-4o-mini", input="hi", max_output_tokens=50_000)
    assert info.value.param == "max_output_tokens"


def test_previous_response_id_carries_the_conversation(oai) -> None:  # type: ignore[no-untyped-def]
    first = oai.responses.create(model="gpt-4o-mini", input="My name is Ada.")
    second = oai.responses.create(model="gpt-4o-mini", input="What is my name?",
                                  previous_response_id=first.id)
    # The stored history is billed again as input: more input tokens than the new turn alone.
    alone = oai.responses.create(model="gpt-4o-mini", input="What is my name?", store=False)
    assert second.previous_response_id == first.id
    assert second.usage.input_tokens > alone.usage.input_tokens + first.usage.output_tokens
    fetched = oai.responses.retrieve(second.id)
    assert fetched.output_text == second.output_text
    items = oai.responses.input_items.list(second.id)
    assert [i.content[0].text for i in items.data] == ["What is my name?"]
    with pytest.raises(openai.NotFoundError):
        oai.responses.retrieve(alone.id)  # store=False keeps nothing
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gpt-4o-mini", input="x", previous_response_id="resp_nope")
    assert info.value.code == "previous_response_not_found"
    deleted = oai.responses.delete(first.id)
    assert deleted is None or getattr(deleted, "deleted", True)
    with pytest.raises(openai.NotFoundError):
        oai.responses.retrieve(first.id)


def test_stored_responses_belong_to_their_key(oai, live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    mine = oai.responses.create(model="gpt-4o-mini", input="secret plans")
    _record, other = make_key()
    theirs = openai.OpenAI(base_url=live_sandbox.v1, api_key=other, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        theirs.responses.retrieve(mine.id)
    with pytest.raises(openai.BadRequestError):
        theirs.responses.create(model="gpt-4o-mini", input="x", previous_response_id=mine.id)


class Ticket(BaseModel):
    title: str
    priority: int


def test_parse_with_a_pydantic_model(oai) -> None:  # type: ignore[no-untyped-def]
    response = oai.responses.parse(model="gpt-4o-mini", input="File a ticket.",
                                   text_format=Ticket)
    assert isinstance(response.output_parsed, Ticket)


def test_json_object_and_strict_schema_refusal(oai) -> None:  # type: ignore[no-untyped-def]
    response = oai.responses.create(model="gpt-4o-mini", input="Reply in JSON.",
                                    text={"format": {"type": "json_object"}})
    assert isinstance(json.loads(response.output_text), dict)
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gpt-4o-mini", input="x", text={"format": {
            "type": "json_schema", "name": "t", "strict": True,
            "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}})
    assert info.value.code == "invalid_json_schema"


def test_function_call_round_trip(oai) -> None:  # type: ignore[no-untyped-def]
    first = oai.responses.create(model="gpt-4o-mini", input="What's the weather in Paris?",
                                 tools=[WEATHER])
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and call.call_id.startswith("call_")
    jsonschema.validate(json.loads(call.arguments), WEATHER["parameters"])
    second = oai.responses.create(
        model="gpt-4o-mini", tools=[WEATHER], previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "18C"}])
    assert second.output[0].type == "message" and second.output_text
    forced = oai.responses.create(model="gpt-4o-mini", input="Hello", tools=[WEATHER],
                                  tool_choice={"type": "function", "name": "get_weather"})
    assert forced.output[0].type == "function_call"
    none = oai.responses.create(model="gpt-4o-mini", input="Weather in Paris?",
                                tools=[WEATHER], tool_choice="none")
    assert none.output[0].type == "message"


def test_streamed_function_call(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(live_sandbox.v1 + "/responses",
                          headers={"Authorization": f"Bearer {secret}"},
                          json={"model": "gpt-4o-mini", "input": "Weather in Paris?",
                                "tools": [WEATHER], "stream": True})
    kinds = [e.json()["type"] for e in parse_sse(response.text)]
    assert "response.function_call_arguments.delta" in kinds
    done = kinds.index("response.function_call_arguments.done")
    assert kinds[done + 1] == "response.output_item.done" and kinds[-1] == "response.completed"


def test_reasoning_tokens_are_billed_as_output(oai, live_sandbox, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    low = oai.responses.create(model="o4-mini", input="Plan a trip.",
                               reasoning={"effort": "low"})
    high = oai.responses.create(model="o4-mini", input="Plan a trip.",
                                reasoning={"effort": "high"})
    assert low.output[0].type == "reasoning" and low.output[1].type == "message"
    r_low = low.usage.output_tokens_details.reasoning_tokens
    r_high = high.usage.output_tokens_details.reasoning_tokens
    assert 0 < r_low < r_high
    assert high.usage.output_tokens > r_high
    starved = oai.responses.create(model="o4-mini", input="Plan a trip.",
                                   reasoning={"effort": "high"}, max_output_tokens=100)
    assert starved.status == "incomplete" and starved.output_text == ""
    assert starved.usage.output_tokens == 100
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gpt-4o-mini", input="x", reasoning={"effort": "low"})
    assert info.value.code == "unsupported_parameter"


def test_errors_in_openai_shape(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    url = live_sandbox.v1 + "/responses"
    auth = {"Authorization": f"Bearer {secret}"}
    cases = [
        ({"model": "gpt-4o-mini"}, 400, "input"),
        ({"model": "gpt-4o-mini", "input": "x", "bogus": 1}, 400, "bogus"),
        ({"model": "gpt-9", "input": "x"}, 404, None),
        ({"model": "text-embedding-3-small", "input": "x"}, 404, None),
    ]
    for body, status, param in cases:
        response = httpx.post(url, headers=auth, json=body)
        assert response.status_code == status, body
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        if param:
            assert error["param"] == param
    assert httpx.post(url, json={"model": "gpt-4o-mini", "input": "x"}).status_code == 401


def test_audit_and_cost(oai, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    response = oai.responses.create(model="gpt-4o-mini", input="Cost?")
    record = keys.list_keys(sandbox_db)[0]
    (entry,) = keys.key_usage(sandbox_db, record.id)
    assert entry.input_tokens == response.usage.input_tokens
    assert entry.output_tokens == response.usage.output_tokens and entry.cost > 0


def test_prompt_caching_applies(oai) -> None:  # type: ignore[no-untyped-def]
    rules = "Answer as a careful tutor who explains rate limits. " * 120  # > 1,024 tokens
    first = oai.responses.create(model="gpt-4o-mini", instructions=rules, input="Hi")
    second = oai.responses.create(model="gpt-4o-mini", instructions=rules, input="Hi again")
    assert first.usage.input_tokens_details.cached_tokens == 0
    cached = second.usage.input_tokens_details.cached_tokens
    assert cached >= 1024 and (cached - 1024) % 128 == 0


def test_spending_cap_and_rate_limit(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    _record, capped = make_key(monthly_cap_usd=0)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=capped, max_retries=0)
    with pytest.raises(openai.RateLimitError) as info:
        client.responses.create(model="gpt-4o-mini", input="x")
    assert info.value.code == "insufficient_quota"
    with pytest.raises(openai.BadRequestError):  # an invalid request is a 400 before the cap
        client.responses.create(model="gpt-4o-mini", input="x", max_output_tokens=1)
    _record, free = make_key(tier="free")
    limited = openai.OpenAI(base_url=live_sandbox.v1, api_key=free, max_retries=0)
    with pytest.raises(openai.RateLimitError) as rate:
        for _ in range(5):
            limited.responses.create(model="gpt-4o-mini", input="x", max_output_tokens=16)
    assert rate.value.code == "rate_limit_exceeded"
    assert rate.value.response.headers["retry-after-ms"].isdigit()
