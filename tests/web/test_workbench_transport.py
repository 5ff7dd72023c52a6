"""The in-process streaming ASGI transport the workbench sends sandbox requests through."""

from __future__ import annotations

import asyncio

import httpx2
import pytest

from apilab.web.routes._workbench_transport import StreamingASGITransport


def test_chunks_reach_the_caller_while_the_app_is_still_sending() -> None:
    release = asyncio.Event()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
        await release.wait()  # a buffering transport would deadlock here
        await send({"type": "http.response.body", "body": b"data: 2\n\n", "more_body": False})

    async def main() -> list[bytes]:
        seen = []
        async with (
            httpx2.AsyncClient(transport=StreamingASGITransport(app)) as client,
            client.stream("GET", "http://lab/x") as response,
        ):
            assert response.status_code == 200
            async for chunk in response.aiter_raw():
                seen.append(chunk)
                release.set()
        return seen

    assert asyncio.run(asyncio.wait_for(main(), 5)) == [b"data: 1\n\n", b"data: 2\n\n"]


def test_request_line_headers_and_body_reach_the_app() -> None:
    got = {}

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        message = await receive()
        got.update(method=scope["method"], path=scope["path"], query=scope["query_string"],
                   headers=dict(scope["headers"]), body=message["body"])
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def main() -> httpx2.Response:
        async with httpx2.AsyncClient(transport=StreamingASGITransport(app)) as client:
            return await client.post("http://lab/sandbox/v1/messages?beta=1",
                                     headers={"x-api-key": "k"}, content=b'{"a":1}')

    response = asyncio.run(main())
    assert response.status_code == 201 and response.text == "ok"
    assert got["method"] == "POST" and got["path"] == "/sandbox/v1/messages"
    assert got["query"] == b"beta=1" and got["body"] == b'{"a":1}'
    assert got["headers"][b"x-api-key"] == b"k"


def test_a_server_that_never_answers_times_out() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await asyncio.sleep(30)

    async def main() -> None:
        timeout = httpx2.Timeout(5.0, read=0.2)
        async with httpx2.AsyncClient(transport=StreamingASGITransport(app),
                                     timeout=timeout) as client:
            await client.get("http://lab/")

    with pytest.raises(httpx2.ReadTimeout):
        asyncio.run(main())


def test_an_app_that_crashes_before_answering_is_a_protocol_error() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    async def main() -> None:
        async with httpx2.AsyncClient(transport=StreamingASGITransport(app)) as client:
            await client.get("http://lab/")

    with pytest.raises(httpx2.RemoteProtocolError, match="without a response"):
        asyncio.run(main())


def test_closing_early_tells_the_app_the_client_left() -> None:
    saw_disconnect = asyncio.Event()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        message = await receive()
        if message["type"] == "http.disconnect":
            saw_disconnect.set()

    async def main() -> None:
        async with (
            httpx2.AsyncClient(transport=StreamingASGITransport(app)) as client,
            client.stream("GET", "http://lab/") as response,
        ):
            async for _chunk in response.aiter_raw():
                break
        await asyncio.wait_for(saw_disconnect.wait(), 2)

    asyncio.run(main())
