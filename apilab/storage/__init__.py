"""Storage: the database engine, ORM models, repositories and migrations.

Engines never write SQL; they call the repository modules here. SQLite in the
data dir is the default (WAL mode); PostgreSQL is selected by URL.
"""

from apilab.storage.db import Database, open_database

__all__ = ["Database", "open_database"]
