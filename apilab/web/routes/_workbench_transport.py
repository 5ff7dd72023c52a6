"""An httpx transport that calls an ASGI app in-process and *streams* the response.

The Lab 1 workbench sends its requests to the sandbox mounted in the same
server. ``httpx2.ASGITransport`` would do, except that it runs the app to the
end and buffers the whole body before returning, so SSE events would reach
the page all at once and time-to-first-token would be meaningless. This
transport hands each ``http.response.body`` message to the caller as it is
sent, honours httpx's read timeout, and tells the app the client went away
when the response is closed early.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2

__all__ = ["StreamingASGITransport"]

_END = object()


class _QueueStream(httpx2.AsyncByteStream):
    """Body chunks as the app sends them; closing it disconnects the app."""

    def __init__(self, queue: asyncio.Queue[Any], task: asyncio.Task[None],
                 disconnected: asyncio.Event, read_timeout: float | None) -> None:
        self._queue = queue
        self._task = task
        self._disconnected = disconnected
        self._timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), self._timeout)
            except TimeoutError as exc:
                raise httpx2.ReadTimeout("No data from the server within the read timeout.") \
                    from exc
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise httpx2.RemoteProtocolError(
                    f"The server broke off the response: {item}"
                ) from item
            yield item

    async def aclose(self) -> None:
        self._disconnected.set()
        # Give the app a moment to see the disconnect and clean up (a sandbox stream settles
        # its billing in a ``finally``); cancel it only if it does not stop by itself.
        await asyncio.wait({self._task}, timeout=1.0)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


class StreamingASGITransport(httpx2.AsyncBaseTransport):
    """Send httpx requests to an ASGI app in this process, streaming the response body."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "root_path": "",
            "server": (request.url.host, request.url.port or 80),
            "client": self.client,
        }
        queue: asyncio.Queue[Any] = asyncio.Queue()
        started = asyncio.Event()
        disconnected = asyncio.Event()
        head: dict[str, Any] = {}
        body_sent = False

        async def receive() -> dict[str, Any]:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                head["status"] = message["status"]
                head["headers"] = message.get("headers", [])
                started.set()
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if chunk:
                    await queue.put(chunk)
                if not message.get("more_body", False):
                    await queue.put(_END)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            except Exception as exc:  # noqa: BLE001 - surfaced to the caller below
                head.setdefault("error", exc)
                await queue.put(exc)
            finally:
                started.set()
                await queue.put(_END)

        task = asyncio.create_task(run())
        try:
            await asyncio.wait_for(started.wait(), read_timeout)
        except TimeoutError as exc:
            task.cancel()
            raise httpx2.ReadTimeout("The server sent no response within the read timeout.",
                                    request=request) from exc
        if "status" not in head:
            error = head.get("error")
            raise httpx2.RemoteProtocolError(
                f"The server closed the connection without a response ({error}).",
                request=request,
            )
        stream = _QueueStream(queue, task, disconnected, read_timeout)
        return httpx2.Response(head["status"], headers=head["headers"], stream=stream,
                              request=request)
