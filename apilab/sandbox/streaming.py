"""The streamed response class and the pacing both providers' streams share.

``SSEResponse`` sends whatever the body iterator yields; when the iterator
yields ``DISCONNECT`` it stops without finishing the chunked body, so the
server drops the connection mid-stream exactly as a failing provider would
(the client sees an incomplete read). The body iterator is always closed, even
when the client goes away, so its ``finally`` can bill what was really sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Send

from apilab.sandbox.chaos import ChaosDecision

__all__ = ["DISCONNECT", "Pacer", "SSEResponse"]

DISCONNECT = b"\x00apilab-disconnect\x00"


class SSEResponse(StreamingResponse):
    """A ``text/event-stream`` response that can drop its connection on purpose."""

    media_type = "text/event-stream"

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        iterator: Any = self.body_iterator
        try:
            async for chunk in iterator:
                if chunk is DISCONNECT:
                    return  # leave the body unfinished: the server closes the connection
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()


class Pacer:
    """Sleeps the chaos profile asks for: before the first token and between tokens."""

    def __init__(self, decision: ChaosDecision | None, total_pieces: int) -> None:
        self.decision = decision
        self.total = max(1, total_pieces)
        self.gap = 1.0 / decision.tokens_per_s if decision and decision.tokens_per_s else 0.0
        self.disconnect_after = (int(self.total * decision.disconnect_at)
                                 if decision and decision.disconnect_at is not None else None)
        self.malformed_after = (int(self.total * decision.malformed_at)
                                if decision and decision.malformed_at is not None else None)
        self.error_after = (int(self.total * decision.stream_error_at)
                            if decision and decision.stream_error_at is not None else None)

    async def first_token(self) -> None:
        if self.decision is not None and self.decision.ttft_s:
            await asyncio.sleep(self.decision.ttft_s)

    async def between(self, sent: int = 0) -> None:
        """Pause after a token: the paced gap, or a yield to the loop every 8 tokens."""
        if self.gap:
            await asyncio.sleep(self.gap)
        elif sent % 8 == 0:
            # Yield to the loop now and then so one fast stream cannot starve the others.
            await asyncio.sleep(0)
