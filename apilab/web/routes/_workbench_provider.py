"""The workbench's path to a real provider: through the call layer, with the wire tapped.

A real provider costs money, so the workbench never calls one directly: it
builds the project's call stack for one target (ledger → cache → budget →
retry → rate limit → timeout → adapter), so the learner's budget, the usage
ledger and the retry policy all apply. To still show the raw exchange, the
adapter's SDK gets an httpx client whose transport is wrapped in ``TapTransport``
(the "debugging transport that delegates to an inner transport" pattern from
httpx's docs): every request, response head and body chunk is copied to a queue
that the route turns into page events, with keys redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx2

from apilab.errors import BudgetExceededError, CallError, QuotaExhaustedError

if TYPE_CHECKING:
    from apilab.settings import Settings

__all__ = ["TapTransport", "call_provider"]


class _TeeStream(httpx2.AsyncByteStream):
    """Passes body chunks through and copies each one to the tap."""

    def __init__(self, inner: httpx2.AsyncByteStream, tap: asyncio.Queue[tuple[str, Any]],
                 n: int) -> None:
        self._inner = inner
        self._tap = tap
        self._n = n

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._tap.put_nowait(("chunk", (self._n, chunk)))
            yield chunk

    async def aclose(self) -> None:
        self._tap.put_nowait(("end", (self._n, None)))
        await self._inner.aclose()


class TapTransport(httpx2.AsyncBaseTransport):
    """Delegate to ``inner``; copy each request, response head and body chunk to ``tap``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport,
                 tap: asyncio.Queue[tuple[str, Any]]) -> None:
        self.inner = inner
        self.tap = tap
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent += 1
        n = self.sent
        body = await request.aread()
        self.tap.put_nowait(("request", (n, {
            "method": request.method, "url": str(request.url),
            "headers": dict(request.headers), "body": body.decode("utf-8", errors="replace"),
        })))
        response = await self.inner.handle_async_request(request)
        self.tap.put_nowait(("response", (n, {
            "status": response.status_code, "headers": dict(response.headers),
            "http_version": response.extensions.get("http_version", b"HTTP/1.1").decode(),
        })))
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(response.status_code, headers=response.headers,
                              stream=_TeeStream(response.stream, self.tap, n),
                              extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _adapter(style: str, key: str, base_url: str, http_client: httpx2.AsyncClient,
             settings: Settings) -> Any:
    timeouts = {"connect_timeout": settings.connect_timeout,
                "read_timeout": settings.read_timeout}
    if style == "anthropic":
        from apilab.providers.anthropic import AnthropicProvider

        # The Anthropic SDK appends /v1/messages itself.
        return AnthropicProvider(api_key=key, base_url=base_url.removesuffix("/v1"),
                                 http_client=http_client, **timeouts)
    from apilab.providers.openai import OpenAIProvider

    return OpenAIProvider(api_key=key, base_url=base_url, http_client=http_client, **timeouts)


async def call_provider(
    settings: Settings, *, style: str, key: str, base_url: str,
    inner: httpx2.AsyncBaseTransport | None, model: str, system: str, user: str,
    max_tokens: int, temperature: float, stream: bool, learner: str,
) -> AsyncIterator[tuple[str, Any]]:
    """Run one call through the stack; yield tap events, then ``("done", info)``.

    ``info`` holds ``result`` (a ``Result`` or None), ``error`` (the ``CallError``
    or None), ``record`` (the call's ``CallRecord``) and ``total_ms``.
    """
    from apilab.calls.base import Call, Final
    from apilab.calls.stack import build_stack

    tap: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    http_client = httpx2.AsyncClient(transport=TapTransport(inner or httpx2.AsyncHTTPTransport(),
                                                           tap))
    adapter = _adapter(style, key, base_url, http_client, settings)
    stack = build_stack(settings, providers={style: adapter}, targets=[(style, model)])
    call = Call(provider=style, model=model, messages=[{"role": "user", "content": user}],
                system=system.strip() or None, max_tokens=max_tokens, temperature=temperature,
                learner=learner, lab="api-basics", purpose="workbench", cache=False)
    started = time.perf_counter()
    info: dict[str, Any] = {"result": None, "error": None, "record": call.record}

    async def run() -> None:
        try:
            if stream:
                async with contextlib.aclosing(stack.astream(call)) as events:
                    async for event in events:
                        if isinstance(event, Final):
                            info["result"] = event.result
            else:
                info["result"] = await stack.ahandle(call)
        except CallError as exc:
            info["error"] = exc
        finally:
            tap.put_nowait(("_finished", None))

    task = asyncio.create_task(run())
    try:
        while True:
            name, data = await tap.get()
            if name == "_finished":
                break
            yield name, data
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await stack.aclose()
        await http_client.aclose()
    info["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
    yield "done", info


def error_outcome(exc: CallError) -> tuple[int | None, dict[str, Any], str | None]:
    """(status, error body for the page, special outcome or None) for a failed call."""
    body = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, BudgetExceededError):
        return None, body, "budget"
    if isinstance(exc, QuotaExhaustedError):
        return exc.status, body, "quota"
    return exc.status, body, None
