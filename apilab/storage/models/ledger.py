"""The usage ledger: one row per outbound AI call and one per attempt.

Written only by ``apilab.calls.ledger`` (from a ``finally`` block); read by the
CLI (``apilab usage``), the API inspector and budgets' reconciliation. Money
is stored as decimal strings (exact, and SQLite has no decimal type); the key
is never stored: requests are recorded with the key already redacted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from apilab.storage.models.base import Base, utcnow


class LedgerCall(Base):
    """One call through the stack (a chat reply may make several: tool rounds)."""

    __tablename__ = "ledger_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    learner: Mapped[str | None] = mapped_column(String(100))
    lab: Mapped[str | None] = mapped_column(String(64), index=True)
    scope: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(32), default="conversation")
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    answered_by: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # ok | error | refused | cancelled
    error: Mapped[str | None] = mapped_column(Text)
    streamed: Mapped[bool] = mapped_column(Boolean, default=False)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    tokens_in_est: Mapped[int | None] = mapped_column(Integer)
    tokens_out_max: Mapped[int | None] = mapped_column(Integer)
    token_method: Mapped[str | None] = mapped_column(String(64))
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)
    tokens_cached: Mapped[int | None] = mapped_column(Integer)
    usage_exact: Mapped[bool | None] = mapped_column(Boolean)
    cost_est_usd: Mapped[str | None] = mapped_column(String(40))
    cost_usd: Mapped[str | None] = mapped_column(String(40))
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_used: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    attempts: Mapped[list[LedgerAttempt]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="LedgerAttempt.number")


class LedgerAttempt(Base):
    """One try at one target within a call, with why it failed and the wait after it."""

    __tablename__ = "ledger_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ledger_call_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_calls.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer)
    cause: Mapped[str | None] = mapped_column(Text)
    wait_s: Mapped[float | None] = mapped_column(Float)
    wait_reason: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(200))
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)

    call: Mapped[LedgerCall] = relationship(back_populates="attempts")
