"""The one place the call stack is built.

    ledger -> cache -> budget -> fallback -> per target: retry -> rate limit -> timeout -> adapter

``build_stack(settings)`` reads the targets from ``APILAB_BACKEND`` /
``APILAB_MODEL`` followed by the ``APILAB_FALLBACK`` chain (duplicates
dropped), looks each adapter up in the provider registry, and wires every
layer with the settings. A target whose adapter cannot be built (say, no key)
stays in the chain as a handler that fails with that error, so the fallback
records why it was skipped instead of the chain silently changing shape.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from apilab.calls.base import Call, Handler, Result, StreamEvent
from apilab.calls.budget import BudgetLayer, Target, limits_from_settings
from apilab.calls.cache import CacheLayer
from apilab.calls.fallback import FallbackLayer, FallbackTarget
from apilab.calls.ledger import LedgerLayer, LedgerSink
from apilab.calls.ratelimit import RateLimitLayer
from apilab.calls.retry import RetryLayer, RetryPolicy
from apilab.calls.state.base import StateStore, open_store
from apilab.calls.timeout import TimeoutLayer
from apilab.errors import CallError, ConfigError

if TYPE_CHECKING:
    from apilab.providers.base import Provider
    from apilab.settings import Settings

__all__ = ["CallStack", "build_stack", "parse_targets"]

log = logging.getLogger(__name__)


def parse_targets(settings: Settings) -> list[tuple[str, str | None]]:
    """(provider, model or None for its default) in the order they are tried."""
    chain: list[tuple[str, str | None]] = [(str(settings.backend), settings.model or None)]
    for item in str(settings.fallback or "").split(","):
        item = item.strip()
        if not item:
            continue
        provider, _, model = item.partition(":")
        chain.append((provider.strip(), model.strip() or None))
    seen: set[tuple[str, str | None]] = set()
    out = []
    for entry in chain:
        if entry not in seen:
            seen.add(entry)
            out.append(entry)
    return out


class _Unavailable(Handler):
    """A target that could not be built: every call fails with the same clear error."""

    def __init__(self, error: CallError) -> None:
        self.error = error

    async def ahandle(self, call: Call) -> Result:
        raise self.error

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        raise self.error
        yield  # pragma: no cover - makes this an async generator


@dataclasses.dataclass
class CallStack:
    """The built stack plus what the page and inspector may show about it."""

    handler: Handler
    targets: list[dict[str, Any]]
    store: StateStore

    async def ahandle(self, call: Call) -> Result:
        return await self.handler.ahandle(call)

    def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        return self.handler.astream(call)

    async def aclose(self) -> None:
        await self.handler.aclose()


def build_stack(
    settings: Settings,
    *,
    sink: LedgerSink | None = None,
    store: StateStore | None = None,
    providers: Mapping[str, Provider] | None = None,
    targets: list[tuple[str, str | None]] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rate_window_s: float = 60.0,
) -> CallStack:
    """Build the stack for ``settings``; ``providers`` overrides adapters by name (tests)."""
    from apilab.providers.registry import get_provider

    store = store or open_store(settings)
    if sink is None:
        from apilab.calls.writer import ledger_writer
        from apilab.storage.db import open_database

        sink = ledger_writer(open_database(settings.db_url), settings)
    chain = targets or parse_targets(settings)
    if settings.max_retries < 0:
        raise ConfigError("APILAB_MAX_RETRIES cannot be negative.")
    policy = RetryPolicy(max_retries=settings.max_retries, base=settings.retry_base,
                         cap=settings.retry_cap, retry_after_cap=settings.retry_after_cap)
    extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    fallback_targets: list[FallbackTarget] = []
    budget_targets: list[Target] = []
    shown: list[dict[str, Any]] = []
    for name, model in chain:
        adapter: Provider | None = None
        handler: Handler
        try:
            adapter = providers[name] if providers and name in providers \
                else get_provider(name, settings)
        except CallError as exc:  # e.g. NeedsKeyError: keep the target, fail clearly
            handler = _Unavailable(exc)
            model = model or "default"
            shown.append({"provider": name, "model": model, "available": False,
                          "reason": str(exc)})
            budget_targets.append(Target(name, model, billable=False))
            fallback_targets.append(FallbackTarget(name, model, handler))
            continue
        model = model or getattr(adapter, "default_model", "default")
        handler = TimeoutLayer(adapter, connect_timeout=settings.connect_timeout,
                               read_timeout=settings.read_timeout)
        handler = RateLimitLayer(handler, store, name=f"{name}:{model}:{adapter.key_scope}",
                                 rpm=settings.rpm_limit if adapter.billable else 0,
                                 tpm=settings.tpm_limit if adapter.billable else 0,
                                 window_s=rate_window_s, **extra)
        handler = RetryLayer(handler, policy, **extra)
        fallback_targets.append(FallbackTarget(name, model, handler))
        budget_targets.append(Target(name, model, billable=adapter.billable))
        shown.append({**adapter.describe(), "model": model, "available": True})
    handler = FallbackLayer(fallback_targets)
    handler = BudgetLayer(handler, store, limits_from_settings(settings),
                          targets=budget_targets, fail_open=settings.budget_fail_open,
                          seed=getattr(sink, "spent_since", None))
    handler = CacheLayer(handler, store, ttl_s=settings.cache_ttl)
    handler = LedgerLayer(handler, sink, total_deadline=settings.total_deadline)
    return CallStack(handler=handler, targets=shown, store=store)
