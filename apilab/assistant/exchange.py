"""One exchange with the lab assistant: validate, store, stream, judge, record.

``run_exchange`` is the single code path behind the chat page (SSE) and
``apilab ask``. Its storage contract:

- bad input (unknown lab, empty or too-long message) raises *before* anything
  is stored - the first ``__anext__()`` raises ``NotFoundError`` /
  ``InvalidInputError``;
- the learner's message is redacted (``secretscan.redact_text``) and committed,
  and the reply row created as ``streaming``, before the assistant runs; then
  ``Accepted`` is yielded;
- each piece of the reply is yielded as ``Delta``; at the end the reply is
  stored ``complete`` with the verdict (counted or why not) and the lab's
  progress is updated, then ``Completed`` is yielded;
- if the consumer goes away (``asyncio.CancelledError`` or ``aclose()``) the
  reply is marked ``interrupted`` with the text streamed so far and the
  cancellation propagates; if the backend fails, the reply is marked
  ``interrupted`` and ``Failed`` is yielded.

Database work goes through ``_db_call``: PostgreSQL on anyio worker threads;
SQLite inline, because its steps are sub-millisecond transactions and measured
faster that way under 200 concurrent learners (figures in ``_db_call``). The
interruption path always writes synchronously: a cancelled task cannot reliably
await anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
from sqlalchemy.orm import Session

from apilab.assistant.base import (
    Accepted,
    Assistant,
    Completed,
    Delta,
    ExchangeEvent,
    Failed,
    ReplyDone,
    TextDelta,
    Turn,
)
from apilab.assistant.completion import corrects_last_answer, judge
from apilab.assistant.offline.tutor import finding_summary
from apilab.calls.base import new_call_id
from apilab.content import load_course
from apilab.errors import ApilabError, InvalidInputError
from apilab.storage import conversations

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from apilab.content.models import Lab
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["run_exchange", "validate_message"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# How many earlier messages the backend sees (the offline tutor needs few; a model's
# context is the call layer's concern, which trims further).
HISTORY_LIMIT = 40
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_message(message: object, max_chars: int) -> str:
    """The message if it is acceptable, else ``InvalidInputError`` saying what to fix."""
    if not isinstance(message, str):
        raise InvalidInputError("The message must be text.")
    # Control characters (NUL above all, which PostgreSQL refuses) carry nothing a learner
    # meant to say; tabs and newlines stay.
    message = _CONTROL.sub("", message)
    if not message.strip():
        raise InvalidInputError("The message is empty: type a question for the lab assistant.")
    if len(message) > max_chars:
        raise InvalidInputError(
            f"The message is {len(message):,} characters long; the limit is {max_chars:,}. "
            "Shorten it (paste only the relevant part) and send it again."
        )
    return message


def _redact(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The text with every secret replaced by its redacted form, and what was found."""
    # Typed text: the scanner's rules plus its looser key shapes (a cut-short or
    # off-format key is never stored or echoed either).
    from apilab.secretscan import redact_text

    redacted, findings = redact_text(text)
    return redacted, [finding_summary(f, text) for f in findings]


def _drill_state(conn: Connection, learner_id: int) -> dict[str, Any] | None:
    """The leak drill's state for this learner (key-security lab), if there is a drill."""
    from apilab.storage.drill import get_drill_state

    # A savepoint, so a failed read (coaching is optional) leaves the exchange's
    # transaction usable on PostgreSQL; the session joins the connection's transaction.
    with conn.begin_nested(), Session(bind=conn) as session:
        return get_drill_state(session, learner_id)


def _write_lock(db: Database) -> contextlib.AbstractContextManager[Any]:
    """One exchange writer at a time per SQLite file in this process.

    SQLite allows a single writer; when two threads of this process collide, its busy
    handler sleeps in steps of up to 100 ms. Exchanges started from several threads
    (an embedding app, the interruption path) and the ledger's write-behind thread
    queue on ``Database.write_lock`` instead, which costs a millisecond or two.
    PostgreSQL needs no lock.
    """
    return db.write_lock()


