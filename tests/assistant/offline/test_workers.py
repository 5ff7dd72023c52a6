"""The tutor's worker process: same replies as in-process, never a lost reply."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest

from apilab.assistant.offline import OfflineTutor, workers
from tests.assistant._helpers import make_turn

QUESTIONS = [
    ("rate-limits-cost", "How much do 2 million input tokens and 500k output tokens cost on "
                         "gpt-4o-mini?"),
    ("api-basics", "Is there any way limit token response? I want at most 200 tokens."),
    ("key-security", "I pushed my .env with my OpenAI key to GitHub, what do I do?"),
]


def _wait_ready(found: workers.ComposePool, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not found.ready:
        assert time.monotonic() < deadline, "the tutor worker did not become ready"
        time.sleep(0.05)


@pytest.fixture
def running_pool() -> Iterator[workers.ComposePool]:
    found = workers.start_pool(1)
    assert found is not None
    try:
        yield found
    finally:
        workers.stop_pool()


def _not_here(turn: object) -> object:
    raise AssertionError("composed in the server process, not in the worker")


def _same(a: object, b: object) -> None:
    assert a.text == b.text  # type: ignore[attr-defined]
    assert a.objectives == b.objectives and a.on_topic == b.on_topic  # type: ignore[attr-defined]
    assert _untimed(a.meta) == _untimed(b.meta)  # type: ignore[attr-defined]


def _untimed(value: object) -> object:
    """``value`` without the milliseconds each run measures for itself."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in ("timing_ms", "ms")}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def test_the_worker_composes_what_the_server_would(running_pool: workers.ComposePool) -> None:
    tutor = OfflineTutor()
    _wait_ready(running_pool)
    worker_pids = set()
    in_process = OfflineTutor()
    for lab, question in QUESTIONS:
        turn = make_turn(tutor.course, lab, question)
        tutor.compose = _not_here  # type: ignore[method-assign]
        composed = asyncio.run(tutor.compose_async(turn))
        _same(composed, in_process.compose(turn))
    for future in running_pool._warming:
        worker_pids.add(future.result())
    assert worker_pids and os.getpid() not in worker_pids


def test_before_the_worker_is_ready_replies_are_composed_in_process() -> None:
    found = workers.ComposePool(1)  # not started: never ready
    tutor = OfflineTutor()
    turn = make_turn(tutor.course, *QUESTIONS[0])
    assert not found.ready
    _same(asyncio.run(found.compose(tutor, turn)), tutor.compose(turn))


def test_a_killed_worker_loses_no_reply_and_is_replaced(running_pool: workers.ComposePool) -> None:
    tutor = OfflineTutor()
    _wait_ready(running_pool)
    pid = running_pool._warming[0].result()
    os.kill(pid, signal.SIGKILL)
    turn = make_turn(tutor.course, *QUESTIONS[2])
    # The broken pool is noticed on this turn (or the next); either way a reply comes back.
    for _ in range(2):
        _same(asyncio.run(tutor.compose_async(turn)), tutor.compose(turn))
    assert running_pool.restarts == 1
    _wait_ready(running_pool)
    assert running_pool._warming[0].result() != pid
    _same(asyncio.run(tutor.compose_async(turn)), tutor.compose(turn))


def test_a_tutor_on_another_course_composes_in_process(
        running_pool: workers.ComposePool, fixture_tutor: OfflineTutor) -> None:
    # The fixture course exists only in this process; the worker knows the installed one.
    _wait_ready(running_pool)
    tutor = fixture_tutor
    turn = make_turn(tutor.course, "api-basics", "What is an API key?")
    here = []
    original = tutor.compose
    tutor.compose = lambda t: here.append(t) or original(t)  # type: ignore[method-assign]
    try:
        _same(asyncio.run(tutor.compose_async(turn)), original(turn))
    finally:
        del tutor.compose
    assert here == [turn]


def test_pool_size_setting() -> None:
    assert workers.start_pool(0) is None and workers.pool() is None
    assert workers.default_workers() == (1 if (os.cpu_count() or 1) >= 2 else 0)


def test_a_worker_does_not_outlive_a_killed_server() -> None:
    import subprocess
    import sys

    script = ("import time\n"
              "from apilab.assistant.offline import workers\n"
              "found = workers.start_pool(1)\n"
              "while not found.ready:\n"
              "    time.sleep(0.05)\n"
              "print(found._warming[0].result(), flush=True)\n"
              "time.sleep(120)\n")
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        os.kill(worker, 0)  # alive
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("the tutor worker outlived its server")
