"""RetryLayer alone against fake inner handlers: what is retried, how long, when it gives up."""

from __future__ import annotations

import asyncio
import time

import pytest

from apilab.calls.base import Call
from apilab.calls.retry import RetryLayer, RetryPolicy
from apilab.errors import (
    AuthError,
    BadRequestError,
    BudgetExceededError,
    DeadlineExceededError,
    ProviderConnectionError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExhaustedError,
    RateLimitedError,
    StreamInterruptedError,
)
from tests.calls.fakes import NoSleep, Script, collect, ok


def make_call(deadline: float | None = 60.0) -> Call:
    call = Call(provider="fake", model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    if deadline is not None:
        call.deadline = time.monotonic() + deadline
    return call


def layer(inner: Script, **policy: float) -> tuple[RetryLayer, NoSleep]:
    sleep = NoSleep()
    args = {"max_retries": 4, "base": 0.5, "cap": 20.0, "retry_after_cap": 60.0} | policy
    return RetryLayer(inner, RetryPolicy(rng=lambda: 0.5, **args), sleep=sleep), sleep  # type: ignore[arg-type]


RETRYABLE = [
    RateLimitedError("429", status=429),
    ProviderUnavailableError("408", status=408),
    ProviderUnavailableError("409", status=409),
    ProviderUnavailableError("500", status=500),
    ProviderUnavailableError("502", status=502),
    ProviderUnavailableError("503", status=503),
    ProviderUnavailableError("504", status=504),
    ProviderUnavailableError("529", status=529),
    ProviderTimeoutError("read timeout"),
    ProviderConnectionError("refused"),
]
NEVER = [
    BadRequestError("400", status=400),
    AuthError("401", status=401),
    AuthError("403", status=403),
    BadRequestError("404", status=404),
    BadRequestError("422", status=422),
    QuotaExhaustedError("insufficient_quota", status=429),
    QuotaExhaustedError("spend cap", status=400),
    BudgetExceededError("our budget"),
]


@pytest.mark.parametrize("error", RETRYABLE, ids=lambda e: f"{type(e).__name__}-{e}")
def test_retryable_errors_are_retried_then_succeed(error: Exception) -> None:
    inner = Script(error, ok())
    retry, sleep = layer(inner)
    call = make_call()
    result = asyncio.run(retry.ahandle(call))
    assert result.text == "hello world"
    assert len(inner.calls) == 2
    first, second = call.record.attempts
    assert first.outcome == "error" and type(error).__name__ in (first.cause or "")
    assert first.wait_s == sleep.waits[0] and first.wait_reason == "backoff"
    assert second.outcome == "ok" and second.wait_s is None


@pytest.mark.parametrize("error", NEVER, ids=lambda e: f"{type(e).__name__}-{e}")
def test_never_retried(error: Exception) -> None:
    inner = Script(error, ok())
    retry, sleep = layer(inner)
    call = make_call()
    with pytest.raises(type(error)):
        asyncio.run(retry.ahandle(call))
    assert len(inner.calls) == 1 and sleep.waits == []
    assert call.record.attempts[0].outcome == "error"


def test_gives_up_after_max_retries_with_the_last_error() -> None:
    inner = Script(ProviderUnavailableError("503", status=503))
    retry, sleep = layer(inner, max_retries=3)
    call = make_call()
    with pytest.raises(ProviderUnavailableError):
        asyncio.run(retry.ahandle(call))
    assert len(inner.calls) == 4 and len(sleep.waits) == 3
    # equal jitter at rng=0.5: 0.75 * base * 2**n
    assert sleep.waits == [0.375, 0.75, 1.5]


def test_backoff_is_capped_and_jittered_within_bounds() -> None:
    for value in (0.0, 0.3, 0.999):
        policy = RetryPolicy(base=0.5, cap=4.0, rng=lambda v=value: v)
        for n in range(1, 10):
            ceiling = min(4.0, 0.5 * 2 ** (n - 1))
            assert ceiling / 2 <= policy.backoff(n) <= ceiling


def test_retry_after_is_honoured_exactly() -> None:
    inner = Script(RateLimitedError("429", status=429, retry_after=7.25), ok())
    retry, sleep = layer(inner)
    call = make_call()
    asyncio.run(retry.ahandle(call))
    assert sleep.waits == [7.25]
    assert call.record.attempts[0].wait_reason == "retry-after"


def test_retry_after_above_cap_gives_up_clearly() -> None:
    inner = Script(RateLimitedError("429", status=429, retry_after=300), ok())
    retry, sleep = layer(inner, retry_after_cap=60)
    with pytest.raises(DeadlineExceededError, match=r"300\.0 s .*60 s cap"):
        asyncio.run(retry.ahandle(make_call()))
    assert sleep.waits == [] and len(inner.calls) == 1


def test_wait_past_deadline_gives_up_before_sleeping() -> None:
    inner = Script(RateLimitedError("429", status=429, retry_after=10), ok())
    retry, sleep = layer(inner)
    with pytest.raises(DeadlineExceededError, match="only .* remain"):
        asyncio.run(retry.ahandle(make_call(deadline=3.0)))
    assert sleep.waits == []


def test_stream_error_before_output_is_retried() -> None:
    inner = Script(ProviderUnavailableError("503", status=503), ok("hello world"))
    retry, _ = layer(inner)
    call = make_call()
    text, final = asyncio.run(collect(retry.astream(call)))
    assert text == "hello world" and final is not None
    assert [a.outcome for a in call.record.attempts] == ["error", "ok"]


def test_stream_error_after_output_is_never_retried() -> None:
    inner = Script(ProviderUnavailableError("mid-stream 529", status=529), fail_after=1)
    retry, sleep = layer(inner)
    call = make_call()
    seen: list[str] = []

    async def consume() -> None:
        async for event in retry.astream(call):
            seen.append(getattr(event, "text", ""))

    with pytest.raises(StreamInterruptedError, match="not retried"):
        asyncio.run(consume())
    assert seen == ["hello"] and len(inner.calls) == 1 and sleep.waits == []


def test_closing_the_stream_closes_the_inner_stream_and_marks_cancelled() -> None:
    inner = Script(ok(), chunks=["a", "b", "c"])
    retry, _ = layer(inner)
    call = make_call()

    async def consume() -> None:
        stream = retry.astream(call)
        await anext(stream)
        await stream.aclose()

    asyncio.run(consume())
    assert inner.closed == 1
    assert call.record.attempts[0].outcome == "cancelled"
