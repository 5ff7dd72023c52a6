"""Bench: the figures behind issue 10's bars, against a live lab server on loopback.

Usage (from the repo root):

    .venv/bin/python bench/security.py [--runs 5]

Starts `create_app` under uvicorn in a temporary data dir and prints, per case,
the worst of ``--runs`` tries:

- the 131-character private-key chat message: reply time, and the slowest
  ``/healthz`` answered while it ran (bars: < 1 s, < 100 ms);
- ``pattern: (a|aa)+$`` on 5,001 characters through ``/api/prompts/validate``;
- a ``$ref`` to a server that holds the connection for 25 s (and how many
  requests that server received: must be 0);
- a folder scan of a folder holding a FIFO and (as root) ``/dev/zero``'s device
  node (bar: < 2 s);
- a 100 MB body (413) and a 1,000,000-character single-letter prompt counted by
  the sandbox.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.server
import os
import socket
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(app: object, port: int) -> object:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


class _Hold(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        time.sleep(25)

    def log_message(self, *args: object) -> None:
        pass


def _probe(base: str, stop: float, times: list[float]) -> None:
    """Time ``/healthz`` every 20 ms until ``stop``."""
    with httpx.Client(base_url=base) as client:
        while time.monotonic() < stop:
            times.append(_timed(lambda: client.get("/healthz")))
            time.sleep(0.02)


def _timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="apilab-sec-bench-"))
    os.environ["APILAB_DATA_DIR"] = str(data)
    from apilab.sandbox.keys import ensure_lab_key
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    port = _port()
    app = create_app(get_settings(port=port))
    server = _serve(app, port)
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=120)
    rows: list[tuple[str, str]] = []

    message = "-----BEGIN PRIVATE KEY-----\n" + "a: " * 34 + "!"
    worst_reply = worst_health = 0.0
    for _ in range(args.runs):
        health: list[float] = []
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(_probe, base, time.monotonic() + 1.0, health)
            reply = _timed(lambda: client.post("/api/labs/api-basics/messages",
                                               json={"message": message}))
            future.result()
        worst_reply, worst_health = max(worst_reply, reply), max(worst_health, max(health))
    rows.append(("131-char private-key message (reply)", f"{worst_reply * 1000:.0f} ms"))
    rows.append(("/healthz during it (slowest)", f"{worst_health * 1000:.1f} ms"))

    evil = {"output": '"' + "a" * 5000 + '!"', "schema_text": '{"pattern": "(a|aa)+$"}'}
    worst = max(_timed(lambda: client.post("/api/prompts/validate", json=evil))
                for _ in range(args.runs))
    rows.append(("pattern (a|aa)+$ on 5,001 chars (422)", f"{worst * 1000:.0f} ms"))

    hold = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hold)
    hold.daemon_threads = True
    threading.Thread(target=hold.serve_forever, daemon=True).start()
    ref = {"output": "1", "schema_text": f'{{"$ref": "http://127.0.0.1:{hold.server_address[1]}/x"}}'}
    worst = max(_timed(lambda: client.post("/api/prompts/validate", json=ref))
                for _ in range(args.runs))
    rows.append(("$ref to a server holding 25 s (422)",
                 f"{worst * 1000:.0f} ms, {_Hold.hits} request(s) reached it"))

    folder = data / "workspace" / "proj"
    folder.mkdir(parents=True)
    (folder / "app.py").write_text("x = 1\n")
    os.mkfifo(folder / "pipe")
    if os.geteuid() == 0:
        os.mknod(folder / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    client.get(f"/?local={app.state.tokens.local}")  # type: ignore[attr-defined]
    worst = max(_timed(lambda: client.post("/api/scan/path", json={"path": str(folder)}))
                for _ in range(args.runs))
    rows.append(("folder with a FIFO and /dev/zero's node", f"{worst * 1000:.0f} ms"))

    worst = max(_timed(lambda: client.post("/api/scan/text", content=b"x" * 100_000_000,
                                           headers={"Content-Type": "application/json"}))
                for _ in range(2))
    rows.append(("100 MB body (413)", f"{worst * 1000:.0f} ms"))
    secret = ensure_lab_key(app.state.db, app.state.settings)  # type: ignore[attr-defined]
    big = {"model": "gpt-4o-mini", "max_tokens": 5,
           "messages": [{"role": "user", "content": "a" * 1_000_000}]}
    worst = max(_timed(lambda: client.post("/sandbox/v1/chat/completions", json=big,
                                           headers={"Authorization": f"Bearer {secret}"}))
                for _ in range(2))
    rows.append(("sandbox prompt of 1,000,000 'a' (count)", f"{worst * 1000:.0f} ms"))

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    server.should_exit = True  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
