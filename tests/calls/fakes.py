"""Fake inner handlers for testing one layer at a time (like httpx.MockTransport)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from apilab.calls.base import Call, Chunk, Final, Handler, Result, StreamEvent, Usage


def ok(text: str = "hello world", *, input_tokens: int = 10, output_tokens: int = 5,
       **kw: Any) -> Result:
    return Result(text=text, provider=kw.pop("provider", "fake"), model=kw.pop("model", "gpt-4o"),
                  finish_reason="stop", usage=Usage(input_tokens, output_tokens), **kw)


class Script(Handler):
    """Answers from a list of outcomes: a Result, an exception to raise, or a callable."""

    def __init__(self, *outcomes: Any, chunks: list[str] | None = None,
                 fail_after: int | None = None, delay: float = 0.0) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[Call] = []
        self.chunks = chunks
        self.fail_after = fail_after  # streams: raise the outcome after this many chunks
        self.delay = delay
        self.closed = 0

    def _next(self) -> Any:
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]

    async def ahandle(self, call: Call) -> Result:
        self.calls.append(call)
        outcome = self._next()
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(outcome, BaseException):
            raise outcome
        if callable(outcome):
            return outcome(call)
        return outcome

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        self.calls.append(call)
        outcome = self._next()
        try:
            if isinstance(outcome, BaseException) and self.fail_after is None:
                raise outcome
            pieces = self.chunks or ["hello", " world"]
            for i, piece in enumerate(pieces):
                if self.fail_after is not None and i == self.fail_after:
                    raise outcome
                if self.delay:
                    await asyncio.sleep(self.delay)
                call.record.streamed_text += piece
                call.record.streamed_output_tokens += 1
                yield Chunk(piece)
            result = outcome if isinstance(outcome, Result) else ok("".join(pieces))
            yield Final(result)
        finally:
            self.closed += 1


async def collect(stream: AsyncIterator[StreamEvent]) -> tuple[str, Result | None]:
    text, final = "", None
    async for event in stream:
        if isinstance(event, Chunk):
            text += event.text
        else:
            final = event.result
    return text, final


class NoSleep:
    """A sleep that records waits and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
