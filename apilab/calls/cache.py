"""Optional exact-match response cache with a TTL.

The key is a SHA-256 over everything that shapes the answer (provider, model,
system prompt, messages, tools, max_tokens, temperature, response format), so
only byte-identical requests hit. Off when ``cache_ttl`` is 0 (the default),
and off by default for conversation turns even when on: replaying a stored
reply into a live conversation is the stale-answer bug gateways warn about.
A call opts in or out explicitly with ``call.cache = True/False``.

Only complete answers are stored (a stream that was cut off is not). A hit is
recorded on ``call.record.cache_hit`` and costs nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from apilab.calls.base import (
    USE_DEFAULT,
    Call,
    Chunk,
    Final,
    Handler,
    Layer,
    Result,
    StreamEvent,
    ToolCall,
    Usage,
)
from apilab.calls.state.base import StateStore, StoreUnavailableError

__all__ = ["CacheLayer", "cache_key"]

log = logging.getLogger(__name__)


def cache_key(call: Call) -> str:
    """The exact-match key of a call."""
    shape = {
        "provider": call.provider, "model": call.model, "system": call.system,
        "messages": call.messages, "tools": call.tools, "max_tokens": call.max_tokens,
        "temperature": call.temperature, "response_format": call.response_format,
    }
    blob = json.dumps(shape, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _dump(result: Result) -> str:
    data = dataclasses.asdict(result)
    data.pop("raw", None)
    data.pop("rate_limit", None)
    return json.dumps(data, default=str)


def _load(text: str) -> Result:
    data: dict[str, Any] = json.loads(text)
    data["usage"] = Usage(**data["usage"]) if data.get("usage") else None
    data["tool_calls"] = [ToolCall(**tc) for tc in data.get("tool_calls") or []]
    data["cached"] = True
    return Result(**data)


class CacheLayer(Layer):
    """Serve identical requests from the store within the TTL."""

    def __init__(self, inner: Handler, store: StateStore, *, ttl_s: float) -> None:
        super().__init__(inner)
        self.store = store
        self.ttl_s = ttl_s

    def enabled_for(self, call: Call) -> bool:
        if self.ttl_s <= 0:
            return False
        if call.cache is USE_DEFAULT:
            return call.purpose != "conversation"
        return bool(call.cache)

    async def _get(self, key: str) -> Result | None:
        try:
            text = await self.store.cache_get(key)
        except StoreUnavailableError:
            return None  # a cache outage only costs a miss
        return _load(text) if text else None

    async def _put(self, key: str, result: Result) -> None:
        if result.finish_reason in (None, "error") or result.cached:
            return
        with contextlib.suppress(StoreUnavailableError):
            await self.store.cache_set(key, _dump(result), self.ttl_s)

    def _hit(self, call: Call, result: Result) -> Result:
        call.record.cache_hit = True
        call.record.answered_by = f"{result.provider}:{result.model}"
        call.record.usage = result.usage
        call.record.status = "ok"
        return result

    async def ahandle(self, call: Call) -> Result:
        if not self.enabled_for(call):
            return await self.inner.ahandle(call)
        key = cache_key(call)
        hit = await self._get(key)
        if hit is not None:
            return self._hit(call, hit)
        result = await self.inner.ahandle(call)
        await self._put(key, result)
        return result

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        if not self.enabled_for(call):
            async with contextlib.aclosing(self.inner.astream(call)) as stream:
                async for event in stream:
                    yield event
            return
        key = cache_key(call)
        hit = await self._get(key)
        if hit is not None:
            self._hit(call, hit)
            if hit.text:
                call.record.mark_first_token()
                yield Chunk(hit.text)
            yield Final(hit)
            return
        async with contextlib.aclosing(self.inner.astream(call)) as stream:
            async for event in stream:
                if isinstance(event, Final):
                    await self._put(key, event.result)
                yield event
