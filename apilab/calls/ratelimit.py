"""Client-side RPM and TPM limits per provider/model/key.

Before each attempt the layer reserves, atomically in the ``StateStore``, one
request (RPM) and ``input tokens + max_tokens`` (TPM) in a sliding window; after
it, the TPM entry is settled to the tokens actually used. Reserving the worst
case up front is what stops concurrent requests from all passing a check that
only later sees their usage (the LiteLLM #40291 / #6938 failure).

When the window is full the layer waits for the next slot if that fits in the
call's deadline, and otherwise gives up with ``DeadlineExceededError`` (never
retried: the retry layer above would only wait again). It also paces itself
from the provider: remaining=0 in ``x-ratelimit-*`` / ``anthropic-ratelimit-*``
headers, or a 429's ``Retry-After``, pauses admissions for this key until the
announced reset, across every process sharing the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from apilab.calls.base import Call, Final, Handler, Layer, RateLimitState, Result, StreamEvent
from apilab.calls.costs import estimate_input
from apilab.calls.state.base import StateStore, StoreUnavailableError, WindowDim
from apilab.errors import BadRequestError, CallError, DeadlineExceededError

__all__ = ["RateLimitLayer"]

log = logging.getLogger(__name__)


class RateLimitLayer(Layer):
    """Admit an attempt only within RPM/TPM; settle TPM to actual usage afterwards."""

    def __init__(
        self,
        inner: Handler,
        store: StateStore,
        *,
        name: str,
        rpm: int = 0,
        tpm: int = 0,
        window_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(inner)
        self.store = store
        self.name = name
        self.rpm = rpm
        self.tpm = tpm
        self.window_s = window_s
        self._sleep = sleep

    @property
    def active(self) -> bool:
        return bool(self.rpm or self.tpm)

    async def _acquire(self, call: Call) -> tuple[str, int]:
        """Reserve a slot; returns (member id, reserved tokens)."""
        estimate = call.record.estimated_input_tokens
        if estimate is None:
            estimate, method = estimate_input(call)
            call.record.estimated_input_tokens, call.record.token_method = estimate, method
        tokens = estimate + call.max_tokens
        if self.tpm and tokens > self.tpm:
            raise BadRequestError(
                f"This request needs up to {tokens:,} tokens (input {estimate:,} + max_tokens "
                f"{call.max_tokens:,}) but the client-side TPM limit is {self.tpm:,}: it can "
                "never be admitted. Lower max_tokens or shorten the prompt.",
                provider=call.provider,
            )
        dims = []
        if self.rpm:
            dims.append(WindowDim("rpm", self.rpm, 1))
        if self.tpm:
            dims.append(WindowDim("tpm", self.tpm, tokens))
        # Unique per attempt (a retry is a new attempt) without a random draw.
        member = f"{call.call_id}:{call.provider}:{len(call.record.attempts)}"
        while True:
            try:
                decision = await self.store.window_acquire(self.name, dims, member, self.window_s)
            except StoreUnavailableError as exc:
                raise CallError(f"{exc} Calls are refused until it is back.") from exc
            if decision.ok:
                return member, tokens
            remaining = call.remaining()
            what = {"rpm": f"{self.rpm} requests/min", "tpm": f"{self.tpm:,} tokens/min",
                    "pause": "the provider's announced reset"}.get(decision.dim or "", "limit")
            if remaining is not None and decision.retry_in >= remaining:
                raise DeadlineExceededError(
                    f"Client-side rate limit ({what}) for {call.provider}/{call.model}: the next "
                    f"slot opens in {decision.retry_in:.1f} s, after the call's deadline "
                    f"({max(remaining, 0):.1f} s left). Try again shortly.",
                    provider=call.provider,
                )
            attempt = call.record.current
            if attempt is not None:
                attempt.wait_reason = "rate-limit"
            call.record.notes.append(f"waited {decision.retry_in:.2f}s for {what}")
            await self._sleep(decision.retry_in)

    async def _settle(self, member: str, tokens: int) -> None:
        if not self.tpm:
            return
        try:
            await self.store.window_settle(self.name, "tpm", member, tokens, self.window_s)
        except StoreUnavailableError:
            log.warning("could not settle TPM for %s: store unreachable", self.name)

    async def _pace(self, state: RateLimitState | None, retry_after: float | None) -> None:
        """Pause admissions when the provider says we are out, until its reset."""
        pause = 0.0
        if retry_after:
            pause = retry_after
        if state is not None:
            if state.remaining_requests == 0 and state.reset_requests_s:
                pause = max(pause, state.reset_requests_s)
            if state.remaining_tokens == 0 and state.reset_tokens_s:
                pause = max(pause, state.reset_tokens_s)
        if pause > 0:
            with contextlib.suppress(StoreUnavailableError):
                await self.store.window_pause(self.name, pause)

    def _actual(self, call: Call, result: Result | None, reserved: int) -> int:
        if result is not None and result.usage is not None:
            return result.usage.total
        # No usage: the provider saw the prompt; bill what streamed out if anything did.
        estimate = call.record.estimated_input_tokens or 0
        return min(reserved, estimate + call.record.streamed_output_tokens)

    async def ahandle(self, call: Call) -> Result:
        if not self.active:
            return await self.inner.ahandle(call)
        member, reserved = await self._acquire(call)
        result: Result | None = None
        try:
            result = await self.inner.ahandle(call)
            await self._pace(result.rate_limit, None)
            return result
        except CallError as exc:
            await self._pace(getattr(exc, "rate_limit", None), getattr(exc, "retry_after", None))
            raise
        finally:
            await self._settle(member, self._actual(call, result, reserved))

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        if not self.active:
            async with contextlib.aclosing(self.inner.astream(call)) as stream:
                async for event in stream:
                    yield event
            return
        member, reserved = await self._acquire(call)
        result: Result | None = None
        try:
            async with contextlib.aclosing(self.inner.astream(call)) as stream:
                async for event in stream:
                    if isinstance(event, Final):
                        result = event.result
                        await self._pace(result.rate_limit, None)
                    yield event
        except CallError as exc:
            await self._pace(getattr(exc, "rate_limit", None), getattr(exc, "retry_after", None))
            raise
        finally:
            await self._settle(member, self._actual(call, result, reserved))
