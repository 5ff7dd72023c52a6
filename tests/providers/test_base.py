"""The classification table, Retry-After parsing and rate-limit headers, case by case."""

from __future__ import annotations

import datetime as dt

import pytest

from apilab.errors import (
    AuthError,
    BadRequestError,
    ProviderUnavailableError,
    QuotaExhaustedError,
    RateLimitedError,
)
from apilab.providers.base import (
    error_for_status,
    mask_key,
    parse_duration,
    parse_retry_after,
    rate_limit_state,
    scrub,
)

NOW = dt.datetime(2026, 11, 27, 12, 0, 0, tzinfo=dt.UTC)

# status, body, expected class, retryable
TABLE = [
    (429, {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"},
     RateLimitedError, True),
    (429, {"message": "You exceeded your current quota", "type": "insufficient_quota",
           "code": "insufficient_quota"}, QuotaExhaustedError, False),
    # OpenAI's billing 429s name their cause in the code (2026); the type may be anything.
    (429, {"message": "Project spend limit reached", "type": "insufficient_quota",
           "code": "project_spend_limit_exceeded"}, QuotaExhaustedError, False),
    (429, {"message": "You have no credits left", "type": "requests",
           "code": "credit_balance_exhausted"}, QuotaExhaustedError, False),
    (429, {"message": "Usage limit reached", "type": "requests",
           "code": "organization_usage_limit_exceeded"}, QuotaExhaustedError, False),
    (429, {"type": "error", "error": {"type": "rate_limit_error",
                                      "message": "enforced_spend_limit_reached"}},
     QuotaExhaustedError, False),
    (400, {"type": "error", "error": {"type": "invalid_request_error",
                                      "message": "Your credit balance is too low to access "
                                                 "the Anthropic API."}},
     QuotaExhaustedError, False),
    (400, {"message": "max_tokens: Field required", "type": "invalid_request_error"},
     BadRequestError, False),
    (401, {"message": "Incorrect API key provided", "code": "invalid_api_key"}, AuthError, False),
    (403, {"message": "model not allowed"}, AuthError, False),
    (404, {"message": "model_not_found"}, BadRequestError, False),
    (413, {"message": "too large"}, BadRequestError, False),
    (422, {"message": "unprocessable"}, BadRequestError, False),
    (408, None, ProviderUnavailableError, True),
    (409, None, ProviderUnavailableError, True),
    (500, {"message": "server_error"}, ProviderUnavailableError, True),
    (502, None, ProviderUnavailableError, True),
    (503, {"message": "overloaded"}, ProviderUnavailableError, True),
    (504, None, ProviderUnavailableError, True),
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     ProviderUnavailableError, True),
]


@pytest.mark.parametrize(("status", "body", "cls", "retryable"), TABLE,
                         ids=[f"{row[0]}-{row[2].__name__}" for row in TABLE])
def test_classification(status: int, body: object, cls: type, retryable: bool) -> None:
    err = error_for_status(status, provider="p", message="m", body=body)
    assert type(err) is cls
    assert err.retryable is retryable
    assert err.status == status


def test_x_should_retry_header_overrides_the_table() -> None:
    err = error_for_status(500, provider="p", message="m", headers={"x-should-retry": "false"})
    assert err.retryable is False
    err = error_for_status(409, provider="p", message="m", headers={"X-Should-Retry": "true"})
    assert err.retryable is True


def test_429_carries_retry_after() -> None:
    err = error_for_status(429, provider="p", message="m",
                           headers={"retry-after": "2", "retry-after-ms": "1500"})
    assert isinstance(err, RateLimitedError) and err.retry_after == 1.5


@pytest.mark.parametrize(("headers", "expected"), [
    ({"retry-after-ms": "644"}, 0.644),
    ({"Retry-After": "12"}, 12.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"retry-after": "Fri, 27 Nov 2026 12:00:30 GMT"}, 30.0),
    ({"retry-after": "Fri, 27 Nov 2026 11:59:00 GMT"}, 0.0),
    ({"retry-after": "soon"}, None),
    ({"retry-after": "-3"}, None),
    ({"retry-after-ms": "x", "retry-after": "4"}, 4.0),
    ({}, None),
])
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


@pytest.mark.parametrize(("text", "seconds"), [
    ("1s", 1.0), ("6m0s", 360.0), ("12ms", 0.012), ("17.3s", 17.3), ("1h2m3s", 3723.0),
    ("2026-11-27T12:01:00Z", 60.0), ("nonsense", None), ("", None),
])
def test_parse_duration(text: str, seconds: float | None) -> None:
    got = parse_duration(text, now=NOW)
    assert got == (pytest.approx(seconds) if seconds is not None else None)


def test_rate_limit_state_reads_both_vendors() -> None:
    openai = rate_limit_state({"x-ratelimit-remaining-requests": "0",
                               "x-ratelimit-reset-requests": "1s",
                               "x-ratelimit-remaining-tokens": "149984",
                               "x-ratelimit-reset-tokens": "6m0s"})
    assert (openai.remaining_requests, openai.reset_requests_s) == (0, 1.0)
    assert (openai.remaining_tokens, openai.reset_tokens_s) == (149984, 360.0)
    anth = rate_limit_state({"anthropic-ratelimit-requests-remaining": "49"})
    assert anth.remaining_requests == 49


def test_scrub_and_mask_never_keep_the_key() -> None:
    key = "sk-" + "proj-" + "Z" * 10 + "canary" + "9" * 12
    assert key not in scrub(f"bad key {key} given", key)
    masked = mask_key(key)
    assert key not in masked and masked.endswith(key[-4:]) and len(masked) < 12
