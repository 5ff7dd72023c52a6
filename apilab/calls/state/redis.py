"""Redis ``StateStore``: one truth shared by several server processes.

Every decision is one Lua script (EVALSHA through ``register_script``), so a
check and its update can never interleave between processes: this is what
keeps "spent <= cap" and "admitted <= limit" true under concurrency. Time is
Redis's own ``TIME``, so processes with skewed clocks still agree on windows.

Keys for one limiter share a ``{hash tag}`` so they live in one Redis Cluster
slot. Connection failures raise ``StoreUnavailableError``; nothing here falls
back to local counting (that is how per-replica limits creep in).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from apilab.calls.state.base import (
    BudgetDecision,
    BudgetEntry,
    StoreUnavailableError,
    WindowDecision,
    WindowDim,
)

__all__ = ["RedisStore"]

PREFIX = "apilab:"

# KEYS: per dim i: zset (entry -> start ms), hash (entry -> weight), sum; then the pause key.
# ARGV: window_ms, member, n, then (limit_i, weight_i) pairs.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local member = ARGV[2]
local n = tonumber(ARGV[3])
local pause = tonumber(redis.call('GET', KEYS[3 * n + 1]) or '0')
if pause > now then return {0, pause - now, 0} end
local wait = 0
local refused = 0
for i = 1, n do
  local z, h, s = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local old = redis.call('ZRANGEBYSCORE', z, '-inf', now - window)
  for _, m in ipairs(old) do
    redis.call('DECRBY', s, tonumber(redis.call('HGET', h, m) or '0'))
    redis.call('HDEL', h, m)
  end
  if #old > 0 then redis.call('ZREMRANGEBYSCORE', z, '-inf', now - window) end
  local total = tonumber(redis.call('GET', s) or '0')
  local limit = tonumber(ARGV[2 + 2 * i])
  local weight = tonumber(ARGV[3 + 2 * i])
  if total + weight > limit then
    local need = total + weight - limit
    local freed = 0
    local w = window
    local entries = redis.call('ZRANGE', z, 0, -1, 'WITHSCORES')
    for j = 1, #entries, 2 do
      freed = freed + tonumber(redis.call('HGET', h, entries[j]) or '0')
      if freed >= need then
        w = tonumber(entries[j + 1]) + window - now
        break
      end
    end
    if w < 1 then w = 1 end
    if w > wait then wait = w; refused = i end
  end
end
if wait > 0 then return {0, wait, refused} end
for i = 1, n do
  local z, h, s = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  redis.call('ZADD', z, now, member)
  redis.call('HSET', h, member, ARGV[3 + 2 * i])
  redis.call('INCRBY', s, ARGV[3 + 2 * i])
  redis.call('PEXPIRE', z, window * 2)
  redis.call('PEXPIRE', h, window * 2)
  redis.call('PEXPIRE', s, window * 2)
end
return {1, 0, 0}
"""

# KEYS: hash, sum. ARGV: member, new weight.
_SETTLE = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[2], tonumber(ARGV[2]) - tonumber(old))
return 1
"""

# KEYS: pause key. ARGV: ms to pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], untl, 'PX', tonumber(ARGV[1]) + 1000) end
return 1
"""

# KEYS: budget counters. ARGV: amount, then (limit_i, ttl_i) pairs.
_RESERVE = """
local amount = tonumber(ARGV[1])
for i = 1, #KEYS do
  local spent = tonumber(redis.call('GET', KEYS[i]) or '0')
  if spent + amount > tonumber(ARGV[2 * i]) then return {0, i, spent} end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], amount)
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i + 1]) end
end
return {1, 0, 0}
"""

# KEYS: budget counters. ARGV: delta, then ttl_i.
_ADJUST = """
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[1])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[i + 1]) end
end
return 1
"""


