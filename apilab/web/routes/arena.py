"""Routes: the Lab 3 rate-limit arena's JSON and SSE API.

- ``GET  /api/arena/options``     tiers (the sandbox's presets when available), strategies,
  defaults — what the panel's form offers.
- ``POST /api/arena/run``         run the arena, return the whole result as JSON.
- ``POST /api/arena/run/stream``  the same run as SSE: ``progress`` after each strategy,
  then ``result`` (or ``error``), so the page can show progress.

The simulation itself is ``apilab.arena.run_arena``; this module only translates
HTTP to a config and back. Runs go to a worker thread so a big run never blocks
the event loop, and they are bounded: one run plays at most
``APILAB_ARENA_MAX_REQUESTS`` simulated requests (clients x requests per client x
strategies, 422 past that), and one learner may have ``APILAB_ARENA_MAX_RUNS``
runs in progress at once (429 past that), so eight big runs from one page
cannot take the server's CPU from everyone else.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from apilab.arena import DEFAULT_STRATEGIES, STRATEGIES, TIERS, ArenaConfig, Tier, run_arena
from apilab.arena import get_tier as _get_tier
from apilab.errors import ApilabError, InvalidInputError, NotFoundError, TooBusyError
from apilab.web.identity import current_learner
from apilab.web.sse import sse_event

router = APIRouter()
log = logging.getLogger(__name__)

# The defaults are chosen so the lesson shows on the first click: many clients in one burst
# against a tight tier (a dated example of Anthropic's build tier 1, 50 RPM), where the herd
# at Retry-After, wasted calls and what honouring Retry-After buys are all visible.
DEFAULT_TIER = "anthropic-tier-1"
# The lab's own key tier is an implementation detail, not a lesson.
_HIDDEN_TIERS = {"lab"}


class ArenaRunIn(BaseModel):
    """One arena run as the page (or an API user) asks for it."""

    tier: str = Field(DEFAULT_TIER, description="Tier preset name, e.g. free or tier-1.")
    clients: int = Field(50, description="Simulated clients sending at once (1-500).")
    requests_per_client: int = Field(2, description="Requests each client must complete.")
    start_spread_s: float = Field(
        0.0, description="Clients start within this many seconds; 0 = all at one moment.")
    input_tokens: int = Field(700, description="Prompt tokens per request.")
    max_tokens: int = Field(300, description="max_tokens per request (reserved at admission).")
    seed: int = Field(1, description="Same seed, same run.")
    strategies: list[str] = Field(
        default_factory=lambda: list(DEFAULT_STRATEGIES),
        description=f"Any of: {', '.join(STRATEGIES)}.",
    )


def arena_tiers(settings: Any) -> dict[str, Tier]:
    """Tier presets: the sandbox's (with the operator's config file) or the arena's own."""
    try:
        from apilab.sandbox.config import load_config
    except ImportError:  # the sandbox is optional; the arena works without it
        return dict(TIERS)
    try:
        config = load_config(getattr(settings, "sandbox_config", None))
    except ApilabError as exc:
        log.warning("Arena falls back to its own tiers: %s", exc)
        return dict(TIERS)
    return {
        name: Tier(name, t.rpm, t.tpm, label=t.note, as_of=t.as_of)
        for name, t in config.tiers.items()
        if name not in _HIDDEN_TIERS
    }


def _config(request: Request, body: ArenaRunIn) -> ArenaConfig:
    try:
        tier = _get_tier(body.tier, arena_tiers(request.app.state.settings))
    except NotFoundError as exc:  # a bad form value: 422, like every other field
        raise InvalidInputError(str(exc)) from None
    config = ArenaConfig(
        tier=tier,
        clients=body.clients,
        requests_per_client=body.requests_per_client,
        input_tokens=body.input_tokens,
        max_tokens=body.max_tokens,
        seed=body.seed,
        strategies=tuple(dict.fromkeys(body.strategies)),  # drop repeats, keep order
        start_spread_s=body.start_spread_s,
    )
    config.validate()  # InvalidInputError -> 422 with a message, before any work
    work = config.clients * config.requests_per_client * len(config.strategies)
    cap = int(request.app.state.settings.arena_max_requests)
    if work > cap:
        raise InvalidInputError(
            f"That run would simulate {work:,} requests (clients x requests per client x "
            f"strategies); this server allows {cap:,} per run. Use fewer clients, requests "
            "or strategies.")
    return config


