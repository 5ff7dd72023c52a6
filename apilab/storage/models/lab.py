"""Learners, their lab conversations, and per-lab progress.

A learner's message is committed before the assistant runs. The reply row is
created with status ``streaming`` and finished as ``complete``; if the stream
breaks or the process dies it becomes ``interrupted`` (at start-up every row
still ``streaming`` is marked so). Message text is stored already redacted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apilab.storage.models.base import Base, utcnow


class Learner(Base):
    """A learner. Today one local learner; accounts can come without a rewrite."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One message in a learner's conversation in one lab."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    lab_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "learner" | "assistant"
    content: Mapped[str] = mapped_column(Text, default="")  # always redacted
    # "complete" | "streaming" | "interrupted" | "failed"
    status: Mapped[str] = mapped_column(String(16), default="complete")
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    counted: Mapped[bool | None] = mapped_column(Boolean)
    why_not_counted: Mapped[str | None] = mapped_column(Text)
    objectives: Mapped[list[Any]] = mapped_column(JSON, default=list)
    backend: Mapped[str | None] = mapped_column(String(64))
    # Links an assistant reply to its call-layer record (the API inspector).
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()


class LabProgress(Base):
    """A learner's standing in one lab: counted exchanges, objectives, completion."""

    __tablename__ = "lab_progress"
    __table_args__ = (UniqueConstraint("learner_id", "lab_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    lab_id: Mapped[str] = mapped_column(String(64))
    exchange_count: Mapped[int] = mapped_column(Integer, default=0)
    objectives_covered: Mapped[list[Any]] = mapped_column(JSON, default=list)
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