class RedisStore:
    """Limits, budgets and cache in Redis, atomic per decision."""

    kind = "redis"

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.url = url
        self._timeout = timeout
        # redis.asyncio connections belong to the loop that opened them, so keep
        # one client per event loop (tests and CLI runs may use several loops).
        # (ids of dead loops get reused, so the entry also keeps a weak ref to check)
        self._clients: dict[int, tuple[aioredis.Redis, dict[str, Any], weakref.ref[Any]]] = {}

    def _client(self) -> tuple[aioredis.Redis, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        loop_id = id(loop)
        entry = self._clients.get(loop_id)
        if entry is None or entry[2]() is not loop:
            client = aioredis.Redis.from_url(
                self.url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                decode_responses=True,
            )
            scripts = {
                name: client.register_script(src)
                for name, src in (("acquire", _ACQUIRE), ("settle", _SETTLE), ("pause", _PAUSE),
                                  ("reserve", _RESERVE), ("adjust", _ADJUST))
            }
            entry = (client, scripts, weakref.ref(loop))
            self._clients[loop_id] = entry
        return entry[0], entry[1]

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        _, scripts = self._client()
        try:
            return await scripts[script](keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise StoreUnavailableError(
                f"The shared limit/budget store at {_safe(self.url)} is unreachable ({exc}). "
                "Start Redis or unset APILAB_REDIS_URL to use in-process state."
            ) from exc

    @staticmethod
    def _wkeys(name: str, dim: str) -> list[str]:
        base = f"{PREFIX}rl:{{{name}}}:{dim}"
        return [base + ":z", base + ":w", base + ":sum"]

    async def window_acquire(
        self, name: str, dims: Sequence[WindowDim], member: str, window_s: float
    ) -> WindowDecision:
        keys: list[str] = []
        args: list[Any] = [int(window_s * 1000), member, len(dims)]
        for d in dims:
            keys += self._wkeys(name, d.dim)
            args += [d.limit, d.weight]
        keys.append(f"{PREFIX}rl:{{{name}}}:pause")
        ok, wait_ms, refused = await self._run("acquire", keys, args)
        if ok:
            return WindowDecision(True)
        dim = "pause" if not refused else dims[int(refused) - 1].dim
        return WindowDecision(False, int(wait_ms) / 1000, dim)

    async def window_settle(
        self, name: str, dim: str, member: str, weight: int, window_s: float
    ) -> None:
        keys = self._wkeys(name, dim)[1:]
        await self._run("settle", keys, [member, weight])

    async def window_pause(self, name: str, seconds: float) -> None:
        await self._run("pause", [f"{PREFIX}rl:{{{name}}}:pause"], [max(int(seconds * 1000), 1)])

    async def budget_reserve(self, entries: Sequence[BudgetEntry], amount: int) -> BudgetDecision:
        keys = [PREFIX + e.key for e in entries]
        args: list[Any] = [amount]
        for e in entries:
            args += [e.limit, e.ttl_s]
        ok, index, spent = await self._run("reserve", keys, args)
        if ok:
            return BudgetDecision(True)
        entry = entries[int(index) - 1]
        return BudgetDecision(False, entry.key, int(spent), entry.limit)

    async def budget_adjust(self, entries: Sequence[BudgetEntry], delta: int) -> None:
        if not entries:
            return
        keys = [PREFIX + e.key for e in entries]
        await self._run("adjust", keys, [delta, *[e.ttl_s for e in entries]])

    async def budget_spent(self, key: str) -> int:
        client, _ = self._client()
        try:
            return int(await client.get(PREFIX + key) or 0)
        except (RedisError, OSError) as exc:
            raise self._down(exc) from exc

    async def budget_seed(self, entry: BudgetEntry, amount: int) -> bool:
        client, _ = self._client()
        try:
            return bool(await client.set(PREFIX + entry.key, amount, nx=True, ex=entry.ttl_s))
        except (RedisError, OSError) as exc:
            raise self._down(exc) from exc

    async def cache_get(self, key: str) -> str | None:
        client, _ = self._client()
        try:
            value = await client.get(PREFIX + "cache:" + key)
        except (RedisError, OSError) as exc:
            raise self._down(exc) from exc
        return None if value is None else str(value)

    async def cache_set(self, key: str, value: str, ttl_s: float) -> None:
        client, _ = self._client()
        try:
            await client.set(PREFIX + "cache:" + key, value, px=max(int(ttl_s * 1000), 1))
        except (RedisError, OSError) as exc:
            raise self._down(exc) from exc

    def _down(self, exc: Exception) -> StoreUnavailableError:
        return StoreUnavailableError(f"Redis at {_safe(self.url)} is unreachable: {exc}")

    async def flush_prefix(self) -> None:
        """Delete every apilab key (tests and `apilab usage --reset` style tooling)."""
        client, _ = self._client()
        async for key in client.scan_iter(match=PREFIX + "*", count=500):
            await client.delete(key)

    async def aclose(self) -> None:
        loop_id = id(asyncio.get_running_loop())
        entry = self._clients.pop(loop_id, None)
        if entry is not None:
            await entry[0].aclose()


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
