"""Reading provider replies for the workbench: outcomes, stream folding, SSE framing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from apilab.web.routes._workbench_wire import (
    EXPLAIN,
    Scrubber,
    StreamState,
    outcome_of,
    redact_headers,
    sse_frames,
)


@pytest.mark.parametrize(
    ("status", "finish", "error", "outcome"),
    [
        (200, "stop", None, "ok"),
        (200, "end_turn", None, "ok"),
        (200, "length", None, "length"),
        (200, "max_tokens", None, "length"),
        (200, None, {"message": "dropped"}, "stream_error"),
        (None, None, None, "timeout"),
        (400, None, {"type": "invalid_request_error"}, "400"),
        (401, None, None, "401"),
        (403, None, None, "403"),
        (404, None, None, "404"),
        (422, None, None, "400"),
        (429, None, {"code": "rate_limit_exceeded", "type": "requests"}, "429"),
        (429, None, {"code": "insufficient_quota", "type": "insufficient_quota"}, "quota"),
        # OpenAI's billing codes (2026): the cause is in the code, whatever the type says.
        (429, None, {"code": "project_spend_limit_exceeded", "type": "insufficient_quota"},
         "quota"),
        (429, None, {"code": "credit_balance_exhausted", "type": "requests"}, "quota"),
        (400, None, {"type": "invalid_request_error",
                     "message": "Your credit balance is too low to access the API."}, "quota"),
        (500, None, None, "500"),
        (503, None, None, "503"),
        (529, None, {"type": "overloaded_error"}, "503"),
    ],
)
def test_every_outcome_has_the_right_explanation(status, finish, error, outcome) -> None:
    assert outcome_of(status, finish, error) == outcome
    assert EXPLAIN[outcome]


def test_quota_is_never_advised_as_retryable() -> None:
    assert "do not retry" in EXPLAIN["quota"]
    assert "Retrying cannot help" in EXPLAIN["401"]


def test_anthropic_message_delta_usage_replaces_rather_than_adds() -> None:
    state = StreamState("anthropic")
    state.feed("message_start", {"type": "message_start", "message": {
        "usage": {"input_tokens": 20, "output_tokens": 1}}}, 0.0)
    state.feed("content_block_delta", {"type": "content_block_delta", "index": 0,
                                       "delta": {"type": "text_delta", "text": "Hi"}}, 0.1)
    state.feed("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                 "usage": {"output_tokens": 5}}, 0.2)
    state.feed("message_delta", {"type": "message_delta", "delta": {},
                                 "usage": {"output_tokens": 9}}, 0.3)
    state.feed("message_stop", {"type": "message_stop"}, 0.4)
    assert state.usage == {"input_tokens": 20, "output_tokens": 9}
    assert state.finish == "end_turn" and state.done
    assert "".join(state.text) == "Hi" and state.first_token_at == 0.1


def test_openai_mid_stream_error_is_recorded() -> None:
    state = StreamState("openai")
    state.feed(None, {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}, 0.0)
    state.feed(None, {"error": {"message": "Overloaded", "type": "server_error"}}, 0.1)
    assert state.error == {"message": "Overloaded", "type": "server_error"}
    assert "".join(state.text) == "Hel"


def test_sse_frames_handle_comments_event_names_and_multiline_data() -> None:
    raw = (b": keep-alive\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n"
           b"data: line one\ndata: line two\n\ndata: [DONE]\n\n")

    async def main() -> list[tuple[str | None, str]]:
        response = httpx.Response(200, content=raw)
        return [frame async for frame in sse_frames(response)]

    assert asyncio.run(main()) == [("ping", '{"type": "ping"}'), (None, "line one\nline two"),
                                   (None, "[DONE]")]


def test_keys_never_survive_redaction() -> None:
    key = "sk-sbx-" + "Ab3" * 14
    shown = redact_headers({"Authorization": f"Bearer {key}", "x-api-key": key,
                            "Content-Type": "application/json"})
    assert key not in str(shown)
    assert shown["Content-Type"] == "application/json"
    assert shown["Authorization"].startswith("Bearer sk-") and shown["Authorization"].endswith(
        key[-4:])
    scrub = Scrubber(key)
    assert key not in scrub(f'{{"message": "Incorrect API key provided: {key}"}}')


def test_curl_command_reads_the_key_from_the_environment_and_is_valid_shell() -> None:
    import json
    import shlex

    from apilab.web.routes._workbench_wire import curl_command

    key = "sk-sbx-" + "Zq9" * 14
    body = json.dumps({"messages": [{"role": "user", "content": "It's fine"}]}, indent=2)
    command = curl_command("http://h/sandbox/v1/chat/completions",
                           {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                            "x-stainless-retry-count": "0"}, body, key_source="sandbox")
    assert key not in command
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:2] == ["curl", "http://h/sandbox/v1/chat/completions"]
    assert "Authorization: Bearer $SANDBOX_API_KEY" in words
    assert not any("stainless" in w for w in words)
    assert json.loads(words[words.index("-d") + 1]) == json.loads(body)
    wrong = curl_command("http://h/v1/messages", {"x-api-key": key}, "{}", key_source="none")
    assert "x-api-key: not-a-real-key" in wrong and key not in wrong
