"""The ``StateStore`` interface shared by the in-process and Redis stores.

Three kinds of state, each decided atomically by the store (never read-then-
write in the caller, which is how gateways let concurrent requests through):

- **Sliding-window limits** (RPM, TPM): a log of weighted entries per
  ``name``/``dim``; ``window_acquire`` admits an entry only if *every* dim
  stays within its limit over the last ``window_s`` seconds, else nothing is
  added and ``retry_in`` says when enough old entries expire.
  ``window_settle`` replaces a reservation's weight with the actual one, and
  ``window_pause`` stops admissions until a provider-announced reset.
- **Budgets**: integer nano-dollars per key (scope + period); ``budget_reserve``
  adds ``amount`` to every key only if none would pass its limit.
  ``budget_adjust`` settles (adds a positive or negative delta); ``budget_seed``
  sets a missing counter from the durable ledger, so a restart (or a flushed
  Redis) does not hand everyone a fresh budget.
- **Cache**: plain get/set with a TTL.

A store that cannot reach its backend raises ``StoreUnavailableError``; the
budget layer decides whether that fails closed (the default) or open.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from apilab.errors import StorageError

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = [
    "BudgetDecision",
    "BudgetEntry",
    "StateStore",
    "StoreUnavailableError",
    "WindowDecision",
    "WindowDim",
    "open_store",
]


class StoreUnavailableError(StorageError):
    """The limit/budget store (e.g. Redis) could not be reached."""


@dataclasses.dataclass(frozen=True)
class WindowDim:
    """One dimension of a sliding-window limiter: ``rpm`` or ``tpm``."""

    dim: str
    limit: int
    weight: int


@dataclasses.dataclass(frozen=True)
class WindowDecision:
    """Whether an entry was admitted; if not, which dim refused and when to retry."""

    ok: bool
    retry_in: float = 0.0
    dim: str | None = None


@dataclasses.dataclass(frozen=True)
class BudgetEntry:
    """One budget counter: key (scope + period), its limit and how long it lives."""

    key: str
    limit: int  # nano-dollars
    ttl_s: int


@dataclasses.dataclass(frozen=True)
class BudgetDecision:
    """Whether a reservation fitted; if not, the counter that refused and its state."""

    ok: bool
    key: str | None = None
    spent: int = 0
    limit: int = 0


class StateStore(Protocol):
    """Atomic limit, budget and cache operations (see the module docstring)."""

    kind: str

    async def window_acquire(
        self, name: str, dims: Sequence[WindowDim], member: str, window_s: float
    ) -> WindowDecision: ...

    async def window_settle(
        self, name: str, dim: str, member: str, weight: int, window_s: float
    ) -> None: ...

    async def window_pause(self, name: str, seconds: float) -> None: ...

    async def budget_reserve(self, entries: Sequence[BudgetEntry], amount: int) -> BudgetDecision:
        ...

    async def budget_adjust(self, entries: Sequence[BudgetEntry], delta: int) -> None: ...

    async def budget_spent(self, key: str) -> int: ...

    async def budget_seed(self, entry: BudgetEntry, amount: int) -> bool:
        """Set the counter to ``amount`` only if it does not exist (restart recovery)."""
        ...

    async def cache_get(self, key: str) -> str | None: ...

    async def cache_set(self, key: str, value: str, ttl_s: float) -> None: ...

    async def aclose(self) -> None: ...


_STORES: dict[str, StateStore] = {}
_LOCK = threading.Lock()


def open_store(settings: Settings) -> StateStore:
    """The process's store for these settings: Redis when ``redis_url`` is set.

    One store per URL per process, because the in-process store *is* the shared
    truth for every request this server handles (like a connection pool).
    """
    url = settings.redis_url or "memory://"
    with _LOCK:
        store = _STORES.get(url)
        if store is None:
            if settings.redis_url:
                from apilab.calls.state.redis import RedisStore

                store = RedisStore(settings.redis_url)
            else:
                from apilab.calls.state.memory import MemoryStore

                store = MemoryStore()
            _STORES[url] = store
        return store
