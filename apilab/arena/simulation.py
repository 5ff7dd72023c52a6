"""The rate-limit arena: retry strategies racing against one tier's limits.

``run_arena(config)`` plays N clients against a provider tier's RPM and TPM
token buckets, once per retry strategy, on a *simulated* clock: a
discrete-event loop over a heap of timestamped events, so a run that covers
minutes of traffic finishes in milliseconds and repeats exactly for a seed.

What is modelled, and why (it mirrors the sandbox provider's semantics):

- Two token buckets applied at once: requests (capacity ``rpm``, refilled at
  ``rpm/60`` per second) and tokens (capacity ``tpm``, refilled at ``tpm/60``).
- A request *reserves* ``input_tokens + max_tokens`` at admission and the
  unused part of ``max_tokens`` is given back when it completes, the way
  providers estimate output from ``max_tokens`` and settle afterwards.
- A rejected request gets a 429 with ``retry-after-ms``: the time until both
  buckets hold enough for it, from the bucket state the server can see.
- Every strategy replays the *same* workload (same start times, same reply
  lengths), so differences come from the strategy alone.
- A refused request costs the server nothing here (as in the sandbox), so no
  strategy can finish later *because* of its own 429s; what it pays is wasted
  calls (``wasted``: every 429 is a request that did no work) and calls the server
  had already said would fail (``ignored_retry_after``). Clients may start in one
  burst (``start_spread_s=0``), which is when retries without jitter herd.

This module owns only the simulation; it never touches the network, the
database or the real sandbox, and it imports nothing from ``web``.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from apilab.errors import InvalidInputError, NotFoundError

__all__ = [
    "DEFAULT_STRATEGIES",
    "STRATEGIES",
    "TIERS",
    "ArenaConfig",
    "ArenaResult",
    "Strategy",
    "StrategyResult",
    "Tier",
    "get_tier",
    "run_arena",
    "run_strategy",
    "summary_rows",
]

# Simulated network and server figures. They are fixed (not settings) because
# the arena compares strategies; only relative behaviour matters.
_REJECT_RTT = (0.1, 0.3)  # seconds for a 429 to reach the client (one HTTPS round trip)
_BASE_LATENCY = 0.3  # seconds before the first token of a success
_OUTPUT_TOKENS_PER_S = 80.0  # generation speed of a success
_START_SPREAD = 1.0  # clients start within the first second
_MAX_EVENTS = 400_000  # safety net per strategy; a run stops here (reported)


@dataclasses.dataclass(frozen=True)
class Tier:
    """A named rate-limit preset: requests and tokens per minute, with its date."""

    name: str
    rpm: int
    tpm: int
    label: str = ""
    as_of: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dataclasses.asdict(self)


# Dated example figures (provider tiers change often; these are examples for
# the simulation, not a statement of any provider's current limits). The
# sandbox's own presets are passed in by the web route when they exist.
TIERS: dict[str, Tier] = {
    t.name: t
    for t in (
        Tier("free", 3, 40_000, "Free tier (example: 3 RPM)", "2024-07"),
        Tier("tier-1", 500, 30_000, "Tier 1 (example: 500 RPM / 30k TPM)", "2024-07"),
        Tier("anthropic-tier-1", 50, 50_000, "Anthropic build tier 1 (example: 50 RPM / 50k "
             "input TPM)", "2025-06"),
        Tier("tier-2", 5_000, 450_000, "Tier 2 (example: 5,000 RPM / 450k TPM)", "2024-07"),
        Tier("tier-4", 10_000, 2_000_000, "Tier 4 (example: 10,000 RPM / 2M TPM)", "2024-07"),
    )
}


def get_tier(name: str, tiers: dict[str, Tier] | None = None) -> Tier:
    """Look a tier up by name; the error lists the names that exist."""
    table = tiers if tiers is not None else TIERS
    try:
        return table[name]
    except KeyError:
        raise NotFoundError(
            f"Unknown tier {name!r}. Choose one of: {', '.join(table)}."
        ) from None


# --------------------------------------------------------------------------- strategies

DelayFn = Callable[[int, float, random.Random], float]


@dataclasses.dataclass(frozen=True)
class Strategy:
    """How a client waits after a 429: ``delay(attempt, retry_after_s, rng)`` seconds."""

    name: str
    label: str
    description: str
    delay: DelayFn
    honours_retry_after: bool = False


_BASE = 0.5  # first backoff wait, seconds
_CAP = 20.0  # longest backoff wait, seconds


def _exp(attempt: int) -> float:
    return float(min(_CAP, _BASE * 2 ** (attempt - 1)))


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy(
            "immediate",
            "Retry at once",
            "Sends the request again as soon as the 429 arrives.",
            lambda attempt, hint, rng: 0.0,
        ),
        Strategy(
            "fixed",
            "Fixed 1 s delay",
            "Waits one second after every 429, whatever the server says.",
            lambda attempt, hint, rng: 1.0,
        ),
        Strategy(
            "exponential",
            "Exponential backoff",
            f"Waits {_BASE:g} s, then doubles each time (capped at {_CAP:g} s); no jitter, "
            "so clients that failed together retry together.",
            lambda attempt, hint, rng: _exp(attempt),
        ),
        Strategy(
            "retry_after",
            "Wait exactly Retry-After",
            "Waits exactly the server's retry-after-ms, no jitter. Every client refused at "
            "the same moment is told the same time, so they all come back together: a "
            "thundering herd in which one gets the free slot and the rest are refused again.",
            lambda attempt, hint, rng: hint,
            honours_retry_after=True,
        ),
        Strategy(
            "jitter",
            "Exponential + jitter, honours Retry-After",
            "Waits at least the server's retry-after-ms, plus a random share of the "
            "exponential backoff so clients spread out instead of retrying in step.",
            # Retry-After is a floor; the jitter on top breaks up the herd that would
            # otherwise arrive at the exact instant the bucket refills.
            lambda attempt, hint, rng: hint + rng.uniform(0.0, _exp(attempt)),
            honours_retry_after=True,
        ),
    )
}
DEFAULT_STRATEGIES: tuple[str, ...] = tuple(STRATEGIES)


# --------------------------------------------------------------------------- config / results


@dataclasses.dataclass(frozen=True)
class ArenaConfig:
    """One arena run: the tier, the workload, the seed and the strategies to race."""

    tier: Tier = TIERS["tier-1"]
    clients: int = 20
    requests_per_client: int = 5
    input_tokens: int = 700
    max_tokens: int = 300
    seed: int = 1
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES
    bins: int = 60
    horizon_s: float = 3600.0
    start_spread_s: float = _START_SPREAD  # clients start within this many seconds (0: burst)

    def validate(self) -> None:
        """Raise InvalidInputError naming the first field that is out of range."""
        checks = (
            ("clients", self.clients, 1, 500),
            ("requests_per_client", self.requests_per_client, 1, 100),
            ("input_tokens", self.input_tokens, 1, 1_000_000),
            ("max_tokens", self.max_tokens, 1, 1_000_000),
            ("bins", self.bins, 4, 400),
        )
        for name, value, low, high in checks:
            if not isinstance(value, int) or not low <= value <= high:
                raise InvalidInputError(f"{name} must be a whole number from {low} to {high}.")
        if not 1 <= self.horizon_s <= 86_400:
            raise InvalidInputError("horizon_s must be between 1 and 86400 seconds.")
        if not 0 <= self.start_spread_s <= 600:
            raise InvalidInputError("start_spread_s must be between 0 and 600 seconds.")
        if not self.strategies:
            raise InvalidInputError("Choose at least one strategy.")
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown:
            raise InvalidInputError(
                f"Unknown strategy {unknown[0]!r}. Choose from: {', '.join(STRATEGIES)}."
            )
        if self.tier.rpm < 1 or self.tier.tpm < 1:
            raise InvalidInputError("A tier needs at least 1 RPM and 1 TPM.")
        need = self.input_tokens + self.max_tokens
        if need > self.tier.tpm:
            # Like OpenAI's "Request too large": no amount of waiting lets it through.
            raise InvalidInputError(
                f"Each request reserves {need:,} tokens (input + max_tokens) but tier "
                f"{self.tier.name!r} allows only {self.tier.tpm:,} tokens per minute, so it "
                "could never be admitted. Lower input_tokens or max_tokens."
            )


@dataclasses.dataclass
class StrategyResult:
    """One strategy's run: totals, per-bin timeline, and when it finished."""

    strategy: str
    label: str
    finish_s: float | None  # time the last request succeeded; None if not all finished
    requests: int  # HTTP requests sent (first attempts + retries)
    successes: int
    rate_limited: int  # 429 responses
    wasted: int  # requests that did no work: every 429 (= rate_limited)
    ignored_retry_after: int  # of those, sent before the previous Retry-After had elapsed
    unfinished: int  # logical requests never completed within the horizon/event cap
    max_attempts: int  # most attempts any one logical request needed
    mean_wait_s: float  # mean time from first attempt to success, per logical request
    timeline: list[dict[str, float]] = dataclasses.field(default_factory=list)
    # Raw event times by kind ("requests", "rate_limited", "successes"); kept for binning
    # and tests, never serialised.
    _times: dict[str, list[float]] = dataclasses.field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: totals and timeline, without the raw event times."""
        # Not dataclasses.asdict: it would deep-copy the raw event times only to drop them.
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "_times"}


@dataclasses.dataclass
class ArenaResult:
    """A whole arena run: the config echoed back, one result per strategy, the time axis."""

    config: ArenaConfig
    results: list[StrategyResult]
    axis_end_s: float
    bin_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the config, the time axis, every strategy's result, how to read it."""
        from apilab.arena.reading import how_to_read

        cfg = dataclasses.asdict(self.config)
        cfg["strategies"] = list(self.config.strategies)
        return {
            "reading": how_to_read(self),
            "config": cfg,
            "axis_end_s": self.axis_end_s,
            "bin_s": self.bin_s,
            "results": [r.to_dict() for r in self.results],
            "strategies": {
                name: {
                    "label": s.label,
                    "description": s.description,
                    "honours_retry_after": s.honours_retry_after,
                }
                for name, s in STRATEGIES.items()
                if name in self.config.strategies
            },
        }


