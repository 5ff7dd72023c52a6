"""Queries over classes, their members, and what the instructor dashboard reads.

Every dashboard read takes the class's learner ids, already resolved by the
caller that checked the instructor may see that class (``classes.rooms``): this
module never decides who may see what, it only reads what it is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from apilab.errors import NotFoundError
from apilab.storage.models.accounts import Account, ClassMember, ClassRoom, LtiLink
from apilab.storage.models.lab import LabProgress, Learner, Message
from apilab.storage.models.ledger import LedgerCall

__all__ = [
    "add_member",
    "class_by_code",
    "class_by_lti_context",
    "class_by_slug",
    "gap_questions",
    "last_activity",
    "learner_class",
    "list_classes",
    "members",
    "memberships",
    "progress_of",
    "remove_member",
    "spend_by_learner",
    "spend_of_scope",
]


def class_by_slug(session: Session, slug: str) -> ClassRoom:
    """The class with this slug, or ``NotFoundError``."""
    found = session.scalar(select(ClassRoom).where(ClassRoom.slug == slug))
    if found is None:
        raise NotFoundError(f"No class {slug!r}: `apilab classes list` shows them.")
    return found


def class_by_code(session: Session, code: str) -> ClassRoom | None:
    """The class a join code opens, if any."""
    return session.scalar(select(ClassRoom).where(ClassRoom.join_code == code))


def class_by_lti_context(session: Session, context: str) -> ClassRoom | None:
    """The class standing for an LMS course, if any."""
    return session.scalar(select(ClassRoom).where(ClassRoom.lti_context == context))


def list_classes(session: Session, teacher_id: int | None = None) -> Sequence[ClassRoom]:
    """Every class (``teacher_id=None``), or those an account owns or co-teaches."""
    query = select(ClassRoom).order_by(ClassRoom.id)
    if teacher_id is not None:
        taught = select(ClassMember.class_id).where(ClassMember.account_id == teacher_id,
                                                    ClassMember.role == "instructor")
        query = query.where((ClassRoom.owner_id == teacher_id) | ClassRoom.id.in_(taught))
    return session.scalars(query).all()


def add_member(session: Session, class_id: int, account_id: int, role: str) -> ClassMember:
    """Put an account in a class (again: its role is updated)."""
    row = session.scalar(select(ClassMember).where(ClassMember.class_id == class_id,
                                                   ClassMember.account_id == account_id))
    if row is None:
        row = ClassMember(class_id=class_id, account_id=account_id, role=role)
        session.add(row)
    else:
        row.role = role
    session.flush()
    return row


def remove_member(session: Session, class_id: int, account_id: int) -> None:
    """Take an account out of a class (its data stays with the learner)."""
    session.execute(delete(ClassMember).where(ClassMember.class_id == class_id,
                                              ClassMember.account_id == account_id))


def members(session: Session, class_id: int,
            role: str | None = "learner") -> list[tuple[Account, Learner, ClassMember]]:
    """A class's members with their learner rows, by email."""
    query = (select(Account, Learner, ClassMember)
             .join(ClassMember, ClassMember.account_id == Account.id)
             .join(Learner, Learner.id == Account.learner_id)
             .where(ClassMember.class_id == class_id)
             .order_by(Account.email))
    if role is not None:
        query = query.where(ClassMember.role == role)
    return [(a, learner, m) for a, learner, m in session.execute(query).all()]


def memberships(session: Session, account_id: int) -> list[tuple[ClassRoom, ClassMember]]:
    """The classes an account belongs to, newest membership first."""
    rows = session.execute(
        select(ClassRoom, ClassMember).join(ClassMember, ClassMember.class_id == ClassRoom.id)
        .where(ClassMember.account_id == account_id)
        .order_by(ClassMember.joined_at.desc(), ClassMember.id.desc())).all()
    return [(c, m) for c, m in rows]


