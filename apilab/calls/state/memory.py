"""In-process ``StateStore``: the single-server default.

Every operation runs under one ``threading.Lock`` and never awaits while
holding it, so check-and-update is atomic for all tasks and threads of this
process. It is not shared between processes: use ``RedisStore`` for that.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from apilab.calls.state.base import BudgetDecision, BudgetEntry, WindowDecision, WindowDim

__all__ = ["MemoryStore"]


@dataclasses.dataclass
class _Window:
    entries: deque[tuple[float, str]] = dataclasses.field(default_factory=deque)
    weights: dict[str, int] = dataclasses.field(default_factory=dict)
    total: int = 0

    def prune(self, cutoff: float) -> None:
        while self.entries and self.entries[0][0] <= cutoff:
            _, member = self.entries.popleft()
            self.total -= self.weights.pop(member, 0)

    def retry_in(self, need: int, now: float, window_s: float) -> float:
        """Seconds until the oldest entries free at least ``need`` units."""
        freed = 0
        for started, member in self.entries:
            freed += self.weights.get(member, 0)
            if freed >= need:
                return max(started + window_s - now, 0.001)
        return window_s


class MemoryStore:
    """Limits, budgets and cache in this process's memory."""

    kind = "memory"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._paused: dict[str, float] = {}
        self._budgets: dict[str, tuple[int, float]] = {}  # key -> (spent, expires_at)
        self._cache: dict[str, tuple[str, float]] = {}

    async def window_acquire(
        self, name: str, dims: Sequence[WindowDim], member: str, window_s: float
    ) -> WindowDecision:
        with self._lock:
            now = self._clock()
            paused_until = self._paused.get(name, 0.0)
            if paused_until > now:
                return WindowDecision(False, paused_until - now, "pause")
            worst = WindowDecision(True)
            for d in dims:
                win = self._windows.setdefault((name, d.dim), _Window())
                win.prune(now - window_s)
                if win.total + d.weight > d.limit:
                    wait = win.retry_in(win.total + d.weight - d.limit, now, window_s)
                    if not worst.ok and worst.retry_in >= wait:
                        continue
                    worst = WindowDecision(False, wait, d.dim)
            if not worst.ok:
                return worst
            for d in dims:
                win = self._windows[(name, d.dim)]
                win.entries.append((now, member))
                win.weights[member] = d.weight
                win.total += d.weight
            return worst

    async def window_settle(
        self, name: str, dim: str, member: str, weight: int, window_s: float
    ) -> None:
        with self._lock:
            win = self._windows.get((name, dim))
            if win is None or member not in win.weights:
                return  # already expired out of the window: nothing to correct
            win.total += weight - win.weights[member]
            win.weights[member] = weight

    async def window_pause(self, name: str, seconds: float) -> None:
        with self._lock:
            until = self._clock() + seconds
            self._paused[name] = max(self._paused.get(name, 0.0), until)

    def _spent(self, key: str, now: float) -> int:
        spent, expires = self._budgets.get(key, (0, 0.0))
        return spent if expires > now else 0

    async def budget_reserve(self, entries: Sequence[BudgetEntry], amount: int) -> BudgetDecision:
        with self._lock:
            now = self._clock()
            for e in entries:
                spent = self._spent(e.key, now)
                if spent + amount > e.limit:
                    return BudgetDecision(False, e.key, spent, e.limit)
            for e in entries:
                self._add(e, amount, now)
            return BudgetDecision(True)

    def _add(self, entry: BudgetEntry, delta: int, now: float) -> None:
        spent, expires = self._budgets.get(entry.key, (0, 0.0))
        if expires <= now:
            spent, expires = 0, now + entry.ttl_s
        self._budgets[entry.key] = (spent + delta, expires)

    async def budget_adjust(self, entries: Sequence[BudgetEntry], delta: int) -> None:
        with self._lock:
            now = self._clock()
            for e in entries:
                self._add(e, delta, now)

    async def budget_spent(self, key: str) -> int:
        with self._lock:
            return self._spent(key, self._clock())

    async def budget_seed(self, entry: BudgetEntry, amount: int) -> bool:
        with self._lock:
            now = self._clock()
            current = self._budgets.get(entry.key)
            if current is not None and current[1] > now:
                return False
            self._budgets[entry.key] = (amount, now + entry.ttl_s)
            return True

    async def cache_get(self, key: str) -> str | None:
        with self._lock:
            item = self._cache.get(key)
            if item is None or item[1] <= self._clock():
                self._cache.pop(key, None)
                return None
            return item[0]

    async def cache_set(self, key: str, value: str, ttl_s: float) -> None:
        with self._lock:
            self._cache[key] = (value, self._clock() + ttl_s)

    async def aclose(self) -> None:
        return None
