"""Queries behind a learner's own data export and deletion, and the retention purge.

``learner_data`` gathers everything stored about one learner; ``delete_learner``
removes it (the ``learners`` row cascades to messages, progress, drills and the
prompt workbench; the account cascades to sessions, memberships, OIDC identities and LTI links)
and strips the learner from usage-ledger rows, which stay, without their request
bodies, because budgets and the class's spend are settled against them.
``purge_before`` deletes transcripts older than a cut-off for the retention job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from apilab.storage.models.accounts import (
    Account,
    AuthSession,
    ClassMember,
    ClassRoom,
    OidcIdentity,
    SharedValue,
)
from apilab.storage.models.drill import LeakDrill
from apilab.storage.models.lab import LabProgress, Learner, Message
from apilab.storage.models.ledger import LedgerCall
from apilab.storage.models.promptlab import PromptCase, PromptRun, PromptVersion

__all__ = ["delete_learner", "learner_data", "purge_before", "purge_expired_values"]

_OWN_TABLES = (LabProgress, LeakDrill, PromptVersion, PromptCase, PromptRun)


def _row(obj: Any, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in inspect(obj).mapper.column_attrs
            if c.key not in skip}


def learner_data(session: Session, learner_id: int) -> dict[str, Any]:
    """Everything stored about one learner, as plain data (no password or token hashes)."""
    learner = session.get(Learner, learner_id)
    out: dict[str, Any] = {"learner": _row(learner) if learner else None}
    account = session.scalar(select(Account).where(Account.learner_id == learner_id))
    out["account"] = _row(account, frozenset({"password_hash"})) if account else None
    if account is not None:
        out["classes"] = [
            {"slug": c.slug, "name": c.name, "role": m.role, "joined_at": m.joined_at}
            for c, m in session.execute(
                select(ClassRoom, ClassMember).join(ClassMember,
                                                    ClassMember.class_id == ClassRoom.id)
                .where(ClassMember.account_id == account.id)).all()]
        out["oidc_identities"] = [_row(i) for i in session.scalars(
            select(OidcIdentity).where(OidcIdentity.account_id == account.id))]
    out["messages"] = [_row(m) for m in session.scalars(
        select(Message).where(Message.learner_id == learner_id).order_by(Message.id))]
    for table in _OWN_TABLES:
        out[table.__tablename__] = [_row(r) for r in session.scalars(
            select(table).where(table.learner_id == learner_id))]  # type: ignore[attr-defined]
    out["usage"] = [_row(r, frozenset({"detail"})) for r in session.scalars(
        select(LedgerCall).where(LedgerCall.learner == str(learner_id))
        .order_by(LedgerCall.id))]
    return out


def delete_learner(session: Session, learner_id: int) -> dict[str, int]:
    """Delete a learner, their account and their transcripts; anonymise their usage rows."""
    counts = {"messages": session.query(Message).filter(Message.learner_id == learner_id)
              .count()}
    counts["usage_rows_anonymised"] = session.execute(
        update(LedgerCall).where(LedgerCall.learner == str(learner_id))
        .values(learner=None, detail={})).rowcount or 0
    account = session.scalar(select(Account).where(Account.learner_id == learner_id))
    if account is not None:
        session.execute(delete(AuthSession).where(AuthSession.account_id == account.id))
        session.execute(delete(OidcIdentity).where(OidcIdentity.account_id == account.id))
        session.execute(update(ClassRoom).where(ClassRoom.owner_id == account.id)
                        .values(owner_id=None))
        session.delete(account)
        session.flush()
    # Explicit deletes (not only ON DELETE CASCADE): SQLite enforces cascades only with
    # its foreign_keys pragma, which a hand-opened connection may lack.
    session.execute(delete(Message).where(Message.learner_id == learner_id,
                                          Message.reply_to_id.isnot(None)))
    session.execute(delete(Message).where(Message.learner_id == learner_id))
    for table in _OWN_TABLES:
        session.execute(delete(table).where(table.learner_id == learner_id))  # type: ignore[attr-defined]
    session.execute(delete(Learner).where(Learner.id == learner_id))
    return counts


def purge_before(session: Session, cutoff: dt.datetime) -> dict[str, int]:
    """Delete transcripts (messages) older than ``cutoff`` and the request bodies of
    usage rows as old; progress and spend figures stay."""
    replies = session.execute(delete(Message).where(
        Message.created_at < cutoff, Message.reply_to_id.isnot(None))).rowcount or 0
    asked = session.execute(delete(Message).where(Message.created_at < cutoff)).rowcount or 0
    bodies = session.execute(update(LedgerCall).where(LedgerCall.created_at < cutoff)
                             .values(detail={})).rowcount or 0
    return {"messages": replies + asked, "usage_bodies": bodies}


def purge_expired_values(session: Session, now: dt.datetime) -> int:
    """Drop expired shared values (LTI launch state, pending OIDC sign-ins)."""
    return session.execute(delete(SharedValue).where(SharedValue.expires_at <= now)).rowcount \
        or 0
