"""Queries over the usage ledger (the ``ledger_calls`` / ``ledger_attempts`` tables).

``add_call`` / ``add_calls`` are the only writers (used by
``apilab.calls.ledger.DatabaseLedger``, one row at a time or a write-behind batch);
everything else reads: ``list_calls`` for the inspector, ``summarize`` for
``apilab usage``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session, selectinload

from apilab.storage.models.lab import Message
from apilab.storage.models.ledger import LedgerAttempt, LedgerCall

__all__ = ["add_call", "add_calls", "call_to_dict", "get_message", "list_calls", "spent_since",
           "summarize"]

_CALL_COLUMNS = {c.name for c in LedgerCall.__table__.columns} - {"id"}
_ATTEMPT_COLUMNS = {c.name for c in LedgerAttempt.__table__.columns} - {"id", "ledger_call_id"}


def add_call(session: Session, call: Mapping[str, Any],
             attempts: Sequence[Mapping[str, Any]]) -> LedgerCall:
    """Insert one call row and its attempt rows."""
    row = LedgerCall(**{k: v for k, v in call.items() if k in _CALL_COLUMNS})
    row.attempts = [LedgerAttempt(**{k: v for k, v in a.items() if k in _ATTEMPT_COLUMNS})
                    for a in attempts]
    session.add(row)
    session.flush()
    return row


def add_calls(conn: Connection,
              rows: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]]) -> int:
    """Insert many (call row, attempt rows) pairs in the caller's transaction; returns calls.

    Two multi-row INSERTs (calls with RETURNING ids in parameter order, then every
    attempt) instead of an ORM unit of work per row: the write-behind writer stores a
    batch in one transaction for a few hundred microseconds of Python.
    """
    if not rows:
        return 0
    calls = [{c: call.get(c) for c in _CALL_COLUMNS} for call, _ in rows]
    for values in calls:  # the column defaults, for rows built by hand (tests, tools)
        values["seq"] = values["seq"] or 0
        values["purpose"] = values["purpose"] or "conversation"
        values["streamed"] = bool(values["streamed"])
        values["attempt_count"] = values["attempt_count"] or 0
        values["retry_count"] = values["retry_count"] or 0
        values["cache_hit"] = bool(values["cache_hit"])
        values["fallback_used"] = bool(values["fallback_used"])
        values["detail"] = values["detail"] if values["detail"] is not None else {}
        if values["created_at"] is None:
            values["created_at"] = dt.datetime.now(dt.UTC)
    statement = insert(LedgerCall).returning(LedgerCall.id, sort_by_parameter_order=True)
    ids = list(conn.scalars(statement, calls))
    attempts = [
        {**{c: a.get(c) for c in _ATTEMPT_COLUMNS}, "ledger_call_id": call_id}
        for call_id, (_, call_attempts) in zip(ids, rows, strict=True)
        for a in call_attempts
    ]
    if attempts:
        conn.execute(insert(LedgerAttempt), attempts)
    return len(ids)


def list_calls(
    session: Session,
    *,
    call_id: str | None = None,
    lab: str | None = None,
    since: dt.datetime | None = None,
    limit: int | None = None,
) -> list[LedgerCall]:
    """Ledger calls (with attempts), oldest first, filtered."""
    query = select(LedgerCall).options(selectinload(LedgerCall.attempts))
    if call_id is not None:
        query = query.where(LedgerCall.call_id == call_id)
    if lab is not None:
        query = query.where(LedgerCall.lab == lab)
    if since is not None:
        query = query.where(LedgerCall.created_at >= since)
    query = query.order_by(LedgerCall.created_at, LedgerCall.seq, LedgerCall.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def spent_since(session: Session, since: dt.datetime, *, learner: str | None = None,
                scope: str | None = None) -> Decimal:
    """Dollars settled since ``since`` (all calls, or one learner's, or one class's)."""
    query = select(LedgerCall.cost_usd).where(LedgerCall.created_at >= since)
    if learner is not None:
        query = query.where(LedgerCall.learner == learner)
    if scope is not None:
        query = query.where(LedgerCall.scope == scope)
    return sum((Decimal(v) for v in session.scalars(query) if v), Decimal(0))


def get_message(session: Session, message_id: int) -> Message | None:
    """A chat message by id (the inspector's entry point)."""
    return session.get(Message, message_id)


def call_to_dict(row: LedgerCall) -> dict[str, Any]:
    """A ledger call as plain JSON-ready data, attempts included."""
    data = {c: getattr(row, c) for c in sorted(_CALL_COLUMNS)}
    data["created_at"] = row.created_at.isoformat() if row.created_at else None
    data["attempts"] = [
        {c: getattr(a, c) for c in sorted(_ATTEMPT_COLUMNS)} for a in row.attempts
    ]
    return data


def summarize(rows: Sequence[LedgerCall], *, by: str = "model") -> dict[str, Any]:
    """Totals and per-group breakdown (``by`` = model, lab or status)."""
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "calls": 0, "errors": 0, "retries": 0, "cache_hits": 0, "fallbacks": 0,
        "tokens_in": 0, "tokens_out": 0, "cost_usd": Decimal(0), "cost_est_usd": Decimal(0),
    })
    total = groups["__total__"]
    for row in rows:
        key = str(getattr(row, by) or "-") if by != "model" else (row.answered_by or
                                                                    f"{row.provider}:{row.model}")
        for group in (groups[key], total):
            group["calls"] += 1
            group["errors"] += row.status not in ("ok",)
            group["retries"] += row.retry_count or 0
            group["cache_hits"] += bool(row.cache_hit)
            group["fallbacks"] += bool(row.fallback_used)
            group["tokens_in"] += row.tokens_in or 0
            group["tokens_out"] += row.tokens_out or 0
            group["cost_usd"] += Decimal(row.cost_usd or "0")
            group["cost_est_usd"] += Decimal(row.cost_est_usd or "0")
    total = groups.pop("__total__")
    return {"total": total, "groups": dict(sorted(groups.items())), "by": by}
