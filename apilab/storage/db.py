"""Engine and session management, and migrating to the latest revision.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed row survives a
killed process (the crash test kills the server mid-stream), and readers never
block the single writer. PostgreSQL is used unchanged when its URL is given.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from apilab.errors import StorageError

__all__ = ["Database", "make_engine", "open_database"]

_OPEN: dict[str, Database] = {}
_OPEN_LOCK = threading.Lock()


def make_engine(url: str) -> Engine:
    """Create an engine with the pragmas apilab relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=40,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """One database: an engine, a session factory and migrations."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Migrate to the latest revision; running it twice is harmless."""
        try:
            with self.engine.begin() as connection:
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StorageError(
                f"Could not open or migrate the database at {_safe_url(self.url)}: {exc.orig}. "
                "Check APILAB_DATABASE_URL / --database-url and that the server is running."
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    script_location = Path(str(resources.files("apilab.storage") / "migrations"))
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _safe_url(url: str) -> str:
    """The URL with any password masked, for error messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is reported as-is minus credentials
        return url.split("@")[-1]


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """The process-wide ``Database`` for a URL, migrated to head on first open."""
    with _OPEN_LOCK:
        db = _OPEN.get(url)
        if db is None:
            db = Database(url)
            if upgrade:
                db.upgrade()
            _OPEN[url] = db
        return db


def close_all() -> None:
    """Dispose every open database (tests and shutdown)."""
    with _OPEN_LOCK:
        for db in _OPEN.values():
            db.dispose()
        _OPEN.clear()
