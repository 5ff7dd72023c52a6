"""Tables owned by Lab 4's prompt workbench: a learner's prompt versions, cases and runs.

Versions are append-only: saving or restoring makes a new numbered version, so
any earlier one can be diffed and restored. A run stores its per-case results
as JSON (what the comparison matrix reads); outputs are truncated there, the
full call is in the usage ledger under its ``call_id``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from apilab.storage.models.base import Base, utcnow

__all__ = ["PromptCase", "PromptRun", "PromptVersion"]


class PromptVersion(Base):
    """One saved version of a learner's system prompt and output settings."""

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("learner_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # v1, v2, ... per learner
    name: Mapped[str] = mapped_column(String(100))
    system: Mapped[str] = mapped_column(Text)
    user_template: Mapped[str] = mapped_column(Text)
    # text, json_object or json_schema
    output_mode: Mapped[str] = mapped_column(String(16), default="text")
    schema_text: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    max_tokens: Mapped[int] = mapped_column(Integer, default=300)
    temperature: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal(0))
    note: Mapped[str] = mapped_column(String(300), default="")
    restored_from: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PromptCase(Base):
    """One test case: the learner's input and the assertions that judge the reply."""

    __tablename__ = "prompt_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default="ordinary")  # ordinary|edge|injection
    input: Mapped[str] = mapped_column(Text)
    asserts: Mapped[list[Any]] = mapped_column(JSON, default=list)  # promptfoo assertion dicts
    pack_case: Mapped[str | None] = mapped_column(String(64))  # injection pack id, if from it
    explain: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PromptRun(Base):
    """One run of a version over the learner's cases against one provider."""

    __tablename__ = "prompt_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("prompt_versions.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(120))  # e.g. sandbox:echo
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    passed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
