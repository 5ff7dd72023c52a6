"""The shared types of the call layer: ``Call``, ``Result``, stream events, ``Handler``.

Shaped like httpx transports: every layer is a ``Handler`` that takes the next
handler in its constructor and exposes the same two methods,

- ``await ahandle(call) -> Result`` for a whole response, and
- ``astream(call)`` -> async iterator of ``Chunk`` events then exactly one
  ``Final`` carrying the ``Result``.

Contract for streams: the *consumer* closes the iterator (``aclose()``, e.g.
through ``contextlib.aclosing``); each layer closes the inner iterator it
opened, in a ``finally`` block, so cancellation travels down the stack and
every layer can settle what it reserved.

Per-call settings (timeouts, budget scope, cache policy, ``max_tokens``) travel
on the ``Call``; ``USE_DEFAULT`` means "not given" as distinct from ``None``.
Observations made while the call runs (attempts, waits, tokens, cost, the
request as sent) accumulate on ``call.record``, which the ledger layer writes.

This module must not import a layer, a provider or storage: providers import it.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import enum
import random
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

__all__ = [
    "USE_DEFAULT",
    "Attempt",
    "Call",
    "CallRecord",
    "Chunk",
    "Final",
    "Handler",
    "Layer",
    "RateLimitState",
    "Result",
    "StreamEvent",
    "ToolCall",
    "UseDefault",
    "Usage",
    "new_call_id",
]

# How many stream events the record keeps for the API inspector.
MAX_RECORDED_EVENTS = 400


class UseDefault(enum.Enum):
    """Sentinel type: a per-call value was not given (``None`` may be meaningful)."""

    USE_DEFAULT = "USE_DEFAULT"

    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT = UseDefault.USE_DEFAULT


def new_call_id() -> str:
    """A fresh call id (also the ledger's link to a chat reply): 80 random bits.

    From ``random`` (seeded from the OS once per process and re-seeded in a forked
    child), not ``uuid4``: every ``os.urandom`` is a system call, measured at 20-40 µs
    on a sandboxed host, twice per call. The id names a ledger row; it grants nothing.
    """
    return f"call_{random.getrandbits(80):020x}"


@dataclasses.dataclass(frozen=True)
class Usage:
    """Tokens of one response; ``exact`` is False when we estimated them ourselves."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    exact: bool = True

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclasses.dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for; ``arguments`` is the raw JSON text."""

    id: str
    name: str
    arguments: str


@dataclasses.dataclass(frozen=True)
class RateLimitState:
    """What the provider's headers said about our remaining allowance."""

    remaining_requests: int | None = None
    reset_requests_s: float | None = None
    remaining_tokens: int | None = None
    reset_tokens_s: float | None = None


@dataclasses.dataclass
class Result:
    """A finished response, normalised across providers."""

    text: str
    provider: str
    model: str
    finish_reason: str | None = None
    usage: Usage | None = None
    tool_calls: list[ToolCall] = dataclasses.field(default_factory=list)
    request_id: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)  # rate-limit headers
    raw: dict[str, Any] | None = None  # the response body, for the inspector
    cached: bool = False
    rate_limit: RateLimitState | None = None


@dataclasses.dataclass(frozen=True)
class Chunk:
    """A piece of streamed text, in order."""

    text: str


@dataclasses.dataclass(frozen=True)
class Final:
    """The last event of a stream: the whole result."""

    result: Result


StreamEvent = Chunk | Final


@dataclasses.dataclass
class Attempt:
    """One try at one target, as the ledger and the inspector show it."""

    number: int
    provider: str
    model: str
    started: float = dataclasses.field(default_factory=time.monotonic)
    outcome: str = "pending"  # ok | error | cancelled
    status: int | None = None  # HTTP status, when there was one
    cause: str | None = None  # error class and message when it failed
    wait_s: float | None = None  # how long we waited before the next attempt
    wait_reason: str | None = None  # "retry-after" | "backoff" | "rate-limit"
    request_id: str | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None
    usage: Usage | None = None

    def finish(self, outcome: str, *, error: BaseException | None = None) -> None:
        """Close the attempt with an outcome (and the error that ended it)."""
        self.outcome = outcome
        self.latency_ms = (time.monotonic() - self.started) * 1000
        if error is not None:
            self.cause = f"{type(error).__name__}: {error}"[:500]
            self.status = getattr(error, "status", None) or self.status
            self.request_id = getattr(error, "request_id", None) or self.request_id