# --------------------------------------------------------------------------- the engine


@dataclasses.dataclass(frozen=True)
class _Workload:
    starts: list[float]  # per client
    outputs: list[list[int]]  # per client, per request: actual output tokens


def _workload(config: ArenaConfig) -> _Workload:
    # One RNG for the workload, shared by every strategy, so they race on equal terms.
    rng = random.Random(f"arena-workload:{config.seed}")
    starts = [rng.uniform(0.0, config.start_spread_s) for _ in range(config.clients)]
    low = max(1, int(config.max_tokens * 0.3))
    outputs = [
        [rng.randint(low, config.max_tokens) for _ in range(config.requests_per_client)]
        for _ in range(config.clients)
    ]
    return _Workload(starts, outputs)


# Event kinds; the integer orders simultaneous events (completions free capacity first).
_DONE, _SEND = 0, 1


def run_strategy(
    config: ArenaConfig, strategy: str, workload: _Workload | None = None,
    trace: list[tuple[Any, ...]] | None = None,
) -> StrategyResult:
    """Simulate one strategy against fresh buckets; deterministic for the config's seed.

    With ``trace``, every server decision is appended to it: ``("admit", t, reserve)``,
    ``("refuse", t, reserve, retry_after_s)`` and ``("settle", t, reserved, used)``, so a
    test can replay them through the sandbox's own limiter.
    """
    config.validate()
    spec = STRATEGIES[strategy]
    delay_of = spec.delay
    honours = spec.honours_retry_after
    work = workload or _workload(config)
    rng = random.Random(f"arena-strategy:{config.seed}:{strategy}")
    uniform = rng.uniform
    push, pop = heapq.heappush, heapq.heappop
    # Two continuously refilled token buckets (the same arithmetic as the sandbox's
    # apilab.sandbox.limits.TokenBucket), inlined as locals: this loop runs a few hundred
    # thousand times for "retry at once" on a small tier, and method calls would dominate it.
    r_cap = float(config.tier.rpm)
    t_cap = float(config.tier.tpm)
    r_rate, t_rate = r_cap / 60.0, t_cap / 60.0
    r_level, t_level, last = r_cap, t_cap, 0.0
    reserve = config.input_tokens + config.max_tokens
    rtt_low, rtt_high = _REJECT_RTT
    horizon = config.horizon_s
    per_client = config.requests_per_client

    n = config.clients
    next_index = [0] * n  # which logical request each client is on
    attempt = [0] * n  # attempts made on the current request
    first_sent = [0.0] * n  # when the current request was first tried
    not_before = [0.0] * n  # the time the last Retry-After pointed to
    finished_at: list[float | None] = [None] * n

    sent_at: list[float] = []
    limited_at: list[float] = []
    ok_at: list[float] = []
    heap: list[tuple[float, int, int, int]] = []
    seq = 0
    for client, start in enumerate(work.starts):
        heap.append((start, _SEND, seq, client))
        seq += 1
    heapq.heapify(heap)

    ignored = max_attempts = 0
    wait_total = 0.0
    processed = 0
    while heap:
        now, kind, _, client = pop(heap)
        if now > horizon or processed >= _MAX_EVENTS:
            break
        processed += 1
        if now > last:
            r_level = min(r_cap, r_level + (now - last) * r_rate)
            t_level = min(t_cap, t_level + (now - last) * t_rate)
            last = now
        if kind == _DONE:
            used = config.input_tokens + work.outputs[client][next_index[client]]
            # Settle: hand back the part of the max_tokens reservation the reply did not use.
            t_level = min(t_cap, t_level + reserve - used)
            if trace is not None:
                trace.append(("settle", now, reserve, used))
            ok_at.append(now)
            wait_total += now - first_sent[client]
            next_index[client] += 1
            attempt[client] = 0
            if next_index[client] < per_client:
                push(heap, (now, _SEND, seq, client))
                seq += 1
            else:
                finished_at[client] = now
            continue

        # _SEND: the server decides admission the moment the request arrives.
        sent_at.append(now)
        tries = attempt[client] + 1
        attempt[client] = tries
        if tries == 1:
            first_sent[client] = now
        elif tries > max_attempts:
            max_attempts = tries
        wait_r = 0.0 if r_level >= 1.0 else (1.0 - r_level) / r_rate
        wait_t = 0.0 if t_level >= reserve else (reserve - t_level) / t_rate
        if wait_r == 0.0 and wait_t == 0.0:
            r_level -= 1.0
            t_level -= reserve
            if trace is not None:
                trace.append(("admit", now, reserve))
            output = work.outputs[client][next_index[client]]
            push(heap, (now + _BASE_LATENCY + output / _OUTPUT_TOKENS_PER_S, _DONE, seq, client))
            seq += 1
            continue
        limited_at.append(now)
        # (A retry scheduled for exactly Retry-After lands a rounding error early.)
        if now < not_before[client] - 1e-9:
            ignored += 1
        # Servers send whole milliseconds in retry-after-ms; round up so the hint is safe.
        hint = math.ceil(max(wait_r, wait_t) * 1000.0) / 1000.0
        if trace is not None:
            trace.append(("refuse", now, reserve, max(wait_r, wait_t)))
        arrives = now + uniform(rtt_low, rtt_high)
        not_before[client] = now + hint
        delay = delay_of(tries, hint, rng)
        # The client reads the 429 after the round trip; the hint counts from the server's clock.
        retry_at = (max(now + hint, arrives) + delay - hint) if honours else arrives + delay
        push(heap, (retry_at, _SEND, seq, client))
        seq += 1

    done_times = [t for t in finished_at if t is not None]
    unfinished = sum(per_client - i for i in next_index)
    finish = round(max(done_times), 3) if done_times and unfinished == 0 else None
    ok = len(ok_at)
    result = StrategyResult(
        strategy=strategy,
        label=spec.label,
        finish_s=finish,
        requests=len(sent_at),
        successes=ok,
        rate_limited=len(limited_at),
        wasted=len(limited_at),
        ignored_retry_after=ignored,
        unfinished=unfinished,
        max_attempts=max(max_attempts, 1 if sent_at else 0),
        mean_wait_s=round(wait_total / ok, 3) if ok else 0.0,
    )
    result._times = {"requests": sent_at, "rate_limited": limited_at, "successes": ok_at}
    return result