async def _db_call(db: Database, func: Callable[..., T], *args: Any) -> T:
    """Run the exchange's database work: inline for SQLite, on worker threads otherwise.

    Measured with bench/lab_chat.py (200 learners, 2 cores): each SQLite step here is
    one short transaction of well under a millisecond, and running it inline gave a
    server-side first delta of p50 16 ms / p95 52 ms. Handing the same work to threads
    (anyio's pool, or one dedicated thread) gave p50 300-430 ms / p95 1.1-1.4 s: the
    worker re-acquires the GIL from a busy event loop after every SQLite call, and the
    jobs queue behind each other. PostgreSQL round trips wait on the network, so they
    go to anyio's worker threads and run concurrently.
    """
    if db.url.startswith("sqlite"):
        return func(*args)
    return await anyio.to_thread.run_sync(functools.partial(func, *args))


def _prepare(db: Database, handle: str, lab: Lab, content: str,
             secrets: list[dict[str, Any]], backend: str) -> dict[str, Any]:
    """Gather the turn's context; commit the learner's message and the streaming reply row.

    One connection and one short transaction of Core statements (see
    ``conversations``' hot path): the reads, then both inserts, committed on exit.
    """
    meta: dict[str, Any] = {"secrets": secrets} if secrets else {}
    with _write_lock(db), db.engine.begin() as conn:
        learner_id = conversations.learner_id(conn, handle)
        turns = conversations.recent_turns(conn, learner_id, lab.id, HISTORY_LIMIT)
        # Roles as stored ("learner" / "assistant"); backends map them to their API's names.
        history = [(role, text) for role, text, status in turns if status == "complete"]
        counted_before = conversations.counted_questions(conn, learner_id, lab.id)
        covered = conversations.lab_objectives_covered(conn, learner_id, lab.id)
        drill = None
        if lab.id == "key-security":
            try:
                drill = _drill_state(conn, learner_id)
            except Exception:  # noqa: BLE001 - coaching is optional; never fail the exchange
                log.warning("Could not read the leak drill state", exc_info=True)
        message_id, reply_id = conversations.start_exchange(
            conn, learner_id, lab.id, content, meta, backend)
    return {"learner_id": learner_id, "message_id": message_id, "reply_id": reply_id,
            "history": history, "counted_before": counted_before, "covered": covered,
            "drill": drill}


RETRACTED = ("Not counted: you said this answer missed your question, so its count was "
             "taken back.")


def _finish(db: Database, lab: Lab, learner_id: int, message_id: int, reply_id: int,
            text: str, done: ReplyDone, counted: bool, why: str | None,
            objectives: list[str], meta: dict[str, Any], retract: bool = False,
            ) -> tuple[int, list[str], str | None, int | None]:
    """Store the reply ``complete`` with its verdict and update the lab's progress; with
    ``retract``, first take back the count of the reply before (the learner said it missed).
    Returns the count, the objectives covered, the completion time and the retracted id."""
    with _write_lock(db), db.engine.begin() as conn:
        retracted = conversations.retract_last_count(
            conn, learner_id, lab.id, before=message_id, why=RETRACTED) if retract else None
        conversations.complete_reply(
            conn, reply_id, message_id, content=text, backend=done.backend, counted=counted,
            why_not_counted=why, objectives=objectives, meta=meta, call_id=done.call_id,
        )
        return (*conversations.count_exchange(conn, learner_id, lab.id, counted=counted,
                                              objectives=objectives,
                                              min_exchanges=lab.min_exchanges), retracted)


def _interrupt(db: Database, reply_id: int, text: str, reason: str,
               call_id: str | None = None) -> None:
    try:
        with _write_lock(db), db.session() as session:
            conversations.mark_reply_interrupted(session, reply_id, content=text, reason=reason,
                                                 call_id=call_id)
    except Exception:  # noqa: BLE001 - start-up recovery marks it if this fails
        log.exception("Could not mark reply %s interrupted", reply_id)