def learner_class(session: Session, learner_handle: str) -> ClassRoom | None:
    """The class a learner works in now: their newest membership as a learner.

    A closed class still counts (its labs are read-only), so closing a class does not
    silently move its learners onto the server's default budget.
    """
    return session.scalar(
        select(ClassRoom)
        .join(ClassMember, ClassMember.class_id == ClassRoom.id)
        .join(Account, Account.id == ClassMember.account_id)
        .join(Learner, Learner.id == Account.learner_id)
        .where(Learner.handle == learner_handle, ClassMember.role == "learner")
        .order_by(ClassMember.joined_at.desc(), ClassMember.id.desc())
        .limit(1))


# --- what the dashboard reads -----------------------------------------------------------

def progress_of(session: Session, learner_ids: Iterable[int]) -> Sequence[LabProgress]:
    """Every lab progress row of these learners."""
    ids = list(learner_ids)
    if not ids:
        return []
    return session.scalars(select(LabProgress).where(LabProgress.learner_id.in_(ids))).all()


def last_activity(session: Session, learner_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Each learner's latest message time (learners with none are absent)."""
    ids = list(learner_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Message.learner_id, func.max(Message.created_at))
        .where(Message.learner_id.in_(ids), Message.role == "learner")
        .group_by(Message.learner_id)).all()
    return {int(learner): _utc(when) for learner, when in rows if when is not None}


def gap_questions(session: Session, learner_ids: Iterable[int], kinds: Sequence[str],
                  since: dt.datetime | None = None,
                  limit: int = 5000) -> list[dict[str, Any]]:
    """Questions whose reply's ``meta.answer_kind`` is in ``kinds``, newest first.

    The kind is read from the stored reply's meta in Python: JSON operators differ
    between SQLite and PostgreSQL, and a class's replies are a few thousand rows.
    """
    ids = list(learner_ids)
    if not ids:
        return []
    asked = aliased(Message)
    query = (select(asked.id, asked.learner_id, asked.lab_id, asked.content, asked.created_at,
                    Message.meta)
             .join(asked, asked.id == Message.reply_to_id)
             .where(Message.learner_id.in_(ids), Message.role == "assistant",
                    Message.status == "complete")
             .order_by(Message.id.desc()).limit(limit))
    if since is not None:
        query = query.where(Message.created_at >= since)
    out = []
    for message_id, learner, lab, content, created, meta in session.execute(query).all():
        meta = meta or {}
        kind = str(meta.get("answer_kind") or "")
        if kind not in kinds:
            continue
        out.append({"message_id": message_id, "learner_id": learner, "lab": lab,
                    "question": content, "kind": kind,
                    "focus": str(meta.get("focus") or ""),
                    "understood": meta.get("understood"), "at": _utc(created)})
    return out


def spend_by_learner(session: Session, learner_keys: Iterable[str],
                     since: dt.datetime) -> dict[str, Decimal]:
    """Dollars each learner's calls cost since ``since`` (the ledger's ``learner`` column)."""
    keys = list(learner_keys)
    if not keys:
        return {}
    totals: dict[str, Decimal] = {}
    rows = session.execute(select(LedgerCall.learner, LedgerCall.cost_usd)
                           .where(LedgerCall.learner.in_(keys), LedgerCall.created_at >= since,
                                  LedgerCall.cost_usd.isnot(None))).all()
    for learner, cost in rows:
        totals[str(learner)] = totals.get(str(learner), Decimal(0)) + _dec(cost)
    return totals


def spend_of_scope(session: Session, scope: str, since: dt.datetime) -> Decimal:
    """Dollars the calls of one class scope cost since ``since``."""
    rows = session.scalars(select(LedgerCall.cost_usd)
                           .where(LedgerCall.scope == scope, LedgerCall.created_at >= since,
                                  LedgerCall.cost_usd.isnot(None))).all()
    return sum((_dec(c) for c in rows), Decimal(0))


def lti_links_of(session: Session, account_id: int, lab_id: str) -> Sequence[LtiLink]:
    """Where the LMS wants this learner's grade for one lab."""
    return session.scalars(select(LtiLink).where(LtiLink.account_id == account_id,
                                                 LtiLink.lab_id == lab_id)).all()


def _dec(text: object) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
