"""Error kinds rendered in each provider's shape and status."""

from __future__ import annotations

import json

import pytest

from apilab.sandbox.errors import SandboxHTTPError, error_response

CASES = [  # kind, OpenAI status/type, Anthropic status/type
    ("invalid_request", 400, "invalid_request_error", 400, "invalid_request_error"),
    ("auth", 401, "invalid_request_error", 401, "authentication_error"),
    ("permission", 403, "invalid_request_error", 403, "permission_error"),
    ("not_found", 404, "invalid_request_error", 404, "not_found_error"),
    ("rate_requests", 429, "requests", 429, "rate_limit_error"),
    ("rate_tokens", 429, "tokens", 429, "rate_limit_error"),
    ("quota", 429, "insufficient_quota", 400, "invalid_request_error"),
    ("server", 500, "server_error", 500, "api_error"),
    ("overloaded", 503, "server_error", 529, "overloaded_error"),
]


@pytest.mark.parametrize(("kind", "o_status", "o_type", "a_status", "a_type"), CASES)
def test_shapes(kind: str, o_status: int, o_type: str, a_status: int, a_type: str) -> None:
    exc = SandboxHTTPError(kind, "msg", anthropic_message="a-msg")
    openai = error_response(exc, "openai", "req_1")
    body = json.loads(openai.body)
    assert openai.status_code == o_status and body["error"]["type"] == o_type
    assert set(body["error"]) == {"message", "type", "param", "code"}
    anthropic = error_response(exc, "anthropic", "req_2")
    body = json.loads(anthropic.body)
    assert anthropic.status_code == a_status
    assert body == {"type": "error", "error": {"type": a_type, "message": "a-msg"},
                    "request_id": "req_2"}


def test_retry_after_headers_round_up_seconds_and_keep_ms() -> None:
    response = error_response(SandboxHTTPError("rate_requests", "slow down", retry_after=0.6444),
                              "openai", "req_1", {"x-request-id": "req_1"})
    headers = dict(response.headers)
    assert headers["retry-after"] == "1" and headers["retry-after-ms"] == "645"
    assert headers["x-request-id"] == "req_1"
    assert json.loads(response.body)["error"]["code"] == "rate_limit_exceeded"


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        SandboxHTTPError("teapot", "no")
