"""The ledger's write-behind queue: rows leave the caller's path, none is lost silently.

``LedgerLayer`` hands every finished call's ``LedgerEntry`` to a sink from a
``finally`` block. Writing it to the database there puts a transaction (0.5-6 ms
on SQLite, a network round trip on PostgreSQL) inside the caller's latency.
``WriteBehindLedger`` is a sink whose ``write`` only appends to a bounded
in-memory queue; one writer thread per database stores the queue in batches,
one transaction per batch (``storage.ledger.add_calls``):

- **when**: as soon as ``batch_max`` rows wait, else ``interval_s`` after the
  oldest waiting row was queued, on ``flush()``, and on shutdown (``close()``,
  run by ``atexit`` and by the web app's lifespan);
- **full queue**: past ``max_pending`` waiting rows a call writes its own row on
  its own thread before it returns (back-pressure: slower, never a drop);
- **a failed batch** is retried with backoff (a database restart, a lock); after
  ``RETRIES`` failures its rows are written one by one and a row the database
  still refuses is logged at ERROR with its call id (counted in ``stats``);
- **a killed process** (SIGKILL, OOM) loses the rows still queued: those of calls
  that ended in the last ``interval_s``, plus a batch whose transaction had not
  committed. ``tests/calls/test_writer_kill.py`` checks that bound.
- **read-your-writes**: ``flush(call_id)`` returns at once unless that call's rows
  are still queued, and otherwise waits for them (the API inspector calls it).

Budgets and rate limits never read an unflushed row: their counters live in the
``StateStore`` (this process's memory, or Redis), and the ledger only seeds a
counter the store does not have (after a restart). ``spent_since`` flushes first.

Why a thread and not an asyncio task: the same stack serves several event loops
(``asyncio.run`` in the CLI, the server's loop, worker threads in tests), and a
thread's batch runs mostly inside SQLite's C code with the GIL released.
This module must not import the web app or the CLI.
"""

from __future__ import annotations

import atexit
import collections
import dataclasses
import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from apilab.calls.ledger import DatabaseLedger, LedgerEntry

if TYPE_CHECKING:
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["WriteBehindLedger", "WriterStats", "close_ledger_writers", "flush_ledger",
           "flush_ledger_writers", "ledger_writer"]

log = logging.getLogger(__name__)

# Retries of one failed batch before its rows are tried one by one (about 3 s in all).
RETRIES = 5
# An idle writer thread ends after this many seconds; the next row starts another.
IDLE_EXIT_S = 2.0


@dataclasses.dataclass
class WriterStats:
    """What the writer did (for benches, tests and the operator's log)."""

    queued: int = 0
    written: int = 0
    batches: int = 0
    written_inline: int = 0  # rows a caller wrote itself because the queue was full
    failed_batches: int = 0
    dropped: int = 0  # rows the database refused even alone (logged with their call id)


