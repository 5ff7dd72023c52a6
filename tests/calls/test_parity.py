"""The blocking and async forms of a handler agree (handle vs ahandle, close vs aclose)."""

from __future__ import annotations

import asyncio

from apilab.calls.base import Call
from apilab.calls.ledger import LedgerLayer, MemoryLedger
from apilab.calls.retry import RetryLayer, RetryPolicy
from apilab.errors import ProviderUnavailableError
from tests.calls.fakes import NoSleep, Script, ok


def _stack(sink: MemoryLedger) -> LedgerLayer:
    inner = Script(ProviderUnavailableError("503"), ok("same answer"))
    retry = RetryLayer(inner, RetryPolicy(rng=lambda: 0.5), sleep=NoSleep())
    return LedgerLayer(retry, sink, total_deadline=10)


def _call() -> Call:
    return Call(provider="fake", model="gpt-4o", messages=[{"role": "user", "content": "x"}])


def test_handle_and_ahandle_give_the_same_result_and_ledger_rows() -> None:
    sync_sink, async_sink = MemoryLedger(), MemoryLedger()
    sync_stack = _stack(sync_sink)
    sync_result = sync_stack.handle(_call())
    sync_stack.close()
    async_result = asyncio.run(_stack(async_sink).ahandle(_call()))
    assert sync_result.text == async_result.text == "same answer"
    for s, a in zip(sync_sink.entries, async_sink.entries, strict=True):
        assert (s.call["status"], s.call["attempt_count"]) == (a.call["status"],
                                                               a.call["attempt_count"])
        assert [x["outcome"] for x in s.attempts] == [x["outcome"] for x in a.attempts]
