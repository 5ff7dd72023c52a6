"""The eval cache outlives the process, expires, and leaves limits and budgets to the store."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from apilab.calls.state.memory import MemoryStore
from apilab.evals.cache import DiskCacheStore


def test_entries_survive_a_new_store_and_expire(tmp_path: Path) -> None:
    path = tmp_path / "eval-cache.sqlite3"

    async def scenario() -> tuple[str | None, str | None, str | None]:
        first = DiskCacheStore(MemoryStore(), path)
        await first.cache_set("k", "reply", 60)
        await first.cache_set("old", "stale", -1)
        await first.aclose()
        second = DiskCacheStore(MemoryStore(), path)  # a later `apilab eval` process
        try:
            return (await second.cache_get("k"), await second.cache_get("old"),
                    await second.cache_get("missing"))
        finally:
            await second.aclose()

    assert asyncio.run(scenario()) == ("reply", None, None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_everything_but_the_cache_goes_to_the_inner_store(tmp_path: Path) -> None:
    inner = MemoryStore()
    store = DiskCacheStore(inner, tmp_path / "c.sqlite3")
    assert store.budget_reserve == inner.budget_reserve
    assert store.window_acquire == inner.window_acquire
    asyncio.run(store.aclose())
