"""Repository for learners, their lab conversations and per-lab progress.

All queries on ``learners``, ``messages`` and ``lab_progress`` go through here
(sync SQLAlchemy sessions from ``Database.session()``). Message text arrives
already redacted; this module never sees a raw secret. Learner identity is a
handle (``"local"`` today) so accounts can come without changing callers.

The functions under "Exchange hot path" serve every chat message: they take a
Core ``Connection`` (``Database.engine.begin()``) and run plain insert / update /
select statements of the columns needed, because ORM sessions (identity map,
unit of work, refreshes) were more than half of the server's CPU per reply
under 200 concurrent learners. They keep the same semantics as the ORM
functions above them (which the rest of the app and the tests use).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from apilab.errors import NotFoundError
from apilab.storage.models.base import utcnow
from apilab.storage.models.lab import LabProgress, Learner, Message

# The one learner of a server without accounts (the CLI and the web page share it).
LOCAL_LEARNER = "local"

__all__ = [
    "add_learner_message",
    "complete_reply",
    "completed_iso",
    "count_exchange",
    "counted_questions",
    "finish_reply",
    "get_message",
    "get_or_create_learner",
    "get_progress",
    "lab_objectives_covered",
    "learner_id",
    "list_messages",
    "mark_reply_interrupted",
    "mark_stale_replies_interrupted",
    "recent_messages",
    "recent_turns",
    "record_exchange",
    "reset",
    "start_exchange",
    "start_reply",
]


def get_or_create_learner(session: Session, handle: str) -> Learner:
    """The learner with this handle, created on first sight (safe under concurrency)."""
    learner = session.scalar(select(Learner).where(Learner.handle == handle))
    if learner is not None:
        return learner
    try:
        with session.begin_nested():
            learner = Learner(handle=handle)
            session.add(learner)
            session.flush()
    except IntegrityError:
        # Another request created it between our read and our insert.
        learner = session.scalar(select(Learner).where(Learner.handle == handle))
        if learner is None:  # pragma: no cover - would mean the unique constraint lied
            raise
    return learner


def list_messages(session: Session, learner_id: int, lab_id: str) -> Sequence[Message]:
    """A learner's messages in one lab, oldest first."""
    return session.scalars(
        select(Message)
        .where(Message.learner_id == learner_id, Message.lab_id == lab_id)
        .order_by(Message.id)
    ).all()


