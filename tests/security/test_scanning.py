"""Issue 10, critical and item 1: one message must not freeze the server."""

from __future__ import annotations

import concurrent.futures
import time

import httpx


def _healthz_times(base: str, stop: float) -> list[float]:
    times = []
    with httpx.Client(base_url=base, timeout=10) as client:
        while time.monotonic() < stop:
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            times.append(time.perf_counter() - started)
            time.sleep(0.02)
    return times


def test_private_key_message_is_answered_fast_while_healthz_stays_fast(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    message = "-----BEGIN PRIVATE KEY-----\n" + "a: " * 34 + "!"  # the 131-character message
    assert len(message) == 131
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        probe = pool.submit(_healthz_times, base, time.monotonic() + 1.5)
        started = time.perf_counter()
        with httpx.Client(base_url=base, timeout=30) as client:
            reply = client.post("/api/labs/api-basics/messages", json={"message": message})
        elapsed = time.perf_counter() - started
        health = probe.result()
    assert reply.status_code == 200 and "event: completed" in reply.text
    # The freeze this reproduces lasted 20 s. The issue's own bars (1 s, 100 ms) are
    # measured by bench/security.py on a quiet machine; here the margins absorb a loaded
    # CI runner while still catching any return of the freeze.
    assert elapsed < 3.0, f"the message took {elapsed:.2f} s"
    assert max(health) < 0.5, f"/healthz took {max(health) * 1000:.0f} ms"


def test_megabyte_scan_pastes_are_fast(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        for text in ('password="' * 100_000, "-----BEGIN PRIVATE KEY-----\n" + "a: " * 300_000,
                     "sk-" + "A" * 999_000):
            started = time.perf_counter()
            response = client.post("/api/scan/text", json={"text": text[:1_000_000]})
            assert response.status_code == 200
            # Linear scanning takes about a second here; a super-linear rule takes minutes.
            assert time.perf_counter() - started < 10.0
