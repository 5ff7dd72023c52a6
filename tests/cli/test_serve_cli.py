"""`apilab serve` and `apilab sandbox`: a busy port is one line and exit 2; the URL is
printed only once the server answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _apilab(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "apilab", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ))


@pytest.fixture
def busy_port():  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command, flag", [(["serve"], "--port"), (["sandbox"], "--port")])
def test_a_busy_port_is_one_line_and_exit_2(busy_port: int, command: list[str], flag: str) -> None:
    proc = _apilab(*command, "--port", str(busy_port))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "running at" not in out and "Sandbox provider at" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"Port {busy_port} is already in use" in lines[0]
    assert f"{flag} " in lines[0] and "Errno" not in lines[0]


def test_the_url_is_printed_once_the_server_answers() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = _apilab("serve", "--port", str(port))
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while "running at" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert f"apilab is running at http://127.0.0.1:{port}/" in line
        # The moment the line appears, the server answers.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.read() == b"ok"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
