"""The offline tutor in worker processes, so composing a reply never blocks the event loop.

``OfflineTutor.compose`` is pure CPU: about 2-3 ms for a typical message and up to about
20 ms for one at ``APILAB_MAX_MESSAGE_CHARS`` full of pasted code. On the server's event
loop that time stalls every other learner's stream, and one process can use one core. So
``apilab serve`` composes in a small process pool (``APILAB_TUTOR_WORKERS``; by default
one worker when the machine has two or more cores) while the loop keeps serving HTTP and
the database. Measured with ``bench/lab_chat.py`` (docs/tutor.md, Timing).

The workers are started with ``spawn`` (not ``fork``: the server already runs threads)
and each loads the course and warms its own tutor, about a second, in the background:
until a worker is ready, and whenever the pool breaks (a worker killed), replies are
composed in-process, so a learner never waits on the pool or loses a reply to it. A
tutor built on another course (the tests' fixture courses) always composes in-process.

A turn crosses to the worker as plain data (the lab's id, not the ``Lab`` object); the
``Composed`` reply comes back pickled. Both are a few kilobytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apilab.assistant.base import Turn
    from apilab.assistant.offline.tutor import Composed, OfflineTutor

__all__ = ["ComposePool", "default_workers", "pool", "start_pool", "stop_pool"]

log = logging.getLogger(__name__)

# --- in the worker process --------------------------------------------------------------

_WORKER_TUTOR: OfflineTutor | None = None


def _start_worker(parent: int) -> None:
    global _WORKER_TUTOR
    # An idle worker waits on its job queue and would outlive a server killed with SIGKILL.
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    from apilab.assistant.offline.tutor import OfflineTutor

    tutor = OfflineTutor()
    tutor.warm_up()
    _WORKER_TUTOR = tutor


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> int:
    return os.getpid()


def _compose(lab_id: str, fields: dict[str, Any]) -> Composed:
    from apilab.assistant.base import Turn

    tutor = _WORKER_TUTOR
    if tutor is None:  # pragma: no cover - the initializer runs before any job
        raise RuntimeError("the tutor worker did not start")
    return tutor.compose(Turn(lab=tutor.course.lab(lab_id), **fields))


# --- in the server ----------------------------------------------------------------------


def default_workers() -> int:
    """One worker when there is a core to spare, none (compose in-process) otherwise."""
    return 1 if (os.cpu_count() or 1) >= 2 else 0


class ComposePool:
    """Worker processes that compose offline-tutor replies; in-process until they are ready."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._warming: list[concurrent.futures.Future[int]] = []
        self.restarts = 0

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_start_worker,
            initargs=(os.getpid(),))
        # One job per worker: each finishes once that worker has loaded and warmed its tutor.
        self._warming = [self._executor.submit(_ready) for _ in range(self.workers)]

    @property
    def ready(self) -> bool:
        return bool(self._warming) and all(
            f.done() and not f.cancelled() and f.exception() is None for f in self._warming)

    async def compose(self, tutor: OfflineTutor, turn: Turn) -> Composed:
        """``tutor.compose(turn)``, in a worker when one is ready, else in-process."""
        executor = self._executor
        if executor is None or not self.ready:
            return tutor.compose(turn)
        fields = {f.name: getattr(turn, f.name) for f in dataclasses.fields(turn)
                  if f.name != "lab"}
        try:
            return await asyncio.wrap_future(executor.submit(_compose, turn.lab.id, fields))
        except BrokenProcessPool:
            # A worker died (killed, out of memory): answer this turn here, start afresh.
            log.warning("The tutor worker stopped; composing in-process while it restarts.")
            self._restart(executor)
            return tutor.compose(turn)

    def _restart(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        if self._executor is not broken:  # another turn already restarted it
            return
        broken.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        self.start()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            self._warming = []


_POOL: ComposePool | None = None


def start_pool(workers: int) -> ComposePool | None:
    """Start the process-wide pool (``workers`` < 0: ``default_workers()``; 0: none)."""
    global _POOL
    stop_pool()
    count = default_workers() if workers < 0 else workers
    if count <= 0:
        return None
    _POOL = ComposePool(count)
    _POOL.start()
    return _POOL


def stop_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.close()
        _POOL = None


def pool() -> ComposePool | None:
    return _POOL
