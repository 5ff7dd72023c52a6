"""The ledger layer: exactly one record per call, written in a ``finally`` block.

The outermost layer. It starts the call's clock and total deadline, lets the
call run, and whatever happens (answered, refused by a budget, failed after
retries, cancelled by a closed browser tab, served from cache) hands the
``CallRecord`` to a ``LedgerSink`` as one call row plus one row per attempt.
The sink is, in production, the write-behind queue in front of the database
(``calls/writer.py``: the caller's result returns as soon as the provider has
answered, rows are stored in batches by one writer thread), ``DatabaseLedger``
when ``APILAB_LEDGER_FLUSH_MS=0`` (one transaction per row, before the call
returns), and a list in tests (``MemoryLedger``). It also logs one INFO line
per call.

``write`` is a plain (non-async) call on purpose: an ``await`` in a ``finally``
that runs during task cancellation can itself be cancelled, and the row must
reach the sink.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from apilab.calls.base import Call, Chunk, Final, Handler, Layer, Result, StreamEvent
from apilab.errors import BudgetExceededError, CallError

if TYPE_CHECKING:
    from apilab.storage.db import Database

__all__ = ["DatabaseLedger", "LedgerEntry", "LedgerLayer", "LedgerSink", "MemoryLedger",
           "entry_for"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class LedgerEntry:
    """One call row and its attempt rows, as plain values (what the sink stores)."""

    call: dict[str, Any]
    attempts: list[dict[str, Any]]


class LedgerSink(Protocol):
    """Where ledger entries go."""

    def write(self, entry: LedgerEntry) -> None: ...


class MemoryLedger:
    """A sink that keeps entries in a list (tests, benchmarks)."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []

    def write(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)


class DatabaseLedger:
    """A sink that inserts rows through ``apilab.storage.ledger``, in the caller's thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def write(self, entry: LedgerEntry) -> None:
        self.write_many([entry])

    def write_many(self, entries: Sequence[LedgerEntry]) -> None:
        """Store entries in one transaction (all or none)."""
        from apilab.storage import ledger

        with self.db.write_lock(), self.db.engine.begin() as conn:
            ledger.add_calls(conn, [(e.call, e.attempts) for e in entries])

    def spent_since(self, scope: str, who: str | None, since: dt.datetime) -> Decimal:
        """What the ledger says a budget scope spent since ``since`` (budget recovery)."""
        from apilab.storage import ledger

        with self.db.session() as session:
            return ledger.spent_since(
                session, since, learner=who if scope == "learner" else None,
                scope=who if scope == "class" else None)


def _str(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def entry_for(call: Call, result: Result | None, *, streamed: bool) -> LedgerEntry:
    """Flatten a finished call's record into ledger rows."""
    record = call.record
    usage = (result.usage if result is not None and result.usage else None) or record.usage
    answered = record.answered_by or (f"{result.provider}:{result.model}" if result else None)
    row: dict[str, Any] = {
        "call_id": call.call_id,
        "seq": call.seq,
        "created_at": dt.datetime.now(dt.UTC),
        "learner": call.learner,
        "lab": call.lab,
        "scope": call.scope,
        "purpose": call.purpose,
        "provider": call.provider,
        "model": call.model,
        "answered_by": answered,
        "request_id": (result.request_id if result else None)
        or next((a.request_id for a in reversed(record.attempts) if a.request_id), None),
        "status": record.status,
        "error": record.error,
        "streamed": streamed,
        "attempt_count": len(record.attempts),
        "retry_count": sum(1 for a in record.attempts if a.wait_s is not None),
        "ttft_ms": record.ttft_ms,
        "latency_ms": (time.monotonic() - record.started) * 1000,
        "tokens_in_est": record.estimated_input_tokens,
        "tokens_out_max": call.max_tokens,
        "token_method": record.token_method,
        "tokens_in": usage.input_tokens if usage else None,
        "tokens_out": usage.output_tokens if usage else None,
        "tokens_cached": usage.cached_input_tokens if usage else None,
        "usage_exact": usage.exact if usage else None,
        "cost_est_usd": _str(record.cost_estimate),
        "cost_usd": _str(record.cost if record.cost is not None else Decimal(0)),
        "cache_hit": record.cache_hit,
        "fallback_used": bool(record.fallbacks),
        "detail": {
            "request": record.request,
            "response": record.response if not streamed else None,
            "events": record.events if streamed else None,
            "text": result.text if result is not None else record.streamed_text,
            "finish_reason": result.finish_reason if result is not None else None,
            "tool_calls": [dataclasses.asdict(tc) for tc in result.tool_calls] if result else [],
            "fallbacks": record.fallbacks,
            "budget": record.budget,
            "notes": record.notes,
        },
    }
    attempts = [
        {
            "number": a.number, "provider": a.provider, "model": a.model,
            "outcome": a.outcome, "status": a.status, "cause": a.cause,
            "wait_s": a.wait_s, "wait_reason": a.wait_reason, "request_id": a.request_id,
            "ttft_ms": a.ttft_ms, "latency_ms": a.latency_ms,
            "tokens_in": a.usage.input_tokens if a.usage else None,
            "tokens_out": a.usage.output_tokens if a.usage else None,
        }
        for a in record.attempts
    ]
    return LedgerEntry(row, attempts)


