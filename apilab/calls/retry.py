"""Retry with exponential backoff and jitter: the only retry loop in the stack.

The decision comes from the error alone (``CallError.retryable``, set by the
adapters' classification table in ``providers/base.py``); this module keeps no
list of status codes. Rules, in order:

1. a non-retryable error (400/401/403/404/422, ``insufficient_quota``, a
   spending cap, our own budget) is raised at once;
2. an error after streamed output reached the caller becomes
   ``StreamInterruptedError`` and is never retried (the learner would see the
   text twice);
3. after ``max_retries`` retries the last error is raised;
4. a server hint (``retry_after``, from ``retry-after-ms`` / ``retry-after``) is
   honoured exactly; a hint above ``retry_after_cap`` gives up at once, because
   retrying earlier than the server asked only earns another 429;
5. otherwise wait ``base * 2**n`` capped at ``cap``, with "equal jitter"
   (uniform in the upper half), so clients spread out but never retry instantly;
6. if the wait would pass the call's deadline, give up now with
   ``DeadlineExceededError`` instead of sleeping into a certain failure.

Every attempt is recorded on ``call.record`` with its cause and the wait after it.

Why a hand-written loop and not ``tenacity.AsyncRetrying``: a stream is an
async generator that tenacity cannot resume or re-enter, rule 2 needs to know
whether a chunk was already yielded, and rules 4 and 6 need the error and the
deadline together; expressing those as tenacity callbacks ended up longer than
this loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable

from apilab.calls.base import Call, Chunk, Final, Handler, Layer, Result, StreamEvent
from apilab.errors import CallError, DeadlineExceededError, StreamInterruptedError

__all__ = ["RetryLayer", "RetryPolicy"]

log = logging.getLogger(__name__)


class RetryPolicy:
    """Backoff arithmetic and the give-up rules, separate so tests can table them."""

    def __init__(
        self,
        *,
        max_retries: int = 4,
        base: float = 0.5,
        cap: float = 20.0,
        retry_after_cap: float = 60.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.max_retries = max_retries
        self.base = base
        self.cap = cap
        self.retry_after_cap = retry_after_cap
        self.rng = rng

    def backoff(self, retry_number: int) -> float:
        """Wait before retry ``retry_number`` (1-based): equal jitter over base*2**(n-1)."""
        ceiling = min(self.cap, self.base * 2 ** (retry_number - 1))
        return ceiling / 2 + self.rng() * ceiling / 2

    def decide(self, exc: CallError, attempts_made: int, remaining: float | None) -> tuple[
        float, str
    ]:
        """Return (wait seconds, reason) for another attempt, or raise the error to give up."""
        if not exc.retryable:
            raise exc
        if attempts_made > self.max_retries:
            raise exc
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            if hint > self.retry_after_cap:
                raise DeadlineExceededError(
                    f"Gave up after attempt {attempts_made}: the server asked us to wait "
                    f"{hint:.1f} s (Retry-After), more than the {self.retry_after_cap:g} s cap "
                    f"(APILAB_RETRY_AFTER_CAP). Last error: {exc}",
                    status=exc.status, provider=exc.provider, request_id=exc.request_id,
                ) from exc
            wait, reason = hint, "retry-after"
        else:
            wait, reason = self.backoff(attempts_made), "backoff"
        if remaining is not None and wait >= remaining:
            raise DeadlineExceededError(
                f"Gave up after attempt {attempts_made}: the next retry would wait {wait:.1f} s "
                f"but only {max(remaining, 0):.1f} s remain of the call's deadline "
                f"(APILAB_TOTAL_DEADLINE). Last error: {exc}",
                status=exc.status, provider=exc.provider, request_id=exc.request_id,
            ) from exc
        return wait, reason


class RetryLayer(Layer):
    """Retry retryable failures of one target; record every attempt."""

    def __init__(
        self,
        inner: Handler,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(inner)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep

    async def ahandle(self, call: Call) -> Result:
        record = call.record
        while True:
            attempt = record.begin_attempt(call.provider, call.model)
            try:
                result = await self.inner.ahandle(call)
            except CallError as exc:
                attempt.finish("error", error=exc)
                try:
                    wait, reason = self.policy.decide(exc, _made(call), call.remaining())
                except CallError as final:
                    if final is not exc:
                        attempt.cause = f"{attempt.cause} -> gave up: {type(final).__name__}"
                    raise
                attempt.wait_s, attempt.wait_reason = wait, reason
                log.info("retrying %s/%s in %.2fs (%s): %s", call.provider, call.model, wait,
                         reason, type(exc).__name__)
                await self._sleep(wait)
                continue
            except BaseException as exc:
                attempt.finish("cancelled", error=exc)
                raise
            attempt.request_id = result.request_id or attempt.request_id
            attempt.usage = result.usage
            attempt.finish("ok")
            return result

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        record = call.record
        while True:
            attempt = record.begin_attempt(call.provider, call.model)
            shown = False
            try:
                async with contextlib.aclosing(self.inner.astream(call)) as stream:
                    async for event in stream:
                        if isinstance(event, Final):
                            attempt.request_id = event.result.request_id or attempt.request_id
                            attempt.usage = event.result.usage
                            attempt.finish("ok")
                        elif isinstance(event, Chunk) and event.text:
                            shown = True
                        yield event
                if attempt.outcome == "pending":
                    attempt.finish("ok")
                return
            except CallError as exc:
                attempt.finish("error", error=exc)
                if shown:
                    raise StreamInterruptedError(
                        f"The reply broke off after part of it was shown ({exc}). It is not "
                        "retried, so no text is shown twice; ask again to get a full reply.",
                        status=exc.status, provider=exc.provider, request_id=exc.request_id,
                    ) from exc
                wait, reason = self.policy.decide(exc, _made(call), call.remaining())
                attempt.wait_s, attempt.wait_reason = wait, reason
                await self._sleep(wait)
            except BaseException as exc:  # cancelled / closed by the consumer
                if attempt.outcome == "pending":
                    attempt.finish("cancelled", error=exc if isinstance(exc, Exception) else None)
                raise


def _made(call: Call) -> int:
    """Attempts made so far at the current target (a fallback starts a fresh count)."""
    return sum(
        1 for a in call.record.attempts if a.provider == call.provider and a.model == call.model
    )