@dataclasses.dataclass
class CallRecord:
    """Everything observed while one call runs; written to the ledger at the end."""

    call_id: str
    started: float = dataclasses.field(default_factory=time.monotonic)
    attempts: list[Attempt] = dataclasses.field(default_factory=list)
    estimated_input_tokens: int | None = None
    token_method: str | None = None
    cost_estimate: Decimal | None = None  # worst case reserved by the budget
    cost: Decimal | None = None  # settled actual cost
    cache_hit: bool = False
    fallbacks: list[dict[str, str]] = dataclasses.field(default_factory=list)
    answered_by: str | None = None  # "provider:model" of the target that answered
    request: dict[str, Any] | None = None  # as sent, key redacted (set by the adapter)
    response: dict[str, Any] | None = None  # the response body (non-streamed calls)
    events: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    ttft_ms: float | None = None
    streamed_text: str = ""  # what reached the caller, for billing a cut-off stream
    streamed_output_tokens: int = 0  # provider-side count of what was sent, when known
    usage: Usage | None = None
    status: str = "pending"  # ok | error | cancelled | refused
    error: str | None = None
    budget: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)

    def begin_attempt(self, provider: str, model: str) -> Attempt:
        attempt = Attempt(number=len(self.attempts) + 1, provider=provider, model=model)
        self.attempts.append(attempt)
        return attempt

    @property
    def current(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def add_event(self, event: dict[str, Any]) -> None:
        """Keep a stream event for the inspector (bounded)."""
        if len(self.events) < MAX_RECORDED_EVENTS:
            self.events.append(event)
        elif len(self.events) == MAX_RECORDED_EVENTS:
            self.events.append({"type": "truncated", "note": "further events not kept"})

    def mark_first_token(self) -> None:
        if self.ttft_ms is None:
            self.ttft_ms = (time.monotonic() - self.started) * 1000
        attempt = self.current
        if attempt is not None and attempt.ttft_ms is None:
            attempt.ttft_ms = (time.monotonic() - attempt.started) * 1000


@dataclasses.dataclass
class Call:
    """One outbound AI request and its per-call settings."""

    provider: str
    model: str
    messages: list[dict[str, Any]]
    system: str | None = None
    tools: list[dict[str, Any]] | None = None  # [{name, description, parameters}]
    max_tokens: int = 1024
    temperature: float | None = None
    response_format: dict[str, Any] | None = None
    # who and what the call is for: budgets, the ledger, the cache policy
    learner: str | None = None
    lab: str | None = None
    scope: str | None = None  # a named class scope for budgets
    purpose: str = "conversation"  # conversation turns are never cached by default
    cache: bool | UseDefault = USE_DEFAULT
    connect_timeout: float | UseDefault = USE_DEFAULT
    read_timeout: float | UseDefault = USE_DEFAULT
    total_deadline: float | UseDefault = USE_DEFAULT
    deadline: float | None = None  # absolute time.monotonic() value, set by the ledger layer
    call_id: str = dataclasses.field(default_factory=new_call_id)
    seq: int = 0  # which call of a multi-call reply (tool rounds)
    context: dict[str, Any] = dataclasses.field(default_factory=dict)  # e.g. the offline Turn
    record: CallRecord = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.record = CallRecord(call_id=self.call_id)

    def for_target(self, provider: str, model: str) -> Call:
        """The same call aimed at another target, sharing this call's record."""
        # A shallow copy of the fields (dataclasses.replace re-runs __init__ and
        # __post_init__, which would build a record only to throw it away).
        clone = object.__new__(Call)
        clone.__dict__.update(self.__dict__)
        clone.provider, clone.model = provider, model
        return clone

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None when there is none)."""
        return None if self.deadline is None else self.deadline - time.monotonic()


class Handler(abc.ABC):
    """Something that can answer a ``Call``: a layer or a provider adapter."""

    @abc.abstractmethod
    async def ahandle(self, call: Call) -> Result:
        """Send the call and return the whole result, or raise a ``CallError``."""

    @abc.abstractmethod
    def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        """Yield ``Chunk`` events then one ``Final``; the consumer closes the iterator."""

    def handle(self, call: Call) -> Result:
        """Blocking form of ``ahandle`` for scripts (not inside a running loop)."""
        return asyncio.run(self.ahandle(call))

    async def aclose(self) -> None:  # noqa: B027 - optional hook, like httpx's close()
        """Release connections."""

    def close(self) -> None:
        """Blocking form of ``aclose``."""
        asyncio.run(self.aclose())


class Layer(Handler):
    """A handler that wraps the next one (the httpx-transport pattern)."""

    def __init__(self, inner: Handler) -> None:
        self.inner = inner

    async def aclose(self) -> None:
        await self.inner.aclose()