class LedgerLayer(Layer):
    """Start the clock and deadline; write one ledger entry per call, always."""

    def __init__(self, inner: Handler, sink: LedgerSink, *, total_deadline: float) -> None:
        super().__init__(inner)
        self.sink = sink
        self.total_deadline = total_deadline

    def _begin(self, call: Call) -> None:
        record = call.record
        record.started = time.monotonic()
        if call.deadline is None:
            total = (self.total_deadline if not isinstance(call.total_deadline, float | int)
                     else float(call.total_deadline))
            call.deadline = record.started + total

    def _failed(self, call: Call, exc: BaseException) -> None:
        record = call.record
        if isinstance(exc, BudgetExceededError):
            record.status = "refused"
        elif isinstance(exc, CallError | Exception):
            record.status = "error"
        else:  # CancelledError / GeneratorExit: the caller went away
            record.status = "cancelled"
        record.error = f"{type(exc).__name__}: {exc}"[:1000] if str(exc) else type(exc).__name__

    def _finish(self, call: Call, result: Result | None, *, streamed: bool) -> None:
        record = call.record
        if result is not None:
            record.status = "ok"
            record.usage = result.usage or record.usage
            if result.raw is not None and record.response is None:
                record.response = result.raw
        try:
            entry = entry_for(call, result, streamed=streamed)
            self.sink.write(entry)
        except Exception:  # noqa: BLE001 - a ledger outage must not break the reply
            log.exception("could not write the ledger row for %s", call.call_id)
            return
        row = entry.call
        log.info(
            "call %s %s/%s %s %.0fms in=%s out=%s cost=%s attempts=%d%s",
            call.call_id, call.provider, call.model, row["status"], row["latency_ms"],
            row["tokens_in"], row["tokens_out"], row["cost_usd"], row["attempt_count"],
            " cache-hit" if row["cache_hit"] else "",
        )

    async def ahandle(self, call: Call) -> Result:
        self._begin(call)
        result: Result | None = None
        try:
            result = await self.inner.ahandle(call)
            return result
        except BaseException as exc:
            self._failed(call, exc)
            raise
        finally:
            self._finish(call, result, streamed=False)

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        self._begin(call)
        result: Result | None = None
        record = call.record
        try:
            async with contextlib.aclosing(self.inner.astream(call)) as stream:
                async for event in stream:
                    if isinstance(event, Final):
                        result = event.result
                    elif isinstance(event, Chunk) and event.text:
                        record.mark_first_token()
                    yield event
        except BaseException as exc:
            self._failed(call, exc)
            raise
        finally:
            self._finish(call, result, streamed=True)