def _bin(results: Iterable[StrategyResult], end: float, bins: int) -> float:
    width = end / bins
    for result in results:
        rows: list[dict[str, float]] = [
            {"t": round(i * width, 3), "requests": 0, "rate_limited": 0, "successes": 0}
            for i in range(bins)
        ]
        for key, times in result._times.items():
            last = bins - 1
            for t in times:
                index = int(t / width)
                rows[index if index < last else last][key] += 1
        result.timeline = rows
    return width


def run_arena(
    config: ArenaConfig,
    progress: Callable[[int, int, StrategyResult], None] | None = None,
) -> ArenaResult:
    """Race every chosen strategy on the same workload and bin them on one time axis.

    ``progress(done, total, result)`` is called after each strategy finishes.
    """
    config.validate()
    work = _workload(config)
    results: list[StrategyResult] = []
    for i, name in enumerate(config.strategies):
        result = run_strategy(config, name, work)
        results.append(result)
        if progress is not None:
            progress(i + 1, len(config.strategies), result)
    last = [times[-1] for r in results for times in r._times.values() if times]
    end = max([*last, 1.0])
    # A whole number of seconds per bin keeps the chart's axis labels readable.
    end = float(math.ceil(end / config.bins) * config.bins)
    width = _bin(results, end, config.bins)
    return ArenaResult(config=config, results=results, axis_end_s=end, bin_s=width)


def summary_rows(result: ArenaResult) -> Sequence[dict[str, Any]]:
    """The results table, one row per strategy, in the order they were run."""
    return [
        {
            "strategy": r.label,
            "finish_s": r.finish_s,
            "requests": r.requests,
            "rate_limited": r.rate_limited,
            "wasted": r.wasted,
            "ignored_retry_after": r.ignored_retry_after,
            "max_attempts": r.max_attempts,
        }
        for r in result.results
    ]
