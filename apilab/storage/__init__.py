"""Storage: the database engine, ORM models, repositories and migrations.

Engines never write SQL; they call the repository modules here. SQLite in the
data dir is the default (WAL mode); PostgreSQL is selected by URL.

``Database`` and ``open_database`` are loaded on first use (PEP 562), so a module
that only needs ``storage.installkey`` (``apilab scan``) does not import SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apilab.storage.db import Database, open_database

__all__ = ["Database", "open_database"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from apilab.storage import db

        return getattr(db, name)
    raise AttributeError(f"module 'apilab.storage' has no attribute {name!r}")
