"""An httpx transport that runs an ASGI app and streams its body in lock-step.

``httpx2.ASGITransport`` buffers the whole body, so a client can never stop a stream
half-way. Here each body chunk is handed over only when the client asks for it, and the
app's ``send`` returns only once the client has taken that chunk: the server-side count
of "pieces sent" therefore equals the pieces the client read. Closing the response
disconnects the client and cancels the app, as a dropped TCP connection would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2


class _Body(httpx2.AsyncByteStream):
    def __init__(self, queue: asyncio.Queue[Any], task: asyncio.Task[None],
                 disconnected: asyncio.Event) -> None:
        self.queue, self.task, self.disconnected = queue, task, disconnected

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            item = await self.queue.get()
            if isinstance(item, BaseException):
                raise httpx2.ReadError(str(item)) from item
            chunk, taken = item
            if chunk is None:
                return
            taken.set()
            yield chunk

    async def aclose(self) -> None:
        self.disconnected.set()
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task  # the app's finally (billing) has run when this returns


class LockstepASGITransport(httpx2.AsyncBaseTransport):
    """Serve requests from an ASGI app with unbuffered, lock-step streaming."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        scope = {
            "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": request.method,
            "scheme": request.url.scheme, "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query, "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000), "server": (request.url.host, request.url.port or 80),
        }
        queue: asyncio.Queue[Any] = asyncio.Queue()
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = \
            asyncio.get_running_loop().create_future()
        disconnected = asyncio.Event()
        sent_request = False
        finished = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_request
            if not sent_request:
                sent_request = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result((message["status"], message.get("headers", [])))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if chunk:
                    taken = asyncio.Event()
                    await queue.put((chunk, taken))
                    await taken.wait()  # lock-step: returns once the client has read it
                if not message.get("more_body", False):
                    nonlocal finished
                    finished = True
                    await queue.put((None, None))

        async def run_app() -> None:
            try:
                await self.app(scope, receive, send)
            except BaseException as exc:
                if not started.done():
                    started.set_exception(exc)
                await queue.put(exc)
                raise
            else:
                if not finished:  # the app dropped the connection mid-body
                    await queue.put(ConnectionResetError(
                        "peer closed connection without sending complete message body"))

        task = asyncio.create_task(run_app())
        status, headers = await started
        return httpx2.Response(status, headers=headers, stream=_Body(queue, task, disconnected),
                              request=request)
