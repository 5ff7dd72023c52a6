"""SIGKILL the server mid-stream: on restart the transcript is intact, the reply marked."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data_dir: Path, port: int, pace_ms: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "APILAB_DATA_DIR": str(data_dir), "APILAB_STREAM_PACE_MS": str(pace_ms),
           "APILAB_LOG_LEVEL": "warning", "APILAB_TUTOR_WORKERS": "1"}  # as serve runs
    proc = subprocess.Popen(
        [sys.executable, "-m", "apilab", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            # Up, with its tutor worker warmed (the kill below must take the worker too).
            if health.status_code == 200 and health.headers["x-tutor-worker"] == "ready":
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start, or its tutor worker never became ready")


def _events(response: httpx.Response):  # type: ignore[no-untyped-def]
    event = None
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            yield event, json.loads(line.split(":", 1)[1])


def test_sigkill_mid_stream_keeps_transcript_and_marks_reply(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port, pace_ms=0)
    try:
        # One complete exchange first: it must survive the crash untouched.
        with httpx.stream("POST", f"{base}/api/labs/api-basics/messages",
                          json={"message": "What goes in the Authorization header?"},
                          timeout=30) as response:
            kinds = [kind for kind, _ in _events(response)]
        assert kinds[0] == "accepted" and kinds[-1] == "completed"
    finally:
        proc.terminate()
        proc.wait(timeout=15)

    proc = _start(data_dir, port, pace_ms=300)  # slow stream so the kill lands mid-reply
    try:
        with httpx.stream("POST", f"{base}/api/labs/api-basics/messages",
                          json={"message": "How do I show the answer while it's being generated?"},
                          timeout=30) as response:
            seen = []
            for kind, _data in _events(response):
                seen.append(kind)
                if kind == "delta":
                    proc.send_signal(signal.SIGKILL)
                    break
        assert seen[:2] == ["accepted", "delta"]
    finally:
        proc.wait(timeout=15)

    db_path = data_dir / "apilab.db"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    proc = _start(data_dir, port, pace_ms=0)
    try:
        transcript = httpx.get(f"{base}/api/labs/api-basics/messages", timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    messages = transcript["messages"]
    assert [m["role"] for m in messages] == ["learner", "assistant", "learner", "assistant"]
    assert messages[0]["content"] == "What goes in the Authorization header?"
    assert messages[1]["status"] == "complete" and "Bearer" in messages[1]["content"]
    assert messages[2]["content"] == "How do I show the answer while it's being generated?"
    assert messages[3]["status"] == "interrupted"
