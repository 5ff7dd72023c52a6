"""Cache, fallback, timeout and ledger layers alone, against fake inner handlers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from apilab.calls.base import Call, Chunk, Handler, Result, StreamEvent
from apilab.calls.cache import CacheLayer
from apilab.calls.fallback import FallbackLayer, FallbackTarget
from apilab.calls.ledger import LedgerLayer, MemoryLedger
from apilab.calls.state.memory import MemoryStore
from apilab.calls.timeout import TimeoutLayer
from apilab.errors import (
    AuthError,
    BudgetExceededError,
    DeadlineExceededError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    StreamInterruptedError,
)
from tests.calls.fakes import Script, collect, ok


def make_call(**kw: object) -> Call:
    call = Call(provider="fake", model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                **kw)  # type: ignore[arg-type]
    call.deadline = time.monotonic() + 10
    return call


# --- cache -------------------------------------------------------------------------


def test_cache_is_off_for_conversation_turns_by_default() -> None:
    inner = Script(ok())
    cache = CacheLayer(inner, MemoryStore(), ttl_s=60)
    for _ in range(2):
        asyncio.run(cache.ahandle(make_call()))
    assert len(inner.calls) == 2


def test_cache_hits_identical_requests_within_ttl_and_records_it() -> None:
    inner = Script(ok("cached answer"))
    clock = [0.0]
    cache = CacheLayer(inner, MemoryStore(clock=lambda: clock[0]), ttl_s=60)
    first = make_call(purpose="tool")
    asyncio.run(cache.ahandle(first))
    second = make_call(purpose="tool")
    result = asyncio.run(cache.ahandle(second))
    assert result.cached and result.text == "cached answer" and second.record.cache_hit
    assert len(inner.calls) == 1
    different = make_call(purpose="tool", max_tokens=7)
    asyncio.run(cache.ahandle(different))
    assert len(inner.calls) == 2
    clock[0] = 61
    asyncio.run(cache.ahandle(make_call(purpose="tool")))
    assert len(inner.calls) == 3  # expired


def test_cache_replays_streams_and_skips_cut_off_ones() -> None:
    inner = Script(ok("hello world"))
    cache = CacheLayer(inner, MemoryStore(), ttl_s=60)
    asyncio.run(collect(cache.astream(make_call(cache=True))))
    call = make_call(cache=True)
    text, final = asyncio.run(collect(cache.astream(call)))
    assert text == "hello world" and final is not None and final.cached
    assert len(inner.calls) == 1


def test_cache_ttl_zero_means_off() -> None:
    inner = Script(ok())
    cache = CacheLayer(inner, MemoryStore(), ttl_s=0)
    for _ in range(2):
        asyncio.run(cache.ahandle(make_call(cache=True)))
    assert len(inner.calls) == 2


# --- fallback ----------------------------------------------------------------------


def test_fallback_tries_targets_in_order_and_records_why() -> None:
    first = Script(AuthError("key revoked", status=401))
    second = Script(ok("from mini", model="gpt-4o-mini"))
    layer = FallbackLayer([FallbackTarget("openai", "gpt-4o", first),
                           FallbackTarget("openai", "gpt-4o-mini", second)])
    call = make_call()
    result = asyncio.run(layer.ahandle(call))
    assert result.text == "from mini"
    assert call.record.answered_by == "openai:gpt-4o-mini"
    assert call.record.fallbacks[0]["from"] == "openai:gpt-4o"
    assert call.record.fallbacks[0]["error"] == "AuthError"
    assert second.calls[0].model == "gpt-4o-mini" and second.calls[0].record is call.record


def test_fallback_raises_the_last_error_when_every_target_fails() -> None:
    layer = FallbackLayer([FallbackTarget("a", "m", Script(ProviderUnavailableError("x"))),
                           FallbackTarget("b", "m", Script(AuthError("y")))])
    with pytest.raises(AuthError):
        asyncio.run(layer.ahandle(make_call()))


def test_fallback_never_glues_a_second_answer_after_output() -> None:
    broken = Script(StreamInterruptedError("cut"), fail_after=1)
    spare = Script(ok())
    layer = FallbackLayer([FallbackTarget("a", "m", broken), FallbackTarget("b", "m", spare)])
    with pytest.raises(StreamInterruptedError):
        asyncio.run(collect(layer.astream(make_call())))
    assert spare.calls == []


def test_fallback_stream_switches_before_output() -> None:
    layer = FallbackLayer([FallbackTarget("a", "m", Script(ProviderUnavailableError("503"))),
                           FallbackTarget("offline", "tutor", Script(ok()))])
    call = make_call()
    text, _ = asyncio.run(collect(layer.astream(call)))
    assert text == "hello world" and call.record.answered_by == "offline:tutor"


# --- timeout -----------------------------------------------------------------------


class Slow(Handler):
    def __init__(self, first: float, between: float = 0.0) -> None:
        self.first, self.between = first, between

    async def ahandle(self, call: Call) -> Result:
        await asyncio.sleep(self.first)
        return ok()

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        await asyncio.sleep(self.first)
        yield Chunk("a")
        await asyncio.sleep(self.between)
        yield Chunk("b")


def test_first_token_read_timeout_is_retryable() -> None:
    layer = TimeoutLayer(Slow(first=0.3), connect_timeout=1, read_timeout=0.05)
    with pytest.raises(ProviderTimeoutError, match="first chunk") as info:
        asyncio.run(collect(layer.astream(make_call())))
    assert info.value.retryable


def test_gap_between_chunks_is_a_read_timeout() -> None:
    layer = TimeoutLayer(Slow(first=0, between=0.3), connect_timeout=1, read_timeout=0.05)
    with pytest.raises(ProviderTimeoutError, match="next chunk"):
        asyncio.run(collect(layer.astream(make_call())))


def test_total_deadline_is_not_retryable() -> None:
    layer = TimeoutLayer(Slow(first=0.3), connect_timeout=1, read_timeout=5)
    call = make_call()
    call.deadline = time.monotonic() + 0.05
    with pytest.raises(DeadlineExceededError) as info:
        asyncio.run(layer.ahandle(call))
    assert not info.value.retryable


def test_timeouts_resolve_onto_the_call() -> None:
    call = make_call(read_timeout=2.0)
    asyncio.run(TimeoutLayer(Script(ok()), connect_timeout=3, read_timeout=9).ahandle(call))
    assert (call.connect_timeout, call.read_timeout) == (3, 2.0)


# --- ledger ------------------------------------------------------------------------


def test_ledger_writes_one_entry_per_call_whatever_happens() -> None:
    sink = MemoryLedger()
    outcomes = [ok(), ProviderUnavailableError("503", status=503), BudgetExceededError("no")]
    for outcome in outcomes:
        layer = LedgerLayer(Script(outcome), sink, total_deadline=5)
        call = make_call()
        call.deadline = None
        with contextlib.suppress(Exception):
            asyncio.run(layer.ahandle(call))
        assert call.deadline is not None
    assert [e.call["status"] for e in sink.entries] == ["ok", "error", "refused"]
    assert sink.entries[1].call["error"].startswith("ProviderUnavailableError")


def test_ledger_records_a_cancelled_stream() -> None:
    sink = MemoryLedger()
    layer = LedgerLayer(Script(ok(), chunks=["a", "b", "c"]), sink, total_deadline=5)
    call = make_call()

    async def run() -> None:
        stream = layer.astream(call)
        await anext(stream)
        await stream.aclose()

    asyncio.run(run())
    (entry,) = sink.entries
    assert entry.call["status"] == "cancelled" and entry.call["streamed"]
    assert entry.call["ttft_ms"] is not None and entry.call["detail"]["text"] == "a"


def test_ledger_survives_a_broken_sink(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def write(self, entry: object) -> None:
            raise RuntimeError("disk full")

    layer = LedgerLayer(Script(ok()), Broken(), total_deadline=5)
    assert asyncio.run(layer.ahandle(make_call())).text == "hello world"
    assert "could not write the ledger row" in caplog.text
