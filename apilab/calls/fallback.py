"""Fallback chain: try each configured target in order until one answers.

Like httpx ``mounts``, the layer holds one inner chain per target (each with its
own retry, rate limit, timeout and adapter), e.g. ``openai:gpt-4o`` ->
``openai:gpt-4o-mini`` -> ``offline``. A target is abandoned only after its own
retries are spent (or at once, for non-retryable errors such as a bad key).
Which target answered, and why each earlier one was skipped, goes on
``call.record`` (``answered_by``, ``fallbacks``) for the ledger and inspector.

Never falls back after streamed output reached the caller
(``StreamInterruptedError``): a second answer would be glued onto the first.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence

from apilab.calls.base import Call, Chunk, Handler, Result, StreamEvent
from apilab.errors import CallError, StreamInterruptedError

__all__ = ["FallbackLayer", "FallbackTarget"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class FallbackTarget:
    """One entry of the chain: where to send the call and the chain that gets it there."""

    provider: str
    model: str
    handler: Handler

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.model}"


class FallbackLayer(Handler):
    """Route the call down the first target that answers."""

    def __init__(self, targets: Sequence[FallbackTarget]) -> None:
        if not targets:
            raise ValueError("a fallback chain needs at least one target")
        self.targets = list(targets)

    def _skip(self, call: Call, target: FallbackTarget, exc: CallError, last: bool) -> None:
        if isinstance(exc, StreamInterruptedError) or last:
            raise exc
        call.record.fallbacks.append(
            {"from": target.label, "error": type(exc).__name__, "reason": str(exc)[:300]}
        )
        log.warning("falling back from %s: %s", target.label, type(exc).__name__)

    async def ahandle(self, call: Call) -> Result:
        for index, target in enumerate(self.targets):
            try:
                result = await target.handler.ahandle(call.for_target(target.provider,
                                                                      target.model))
            except CallError as exc:
                self._skip(call, target, exc, index == len(self.targets) - 1)
                continue
            call.record.answered_by = target.label
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        for index, target in enumerate(self.targets):
            shown = False
            try:
                sub = call.for_target(target.provider, target.model)
                async with contextlib.aclosing(target.handler.astream(sub)) as stream:
                    async for event in stream:
                        if isinstance(event, Chunk) and event.text and not shown:
                            shown = True
                            call.record.answered_by = target.label
                        yield event
                call.record.answered_by = target.label
                return
            except CallError as exc:
                if shown:
                    raise
                self._skip(call, target, exc, index == len(self.targets) - 1)

    async def aclose(self) -> None:
        for target in self.targets:
            await target.handler.aclose()