class _RunSlot:
    """One of a learner's concurrent-run slots; ``release`` is idempotent.

    A streamed run releases from the stream's ``finally`` and again from the
    response's background task, which also runs when the browser left before the
    stream started (then the generator's ``finally`` never does).
    """

    def __init__(self, request: Request) -> None:
        app = request.app
        self._learner = current_learner(request)
        if not hasattr(app.state, "arena_running"):
            app.state.arena_running = Counter()
        self._running: Counter[str] = app.state.arena_running
        limit = int(app.state.settings.arena_max_runs)
        if self._running[self._learner] >= limit:
            raise TooBusyError(f"You already have {self._running[self._learner]} arena run(s) "
                               f"in progress (the limit is {limit}); wait for one to finish.")
        self._running[self._learner] += 1
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._running[self._learner] -= 1
            if self._running[self._learner] <= 0:
                del self._running[self._learner]

    async def arelease(self) -> None:
        self.release()


@router.get("/api/arena/options")
async def arena_options(request: Request) -> dict[str, Any]:
    """What the arena form offers: tiers, strategies and the default run."""
    tiers = arena_tiers(request.app.state.settings)
    return {
        "tiers": [t.to_dict() for t in tiers.values()],
        "strategies": [
            {"name": s.name, "label": s.label, "description": s.description}
            for s in STRATEGIES.values()
        ],
        "defaults": ArenaRunIn().model_dump() | {
            "tier": DEFAULT_TIER if DEFAULT_TIER in tiers else next(iter(tiers))
        },
    }


@router.post("/api/arena/run")
async def arena_run(request: Request, body: ArenaRunIn) -> dict[str, Any]:
    """Run the arena and return every strategy's timeline and the summary table."""
    config = _config(request, body)
    slot = _RunSlot(request)
    try:
        result = await run_in_threadpool(run_arena, config)
    finally:
        slot.release()
    return result.to_dict()


@router.post("/api/arena/run/stream")
async def arena_run_stream(request: Request, body: ArenaRunIn) -> StreamingResponse:
    """The same run as Server-Sent Events: ``progress`` per strategy, then ``result``."""
    config = _config(request, body)  # bad input is a 4xx, never half a stream
    slot = _RunSlot(request)  # a learner over the limit gets a 429 before the stream starts
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def progress(done: int, total: int, result: Any) -> None:
        # Called on the worker thread; hand the event to the loop.
        event = {"done": done, "total": total, "strategy": result.strategy,
                 "label": result.label}
        loop.call_soon_threadsafe(queue.put_nowait, ("progress", event))

    async def produce() -> None:
        try:
            result = await run_in_threadpool(run_arena, config, progress)
            await queue.put(("result", result.to_dict()))
        except Exception as exc:  # noqa: BLE001 - reported to the page, logged for operators
            log.exception("Arena run failed")
            await queue.put(("error", {"error": f"The arena run failed: {exc}"}))

    async def events() -> AsyncIterator[bytes]:
        yield sse_event("started", {
            "total": len(config.strategies),
            "config": dataclasses.asdict(config) | {"strategies": list(config.strategies)},
        })
        task = asyncio.create_task(produce())
        try:
            while True:
                name, data = await queue.get()
                yield sse_event(name, data)
                if name in ("result", "error"):
                    break
        finally:
            try:
                await task
            finally:
                slot.release()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"},
                             background=BackgroundTask(slot.arelease))
