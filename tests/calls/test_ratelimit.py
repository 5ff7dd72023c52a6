"""RateLimitLayer alone: RPM/TPM admission, reserve-then-settle, pacing from headers."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from apilab.calls.base import Call, RateLimitState
from apilab.calls.ratelimit import RateLimitLayer
from apilab.calls.state.base import WindowDim
from apilab.calls.state.memory import MemoryStore
from apilab.errors import BadRequestError, DeadlineExceededError, RateLimitedError
from tests.calls.fakes import NoSleep, Script, collect, ok


def make_call(deadline: float = 5.0, max_tokens: int = 100) -> Call:
    call = Call(provider="fake", model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                max_tokens=max_tokens)
    call.deadline = time.monotonic() + deadline
    call.record.estimated_input_tokens = 20
    return call


def test_rpm_admits_exactly_the_limit_then_refuses_past_the_deadline() -> None:
    store = MemoryStore()
    layer = RateLimitLayer(Script(ok()), store, name="k", rpm=5)

    async def run() -> list[str]:
        outcomes = []
        for _ in range(8):
            try:
                await layer.ahandle(make_call(deadline=2))
                outcomes.append("ok")
            except DeadlineExceededError as exc:
                assert "5 requests/min" in str(exc) and "next slot" in str(exc)
                outcomes.append("refused")
        return outcomes

    assert asyncio.run(run()) == ["ok"] * 5 + ["refused"] * 3


def test_waits_for_the_next_slot_when_it_fits_the_deadline() -> None:
    clock = [1000.0]
    store = MemoryStore(clock=lambda: clock[0])
    sleep = NoSleep()

    async def fake_sleep(seconds: float) -> None:
        await sleep(seconds)
        clock[0] += seconds

    layer = RateLimitLayer(Script(ok()), store, name="k", rpm=1, window_s=10, sleep=fake_sleep)

    async def run() -> None:
        await layer.ahandle(make_call(deadline=60))
        clock[0] += 4
        await layer.ahandle(make_call(deadline=60))

    asyncio.run(run())
    assert sleep.waits == [pytest.approx(6.0)]


def test_tpm_reserves_input_plus_max_tokens_and_settles_actual() -> None:
    store = MemoryStore()
    # 20 input + 100 max_tokens = 120 reserved; actual usage 10 + 5 = 15
    layer = RateLimitLayer(Script(ok(input_tokens=10, output_tokens=5)), store, name="k",
                           tpm=250)

    async def run() -> None:
        await layer.ahandle(make_call())
        win = store._windows[("k", "tpm")]
        assert win.total == 15  # settled
        # two concurrent reservations of 120 fit in 250 - 15, a third does not
        decision = await store.window_acquire("k", [WindowDim("tpm", 250, 120)], "x", 60)
        assert decision.ok
        with pytest.raises(DeadlineExceededError, match="tokens/min"):
            await layer.ahandle(make_call(deadline=1))

    asyncio.run(run())


def test_a_request_bigger_than_the_tpm_limit_is_a_clear_bad_request() -> None:
    layer = RateLimitLayer(Script(ok()), MemoryStore(), name="k", tpm=50)
    with pytest.raises(BadRequestError, match="can never be admitted"):
        asyncio.run(layer.ahandle(make_call(max_tokens=100)))


def test_remaining_zero_header_pauses_admissions_until_reset() -> None:
    store = MemoryStore()
    result = ok(rate_limit=RateLimitState(remaining_requests=0, reset_requests_s=30.0))
    layer = RateLimitLayer(Script(result, ok()), store, name="k", rpm=100)

    async def run() -> None:
        await layer.ahandle(make_call())
        with pytest.raises(DeadlineExceededError, match="announced reset"):
            await layer.ahandle(make_call(deadline=5))

    asyncio.run(run())


def test_a_429_retry_after_pauses_the_key_for_everyone() -> None:
    store = MemoryStore()
    layer = RateLimitLayer(Script(RateLimitedError("429", retry_after=20.0)), store,
                           name="k", rpm=100)

    async def run() -> None:
        with pytest.raises(RateLimitedError):
            await layer.ahandle(make_call())
        decision = await store.window_acquire("k", [], "probe", 60)
        assert not decision.ok and decision.retry_in > 19

    asyncio.run(run())


def test_cancelled_stream_settles_tokens_actually_streamed() -> None:
    store = MemoryStore()
    layer = RateLimitLayer(Script(ok(), chunks=["a", "b", "c", "d"]), store, name="k", tpm=1000)
    call = make_call()

    async def run() -> None:
        stream = layer.astream(call)
        await anext(stream)
        await anext(stream)
        await stream.aclose()

    asyncio.run(run())
    assert store._windows[("k", "tpm")].total == 20 + 2  # prompt + two streamed tokens


def test_inactive_layer_passes_through() -> None:
    layer = RateLimitLayer(Script(ok()), MemoryStore(), name="k")
    text, final = asyncio.run(collect(layer.astream(make_call())))
    assert text == "hello world" and final is not None


class TimedStore:
    """Wraps a store and records, for every admitted call, when the admission was asked
    for and when the answer came back: the store decided somewhere in between."""

    def __init__(self, store, admitted: list[tuple[float, float]]) -> None:  # type: ignore[no-untyped-def]
        self._store = store
        self._admitted = admitted

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._store, name)

    async def window_acquire(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked = time.monotonic()
        decision = await self._store.window_acquire(*args, **kwargs)
        if decision.ok:
            self._admitted.append((asked, time.monotonic()))
        return decision


def _most_surely_in_one_window(admitted: list[tuple[float, float]], window: float) -> int:
    """The largest group of admissions that certainly fell within one window: every
    admission happened inside its (asked, answered) interval, so a group whose earliest
    ask and latest answer are less than a window apart was admitted within one window.
    Sound on a loaded machine (a late answer widens the interval, it never invents a
    violation), and a limiter that admits too many is still caught, since loopback
    round trips are far shorter than the window."""
    best = 0
    for first_ask, _ in admitted:
        group = [1 for ask, answer in admitted if ask >= first_ask and answer < first_ask + window]
        best = max(best, len(group))
    return best


def _run_windows(stores: list) -> tuple[int, int]:  # type: ignore[type-arg]
    """Two "servers" (stacks) share one limit of 10 per 1 s window for ~3 s."""
    admitted: list[tuple[float, float]] = []
    name = "win-" + uuid.uuid4().hex[:8]
    layers = [RateLimitLayer(Script(ok()), TimedStore(store, admitted), name=name, rpm=10,
                             window_s=1.0)
              for store in stores]

    async def run() -> None:
        await asyncio.gather(*(layers[i % len(layers)].ahandle(make_call(deadline=3.2))
                               for i in range(60)), return_exceptions=True)
        for store in stores:
            await store.aclose()

    asyncio.run(run())
    return len(admitted), _most_surely_in_one_window(admitted, 1.0)


def test_every_sliding_window_stays_within_the_limit_in_memory() -> None:
    store = MemoryStore()
    admitted, worst = _run_windows([store, store])
    assert worst <= 10 and admitted >= 30  # several windows' worth, none over the limit


def test_every_sliding_window_stays_within_the_limit_across_redis_clients() -> None:
    from apilab.calls.state.redis import RedisStore
    from tests._services import require_redis

    url = require_redis()
    admitted, worst = _run_windows([RedisStore(url), RedisStore(url)])
    assert worst <= 10 and admitted >= 30, (admitted, worst)
