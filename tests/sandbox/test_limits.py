"""Token buckets, 429s with Retry-After, SDK retries seen in the audit log, spending caps."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from apilab.sandbox.limits import MemoryLimits, TokenBucket, go_duration
from apilab.sandbox.state import state_for

HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (0.012, "12ms"), (0.6444, "644ms"), (1, "1s"), (17.3, "17.3s"), (360, "6m0s"),
    (3725.5, "1h2m5.5s"),
])
def test_go_duration(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


def test_bucket_refills_continuously_up_to_capacity() -> None:
    bucket = TokenBucket.full(60, now=0.0)
    bucket.level = 0
    bucket.refill(10.0)
    assert bucket.level == pytest.approx(10)
    assert bucket.wait_for(15) == pytest.approx(5)
    bucket.refill(1000.0)
    assert bucket.level == 60 and bucket.until_full() == 0


def test_requests_bucket_refuses_without_consuming() -> None:
    limits = MemoryLimits()
    for _ in range(3):
        assert limits.admit("k:m", 3, 10_000, 10, now=0.0).allowed
    refused = limits.admit("k:m", 3, 10_000, 10, now=0.0)
    assert not refused.allowed and refused.refused_by == "requests"
    assert refused.retry_after == pytest.approx(20.0)  # 3 RPM: one request every 20 s
    assert refused.snapshot.remaining_tokens == 10_000 - 30  # nothing taken by the refusal
    assert limits.admit("k:m", 3, 10_000, 10, now=20.0).allowed


def test_tokens_reserved_then_settled() -> None:
    limits = MemoryLimits()
    first = limits.admit("k:m", 100, 1000, 600, now=0.0)
    assert first.allowed and first.snapshot.remaining_tokens == 400
    refused = limits.admit("k:m", 100, 1000, 600, now=0.0)
    assert refused.refused_by == "tokens"
    assert refused.retry_after == pytest.approx(200 / (1000 / 60))
    limits.settle("k:m", 100, 1000, reserved=600, actual=50, now=0.0)
    assert limits.snapshot("k:m", 100, 1000, now=0.0).remaining_tokens == 950
    assert limits.admit("k:m", 100, 1000, 600, now=0.0).allowed
    too_big = limits.admit("k:m", 100, 1000, 1001, now=0.0)
    assert too_big.refused_by == "too_large"


def test_scopes_are_independent_and_resettable() -> None:
    limits = MemoryLimits()
    assert limits.admit("a:m", 1, 100, 1, now=0.0).allowed
    assert not limits.admit("a:m", 1, 100, 1, now=0.0).allowed
    assert limits.admit("b:m", 1, 100, 1, now=0.0).allowed
    limits.reset("a:m")
    assert limits.admit("a:m", 1, 100, 1, now=0.0).allowed


def test_redis_limits_share_state(settings) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox.limits import RedisLimits
    from tests._services import require_redis

    url = require_redis()
    one, two = RedisLimits(url, prefix="test:sbx:"), RedisLimits(url, prefix="test:sbx:")
    one.reset()
    assert one.admit("k:m", 2, 1000, 100, now=100.0).allowed
    assert two.admit("k:m", 2, 1000, 100, now=100.0).allowed
    refused = one.admit("k:m", 2, 1000, 100, now=100.0)
    assert not refused.allowed and refused.refused_by == "requests"
    two.settle("k:m", 2, 1000, 100, 10, now=100.0)
    assert one.snapshot("k:m", 2, 1000, now=100.0).remaining_tokens == 890
    one.reset()


def test_rpm_429_shape_and_headers(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    _record, secret = make_key(rpm=2)
    url, auth = live_sandbox.v1 + "/chat/completions", {"Authorization": f"Bearer {secret}"}
    body = {"model": "gpt-4o-mini", "messages": HI, "max_tokens": 5}
    ok = [httpx.post(url, json=body, headers=auth) for _ in range(2)]
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[1].headers["x-ratelimit-remaining-requests"] == "0"
    limited = httpx.post(url, json=body, headers=auth)
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["type"] == "requests" and error["code"] == "rate_limit_exceeded"
    assert error["param"] is None
    assert "Limit 2" in error["message"]
    retry_ms = int(limited.headers["retry-after-ms"])
    assert 25_000 <= retry_ms <= 30_000  # 2 RPM: one request every 30 s
    assert int(limited.headers["retry-after"]) == -(-retry_ms // 1000)
    assert limited.headers["x-ratelimit-limit-requests"] == "2"


def test_tpm_reservation_and_request_too_large(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key(tpm=1000)
    eager = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=2)
    with pytest.raises(openai.RateLimitError) as info:
        eager.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=2000)
    assert info.value.type == "tokens" and "Request too large" in info.value.message
    assert info.value.response.headers["x-should-retry"] == "false"
    assert len(keys.key_usage(sandbox_db, record.id)) == 1  # the SDK did not retry
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=900)
    # Settled to the real usage (a few dozen tokens), not the 900 reserved.
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=HI,
                                                           max_tokens=900)
    assert raw.http_response.status_code == 200
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=HI, max_tokens=900)
    assert info.value.type == "tokens"


def test_sdk_retries_are_visible_in_audit_log(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key(rpm=60)
    state = state_for(sandbox_db)
    for _ in range(60):  # drain the bucket: the next request must wait ~1 s
        state.limits.admit(f"{record.id}:gpt-4o-mini", 60, 30_000, 1)
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=2)
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert completion.choices[0].finish_reason == "stop"
    log = list(reversed(keys.key_usage(sandbox_db, record.id)))
    assert [(e.status, e.retry_count) for e in log][-1] == (200, len(log) - 1)
    assert log[0].status == 429 and log[0].error_type == "requests"
    assert log[0].retry_count == 0


def test_spending_cap_openai_insufficient_quota(live_sandbox, make_key, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from apilab.sandbox import keys

    record, secret = make_key(monthly_cap_usd="0.0001")
    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    for _ in range(5):
        try:
            client.chat.completions.create(model="gpt-4o", messages=HI)
        except openai.RateLimitError as exc:
            assert exc.code == "insufficient_quota" and exc.type == "insufficient_quota"
            break
    else:
        pytest.fail("the spending cap never stopped the loop")
    spent = sum(e.cost for e in keys.key_usage(sandbox_db, record.id))
    assert spent >= record.monthly_cap_usd


def test_spending_cap_anthropic_credit_too_low(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    _record, secret = make_key(monthly_cap_usd="0")
    client = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    assert "credit balance is too low" in info.value.message


def test_anthropic_rate_limit_error(live_sandbox, make_key) -> None:  # type: ignore[no-untyped-def]
    _record, secret = make_key(rpm=1)
    client = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=0)
    client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)
    assert info.value.body["error"]["type"] == "rate_limit_error"
    assert int(info.value.response.headers["retry-after"]) > 0
    assert info.value.response.headers["anthropic-ratelimit-requests-remaining"] == "0"


def test_app_uses_redis_limits_when_configured(settings, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from apilab.sandbox.app import create_sandbox_app
    from apilab.sandbox.keys import create_key
    from apilab.sandbox.limits import RedisLimits
    from apilab.sandbox.state import SandboxState
    from tests._services import require_redis

    url = require_redis()
    record, secret = create_key(sandbox_db, name="shared", rpm=2)
    app = create_sandbox_app(settings.with_overrides(redis_url=url), sandbox_db)
    state = app.state.sandbox
    assert isinstance(state.limits, RedisLimits)
    state.limits.reset()
    # A second process would have its own state over the same Redis: simulate one.
    other = SandboxState(sandbox_db, settings.with_overrides(redis_url=url))
    other.limits.admit(f"{record.id}:gpt-4o-mini", 2, 30_000, 10)
    body = {"model": "gpt-4o-mini", "messages": HI, "max_tokens": 5}
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        assert client.post("/v1/chat/completions", json=body, headers=auth).status_code == 200
        limited = client.post("/v1/chat/completions", json=body, headers=auth)
    assert limited.status_code == 429 and limited.json()["error"]["type"] == "requests"
    state.limits.reset()