def recent_messages(session: Session, learner_id: int, lab_id: str,
                    limit: int) -> list[Message]:
    """The last ``limit`` messages of a learner in one lab, oldest first."""
    rows = session.scalars(
        select(Message)
        .where(Message.learner_id == learner_id, Message.lab_id == lab_id)
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def counted_questions(session: Session | Connection, learner_id: int,
                      lab_id: str) -> list[str]:
    """The learner's messages in one lab whose exchanges counted (for repeat checks), oldest
    first: the most recent ``COUNTED_LIMIT`` of them."""
    newest_first = session.scalars(_COUNTED, {"learner_id": learner_id, "lab_id": lab_id}).all()
    return list(reversed(newest_first))


def get_message(session: Session, message_id: int) -> Message:
    """One message by id; ``NotFoundError`` if there is none."""
    message = session.get(Message, message_id)
    if message is None:
        raise NotFoundError(f"No message with id {message_id}.")
    return message


def get_progress(session: Session, learner_id: int) -> dict[str, LabProgress]:
    """The learner's progress rows by lab id (labs never started are absent)."""
    rows = session.scalars(select(LabProgress).where(LabProgress.learner_id == learner_id))
    return {row.lab_id: row for row in rows}


def _progress_row(session: Session, learner_id: int, lab_id: str) -> LabProgress:
    row = session.scalar(
        select(LabProgress).where(LabProgress.learner_id == learner_id,
                                  LabProgress.lab_id == lab_id)
    )
    if row is None:
        try:
            with session.begin_nested():
                row = LabProgress(learner_id=learner_id, lab_id=lab_id, exchange_count=0,
                                  objectives_covered=[])
                session.add(row)
                session.flush()
        except IntegrityError:
            row = session.scalar(
                select(LabProgress).where(LabProgress.learner_id == learner_id,
                                          LabProgress.lab_id == lab_id)
            )
            assert row is not None
    return row


def add_learner_message(
    session: Session, learner_id: int, lab_id: str, content: str,
    meta: dict[str, Any] | None = None,
) -> Message:
    """Store a learner's (already redacted) message as complete."""
    message = Message(learner_id=learner_id, lab_id=lab_id, role="learner", content=content,
                      status="complete", objectives=[], meta=meta or {},
                      completed_at=utcnow())
    session.add(message)
    session.flush()
    return message


def start_reply(session: Session, learner_id: int, lab_id: str, reply_to_id: int,
                backend: str) -> Message:
    """Create the assistant's reply row in status ``streaming``."""
    reply = Message(learner_id=learner_id, lab_id=lab_id, role="assistant", content="",
                    status="streaming", reply_to_id=reply_to_id, backend=backend,
                    objectives=[], meta={})
    session.add(reply)
    session.flush()
    return reply


def finish_reply(
    session: Session, reply_id: int, *, content: str, backend: str, counted: bool,
    why_not_counted: str | None, objectives: list[str], meta: dict[str, Any],
    call_id: str | None = None,
) -> Message:
    """Store the finished reply (status ``complete``) and the verdict on its exchange."""
    reply = get_message(session, reply_id)
    reply.content = content
    reply.status = "complete"
    reply.backend = backend
    reply.counted = counted
    reply.why_not_counted = why_not_counted
    reply.objectives = list(objectives)
    reply.meta = dict(meta)
    reply.call_id = call_id
    reply.completed_at = utcnow()
    if reply.reply_to_id is not None:
        asked = session.get(Message, reply.reply_to_id)
        if asked is not None:
            asked.counted = counted
            asked.why_not_counted = why_not_counted
    session.flush()
    return reply


def mark_reply_interrupted(session: Session, reply_id: int, *, content: str = "",
                           reason: str = "interrupted", status: str = "interrupted",
                           call_id: str | None = None) -> None:
    """Mark a reply that did not finish, keeping whatever text had streamed (and its call)."""
    reply = session.get(Message, reply_id)
    if reply is None or reply.status == "complete":
        return
    reply.status = status
    if call_id and not reply.call_id:
        reply.call_id = call_id
    reply.content = content or reply.content
    reply.counted = False
    reply.why_not_counted = f"The reply was {reason}, so this exchange did not count."
    reply.meta = {**(reply.meta or {}), "interrupted": reason}
    reply.completed_at = utcnow()
    if reply.reply_to_id is not None:
        asked = session.get(Message, reply.reply_to_id)
        if asked is not None and asked.counted is None:
            asked.counted = False
            asked.why_not_counted = reply.why_not_counted
    session.flush()


def record_exchange(
    session: Session, learner_id: int, lab_id: str, *, counted: bool,
    objectives: list[str], min_exchanges: int,
) -> LabProgress:
    """Update the lab's progress after one exchange; completion is recorded once, kept."""
    row = _progress_row(session, learner_id, lab_id)
    if counted:
        # Atomic increment: two tabs of the same learner cannot lose a count.
        session.execute(
            update(LabProgress).where(LabProgress.id == row.id)
            .values(exchange_count=LabProgress.exchange_count + 1, updated_at=utcnow())
        )
        session.refresh(row)
        covered = list(row.objectives_covered or [])
        covered += [o for o in objectives if o not in covered]
        row.objectives_covered = covered
        if row.completed_at is None and row.exchange_count >= min_exchanges:
            row.completed_at = utcnow()
    row.updated_at = utcnow()
    session.flush()
    return row


def reset(session: Session, learner_id: int, lab_id: str | None = None) -> int:
    """Clear the conversation(s) of one lab, or of every lab; returns messages deleted.

    The exchange count and objectives restart from zero, but a lab already
    completed keeps its completion time: a completed lab stays complete.
    """
    query = delete(Message).where(Message.learner_id == learner_id)
    progress = update(LabProgress).where(LabProgress.learner_id == learner_id)
    if lab_id is not None:
        query = query.where(Message.lab_id == lab_id)
        progress = progress.where(LabProgress.lab_id == lab_id)
    # Replies point at learner messages; delete replies first for databases without
    # ON DELETE CASCADE enforcement on self-references.
    deleted = session.execute(query.where(Message.role == "assistant")).rowcount or 0
    deleted += session.execute(query).rowcount or 0
    session.execute(progress.values(exchange_count=0, objectives_covered=[],
                                    updated_at=utcnow()))
    session.flush()
    return int(deleted)


def mark_stale_replies_interrupted(
    session: Session, older_than: dt.timedelta | None = None
) -> int:
    """Mark replies still ``streaming`` as interrupted (call at server start-up).

    A row left ``streaming`` means the process died mid-reply; the learner's
    message and any text already stored are kept. With several server processes
    on one database, pass ``older_than`` (longer than any reply can take) so a
    starting process does not cut off replies another process is still streaming.
    """
    query = select(Message).where(Message.status == "streaming")
    if older_than is not None:
        query = query.where(Message.created_at < dt.datetime.now(dt.UTC) - older_than)
    stale = session.scalars(query).all()
    for reply in stale:
        mark_reply_interrupted(session, reply.id, reason="interrupted when the server stopped")
    return len(stale)


def completed_iso(row: LabProgress | None) -> str | None:
    """The completion time of a progress row as ISO 8601 (UTC), or ``None``."""
    if row is None or row.completed_at is None:
        return None
    return _iso(row.completed_at)


def _iso(when: dt.datetime) -> str:
    if when.tzinfo is None:  # SQLite returns naive datetimes; they are stored in UTC
        when = when.replace(tzinfo=dt.UTC)
    return when.isoformat()


# --- Exchange hot path (Core statements on one connection) --------------------------
#
# The statements are built once, with bind parameters: building a select/update and
# computing its cache key on every call cost about as much as running it.

_MESSAGES = Message.__table__
_PROGRESS = LabProgress.__table__
_LEARNERS = Learner.__table__
_M, _P = _MESSAGES.c, _PROGRESS.c

_LEARNER_BY_HANDLE = select(_LEARNERS.c.id).where(_LEARNERS.c.handle == bindparam("handle"))
_INSERT_LEARNER = insert(_LEARNERS)
_RECENT = (
    select(_M.role, _M.content, _M.status)
    .where(_M.learner_id == bindparam("learner_id"), _M.lab_id == bindparam("lab_id"))
    .order_by(_M.id.desc())
    .limit(bindparam("limit"))
)
# The repeat check compares a message with these: the most recent ones bound its cost
# (a shared server without identities has one "local" learner for everyone).
COUNTED_LIMIT = 1000


def _newest_counted(column: Any, role: str) -> Any:
    """``column`` of the learner's newest counted messages of ``role`` in one lab."""
    return (select(column)
            .where(_M.learner_id == bindparam("learner_id"), _M.lab_id == bindparam("lab_id"),
                   _M.role == role, _M.counted.is_(True))
            .order_by(_M.id.desc())
            .limit(COUNTED_LIMIT))


_COUNTED = _newest_counted(_M.content, "learner")
_COVERED = select(_P.objectives_covered).where(
    _P.learner_id == bindparam("learner_id"), _P.lab_id == bindparam("lab_id"))
_INSERT_MESSAGE = insert(_MESSAGES)
_COMPLETE_REPLY = update(_MESSAGES).where(_M.id == bindparam("reply_id"))
_VERDICT = update(_MESSAGES).where(_M.id == bindparam("asked_id"))
# (Bind names differ from column names: in an UPDATE those are the SET values.)
_PROGRESS_ROW = (_P.learner_id == bindparam("of_learner")) & (_P.lab_id == bindparam("of_lab"))
_PROGRESS_RETURNING = (_P.id, _P.exchange_count, _P.objectives_covered, _P.completed_at)
# Atomic increment: two tabs of the same learner cannot lose a count.
_BUMP_COUNTED = (update(_PROGRESS).where(_PROGRESS_ROW)
                 .values(exchange_count=_P.exchange_count + 1)
                 .returning(*_PROGRESS_RETURNING))
_BUMP_UNCOUNTED = update(_PROGRESS).where(_PROGRESS_ROW).returning(*_PROGRESS_RETURNING)
_INSERT_PROGRESS = insert(_PROGRESS)
_UPDATE_PROGRESS = update(_PROGRESS).where(_P.id == bindparam("row_id"))


def learner_id(conn: Connection, handle: str) -> int:
    """The id of the learner with this handle, created on first sight (safe under concurrency).

    One indexed lookup per exchange rather than a per-process cache: several server
    processes may share the database, and a learner row can be deleted behind our back.
    """
    found = conn.scalar(_LEARNER_BY_HANDLE, {"handle": handle})
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            return int(conn.execute(_INSERT_LEARNER, {"handle": handle,
                                                      "created_at": utcnow()})
                       .inserted_primary_key[0])
    except IntegrityError:
        # Another request created it between our read and our insert.
        found = conn.scalar(_LEARNER_BY_HANDLE, {"handle": handle})
        if found is None:  # pragma: no cover - would mean the unique constraint lied
            raise
        return int(found)


def recent_turns(conn: Connection, learner_id: int, lab_id: str,
                 limit: int) -> list[tuple[str, str, str]]:
    """``(role, content, status)`` of the last ``limit`` messages in one lab, oldest first."""
    rows = conn.execute(_RECENT, {"learner_id": learner_id, "lab_id": lab_id,
                                  "limit": limit}).all()
    return [(r[0], r[1], r[2]) for r in reversed(rows)]


def lab_objectives_covered(conn: Connection, learner_id: int, lab_id: str) -> list[str]:
    """The objectives covered so far in one lab (empty if the lab was never started)."""
    covered = conn.scalar(_COVERED, {"learner_id": learner_id, "lab_id": lab_id})
    return list(covered or [])


def start_exchange(conn: Connection, learner_id: int, lab_id: str, content: str,
                   meta: dict[str, Any], backend: str) -> tuple[int, int]:
    """Store the learner's message (complete) and the reply row (``streaming``).

    Returns ``(message_id, reply_id)``; the caller's transaction commits both together.
    """
    now = utcnow()
    asked = conn.execute(_INSERT_MESSAGE, {
        "learner_id": learner_id, "lab_id": lab_id, "role": "learner", "content": content,
        "status": "complete", "objectives": [], "meta": meta, "created_at": now,
        "completed_at": now,
    }).inserted_primary_key[0]
    reply = conn.execute(_INSERT_MESSAGE, {
        "learner_id": learner_id, "lab_id": lab_id, "role": "assistant", "content": "",
        "status": "streaming", "reply_to_id": asked, "backend": backend, "objectives": [],
        "meta": {}, "created_at": now,
    }).inserted_primary_key[0]
    return int(asked), int(reply)


def complete_reply(
    conn: Connection, reply_id: int, asked_id: int | None, *, content: str, backend: str,
    counted: bool, why_not_counted: str | None, objectives: list[str], meta: dict[str, Any],
    call_id: str | None = None,
) -> None:
    """``finish_reply`` for the hot path: the reply ``complete``, the verdict on both rows.

    ``NotFoundError`` if the reply row is gone (the conversation was reset meanwhile).
    """
    done = conn.execute(_COMPLETE_REPLY, {
        "reply_id": reply_id, "content": content, "status": "complete", "backend": backend,
        "counted": counted, "why_not_counted": why_not_counted, "objectives": list(objectives),
        "meta": dict(meta), "call_id": call_id, "completed_at": utcnow(),
    })
    if not done.rowcount:
        raise NotFoundError(f"No message with id {reply_id}.")
    if asked_id is not None:
        conn.execute(_VERDICT, {"asked_id": asked_id, "counted": counted,
                                "why_not_counted": why_not_counted})


# The learner's latest reply in a lab before a given message (counted or not).
_LAST_REPLY = (
    select(_M.id, _M.reply_to_id, _M.counted)
    .where(_M.learner_id == bindparam("learner_id"), _M.lab_id == bindparam("lab_id"),
           _M.role == "assistant", _M.id < bindparam("before"))
    .order_by(_M.id.desc())
    .limit(1)
)
_UNCOUNT = update(_MESSAGES).where(_M.id.in_(bindparam("ids", expanding=True)))
_PROGRESS_STATE = select(_P.id, _P.completed_at).where(_PROGRESS_ROW)
_UNBUMP = (update(_PROGRESS).where(_P.id == bindparam("row_id"), _P.exchange_count > 0)
           .values(exchange_count=_P.exchange_count - 1))
# Bounded like the repeat check: the newest counted replies carry the objectives.
_COUNTED_OBJECTIVES = _newest_counted(_M.objectives, "assistant")


def retract_last_count(conn: Connection, learner_id: int, lab_id: str, *, before: int,
                       why: str) -> int | None:
    """Take back the count of the reply just before message ``before`` when it counted: the
    learner said it missed their question. Its question and reply no longer count, the lab's
    counter drops by one and its objectives are those of the replies that still count. Not
    once the lab is complete (completion is recorded once, then kept), and only the last
    reply (an older one cannot be taken back this way). Returns the reply's id, or None.
    """
    progress = conn.execute(_PROGRESS_STATE, {"of_learner": learner_id, "of_lab": lab_id}).first()
    if progress is None or progress.completed_at is not None:
        return None
    last = conn.execute(_LAST_REPLY, {"learner_id": learner_id, "lab_id": lab_id,
                                      "before": before}).first()
    if last is None or not last.counted:
        return None
    ids = [last.id] + ([last.reply_to_id] if last.reply_to_id else [])
    conn.execute(_UNCOUNT, {"ids": ids, "counted": False, "why_not_counted": why})
    conn.execute(_UNBUMP, {"row_id": progress.id})
    covered: list[str] = []
    newest_first = conn.scalars(_COUNTED_OBJECTIVES, {"learner_id": learner_id,
                                                       "lab_id": lab_id}).all()
    for objectives in reversed(newest_first):
        covered += [o for o in (objectives or []) if o not in covered]
    conn.execute(_UPDATE_PROGRESS, {"row_id": progress.id, "objectives_covered": covered})
    return int(last.id)


def count_exchange(
    conn: Connection, learner_id: int, lab_id: str, *, counted: bool,
    objectives: list[str], min_exchanges: int,
) -> tuple[int, list[str], str | None]:
    """``record_exchange`` for the hot path; completion is recorded once, then kept.

    Returns ``(exchange_count, objectives_covered, completed_at as ISO 8601 or None)``.
    """
    bump = _BUMP_COUNTED if counted else _BUMP_UNCOUNTED
    params = {"of_learner": learner_id, "of_lab": lab_id, "updated_at": utcnow()}
    row = conn.execute(bump, params).first()
    if row is None:  # first exchange in this lab: create the row, then count on it
        try:
            with conn.begin_nested():
                conn.execute(_INSERT_PROGRESS, {
                    "learner_id": learner_id, "lab_id": lab_id, "exchange_count": 0,
                    "objectives_covered": [], "updated_at": utcnow()})
        except IntegrityError:
            pass  # another request created it first; count on theirs
        row = conn.execute(bump, params).first()
        assert row is not None
    row_id, count, covered, completed_at = row
    covered = list(covered or [])
    if counted:
        new = [o for o in objectives if o not in covered]
        finish = completed_at is None and count >= min_exchanges
        if new or finish:
            covered += new
            # The SET columns are the parameters given: completed_at only when it is set.
            values: dict[str, Any] = {"row_id": row_id, "objectives_covered": covered}
            if finish:
                completed_at = values["completed_at"] = utcnow()
            conn.execute(_UPDATE_PROGRESS, values)
    return count, covered, _iso(completed_at) if completed_at else None
