"""The Anthropic front door, driven by the official anthropic SDK (2.16) and raw HTTP."""

from __future__ import annotations

import anthropic
import httpx
import jsonschema
import pytest

from apilab.sandbox.sse import parse_sse

HELLO = [{"role": "user", "content": "Hello there"}]
WEATHER = {"name": "get_weather", "description": "Weather for a place",
           "input_schema": {"type": "object", "properties": {"location": {"type": "string"}},
                            "required": ["location"]}}


def _headers(secret: str) -> dict[str, str]:
    return {"x-api-key": secret, "anthropic-version": "2023-06-01"}


def test_plain_message(ant) -> None:  # type: ignore[no-untyped-def]
    raw = ant.messages.with_raw_response.create(model="claude-3-5-haiku-latest",
                                                max_tokens=200, messages=HELLO,
                                                system="You are terse.")
    message = raw.parse()
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_")
    assert message.model == "claude-3-5-haiku-20241022"
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert message.content[0].type == "text" and message.content[0].text
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert message.usage.cache_read_input_tokens == 0
    assert raw.headers["request-id"].startswith("req_")
    for family in ("requests", "tokens", "input-tokens", "output-tokens"):
        reset = raw.headers[f"anthropic-ratelimit-{family}-reset"]
        assert reset.endswith("Z") and "T" in reset
        assert raw.headers[f"anthropic-ratelimit-{family}-limit"].isdigit()


def test_max_tokens_stop_reason(ant) -> None:  # type: ignore[no-untyped-def]
    message = ant.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HELLO)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 5


def test_stop_sequence(ant) -> None:  # type: ignore[no-untyped-def]
    full = ant.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HELLO)
    word = full.content[0].text.split()[3]
    cut = ant.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HELLO,
                              stop_sequences=[word])
    assert cut.stop_reason == "stop_sequence" and cut.stop_sequence == word
    assert word not in cut.content[0].text


def test_stream_has_named_events_in_order(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": HELLO, "stream": True}
    response = httpx.post(live_sandbox.url + "/v1/messages", json=body,
                          headers=_headers(secret))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [e.event for e in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"}
    for event in events:
        assert event.json()["type"] == event.event
    start = events[0].json()["message"]
    assert start["stop_reason"] is None and start["usage"]["output_tokens"] == 1
    delta = events[-2].json()
    assert delta["delta"]["stop_reason"] == "max_tokens"
    # message_delta usage is cumulative: output is the whole reply, input repeated.
    assert delta["usage"]["output_tokens"] == 10
    assert delta["usage"]["input_tokens"] == start["usage"]["input_tokens"]


def test_streaming_helpers(ant) -> None:  # type: ignore[no-untyped-def]
    plain = ant.messages.create(model="claude-sonnet-4-5", max_tokens=300, messages=HELLO)
    with ant.messages.stream(model="claude-sonnet-4-5", max_tokens=300,
                             messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == plain.content[0].text == final.content[0].text
    assert final.usage.output_tokens == plain.usage.output_tokens
    assert final.stop_reason == "end_turn"


def test_tool_use_block_matches_input_schema(ant) -> None:  # type: ignore[no-untyped-def]
    message = ant.messages.create(
        model="claude-sonnet-4-5", max_tokens=300, tools=[WEATHER],
        messages=[{"role": "user", "content": "What's the weather in Paris?"}])
    assert message.stop_reason == "tool_use"
    block = message.content[0]
    assert block.type == "tool_use" and block.id.startswith("toolu_")
    assert block.name == "get_weather"
    jsonschema.validate(block.input, WEATHER["input_schema"])
    followup = ant.messages.create(
        model="claude-sonnet-4-5", max_tokens=300, tools=[WEATHER],
        messages=[{"role": "user", "content": "What's the weather in Paris?"},
                  {"role": "assistant", "content": [block.model_dump()]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id,
                                                "content": "18C"}]}])
    assert followup.stop_reason == "end_turn"


def test_streamed_tool_use(ant) -> None:  # type: ignore[no-untyped-def]
    with ant.messages.stream(model="claude-sonnet-4-5", max_tokens=300, tools=[WEATHER],
                             tool_choice={"type": "tool", "name": "get_weather"},
                             messages=HELLO) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    jsonschema.validate(final.content[0].input, WEATHER["input_schema"])


def test_missing_max_tokens_and_version(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    url = live_sandbox.url + "/v1/messages"
    no_max = httpx.post(url, json={"model": "claude-sonnet-4-5", "messages": HELLO},
                        headers=_headers(secret))
    assert no_max.status_code == 400
    body = no_max.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"] == "max_tokens: Field required"
    assert body["request_id"] == no_max.headers["request-id"]
    no_version = httpx.post(url, json={"model": "claude-sonnet-4-5", "max_tokens": 5,
                                       "messages": HELLO}, headers={"x-api-key": secret})
    assert no_version.status_code == 400
    assert "anthropic-version" in no_version.json()["error"]["message"]


def test_current_sdk_needs_no_extra_headers(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    # anthropic 2.x sends its own dated version (2026-10-21) and the key as a Bearer token.
    client = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=0)
    raw = client.messages.with_raw_response.create(model="claude-sonnet-4-5", max_tokens=20,
                                                   messages=HELLO)
    assert raw.http_request.headers["anthropic-version"] >= "2026-10-21"
    assert raw.status_code == 200 and raw.parse().content[0].text


@pytest.mark.parametrize("version", ["2023-01-01", "2023-06-01", "2026-10-21", "2031-02-03"])
def test_any_dated_version_is_accepted(live_sandbox, secret, version) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(live_sandbox.url + "/v1/messages",
                          json={"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": HELLO},
                          headers={"x-api-key": secret, "anthropic-version": version})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("version", ["latest", "2022-12-31", "2026-13-01", "v1"])
def test_a_version_that_is_not_one_is_a_400(live_sandbox, secret, version) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(live_sandbox.url + "/v1/messages",
                          json={"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": HELLO},
                          headers={"x-api-key": secret, "anthropic-version": version})
    assert response.status_code == 400
    assert "anthropic-version" in response.json()["error"]["message"]


def test_the_key_is_checked_before_the_version(live_sandbox) -> None:  # type: ignore[no-untyped-def]
    for headers in ({"x-api-key": "sk-ant-wrong-" + "z" * 30, "anthropic-version": "nonsense"},
                    {"x-api-key": "sk-ant-wrong-" + "z" * 30}):
        response = httpx.post(live_sandbox.url + "/v1/messages", headers=headers,
                              json={"model": "claude-sonnet-4-5", "max_tokens": 5,
                                    "messages": HELLO})
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"


def test_auth_errors(live_sandbox, sandbox_db, ant) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    bad = anthropic.Anthropic(base_url=live_sandbox.url, api_key="nope-" + "y" * 30,
                              max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as info:
        bad.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HELLO)
    assert info.value.body["error"]["type"] == "authentication_error"
    record = keys.list_keys(sandbox_db)[0]
    keys.revoke_key(sandbox_db, record.id)
    with pytest.raises(anthropic.AuthenticationError):
        ant.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HELLO)


def test_unknown_and_forbidden_models(live_sandbox, make_key, ant) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.NotFoundError) as info:
        ant.messages.create(model="claude-9-opus", max_tokens=5, messages=HELLO)
    assert info.value.body["error"]["type"] == "not_found_error"
    _record, secret = make_key(models=["claude-3-5-haiku-latest"])
    scoped = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=0)
    scoped.messages.create(model="claude-3-5-haiku-20241022", max_tokens=5, messages=HELLO)
    with pytest.raises(anthropic.PermissionDeniedError):
        scoped.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HELLO)


