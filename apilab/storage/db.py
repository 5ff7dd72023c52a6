"""Engine and session management, and migrating to the latest revision.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed row survives a
killed process (the crash test kills the server mid-stream), and readers never
block the single writer. PostgreSQL is used unchanged when its URL is given.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from apilab.errors import ConfigError, StorageError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["Database", "make_engine", "open_database"]

_OPEN: dict[str, Database] = {}
_OPEN_LOCK = threading.Lock()
_WRITE_LOCKS: dict[str, threading.Lock] = {}


def make_engine(url: str) -> Engine:
    """Create an engine with the pragmas apilab relies on.

    A URL SQLAlchemy cannot read (or whose driver is not installed) is a
    ``ConfigError`` naming the setting, so the CLI prints one line and exits 2.
    """
    try:
        return _make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError, ImportError) as exc:
        raise ConfigError(
            f"APILAB_DATABASE_URL {_safe_url(url)!r} is not a usable database URL "
            f"({_one_line(str(exc))}). Example: postgresql+psycopg://user@host/apilab, or "
            "leave it unset for SQLite in the data dir.") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
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
        # Per-database helpers other packages attach (the ledger's write-behind writer),
        # so they live exactly as long as this object.
        self.attached: dict[str, Any] = {}

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

    def write_lock(self) -> contextlib.AbstractContextManager[object]:
        """One writer at a time per SQLite file in this process (a no-op elsewhere).

        SQLite allows a single writer; when two threads of this process collide, its
        busy handler sleeps in steps of up to 100 ms - on the event loop's thread that
        stalls every learner. The exchange's inline writes and the ledger's write-behind
        thread queue on this lock instead, which costs a millisecond or two.
        PostgreSQL needs no lock.
        """
        if not self.url.startswith("sqlite"):
            return contextlib.nullcontext()
        lock = _WRITE_LOCKS.get(self.url)
        if lock is None:
            with _OPEN_LOCK:
                lock = _WRITE_LOCKS.setdefault(self.url, threading.Lock())
        return lock

    def at_head(self) -> bool:
        """Whether the stored revision is already the packaged head (one cheap query).

        Importing Alembic and building its script directory costs a few hundred
        milliseconds; every command and server start would pay it to learn that
        there is nothing to do. The heads are read from the revision files' own
        ``revision`` / ``down_revision`` lines instead.
        """
        heads = packaged_heads()
        if not heads:
            return False
        try:
            with self.engine.connect() as connection:
                stored = {row[0] for row in connection.execute(
                    text("SELECT version_num FROM alembic_version"))}
        except Exception:  # noqa: BLE001 - no table yet, or anything odd: let Alembic decide
            return False
        return stored == heads

    def upgrade(self) -> None:
        """Migrate to the latest revision; running it twice is harmless."""
        if self.at_head():
            return
        from alembic import command

        try:
            with self.engine.begin() as connection:
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise StorageError(
                f"Could not open or migrate the database at {_safe_url(self.url)}: "
                f"{_one_line(str(exc.orig))} Check APILAB_DATABASE_URL / --database-url and "
                "that the server is running."
            ) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use the umask, often 0644).

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so this
    one file decides who can read transcripts, the ledger and the audit log. An
    existing file with group or other bits is tightened.
    """
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(mode & 0o700)
            for suffix in ("-wal", "-shm"):
                sidecar = path.with_name(path.name + suffix)
                if sidecar.exists():
                    sidecar.chmod(mode & 0o700)
    except OSError:
        pass  # a read-only location: SQLite will report it with a clear error


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.M)


@functools.cache
def packaged_heads() -> frozenset[str]:
    """The head revision ids of the packaged migrations, read from the files' text."""
    versions = resources.files("apilab.storage") / "migrations" / "versions"
    revisions: set[str] = set()
    parents: set[str] = set()
    for entry in versions.iterdir():
        if not entry.name.endswith(".py"):
            continue
        for name, value in _REVISION_LINE.findall(entry.read_text(encoding="utf-8")):
            ids = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if name == "revision" else parents).update(ids)
    return frozenset(revisions - parents)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    from alembic.config import Config

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
