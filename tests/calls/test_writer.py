"""The ledger's write-behind queue: off the caller's path, batched, and no row lost silently."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence

import pytest

from apilab.calls.base import Call, Result, Usage
from apilab.calls.ledger import DatabaseLedger, LedgerEntry, entry_for
from apilab.calls.stack import build_stack
from apilab.calls.state.memory import MemoryStore
from apilab.calls.writer import WriteBehindLedger, flush_ledger, ledger_writer
from apilab.errors import BudgetExceededError
from apilab.providers.openai import OpenAIProvider
from apilab.storage import ledger
from apilab.storage.db import open_database
from tests.providers.mock_openai import MockOpenAI, completion

KEY = "sk-" + "writer" + "w" * 30


def entry(n: int = 0, call_id: str | None = None) -> LedgerEntry:
    call = Call(provider="openai", model="gpt-4o-mini", learner="ada", lab="api-basics",
                messages=[{"role": "user", "content": f"question {n}"}])
    if call_id:
        call.call_id = call.record.call_id = call_id
    call.record.begin_attempt("openai", "gpt-4o-mini").finish("ok")
    call.record.status = "ok"
    return entry_for(call, Result("x", "openai", "gpt-4o-mini", "stop", Usage(21, 7)),
                     streamed=False)


class Target:
    """A DatabaseLedger stand-in that records which thread wrote what, and can stall."""

    def __init__(self, fail: int = 0, refuse: set[str] | None = None) -> None:
        self.rows: list[str] = []
        self.batches: list[int] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()
        self.gate.set()
        self.fail = fail  # how many batch writes fail before one succeeds
        self.refuse = refuse or set()

    def write_many(self, entries: Sequence[LedgerEntry]) -> None:
        self.gate.wait(10)
        ids = [e.call["call_id"] for e in entries]
        if self.fail:
            self.fail -= 1
            raise OSError("database restarting")
        if self.refuse & set(ids):
            raise ValueError("row refused")
        self.threads.add(threading.current_thread().name)
        self.rows.extend(ids)
        self.batches.append(len(ids))


def test_write_returns_at_once_and_rows_land_in_one_batch() -> None:
    target = Target()
    writer = WriteBehindLedger(target, interval_s=0.2)  # type: ignore[arg-type]
    entries = [entry(i) for i in range(50)]
    started = time.perf_counter()
    for e in entries:
        writer.write(e)
    assert time.perf_counter() - started < 0.1  # 50 rows queued, nothing written yet
    assert target.rows == [] and writer.pending() == 50
    assert writer.flush(timeout=5)
    assert target.rows == [e.call["call_id"] for e in entries]
    assert target.batches == [50]  # one transaction for the batch
    assert target.threads == {"apilab-ledger-writer"}  # never the caller's thread


def test_rows_are_written_after_the_interval_without_a_flush() -> None:
    target = Target()
    writer = WriteBehindLedger(target, interval_s=0.05)  # type: ignore[arg-type]
    writer.write(entry(1))
    deadline = time.monotonic() + 5
    while not target.rows and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(target.rows) == 1 and writer.pending() == 0


def test_a_full_queue_makes_the_caller_write_its_own_row() -> None:
    target = Target()
    target.gate.clear()  # the database is stalled: the writer thread cannot finish a batch
    writer = WriteBehindLedger(target, interval_s=0.01, max_pending=3)  # type: ignore[arg-type]
    first = [entry(i) for i in range(6)]
    for e in first[:3]:
        writer.write(e)
    deadline = time.monotonic() + 5
    while writer._queue:  # the writer took the 3 rows and is stuck writing them
        assert time.monotonic() < deadline, "writer did not pick up a batch"
        time.sleep(0.01)
    for e in first[3:]:
        writer.write(e)  # queued: the queue is now full
    assert writer.pending() == 6
    overflow = entry(100)
    done = threading.Event()
    results: list[str] = []

    def caller() -> None:
        writer.write(overflow)  # the queue is full: written inline, blocked on the database
        results.append(threading.current_thread().name)
        done.set()

    worker = threading.Thread(target=caller, name="caller")
    worker.start()
    time.sleep(0.05)
    assert not done.is_set()  # back-pressure: the caller waits for the database
    target.gate.set()
    worker.join(5)
    assert writer.flush(timeout=5)
    assert sorted(target.rows) == sorted(e.call["call_id"] for e in [*first, overflow])
    assert writer.stats.written_inline == 1 and "caller" in target.threads


def test_a_failed_batch_is_retried_and_no_row_is_written_twice() -> None:
    target = Target(fail=2)
    writer = WriteBehindLedger(target, interval_s=0.01)  # type: ignore[arg-type]
    entries = [entry(i) for i in range(5)]
    for e in entries:
        writer.write(e)
    assert writer.flush(timeout=10)
    assert target.rows == [e.call["call_id"] for e in entries]
    assert writer.stats.failed_batches == 2 and writer.stats.dropped == 0


def test_a_row_the_database_refuses_is_logged_not_silently_dropped(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("apilab.calls.writer.RETRIES", 1)
    bad = entry(0, call_id="call_poison")
    good = entry(1)
    target = Target(refuse={"call_poison"})
    writer = WriteBehindLedger(target, interval_s=0.01)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="apilab.calls.writer"):
        writer.write(bad)
        writer.write(good)
        assert writer.flush(timeout=10)
    assert target.rows == [good.call["call_id"]]  # the good row still lands
    assert writer.stats.dropped == 1
    assert "call_poison" in caplog.text


def test_flush_for_one_call_is_read_your_writes(settings) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings.db_url)
    writer = ledger_writer(db, settings.with_overrides(ledger_flush_ms=60_000))
    assert isinstance(writer, WriteBehindLedger)
    e = entry(1)
    writer.write(e)
    call_id = e.call["call_id"]
    with db.session() as session:
        assert ledger.list_calls(session, call_id=call_id) == []  # still queued
    started = time.perf_counter()
    assert flush_ledger(db, "call_not_queued")  # nothing of this call: returns at once
    assert time.perf_counter() - started < 0.05 and writer.pending() == 1
    assert flush_ledger(db, call_id)
    with db.session() as session:
        (row,) = ledger.list_calls(session, call_id=call_id)
        assert row.tokens_in == 21 and [a.outcome for a in row.attempts] == ["ok"]


def test_close_stores_everything_and_later_rows_are_written_inline(settings) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings.db_url)
    writer = WriteBehindLedger(DatabaseLedger(db), interval_s=60)
    for i in range(3):
        writer.write(entry(i))
    writer.close()
    writer.write(entry(9))  # after shutdown: straight to the database
    with db.session() as session:
        assert len(ledger.list_calls(session)) == 4
    assert writer.stats.written_inline == 1


def test_flush_ms_zero_writes_inline(settings) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings.db_url)
    assert isinstance(ledger_writer(db, settings.with_overrides(ledger_flush_ms=0)),
                      DatabaseLedger)


def test_the_stack_returns_before_the_row_and_budgets_never_wait_for_it(settings) -> None:  # type: ignore[no-untyped-def]
    """A restart (fresh store) seeds the budget from the ledger: queued rows count too."""
    s = settings.with_overrides(backend="openai", model="gpt-4o", fallback="",
                                budget_learner_daily_usd="0.01", ledger_flush_ms=60_000)
    db = open_database(s.db_url)
    mock = MockOpenAI(lambda body, n: completion(prompt=3000, completion_tokens=200))

    def fresh_stack():  # type: ignore[no-untyped-def]  # a restarted server: empty store
        provider = OpenAIProvider(api_key=KEY, http_client=mock.client())
        return build_stack(s, store=MemoryStore(), providers={"openai": provider})

    first = Call(provider="openai", model="gpt-4o", learner="ada", max_tokens=100,
                 messages=[{"role": "user", "content": "hi"}])
    asyncio.run(fresh_stack().ahandle(first))  # $0.0095 settled
    with db.session() as session:  # the reply returned; its row is still queued
        assert ledger.list_calls(session, call_id=first.call_id) == []
    again = Call(provider="openai", model="gpt-4o", learner="ada", max_tokens=100,
                 messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(BudgetExceededError, match=r"\$0.0095 of \$0.0100"):
        asyncio.run(fresh_stack().ahandle(again))
    with db.session() as session:
        statuses = [r.status for r in ledger.list_calls(session)]
    assert statuses == ["ok"]  # the seed flushed the queued row; the refusal is queued
    assert flush_ledger(db)
    with db.session() as session:
        assert sorted(r.status for r in ledger.list_calls(session)) == ["ok", "refused"]