def test_models_in_anthropic_shape(ant) -> None:  # type: ignore[no-untyped-def]
    listed = list(ant.models.list())  # the SDK pages through with after_id
    ids = [m.id for m in listed]
    assert {"claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022"} <= set(ids)
    assert len(ids) == len(set(ids)) and not any(i.startswith("gpt-") for i in ids)
    assert [m.created_at for m in listed] == sorted((m.created_at for m in listed), reverse=True)
    sonnet = ant.models.retrieve("claude-sonnet-4-5")  # an alias resolves to the snapshot
    assert sonnet.type == "model" and sonnet.id == "claude-sonnet-4-5-20250929"
    assert sonnet.display_name == "Claude Sonnet 4.5"
    with pytest.raises(anthropic.NotFoundError):
        ant.models.retrieve("claude-9-opus")


def test_models_list_pages(ant) -> None:  # type: ignore[no-untyped-def]
    everything = [m.id for m in ant.models.list(limit=1000).data]
    first = ant.models.list(limit=2)
    assert [m.id for m in first.data] == everything[:2] and first.has_more
    assert first.first_id == everything[0] and first.last_id == everything[1]
    second = ant.models.list(limit=2, after_id=first.last_id)
    assert [m.id for m in second.data] == everything[2:4]
    back = ant.models.list(limit=2, before_id=second.first_id)
    assert [m.id for m in back.data] == everything[:2] and not back.has_more
    with pytest.raises(anthropic.BadRequestError):
        ant.models.list(limit=0)


def test_output_cap_is_a_400_before_limits(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    # claude-3-haiku writes at most 4,096 tokens: 10,000,000 is refused as invalid on an
    # unlimited key and on tier 1 alike (never a 200, never a 429).
    for tier in ("unlimited", "tier-1"):
        _record, secret = make_key(tier=tier)
        response = httpx.post(live_sandbox.url + "/v1/messages", headers=_headers(secret),
                              json={"model": "claude-3-haiku", "max_tokens": 10_000_000,
                                    "messages": HELLO})
        assert response.status_code == 400, tier
        assert response.json()["error"]["message"] == (
            "max_tokens: 10000000 > 4096, which is the maximum allowed number of output "
            "tokens for claude-3-haiku-20240307")


def test_rate_limit_headers_are_anthropic_only(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    _record, secret = make_key(tier="free")
    statuses = []
    for _ in range(5):
        response = httpx.post(live_sandbox.url + "/v1/messages", headers=_headers(secret),
                              json={"model": "claude-3-5-haiku-latest", "max_tokens": 5,
                                    "messages": HELLO})
        statuses.append(response.status_code)
    assert statuses[-1] == 429
    assert response.headers["retry-after"].isdigit()
    assert "retry-after-ms" not in response.headers  # OpenAI's header, not Anthropic's


def test_count_tokens_is_free_and_matches_usage(ant, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    kwargs = {"model": "claude-sonnet-4-5", "system": "Be brief.", "tools": [WEATHER],
              "messages": HELLO}
    counted = ant.messages.count_tokens(**kwargs)
    message = ant.messages.create(max_tokens=5, **kwargs)
    assert counted.input_tokens == message.usage.input_tokens > 0
    record = keys.list_keys(sandbox_db)[0]
    entries = keys.key_usage(sandbox_db, record.id)
    assert [e.cost == 0 for e in entries] == [False, True]