class WriteBehindLedger:
    """A ``LedgerSink`` that queues rows and stores them in batches on one thread."""

    def __init__(
        self,
        target: DatabaseLedger,
        *,
        interval_s: float = 0.1,
        max_pending: int = 10_000,
        batch_max: int = 500,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive (use DatabaseLedger to write inline)")
        self.target = target
        self.interval_s = interval_s
        self.max_pending = max(1, max_pending)
        self.batch_max = max(1, batch_max)
        self.stats = WriterStats()
        self._cond = threading.Condition()
        self._queue: collections.deque[tuple[float, LedgerEntry]] = collections.deque()
        self._inflight: list[LedgerEntry] = []
        self._flush_wanted = False
        self._closed = False
        self._thread: threading.Thread | None = None

    # --- the caller's side -------------------------------------------------------
    def write(self, entry: LedgerEntry) -> None:
        """Queue ``entry`` (microseconds); write it inline only when the queue is full."""
        with self._cond:
            if not self._closed and len(self._queue) < self.max_pending:
                self._queue.append((time.monotonic(), entry))
                self.stats.queued += 1
                if self._thread is None:  # none yet, or it ended while idle
                    self._start()
                elif len(self._queue) == 1 or len(self._queue) >= self.batch_max:
                    # The first row after an empty queue wakes the writer from its idle
                    # wait, so this row is stored interval_s from now, not when the idle
                    # wait ends (IDLE_EXIT_S: rows piled up for 2 s, past the crash bound).
                    self._cond.notify_all()
                return
            self.stats.written_inline += 1
        # Full (the database is slow or down) or shut down: the caller pays, nothing is
        # dropped. A failure here reaches LedgerLayer, which logs it with the call id.
        self.target.write_many([entry])

    def pending(self) -> int:
        """Rows queued or being written."""
        with self._cond:
            return len(self._queue) + len(self._inflight)

    def flush(self, call_id: str | None = None, timeout: float = 10.0) -> bool:
        """Wait until queued rows are stored (only ``call_id``'s when given); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if call_id is not None and not self._holds(call_id):
                return True
            while self._queue or self._inflight:
                if self._thread is None:
                    self._start()
                self._flush_wanted = True
                self._cond.notify_all()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
                if call_id is not None and not self._holds(call_id):
                    return True
            return True

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the writer thread, and write any row left behind inline."""
        self.flush(timeout=timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        with self._cond:
            left = [entry for _, entry in self._queue]
            self._queue.clear()
        if left:
            self._store(left)

    def spent_since(self, scope: str, who: str | None, since: dt.datetime) -> Decimal:
        """Budget recovery reads the ledger: store this process's queued rows first."""
        self.flush()
        return self.target.spent_since(scope, who, since)

    # --- the writer thread ---------------------------------------------------------
    def _holds(self, call_id: str) -> bool:
        return any(e.call.get("call_id") == call_id for _, e in self._queue) or any(
            e.call.get("call_id") == call_id for e in self._inflight)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="apilab-ledger-writer",
                                        daemon=True)
        self._thread.start()

    def _next_batch(self) -> list[LedgerEntry] | None:
        """Wait for rows to be due; take up to ``batch_max`` of them (None: closed, idle)."""
        with self._cond:
            while True:
                if self._queue:
                    due = self._queue[0][0] + self.interval_s
                    now = time.monotonic()
                    if (self._closed or self._flush_wanted or now >= due
                            or len(self._queue) >= self.batch_max):
                        break
                    self._cond.wait(due - now)
                elif self._closed:
                    self._thread = None
                    return None
                else:
                    self._flush_wanted = False
                    if not self._cond.wait(IDLE_EXIT_S) and not self._queue:
                        # Idle: let the thread end (a write starts a new one), so an idle
                        # database (or a test's) keeps no thread alive.
                        self._thread = None
                        return None
            size = min(len(self._queue), self.batch_max)
            batch = [self._queue.popleft()[1] for _ in range(size)]
            self._inflight = batch
            return batch

    def _run(self) -> None:
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    return
                self._store(batch)
                with self._cond:
                    self._inflight = []
                    if not self._queue:
                        self._flush_wanted = False
                    self._cond.notify_all()
        except BaseException:  # a bug here must not strand the queue: the next write restarts
            log.exception("the ledger writer thread stopped")
            with self._cond:
                self._queue.extendleft((time.monotonic(), e) for e in reversed(self._inflight))
                self._inflight = []
                self._thread = None
            raise

    def _store(self, batch: Sequence[LedgerEntry]) -> None:
        """One transaction for the batch; retried; then row by row, refusals logged."""
        delay = 0.1
        for _ in range(RETRIES):
            try:
                self.target.write_many(batch)
            except Exception:  # noqa: BLE001 - the database may be restarting: retry
                self.stats.failed_batches += 1
                log.warning("could not store %d ledger row(s); retrying in %.1fs", len(batch),
                            delay, exc_info=True)
                with self._cond:
                    self._cond.wait(delay)
                delay = min(delay * 2, 2.0)
                continue
            self.stats.written += len(batch)
            self.stats.batches += 1
            return
        for entry in batch:
            try:
                self.target.write_many([entry])
                self.stats.written += 1
            except Exception:  # noqa: BLE001 - loud, never silent
                self.stats.dropped += 1
                log.exception("ledger row for call %s could not be stored: %s",
                              entry.call.get("call_id"), entry.call)


# One writer per open database: every stack built on it shares it, so rows from the lab
# assistant, the workbench and the CLI go through one queue. The writer hangs off the
# Database object (``attached``) and dies with it; this weak set only finds the live ones
# for shutdown.
_WRITERS: weakref.WeakSet[WriteBehindLedger] = weakref.WeakSet()
_WRITERS_LOCK = threading.Lock()
_ATEXIT = False
_KEY = "ledger_writer"


def ledger_writer(db: Database, settings: Settings) -> DatabaseLedger | WriteBehindLedger:
    """The sink ``build_stack`` uses: write-behind unless ``ledger_flush_ms`` is 0."""
    global _ATEXIT
    flush_ms = int(settings.ledger_flush_ms)
    if flush_ms <= 0:
        return DatabaseLedger(db)
    with _WRITERS_LOCK:
        writer = db.attached.get(_KEY)
        if not isinstance(writer, WriteBehindLedger):
            writer = WriteBehindLedger(DatabaseLedger(db), interval_s=flush_ms / 1000,
                                       max_pending=int(settings.ledger_queue_max))
            db.attached[_KEY] = writer
            _WRITERS.add(writer)
            if not _ATEXIT:
                atexit.register(close_ledger_writers)
                _ATEXIT = True
        return writer


def flush_ledger(db: Database, call_id: str | None = None, timeout: float = 10.0) -> bool:
    """Store this process's queued rows for ``db`` (only ``call_id``'s when given)."""
    writer = db.attached.get(_KEY)
    if not isinstance(writer, WriteBehindLedger):
        return True
    return writer.flush(call_id, timeout)


def flush_ledger_writers(timeout: float = 10.0) -> None:
    """Store every queued row of this process now (the server's graceful shutdown)."""
    with _WRITERS_LOCK:
        writers = list(_WRITERS)
    for writer in writers:
        if not writer.flush(timeout=timeout):
            log.error("ledger rows still queued after %.0fs: %d", timeout, writer.pending())


def close_ledger_writers(timeout: float = 10.0) -> None:
    """Flush and stop every writer (interpreter exit, server shutdown)."""
    with _WRITERS_LOCK:
        writers = list(_WRITERS)
    for writer in writers:
        try:
            writer.close(timeout)
        except Exception:  # noqa: BLE001 - one database's failure must not stop the others
            log.exception("could not flush the ledger on shutdown")
