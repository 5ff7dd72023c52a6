"""Sandbox fixtures: its database, app, keys, an in-process async client and a live server.

The sync SDK clients need a real socket (httpx's ASGITransport is async-only),
so ``live_sandbox`` runs uvicorn on a free port in a thread, as
tests/e2e/conftest.py does for the lab server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from apilab.settings import Settings


@dataclass
class LiveSandbox:
    """A sandbox served on a real port."""

    url: str  # base URL without /v1 (the Anthropic SDK's base)
    db: Any
    app: Any

    @property
    def v1(self) -> str:
        return self.url + "/v1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox_db(settings: Settings):  # type: ignore[no-untyped-def]
    from apilab.storage.db import open_database

    return open_database(settings.db_url)


@pytest.fixture
def sandbox_app(settings: Settings, sandbox_db):  # type: ignore[no-untyped-def]
    from apilab.sandbox.app import create_sandbox_app

    return create_sandbox_app(settings, sandbox_db)


@pytest.fixture
def make_key(sandbox_db) -> Callable[..., tuple[Any, str]]:  # type: ignore[no-untyped-def]
    """Create a key (tier-1 unless told otherwise); returns (record, secret)."""
    from apilab.sandbox.keys import create_key

    def make(**kwargs: Any) -> tuple[Any, str]:
        kwargs.setdefault("name", "test")
        return create_key(sandbox_db, **kwargs)

    return make


@pytest.fixture
def secret(make_key) -> str:  # type: ignore[no-untyped-def]
    return make_key()[1]


@pytest.fixture
async def aclient(sandbox_app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


@pytest.fixture
def live_sandbox(sandbox_app, sandbox_db) -> Iterator[LiveSandbox]:  # type: ignore[no-untyped-def]
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(sandbox_app, host="127.0.0.1", port=port,
                                           log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    assert server.started, "sandbox server did not start"
    yield LiveSandbox(f"http://127.0.0.1:{port}", sandbox_db, sandbox_app)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def oai(live_sandbox: LiveSandbox, secret: str):  # type: ignore[no-untyped-def]
    """The official openai client pointed at the live sandbox (no retries)."""
    import openai

    client = openai.OpenAI(base_url=live_sandbox.v1, api_key=secret, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def ant(live_sandbox: LiveSandbox, secret: str):  # type: ignore[no-untyped-def]
    """The official anthropic client pointed at the live sandbox (no retries)."""
    import anthropic

    client = anthropic.Anthropic(base_url=live_sandbox.url, api_key=secret, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
