"""Queries over leak drills, and the drill state the tutor coaches on.

``get_drill_state(session, learner_id)`` is the tutor's view of a learner's most
recent drill (stage, timings, what to do next); the tutor engineer puts it in
``Turn.context["drill"]``. It holds key ids and hints only, never a secret.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from apilab.storage.models.base import utcnow
from apilab.storage.models.drill import LeakDrill

__all__ = [
    "STAGES",
    "add_drill",
    "add_event",
    "current_drill",
    "drill_state",
    "get_drill",
    "get_drill_state",
    "next_step",
]

STAGES = ("issued", "leaked", "revoked", "rotated", "configured", "verified", "done")


def add_drill(session: Session, drill: LeakDrill) -> LeakDrill:
    """Insert a new drill row."""
    session.add(drill)
    session.flush()
    return drill


def get_drill(session: Session, drill_id: int) -> LeakDrill | None:
    """A drill by id."""
    return session.get(LeakDrill, drill_id)


def current_drill(session: Session, learner_id: int) -> LeakDrill | None:
    """The learner's most recent drill, finished or not."""
    return session.scalars(
        select(LeakDrill)
        .where(LeakDrill.learner_id == learner_id)
        .order_by(LeakDrill.id.desc())
        .limit(1)
    ).first()


def add_event(drill: LeakDrill, event: str, detail: str = "",
              at: dt.datetime | None = None) -> None:
    """Append a step to the drill's timeline (a new list, so SQLAlchemy sees the change)."""
    drill.events = [
        *(drill.events or []),
        {"at": (at or utcnow()).isoformat(), "event": event, "detail": detail},
    ]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite returns naive UTC datetimes
    return value


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    start, end = _aware(start), _aware(end)
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 1)


def next_step(drill: LeakDrill) -> str:
    """What the learner should do next, in the order the lesson teaches."""
    if drill.stage == "issued":
        return "Push the commit to start the drill."
    if drill.revoked_at is None:
        return "Revoke the leaked key now: every second it stays live costs money."
    if drill.audit_answered_at is None:
        return "Read the key's audit log and mark which calls were the attacker's."
    if drill.rotated_at is None:
        return "Rotate: create a replacement key."
    if drill.configured_at is None:
        return "Update the app's configuration to use the new key."
    if drill.verified_at is None:
        return "Verify the app works with a test call."
    return "Find the root cause: the commit that leaked the key; add a pre-commit hook."


def drill_state(drill: LeakDrill, now: dt.datetime | None = None) -> dict[str, Any]:
    """A JSON-ready summary of one drill (no secrets)."""
    now = now or utcnow()
    revoked = drill.revoked_at is not None
    return {
        "drill_id": drill.id,
        "stage": drill.stage,
        "next_step": next_step(drill),
        "started_at": _iso(drill.started_at),
        "leaked_at": _iso(drill.leaked_at),
        "revoked_at": _iso(drill.revoked_at),
        "seconds_to_revoke": _seconds(drill.leaked_at, drill.revoked_at),
        "seconds_since_leak": None if revoked else _seconds(drill.leaked_at, now),
        "investigated_before_revoke": bool(drill.investigated_before_revoke),
        "audit_opened": drill.audit_opened_at is not None,
        "audit_correct": drill.audit_correct,
        "audit_total": drill.audit_total,
        "rotated": drill.rotated_at is not None,
        "app_config_updated": drill.configured_at is not None,
        "verified": drill.verified_at is not None,
        "verify_status": drill.verify_status,
        "attacker_calls": drill.attacker_calls,
        "app_calls": drill.app_calls,
        "attacker_spend_usd": str(Decimal(str(drill.attacker_spend_usd or 0))),
        "credit_usd": str(Decimal(str(drill.credit_usd or 0))),
        "score": drill.score,
        "finished": drill.finished_at is not None,
        "events": list(drill.events or [])[-12:],
    }


def get_drill_state(session: Session, learner_id: int) -> dict[str, Any] | None:
    """The learner's latest drill as a dict (stage, timings, next step), or None."""
    drill = current_drill(session, learner_id)
    return drill_state(drill) if drill is not None else None


def _iso(value: dt.datetime | None) -> str | None:
    value = _aware(value)
    return value.isoformat() if value is not None else None
