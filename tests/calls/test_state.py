"""The two StateStore implementations behave the same (Redis must run in CI)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from apilab.calls.state.base import BudgetEntry, StoreUnavailableError, WindowDim, open_store
from apilab.calls.state.memory import MemoryStore
from apilab.calls.state.redis import RedisStore
from tests._services import require_redis


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[MemoryStore | RedisStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    yield RedisStore(require_redis())


def name() -> str:
    return "t-" + uuid.uuid4().hex[:8]


def test_window_admits_up_to_every_limit_atomically(store) -> None:  # type: ignore[no-untyped-def]
    key = name()

    async def run() -> list[bool]:
        dims = [WindowDim("rpm", 3, 1), WindowDim("tpm", 1000, 400)]
        out = []
        for i in range(4):
            out.append((await store.window_acquire(key, dims, f"m{i}", 60)).ok)
        await store.aclose()
        return out

    # tpm refuses the 3rd (1200 > 1000) before rpm would refuse the 4th
    assert asyncio.run(run()) == [True, True, False, False]


def test_settle_frees_reserved_tokens(store) -> None:  # type: ignore[no-untyped-def]
    key = name()

    async def run() -> bool:
        dims = [WindowDim("tpm", 1000, 600)]
        assert (await store.window_acquire(key, dims, "a", 60)).ok
        refused = await store.window_acquire(key, dims, "b", 60)
        assert not refused.ok and refused.dim == "tpm" and 0 < refused.retry_in <= 60
        await store.window_settle(key, "tpm", "a", 100, 60)
        ok = (await store.window_acquire(key, dims, "b", 60)).ok
        await store.aclose()
        return ok

    assert asyncio.run(run())


def test_pause_blocks_until_reset(store) -> None:  # type: ignore[no-untyped-def]
    key = name()

    async def run() -> None:
        await store.window_pause(key, 5)
        decision = await store.window_acquire(key, [WindowDim("rpm", 10, 1)], "a", 60)
        assert not decision.ok and decision.dim == "pause" and 4 < decision.retry_in <= 5
        await store.aclose()

    asyncio.run(run())


def test_budget_reserve_is_all_or_nothing(store) -> None:  # type: ignore[no-untyped-def]
    a, b = BudgetEntry(name(), 100, 60), BudgetEntry(name(), 50, 60)

    async def run() -> None:
        assert (await store.budget_reserve([a, b], 40)).ok
        refused = await store.budget_reserve([a, b], 20)
        assert not refused.ok and refused.key == b.key and refused.spent == 40
        assert await store.budget_spent(a.key) == 40  # nothing added on refusal
        await store.budget_adjust([a, b], -30)
        assert await store.budget_spent(b.key) == 10
        await store.aclose()

    asyncio.run(run())


def test_cache_roundtrip(store) -> None:  # type: ignore[no-untyped-def]
    key = name()

    async def run() -> None:
        assert await store.cache_get(key) is None
        await store.cache_set(key, "v", 60)
        assert await store.cache_get(key) == "v"
        await store.aclose()

    asyncio.run(run())


def test_unreachable_redis_raises_store_unavailable() -> None:
    store = RedisStore("redis://127.0.0.1:1/0", timeout=0.2)
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        asyncio.run(store.budget_reserve([BudgetEntry("x", 1, 1)], 1))


def test_open_store_follows_settings(settings) -> None:  # type: ignore[no-untyped-def]
    assert open_store(settings).kind == "memory"
    assert open_store(settings.with_overrides(redis_url="redis://127.0.0.1:6379/15")).kind \
        == "redis"


def test_budget_seed_only_sets_a_missing_counter(store) -> None:  # type: ignore[no-untyped-def]
    entry = BudgetEntry(name(), 100, 60)

    async def run() -> None:
        assert await store.budget_seed(entry, 30)
        assert not await store.budget_seed(entry, 99)  # never overwrites live state
        assert await store.budget_spent(entry.key) == 30
        assert not (await store.budget_reserve([entry], 71)).ok
        await store.aclose()

    asyncio.run(run())
