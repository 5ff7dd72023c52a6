"""Chaos profiles: seeded faults, run-time switching, disconnects billed by what was sent."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from apilab.errors import ConfigError
from apilab.sandbox.chaos import ChaosState, get_chaos, set_chaos

HI = [{"role": "user", "content": "hi"}]


def _faults(state: ChaosState, n: int = 200) -> list[str | None]:
    return [state.decide("k", stream=False).fault for _ in range(n)]


def test_same_seed_same_faults_and_rates_roughly_right() -> None:
    one, two = ChaosState(), ChaosState()
    for state in (one, two):
        state.set({"p_500": 0.2, "p_429": 0.1, "seed": 42})
    first, second = _faults(one), _faults(two)
    assert first == second
    assert 20 <= first.count("500") <= 60 and 5 <= first.count("429") <= 40
    three = ChaosState()
    three.set({"p_500": 0.2, "p_429": 0.1, "seed": 43})
    assert _faults(three) != first


def test_presets_per_key_and_bad_profiles() -> None:
    state = ChaosState()
    state.set("overloaded", key_id="k1")
    assert state.get("k1").name == "overloaded" and state.get("k2").name == "off"
    assert state.decide("k2", stream=False).is_quiet
    state.set({"base": "slow", "tokens_per_s": 5})
    assert state.get().ttft_ms == 1200 and state.get().tokens_per_s == 5
    with pytest.raises(ConfigError):
        state.set("no-such-profile")
    with pytest.raises(ConfigError):
        state.set({"p_500": 1.5})
    with pytest.raises(ConfigError):
        state.set({"p_teapot": 0.1})


def test_injected_529_is_anthropic_overloaded(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    record, secret = make_key()
    set_chaos(sandbox_db, {"p_529": 1.0, "retry_after_s": 0.01}, key_id=record.id)
    assert get_chaos(sandbox_db, record.id).p_529 == 1.0
    client = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=1)
    with pytest.raises(anthropic._exceptions.OverloadedError) as info:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    assert info.value.status_code == 529
    assert info.value.body["error"]["type"] == "overloaded_error"
    oai = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    with pytest.raises(openai.InternalServerError) as oinfo:  # OpenAI never sends 529
        oai.chat.completions.create(model="gpt-4o", messages=HI)
    assert oinfo.value.status_code == 503
    set_chaos(sandbox_db, None, key_id=record.id)
    oai.chat.completions.create(model="gpt-4o", messages=HI)


def test_admin_api_switches_chaos_at_run_time(live_sandbox, secret) -> None:  # type: ignore[no-untyped-def]
    admin = live_sandbox.url + "/admin/chaos"
    assert httpx.put(admin, json={"profile": {"p_500": 1.0}}).status_code == 200
    assert httpx.get(admin).json()["global"]["p_500"] == 1.0
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="gpt-4o", messages=HI)
    assert info.value.status_code == 500 and info.value.type == "server_error"
    assert httpx.delete(admin).json()["global"]["name"] == "off"
    client.chat.completions.create(model="gpt-4o", messages=HI)
    bad = httpx.put(admin, json={"profile": "nonsense"})
    assert bad.status_code == 400 and "Unknown chaos profile" in bad.json()["error"]


def test_disconnect_bills_only_tokens_sent(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key()
    set_chaos(sandbox_db, {"p_disconnect": 1.0}, key_id=record.id)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    received: list[str] = []
    with pytest.raises((httpx.HTTPError, openai.APIError)):
        stream = client.chat.completions.create(model="gpt-4o", messages=HI, max_tokens=60,
                                                stream=True)
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    time.sleep(0.1)
    [entry] = keys.key_usage(sandbox_db, record.id)
    assert 0 < len(received) < 60
    assert entry.output_tokens == len(received)  # one token per streamed piece
    assert "disconnected" in (entry.note or "")


def test_client_going_away_is_billed_for_what_it_got(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key()
    set_chaos(sandbox_db, {"tokens_per_s": 50}, key_id=record.id)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    stream = client.chat.completions.create(model="gpt-4o", messages=HI, max_tokens=200,
                                            stream=True)
    got = 0
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            got += 1
            if got == 5:
                break
    stream.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        entries = keys.key_usage(sandbox_db, record.id)
        if entries:
            break
        time.sleep(0.1)
    [entry] = entries
    # What was sent before the server noticed the client leave: far from the 200 asked.
    assert 5 <= entry.output_tokens < 60
    assert "disconnected" in (entry.note or "") or "early" in (entry.note or "")


def test_malformed_chunk_breaks_the_sdk_parser(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    record, secret = make_key()
    set_chaos(sandbox_db, {"p_malformed": 1.0}, key_id=record.id)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    with pytest.raises(ValueError):
        for _ in client.chat.completions.create(model="gpt-4o", messages=HI, stream=True):
            pass


def test_hang_past_the_client_timeout(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    record, secret = make_key()
    set_chaos(sandbox_db, {"p_hang": 1.0, "hang_s": 1.5}, key_id=record.id)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0,
                           timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o", messages=HI)


def test_latency_and_stream_speed(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    record, secret = make_key()
    set_chaos(sandbox_db, {"latency_ms": 300, "ttft_ms": 200, "tokens_per_s": 100},
              key_id=record.id)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    started = time.perf_counter()
    client.chat.completions.create(model="gpt-4o", messages=HI, max_tokens=5)
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    pieces = [c for c in client.chat.completions.create(model="gpt-4o", messages=HI,
                                                        max_tokens=20, stream=True)]
    elapsed = time.perf_counter() - started
    assert len(pieces) >= 20 and elapsed >= 0.3 + 0.2 + 19 / 100


def test_mid_stream_error_events(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key()
    set_chaos(sandbox_db, {"p_stream_error": 1.0}, key_id=record.id)
    oai = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=2)
    with pytest.raises(openai.APIError) as info:
        for _ in oai.chat.completions.create(model="gpt-4o", messages=HI, max_tokens=40,
                                             stream=True):
            pass
    assert "mid-stream" in info.value.message
    ant = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=2)
    with pytest.raises(anthropic.APIStatusError) as ainfo, ant.messages.stream(
            model="claude-sonnet-4-5", max_tokens=40, messages=HI) as stream:
        for _ in stream.text_stream:
            pass
    assert ainfo.value.body["error"]["type"] == "overloaded_error"
    entries = keys.key_usage(sandbox_db, record.id)
    assert len(entries) == 2  # never retried
    assert all("error event" in (e.note or "") and 0 < e.output_tokens < 40 for e in entries)


def test_chaos_set_before_the_app_exists_is_kept(settings, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox.app import create_sandbox_app

    set_chaos(sandbox_db, "overloaded")
    app = create_sandbox_app(settings, sandbox_db)
    assert app.state.sandbox.chaos.get().name == "overloaded"
    assert app.state.sandbox.settings is settings


def test_responses_stream_faults_are_billed_as_sent(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key()
    oai = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=2)
    set_chaos(sandbox_db, {"p_stream_error": 1.0}, key_id=record.id)
    kinds = [e.type for e in oai.responses.create(model="gpt-4o", input="Hi",
                                                  max_output_tokens=60, stream=True)]
    assert kinds[-2:] == ["error", "response.failed"]
    set_chaos(sandbox_db, {"p_disconnect": 1.0}, key_id=record.id)
    with pytest.raises(openai.APIConnectionError):
        for _ in oai.responses.create(model="gpt-4o", input="Hi", max_output_tokens=60,
                                      stream=True):
            pass
    entries = keys.key_usage(sandbox_db, record.id)
    assert len(entries) == 2  # a mid-stream failure is never retried
    assert all(0 < e.output_tokens < 60 for e in entries)
    assert {("error event" in (e.note or "")) for e in entries} == {True, False}