async def run_exchange(
    db: Database,
    settings: Settings,
    *,
    learner: str,
    lab_id: str,
    message: str,
    assistant: Assistant | None = None,
) -> AsyncIterator[ExchangeEvent]:
    """Run one exchange; yields ``Accepted``, ``Delta``..., then ``Completed`` or ``Failed``."""
    lab = load_course().lab(lab_id)  # NotFoundError for an unknown lab
    text = validate_message(message, int(settings.max_message_chars))
    if assistant is None:
        from apilab.assistant.factory import get_assistant

        assistant = get_assistant(settings)
    started = time.perf_counter()
    redacted, secrets = _redact(text)
    prep = await _db_call(db, _prepare, db, learner, lab, redacted, secrets, assistant.name)
    stored_ms = (time.perf_counter() - started) * 1000
    reply_id: int = prep["reply_id"]
    yield Accepted(message_id=prep["message_id"], reply_id=reply_id, content=redacted,
                   secret_detected=bool(secrets))

    # The message was scanned above (once: a scan is most of a millisecond); backends
    # that would scan it again read this instead.
    context: dict[str, Any] = {"secrets_scanned": True}
    if secrets:
        context["secret_findings"] = secrets
    if prep["drill"] is not None:
        context["drill"] = prep["drill"]
    turn = Turn(lab=lab, message=redacted, history=prep["history"],
                objectives_covered=frozenset(prep["covered"]), learner_id=prep["learner_id"],
                context=context,
                # Model backends log under this id; known now, so a cut-off reply keeps it.
                call_id=None if assistant.name == "offline" else new_call_id())
    parts: list[str] = []
    finished = False
    first_delta_ms: float | None = None
    try:
        done: ReplyDone | None = None
        async for event in assistant.respond(turn):
            if isinstance(event, TextDelta):
                if first_delta_ms is None:
                    first_delta_ms = (time.perf_counter() - started) * 1000
                parts.append(event.text)
                yield Delta(event.text)
            elif isinstance(event, ReplyDone):
                done = event
        if done is None:
            raise RuntimeError(f"backend {assistant.name!r} ended without a ReplyDone")
        # Defence in depth: whatever the backend wrote, no secret is stored or shown.
        reply_text, _ = _redact(done.text or "".join(parts))
        verdict = judge(lab, redacted, done, prep["counted_before"])
        meta = dict(done.meta or {})
        meta["tools_used"] = list(done.tools_used)
        timing = dict(meta.get("timing_ms") or {})
        # From the exchange's start: the learner's message committed, the first piece sent.
        timing["stored"] = round(stored_ms, 3)
        timing["first_delta"] = round(first_delta_ms or 0.0, 3)
        timing["total"] = round((time.perf_counter() - started) * 1000, 3)
        meta["timing_ms"] = timing
        if verdict.repeat_of is not None:
            meta["repeat_of"] = verdict.repeat_of
            meta["similarity"] = verdict.similarity
        # "no, I mean ...": the reply before missed, so it should not have counted.
        retract = bool(prep["history"]) and corrects_last_answer(redacted)
        if retract:
            meta["corrects_previous"] = True
        count, covered, completed_at, retracted = await _db_call(
            db, _finish, db, lab, prep["learner_id"], prep["message_id"], reply_id, reply_text,
            done,
            verdict.counted, verdict.why_not_counted, verdict.objectives, meta, retract,
        )
        finished = True
        yield Completed(
            reply_id=reply_id, reply=reply_text, counted=verdict.counted,
            why_not_counted=verdict.why_not_counted, objectives_covered=covered,
            exchange_count=count, completed_at=completed_at, backend=done.backend,
            call_id=done.call_id,
            answer_kind=str(meta.get("answer_kind") or meta.get("intent") or "") or None,
            card=str(meta["card"]) if meta.get("card") else None,
            retracted_reply_id=retracted,
        )
    except (asyncio.CancelledError, GeneratorExit):
        if not finished:
            _interrupt(db, reply_id, "".join(parts), "interrupted (the connection closed)",
                       turn.call_id)
        raise
    except Exception as exc:  # noqa: BLE001 - any backend failure becomes a Failed event
        if finished:
            raise
        log.error("Exchange in %s failed: %s", lab_id, exc, exc_info=not isinstance(
            exc, ApilabError))
        _interrupt(db, reply_id, "".join(parts), "interrupted by an error", turn.call_id)
        what = str(exc) if isinstance(exc, ApilabError) else "the assistant hit an internal error"
        yield Failed(
            message=f"The reply could not finish: {what}. Your message is saved; send it "
                    "again to retry.",
            reply_id=reply_id,
        )
