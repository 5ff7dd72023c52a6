"""Fixtures for the security suite: real servers on loopback ports, an attacker's site.

Every case of issue 10 is reproduced against a live uvicorn server (the same
app ``apilab serve`` runs), not an in-process client, so the front door,
threads, timeouts and sockets are the ones a learner's browser meets.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, browser, page  # noqa: F401 - fixtures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(app: Any, port: int) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:port in a thread."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def serve(settings) -> Iterator[Callable[..., tuple[str, Any]]]:  # type: ignore[no-untyped-def]
    """``serve(**overrides)`` starts the lab server with those settings; returns (url, app)."""
    from apilab.web.app import create_app

    stack = contextlib.ExitStack()

    def start(**overrides: Any) -> tuple[str, Any]:
        port = free_port()
        app = create_app(settings.with_overrides(port=port, **overrides))
        return stack.enter_context(running(app, port)), app

    with stack:
        yield start


@pytest.fixture
def lab(serve) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    """The lab server with default settings: (base URL, app)."""
    return serve()  # type: ignore[no-any-return]


class _Site(http.server.BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}
    hits: list[str] = []
    hold_seconds = 0.0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        if self.path.startswith("/hold"):
            time.sleep(type(self).hold_seconds)
        body = type(self).pages.get(self.path.split("?")[0], b'{"type": "integer"}')
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if body.startswith(b"<") else
                         "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_site() -> Iterator[tuple[str, type[_Site]]]:
    """Another web site on loopback: serves ``pages`` and records every request it gets."""
    handler = type("Site", (_Site,), {"pages": {}, "hits": [], "hold_seconds": 0.0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost", not 127.0.0.1: a different site from the lab in the browser's eyes.
    yield f"http://localhost:{server.server_address[1]}", handler
    server.shutdown()
