"""Run-time state of the sandbox serving one database: limits, chaos, caches, audit buffer.

One ``SandboxState`` exists per database per process (``state_for(db)``), so the
lab server's mounted sandbox, the admin API and in-process callers such as the
lab drills (``chaos.set_chaos(db, ...)``) all see the same chaos profile and
buckets. Nothing here is per request.

The audit log is written in batches (every 0.2 s or 256 rows, in a worker
thread) because one SQLite commit per request would cap throughput far below
what the sandbox can otherwise serve; ``flush()`` is called before anything
reads the log (``keys.key_usage``) and at exit. Key lookups are cached for
``KEY_CACHE_SECONDS``: a revocation in this process clears the cache at once,
one made by another process (the CLI) is seen within that time.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import datetime as dt
import logging
import threading
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apilab.sandbox.caching import PromptCache
from apilab.sandbox.chaos import ChaosState
from apilab.sandbox.config import SandboxConfig, load_config
from apilab.sandbox.limits import LimitBackend, MemoryLimits
from apilab.sandbox.responses_store import ResponseStore

if TYPE_CHECKING:
    from apilab.sandbox.keys import KeyRecord
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["AuditWriter", "SandboxState", "existing_state", "state_for"]

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 1.0
FLUSH_DELAY = 0.2
FLUSH_ROWS = 256


class AuditWriter:
    """Buffers audit rows and writes them in batches."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._scheduled = False

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row; it reaches the database within ``FLUSH_DELAY`` seconds."""
        with self._lock:
            self._rows.append(row)
            schedule = not self._scheduled
            self._scheduled = True
            full = len(self._rows) >= FLUSH_ROWS
        if schedule or full:
            self._schedule(now=full)

    def _schedule(self, now: bool) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if now:
            loop.run_in_executor(None, self.flush)
        else:
            loop.call_later(FLUSH_DELAY, lambda: loop.run_in_executor(None, self.flush))

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self) -> int:
        """Write every queued row now; returns how many were written."""
        from apilab.storage import sandbox as repo

        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                self._scheduled = False
            if not rows:
                return 0
            try:
                with self._db.session() as session:
                    repo.add_audit_rows(session, rows)
            except Exception:  # noqa: BLE001 - the log must not take the server down
                log.exception("Could not write %d sandbox audit row(s).", len(rows))
                return 0
            return len(rows)


class SandboxState:
    """Everything the sandbox keeps between requests for one database."""

    def __init__(self, db: Database, settings: Settings | None = None,
                 config: SandboxConfig | None = None) -> None:
        self.db = db
        self.settings = settings
        path = getattr(settings, "sandbox_config", None) if settings is not None else None
        self.config = config or load_config(path)
        self.chaos = ChaosState(self.config)
        self.limits: LimitBackend = self._limits(settings)
        self.cache = PromptCache()
        self.responses = ResponseStore()  # stored Responses (previous_response_id)
        self.audit = AuditWriter(db)
        self._keys: dict[str, tuple[KeyRecord | None, float]] = {}
        self._spend: dict[str, tuple[tuple[int, int], Decimal]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _limits(settings: Settings | None) -> LimitBackend:
        url = getattr(settings, "redis_url", None) if settings is not None else None
        if url:
            from apilab.sandbox.limits import RedisLimits

            return RedisLimits(url)
        return MemoryLimits()

    # --- keys
    def key_for_secret(self, secret: str) -> KeyRecord | None:
        """The key for a secret (cached briefly); ``None`` for an unknown secret."""
        from apilab.sandbox.keys import find_key, hash_secret

        digest = hash_secret(secret)
        now = time.monotonic()
        hit = self._keys.get(digest)
        if hit is not None and now - hit[1] < KEY_CACHE_SECONDS:
            return hit[0]
        record = find_key(self.db, secret)
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[digest] = (record, now)
        return record

    def keys_changed(self) -> None:
        """Forget cached keys (after a create, revoke or rotate in this process)."""
        with self._lock:
            self._keys.clear()

    # --- spending
    def month_spend(self, key_id: str) -> Decimal:
        """What the key has spent this UTC month (from the log, then kept in memory)."""
        today = dt.datetime.now(dt.UTC)
        month = (today.year, today.month)
        hit = self._spend.get(key_id)
        if hit is not None and hit[0] == month:
            return hit[1]
        from apilab.storage import sandbox as repo

        self.audit.flush()
        with self.db.session() as session:
            total = repo.month_spend(session, key_id)
        with self._lock:
            self._spend[key_id] = (month, total)
        return total

    def add_spend(self, key_id: str, amount: Decimal) -> None:
        if not amount:
            return
        current = self.month_spend(key_id)
        with self._lock:
            month = self._spend[key_id][0]
            self._spend[key_id] = (month, current + amount)

    def reset_spend(self, key_id: str | None = None) -> None:
        """Forget cached spend so it is re-read from the log."""
        with self._lock:
            if key_id is None:
                self._spend.clear()
            else:
                self._spend.pop(key_id, None)


_STATES: dict[str, SandboxState] = {}
_STATES_LOCK = threading.Lock()


def state_for(db: Database, settings: Settings | None = None,
              config: SandboxConfig | None = None) -> SandboxState:
    """The process-wide state for a database, created on first use."""
    with _STATES_LOCK:
        state = _STATES.get(db.url)
        if state is None or state.db is not db or config is not None:
            if state is not None:
                state.audit.flush()
            state = SandboxState(db, settings, config)
            _STATES[db.url] = state
        elif settings is not None and state.settings is None:
            # Made earlier without settings (e.g. set_chaos before the app existed):
            # adopt the settings' config file and limit store now, keeping chaos.
            state.settings = settings
            state.config = load_config(getattr(settings, "sandbox_config", None))
            state.chaos.config = state.config
            state.limits = state._limits(settings)
        return state


def existing_state(db: Database) -> SandboxState | None:
    """The state for a database if this process has one (no side effects)."""
    state = _STATES.get(getattr(db, "url", ""))
    return state if state is not None and state.db is db else None


@atexit.register
def _flush_all() -> None:
    for state in list(_STATES.values()):
        with contextlib.suppress(Exception):  # best effort at interpreter exit
            state.audit.flush()
