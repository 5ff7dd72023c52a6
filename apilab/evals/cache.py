"""A response cache that outlives the process, for eval runs from the command line.

The call layer's ``CacheLayer`` keeps entries in the ``StateStore``: Redis when
configured, else process memory, which a CLI run throws away on exit. Re-running
a suite after changing one assertion should not pay for every call again (the
reason promptfoo caches on disk), so eval runs wrap the store in
``DiskCacheStore``: cache entries go to ``<data dir>/eval-cache.sqlite3``,
everything else (rate limits, budgets) to the wrapped store unchanged.

Only ``CacheLayer`` reads or writes it, so cached replies are exactly the
complete answers that layer chose to keep; ``apilab eval --no-cache`` skips
it. SQLite work runs on a worker thread so the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["DiskCacheStore"]


class DiskCacheStore:
    """A ``StateStore`` whose cache lives in a SQLite file; the rest is ``inner``'s."""

    def __init__(self, inner: Any, path: Path) -> None:
        self._inner = inner
        self.path = path
        self.kind = f"{getattr(inner, 'kind', 'memory')}+disk-cache"
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, "
                         "value TEXT NOT NULL, expires REAL NOT NULL)")
        path.chmod(0o600)  # cached replies may quote prompts: private like the database

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value, expires FROM cache WHERE key = ?",
                                   (key,)).fetchone()
        if row is None or row[1] < time.time():
            return None
        return str(row[0])

    def _set(self, key: str, value: str, ttl_s: float) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO cache (key, value, expires) "
                             "VALUES (?, ?, ?)", (key, value, time.time() + ttl_s))
            self._db.execute("DELETE FROM cache WHERE expires < ?", (time.time(),))

    async def cache_get(self, key: str) -> str | None:
        return await asyncio.to_thread(self._get, key)

    async def cache_set(self, key: str, value: str, ttl_s: float) -> None:
        await asyncio.to_thread(self._set, key, value, ttl_s)

    async def aclose(self) -> None:
        with self._lock:
            self._db.close()
