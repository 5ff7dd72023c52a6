"""Deadline and timeouts for one attempt.

Three limits, all explicit:

- **connect** and **read** timeouts are resolved onto the ``Call`` here (from
  settings when the call gives none) and applied by the adapter's HTTP client;
- for streams, **read** also bounds the wait for the first chunk (time to first
  token) and between chunks, enforced here around each chunk -> a retryable
  ``ProviderTimeoutError``;
- the **total deadline** across all attempts (``call.deadline``, set by the
  ledger layer) bounds every attempt -> ``DeadlineExceededError``, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from apilab.calls.base import USE_DEFAULT, Call, Handler, Layer, Result, StreamEvent
from apilab.errors import DeadlineExceededError, ProviderTimeoutError

__all__ = ["TimeoutLayer"]


class TimeoutLayer(Layer):
    """Enforce connect/read timeouts and the total deadline on one attempt."""

    def __init__(self, inner: Handler, *, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(inner)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def _resolve(self, call: Call) -> float:
        if call.connect_timeout is USE_DEFAULT:
            call.connect_timeout = self.connect_timeout
        if call.read_timeout is USE_DEFAULT:
            call.read_timeout = self.read_timeout
        remaining = call.remaining()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceededError(
                "The call's total deadline ran out before this attempt could start. "
                "Raise APILAB_TOTAL_DEADLINE if slow providers are expected.",
                provider=call.provider,
            )
        return remaining if remaining is not None else float("inf")

    def _deadline_error(self, call: Call) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"{call.provider} did not finish within the call's total deadline. "
            "Raise APILAB_TOTAL_DEADLINE, or lower max_tokens.",
            provider=call.provider,
        )

    async def ahandle(self, call: Call) -> Result:
        remaining = self._resolve(call)
        try:
            async with asyncio.timeout(None if remaining == float("inf") else remaining):
                return await self.inner.ahandle(call)
        except TimeoutError as exc:
            raise self._deadline_error(call) from exc

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        self._resolve(call)
        read = float(call.read_timeout)  # type: ignore[arg-type]
        first = True
        async with contextlib.aclosing(self.inner.astream(call)) as stream:
            iterator = stream.__aiter__()
            while True:
                remaining = call.remaining()
                limit = read if remaining is None else min(read, remaining)
                if limit <= 0:
                    raise self._deadline_error(call)
                try:
                    async with asyncio.timeout(limit):
                        event = await anext(iterator)
                except StopAsyncIteration:
                    return
                except TimeoutError as exc:
                    remaining = call.remaining()
                    if remaining is not None and remaining <= 0:
                        raise self._deadline_error(call) from exc
                    what = "the first chunk" if first else "the next chunk"
                    raise ProviderTimeoutError(
                        f"{call.provider} sent nothing for {read:g} s while we waited for {what} "
                        "(read timeout, APILAB_READ_TIMEOUT).",
                        provider=call.provider,
                    ) from exc
                first = False
                yield event
