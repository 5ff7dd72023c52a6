"""Small expiring values every server process can read: LTI launch state and nonces.

Kept in the shared database (not in one process's memory) so an LMS's OIDC login
answered by one process and its launch answered by another still match.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from apilab.storage.models.accounts import SharedValue
from apilab.storage.models.base import utcnow

__all__ = ["get_value", "pop_value", "put_value"]


def put_value(session: Session, key: str, value: Any, ttl_s: float) -> None:
    """Store ``value`` under ``key`` for ``ttl_s`` seconds (replacing any earlier one)."""
    expires = utcnow() + dt.timedelta(seconds=ttl_s)
    row = session.get(SharedValue, key)
    if row is None:
        session.add(SharedValue(key=key, value=value, expires_at=expires))
    else:
        row.value, row.expires_at = value, expires


def get_value(session: Session, key: str) -> Any:
    """The unexpired value under ``key``, else ``None``."""
    row = session.scalar(select(SharedValue).where(SharedValue.key == key))
    if row is None or _utc(row.expires_at) <= utcnow():
        return None
    return row.value


def pop_value(session: Session, key: str) -> Any:
    """Take the value under ``key`` (one use: a second pop finds nothing)."""
    value = get_value(session, key)
    deleted = session.execute(delete(SharedValue).where(SharedValue.key == key)).rowcount
    return value if deleted else None


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
