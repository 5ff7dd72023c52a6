"""Shared limit, budget and cache state behind one interface.

``MemoryStore`` (one server process, the default) and ``RedisStore`` (several
processes sharing one truth, atomic through Lua scripts) implement
``StateStore``. Use ``open_store(settings)`` to get the configured one.
"""

from apilab.calls.state.base import (
    BudgetDecision,
    BudgetEntry,
    StateStore,
    StoreUnavailableError,
    WindowDecision,
    open_store,
)

__all__ = [
    "BudgetDecision",
    "BudgetEntry",
    "StateStore",
    "StoreUnavailableError",
    "WindowDecision",
    "open_store",
]
