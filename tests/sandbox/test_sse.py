"""SSE framing (hypothesis): frames round-trip, streams end right, events are named right."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apilab.sandbox.sse import DONE, anthropic_frame, openai_frame, parse_sse

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children,
                                                                       max_size=4),
    max_leaves=10,
)


@given(payloads=st.lists(st.dictionaries(st.text(), JSON, max_size=5), min_size=1, max_size=5))
def test_openai_frames_round_trip(payloads: list[dict]) -> None:
    raw = b"".join(openai_frame(p) for p in payloads) + DONE
    events = parse_sse(raw)
    assert [e.json() for e in events[:-1]] == payloads
    assert events[-1].data == "[DONE]"
    assert all(e.event is None for e in events)
    assert raw.count(b"\n\n") == len(payloads) + 1  # exactly one blank line per frame


@given(types=st.lists(st.sampled_from(["message_start", "content_block_delta", "ping"]),
                      min_size=1, max_size=6), text=st.text())
def test_anthropic_event_names_match_type(types: list[str], text: str) -> None:
    raw = b"".join(anthropic_frame({"type": t, "text": text}) for t in types)
    events = parse_sse(raw)
    assert [e.event for e in events] == types
    assert all(e.json() == {"type": e.event, "text": text} for e in events)


@given(max_tokens=st.integers(1, 60), seed=st.integers(0, 50), usage=st.booleans(),
       n=st.integers(1, 3))
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_openai_streams_are_framed_right(sandbox_app, secret, max_tokens, seed, usage, n) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
            "stream": True, "max_tokens": max_tokens, "seed": seed, "n": n}
    if usage:
        body["stream_options"] = {"include_usage": True}
    with TestClient(sandbox_app) as client:
        response = client.post("/v1/chat/completions", json=body,
                               headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    raw = response.text
    assert raw.endswith("\n\ndata: [DONE]\n\n") and "\n\n\n" not in raw
    chunks = [json.loads(e.data) for e in parse_sse(raw)[:-1]]
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]
                and c["choices"][0]["finish_reason"]]
    assert len(finishes) == n
    if usage:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] <= \
            max_tokens * n
    else:
        assert all("usage" not in c for c in chunks)


@given(max_tokens=st.integers(1, 40), seed=st.integers(0, 50))
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_anthropic_streams_are_framed_right(sandbox_app, secret, max_tokens, seed) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "claude-sonnet-4-5", "max_tokens": max_tokens, "stream": True,
            "messages": [{"role": "user", "content": f"hello {seed}"}]}
    with TestClient(sandbox_app) as client:
        response = client.post("/v1/messages", json=body, headers={
            "x-api-key": secret, "anthropic-version": "2023-06-01"})
    events = parse_sse(response.text)
    assert all(e.event == e.json()["type"] for e in events)
    assert events[-1].event == "message_stop"
    deltas = [e.json() for e in events if e.event == "content_block_delta"]
    final = [e.json() for e in events if e.event == "message_delta"][0]
    assert final["usage"]["output_tokens"] == len(deltas) <= max_tokens


def test_fast_content_frames_equal_the_generic_ones(sandbox_app, secret) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox.sse import anthropic_frame, openai_frame

    with TestClient(sandbox_app) as client:
        for usage in (True, False):
            body = {"model": "echo", "stream": True, "n": 2,
                    "messages": [{"role": "user", "content": "héllo \"quoted\"\n"}]}
            if usage:
                body["stream_options"] = {"include_usage": True}
            raw = client.post("/v1/chat/completions", json=body,
                              headers={"Authorization": f"Bearer {secret}"}).text
            for event in parse_sse(raw)[:-1]:
                assert openai_frame(json.loads(event.data)).decode() in raw
            assert r"\"" in raw and "é" in raw and r"\u00e9" not in raw  # escaped; UTF-8
        raw = client.post("/v1/messages", json={
            "model": "claude-sonnet-4-5", "max_tokens": 30, "stream": True,
            "messages": [{"role": "user", "content": "hi"}]},
            headers={"x-api-key": secret, "anthropic-version": "2023-06-01"}).text
        for event in parse_sse(raw):
            assert anthropic_frame(event.json()).decode() in raw
