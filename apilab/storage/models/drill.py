"""Tables owned by the leak drill (lab 2): one row per drill a learner runs.

The row records the drill's stage and the time of every step (leak, first attack,
revocation, audit opened/answered, rotation, config update, verification), so
the tutor can coach on it and the debrief can score it. Keys are referenced by
sandbox key id only; secrets never touch this table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from apilab.storage.models.base import Base, utcnow

__all__ = ["LeakDrill"]


class LeakDrill(Base):
    """One leak drill: the app's key leaks, an attacker spends, the learner responds."""

    __tablename__ = "leak_drills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    # issued -> leaked -> revoked -> rotated -> configured -> verified -> done
    stage: Mapped[str] = mapped_column(String(32), default="issued")
    leaked_key_id: Mapped[str] = mapped_column(String(32))  # the key the app started with
    app_key_id: Mapped[str | None] = mapped_column(String(32))  # what the app's config uses now
    new_key_id: Mapped[str | None] = mapped_column(String(32))  # made by rotation
    credit_usd: Mapped[Decimal] = mapped_column(Numeric(14, 6))  # the key's spending cap
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    leaked_at: Mapped[dt.datetime | None] = mapped_column()
    first_attack_at: Mapped[dt.datetime | None] = mapped_column()
    audit_opened_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    audit_answered_at: Mapped[dt.datetime | None] = mapped_column()
    rotated_at: Mapped[dt.datetime | None] = mapped_column()
    configured_at: Mapped[dt.datetime | None] = mapped_column()
    verified_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    investigated_before_revoke: Mapped[bool] = mapped_column(Boolean, default=False)
    attacker_calls: Mapped[int] = mapped_column(Integer, default=0)
    app_calls: Mapped[int] = mapped_column(Integer, default=0)
    attacker_spend_usd: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))
    audit_correct: Mapped[int | None] = mapped_column(Integer)
    audit_total: Mapped[int | None] = mapped_column(Integer)
    verify_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the test call
    score: Mapped[int | None] = mapped_column(Integer)
    # [{"at": iso time, "event": "...", "detail": "..."}] in order: the drill's timeline.
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
