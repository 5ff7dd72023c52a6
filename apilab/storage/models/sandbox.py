"""Tables owned by the sandbox provider: its API keys and the per-request audit log.

A key's secret is never stored: only its SHA-256 (for lookup) and its last four
characters (so people can tell keys apart). Every request the sandbox answers,
refused or not, writes one audit row; rows for an unknown key have no ``key_id``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from apilab.storage.models.base import Base, utcnow

__all__ = ["SandboxAudit", "SandboxKey"]


class SandboxKey(Base):
    """One sandbox API key: scope (models), tier, spending cap and lifecycle."""

    __tablename__ = "sandbox_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 hex of the secret; the secret itself is shown once and never kept.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hint: Mapped[str] = mapped_column(String(32))  # e.g. "sk-sbx-…9f2a"
    models: Mapped[list[Any] | None] = mapped_column(JSON)  # None = every model
    tier: Mapped[str] = mapped_column(String(64), default="tier-1")
    rpm: Mapped[int | None] = mapped_column(Integer)  # custom limits override the tier
    tpm: Mapped[int | None] = mapped_column(Integer)
    monthly_cap_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    # The key this one replaced when it was created by a rotation.
    rotated_from: Mapped[str | None] = mapped_column(String(32))


class SandboxAudit(Base):
    """One request the sandbox answered: who, what, how many tokens, what it cost."""

    __tablename__ = "sandbox_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str | None] = mapped_column(
        ForeignKey("sandbox_keys.id", ondelete="CASCADE"), index=True
    )
    key_hint: Mapped[str | None] = mapped_column(String(32))
    time: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    api: Mapped[str] = mapped_column(String(16))  # "openai" | "anthropic" | "admin"
    model: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[int] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(String(64))
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cached_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))
    user_agent: Mapped[str | None] = mapped_column(Text)
    retry_count: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
