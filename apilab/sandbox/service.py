"""The request pipeline both front doors share: key, model, cap, limits, chaos, billing, audit.

Order of checks (what a client meets first): body size → key (401) → body
(400) → model (404) → key's allow-list (403) → the model's output cap and
context window (400) → spending cap (429 insufficient_quota / Anthropic 400) →
rate limits (429 requests/tokens) → injected chaos faults. A refused request
consumes nothing from the buckets.

Contract for callers: ``begin`` a ``Call``, run the checks, then exactly one
``finish`` per call (from a ``finally`` for streams) which settles the token
reservation, adds the cost to the key's month spend and queues one audit row.
``finish`` is idempotent, so an error path and a ``finally`` may both call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from apilab.errors import InvalidInputError, NotFoundError
from apilab.sandbox import catalogue
from apilab.sandbox.catalogue import ModelInfo
from apilab.sandbox.chaos import ChaosDecision
from apilab.sandbox.errors import (
    SandboxHTTPError,
    error_response,
    is_store_outage,
    store_outage,
)
from apilab.sandbox.keys import KeyRecord, secret_hint
from apilab.sandbox.limits import LimitSnapshot, go_duration
from apilab.sandbox.state import SandboxState
from apilab.strictjson import loads_strict

__all__ = ["MAX_BODY_BYTES", "Call", "Service", "hex_id", "random_id", "request_id"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024
# Prompts from bodies over this size are tokenised on a worker thread: counting a few
# megabytes takes long enough to stall every other request on the event loop.
OFF_LOOP_BYTES = 64 * 1024
DEFAULT_OUTPUT_RESERVE = 256
_B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


# Response/request ids need to be unique, not secret: a seeded PRNG and a byte
# translation table make them ~50x cheaper than ``secrets.choice`` per character.
_ID_RNG = random.Random(secrets.randbits(128))
_ID_TABLE = bytes(ord(_B62[i % 62]) for i in range(256))


def random_id(prefix: str, length: int = 24) -> str:
    """``prefix`` + random base-62 characters, like the providers' ids (not secrets)."""
    return prefix + _ID_RNG.randbytes(length).translate(_ID_TABLE).decode("ascii")


def hex_id(prefix: str, nbytes: int) -> str:
    """``prefix`` + ``2 * nbytes`` random hex digits (OpenAI's request and item ids)."""
    return prefix + _ID_RNG.randbytes(nbytes).hex()


def request_id(api: str) -> str:
    """A request id in the provider's shape, the same for a success and an error.

    OpenAI: ``req_`` + 32 hex digits; Anthropic: ``req_011C`` + 20 base-62 characters.
    """
    if api == "anthropic":
        return random_id("req_011C", 20)
    return hex_id("req_", 16)


@dataclasses.dataclass
class Call:
    """One request in flight: who made it, what it asked for, what it has cost so far."""

    api: str  # "openai" | "anthropic"
    request_id: str
    started: float
    user_agent: str | None
    retry_count: int | None
    key: KeyRecord | None = None
    key_hint: str | None = None
    model: ModelInfo | None = None
    model_name: str | None = None
    stream: bool = False
    scope: str | None = None
    rpm: int = 0
    tpm: int = 0
    reserved: int = 0
    snapshot: LimitSnapshot | None = None
    finished: bool = False
    chaos: ChaosDecision | None = None


class Service:
    """Shared checks and bookkeeping over one ``SandboxState``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # --- start
    def begin(self, request: Request, api: str) -> Call:
        retry = request.headers.get("x-stainless-retry-count")
        try:
            retry_count: int | None = int(retry) if retry is not None else None
        except ValueError:
            retry_count = None
        return Call(api, request_id(api), time.monotonic(), request.headers.get("user-agent"),
                    retry_count)

    async def read_body(self, request: Request) -> bytes:
        """The body, refusing anything over ``MAX_BODY_BYTES`` without reading it all."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise _too_large()
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
        except HTTPException as exc:  # the lab's front door counted past its own limit
            if exc.status_code == 413:
                raise _too_large() from None
            raise
        return b"".join(chunks)

    @staticmethod
    def parse_json(body: bytes, message: str) -> Any:
        """The body as strict JSON (no NaN, no lone surrogates, 64 levels, 64-bit ints).

        ``message`` is the provider's own "not JSON" sentence; the strict rule the
        body broke is appended, so a client can tell which.
        """
        try:
            return loads_strict(body)
        except InvalidInputError as exc:
            raise SandboxHTTPError("invalid_request", f"{message} ({exc})") from None

    @staticmethod
    async def off_loop(size: int, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` inline for small requests, on a worker thread for big ones."""
        if size > OFF_LOOP_BYTES:
            return await to_thread.run_sync(fn, *args)
        return fn(*args)

    async def respond(self, call: Call, run: Callable[[], Awaitable[Response]],
                      what: str) -> Response:
        """``run()``'s response, or the error reply in the caller's provider shape.

        A refusal (``SandboxHTTPError``) is audited with its status and sent as is; a store
        outage is a 503 without rate-limit headers (computing them needs the store); any
        other failure is logged and sent as the provider's 500, never as a stack trace.
        """
        api = call.api
        try:
            return await run()
        except SandboxHTTPError as exc:
            note = exc.anthropic_message if api == "anthropic" and exc.anthropic_message \
                else exc.message
            self.finish(call, exc.status(api), error_type=exc.error_type(api), note=note[:200])
            return error_response(exc, api, call.request_id, self.headers(call))
        except Exception as error:  # noqa: BLE001 - never a stack trace on the wire
            if is_store_outage(error):
                log.warning("Sandbox store unavailable (request %s): %s", call.request_id,
                            type(error).__name__)
                with contextlib.suppress(Exception):  # the audit row may not be writable
                    self.finish(call, 503, error_type="unavailable", note="store unavailable")
                return error_response(store_outage(), api, call.request_id, {})
            log.exception("Sandbox %s failed (request %s).", what, call.request_id)
            failure = SandboxHTTPError("server", "The server had an error while processing "
                                       "your request. Sorry about that!",
                                       anthropic_message="Internal server error")
            self.finish(call, 500, error_type=failure.error_type(api), note="unhandled error")
            return error_response(failure, api, call.request_id, self.headers(call))

    # --- checks
    def authenticate(self, call: Call, secret: str | None) -> KeyRecord:
        """The key for ``secret``, or a 401 in the caller's provider shape."""
        if not secret:
            raise SandboxHTTPError(
                "auth",
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                anthropic_message="x-api-key header is required",
            )
        call.key_hint = secret_hint(secret)
        record = self.state.key_for_secret(secret)
        if record is None or record.revoked:
            if record is not None:
                call.key = record
            what = "revoked" if record is not None else "incorrect"
            raise SandboxHTTPError(
                "auth",
                f"Incorrect API key provided: {call.key_hint}. This sandbox key is {what}; "
                "create one with `apilab sandbox keys create`.",
                anthropic_message="invalid x-api-key",
            )
        call.key = record
        return record

    def resolve_model(self, call: Call, name: Any) -> ModelInfo:
        """The requested model (404 when unknown) if the key may use it (403)."""
        if not isinstance(name, str) or not name.strip():
            raise SandboxHTTPError("invalid_request", "you must provide a model parameter",
                                   param="model", anthropic_message="model: Field required")
        call.model_name = name
        try:
            info = catalogue.lookup_model(name)
        except NotFoundError as exc:
            raise SandboxHTTPError(
                "not_found",
                f"The model `{name}` does not exist or you do not have access to it.",
                code="model_not_found",
                anthropic_message=f"model: {name}",
                headers={"x-apilab-hint": _ascii(str(exc))[:300]},
            ) from exc
        call.model = info
        key = call.key
        if key is not None and key.models is not None:
            allowed = {m.lower() for m in key.models}
            if not (allowed & {n.lower() for n in info.names} or name.lower() in allowed):
                raise SandboxHTTPError(
                    "permission",
                    f"Project key `{key.id}` does not have access to model `{name}`. "
                    f"Allowed: {', '.join(key.models)}.",
                    anthropic_message=f"Your API key does not have permission to use the "
                    f"model {name}.",
                )
        return info

    def check_kind(self, call: Call, endpoint: str, kinds: tuple[str, ...] = ("chat",)) -> None:
        """Refuse a model this endpoint does not serve (an embedding model in chat, ...)."""
        info = call.model
        if info is None or info.kind in kinds:
            return
        what = {"embedding": "an embedding model", "completion": "a completions model"}.get(
            info.kind, "a chat model")
        raise SandboxHTTPError(
            "not_found",
            f"This is {what} and thus not supported in the v1/{endpoint} endpoint.",
            anthropic_message=f"model: {call.model_name} is not a Messages model",
        )

    def check_output_cap(self, call: Call, requested: int | None, param: str) -> None:
        """A 400 when the output cap asked for exceeds what the model can produce.

        Checked before the spend and rate-limit decisions, as the real APIs validate the
        request first: a tier-1 key asking for 10,000,000 tokens gets a 400, not a 429.
        """
        info = call.model
        if info is None or requested is None or requested <= info.max_output_tokens:
            return
        raise SandboxHTTPError(
            "invalid_request",
            f"{param} is too large: {requested}. This model supports at most "
            f"{info.max_output_tokens} completion tokens, whereas you provided {requested}.",
            param=param, code="invalid_value",
            anthropic_message=f"max_tokens: {requested} > {info.max_output_tokens}, which is "
            f"the maximum allowed number of output tokens for {info.id}",
        )

    def check_spend(self, call: Call) -> None:
        """Refuse once the key's monthly spending cap is used up."""
        key = call.key
        if key is None or key.monthly_cap_usd is None:
            return
        if self.state.month_spend(key.id) >= key.monthly_cap_usd:
            raise SandboxHTTPError(
                "quota",
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, read the docs: "
                "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                anthropic_message="Your credit balance is too low to access the Anthropic API. "
                "Please go to Plans & Billing to upgrade or purchase credits.",
            )

    def limits_for(self, key: KeyRecord) -> tuple[int, int]:
        tier = self.state.config.tiers.get(key.tier) or self.state.config.tier("tier-1")
        return key.rpm or tier.rpm, key.tpm or tier.tpm

    def admit(self, call: Call, input_tokens: int, max_output: int | None) -> None:
        """Reserve input + max output tokens and one request, or raise the right 429."""
        key, info = call.key, call.model
        assert key is not None and info is not None
        rpm, tpm = self.limits_for(key)
        call.scope, call.rpm, call.tpm = f"{key.id}:{info.id}", rpm, tpm
        reserve = input_tokens + (max_output if max_output is not None else
                                  DEFAULT_OUTPUT_RESERVE)
        admission = self.state.limits.admit(call.scope, rpm, tpm, reserve)
        call.snapshot = admission.snapshot
        if admission.allowed:
            call.reserved = admission.reserved
            return
        name = call.model_name or info.id
        if admission.refused_by == "too_large":
            raise SandboxHTTPError(
                "rate_tokens",
                f"Request too large for {name} in organization org-sandbox on tokens per min "
                f"(TPM): Limit {tpm}, Requested {reserve}. The input or output tokens must be "
                "reduced in order to run successfully.",
                anthropic_message="Number of request tokens has exceeded your per-minute rate "
                "limit; see the response headers for current usage. Please reduce the prompt "
                "length or the maximum tokens requested, or try again later.",
                # Waiting can never make it fit: the SDKs' documented override tells them
                # not to retry (it wins over Retry-After, which every 429 still carries).
                headers={"x-should-retry": "false"}, retry_after=60.0,
            )
        wait = admission.retry_after
        snap = admission.snapshot
        if admission.refused_by == "requests":
            raise SandboxHTTPError(
                "rate_requests",
                f"Rate limit reached for {name} in organization org-sandbox on requests per min "
                f"(RPM): Limit {rpm}, Used {rpm - snap.remaining_requests}, Requested 1. "
                f"Please try again in {go_duration(wait)}.",
                anthropic_message="Number of requests has exceeded your per-minute rate limit; "
                "see the response headers for current usage. Please try again later.",
                retry_after=wait,
            )
        raise SandboxHTTPError(
            "rate_tokens",
            f"Rate limit reached for {name} in organization org-sandbox on tokens per min (TPM): "
            f"Limit {tpm}, Used {tpm - snap.remaining_tokens}, Requested {reserve}. "
            f"Please try again in {go_duration(wait)}.",
            anthropic_message="Number of request tokens has exceeded your per-minute rate limit; "
            "see the response headers for current usage. Please reduce the prompt length or "
            "the maximum tokens requested, or try again later.",
            retry_after=wait,
        )

    def chaos(self, call: Call) -> ChaosDecision:
        """This request's injected faults (drawn once per call)."""
        if call.chaos is None:
            call.chaos = self.state.chaos.decide(call.key.id if call.key else None,
                                                 stream=call.stream)
        return call.chaos

    async def inject_faults(self, call: Call) -> ChaosDecision:
        """Apply this request's drawn hang, latency and error before any byte is sent.

        Raises the injected error (if the draw picked one) as a normal JSON error: the
        SDKs only retry the status path, so pre-stream faults are never sent as SSE.
        """
        decision = self.chaos(call)
        if decision.hang_s:
            await asyncio.sleep(decision.hang_s)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        fault = self.chaos_error(decision)
        if fault is not None:
            raise fault
        return decision

    def chaos_error(self, decision: ChaosDecision) -> SandboxHTTPError | None:
        """The injected fault as an error, if the draw picked one."""
        if decision.fault == "429":
            return SandboxHTTPError(
                "rate_requests",
                "Rate limit reached (injected by the sandbox chaos profile "
                f"'{decision.profile}'). Please try again in {go_duration(decision.retry_after)}.",
                anthropic_message="Number of requests has exceeded your per-minute rate limit "
                f"(injected by chaos profile '{decision.profile}').",
                retry_after=decision.retry_after,
            )
        if decision.fault == "500":
            return SandboxHTTPError(
                "server", "The server had an error while processing your request. Sorry about "
                "that! (injected by the sandbox chaos profile)",
                anthropic_message="Internal server error (injected by the sandbox chaos profile)",
            )
        if decision.fault == "503":
            return SandboxHTTPError(
                "unavailable", "That model is currently overloaded with other requests. You can "
                "retry your request. (injected by the sandbox chaos profile)",
                anthropic_message="Service unavailable (injected by the sandbox chaos profile)",
            )
        if decision.fault == "529":
            return SandboxHTTPError(
                "overloaded", "That model is currently overloaded with other requests. You can "
                "retry your request. (injected by the sandbox chaos profile)",
                anthropic_message="Overloaded", retry_after=decision.retry_after,
            )
        return None

    # --- end
    def finish(
        self,
        call: Call,
        status: int,
        *,
        error_type: str | None = None,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        note: str | None = None,
        billable: bool = True,
    ) -> Decimal:
        """Settle limits, add the cost to the key's spend and queue the audit row (once).

        ``input_tokens`` is the whole prompt; ``cached_tokens`` and
        ``cache_write_tokens`` are the parts of it read from / written to the cache.
        """
        if call.finished:
            return Decimal(0)
        call.finished = True
        cost = Decimal(0)
        if billable and call.model is not None and (input_tokens or output_tokens):
            uncached = max(0, input_tokens - cached_tokens - cache_write_tokens)
            try:
                cost = catalogue.price_usage(call.model, input_tokens=uncached,
                                             output_tokens=output_tokens,
                                             cached_tokens=cached_tokens,
                                             cache_write_tokens=cache_write_tokens)
            except Exception as exc:  # noqa: BLE001 - billing must not break the reply
                note = f"{note + '; ' if note else ''}not priced: {exc}"
        if call.scope is not None and call.reserved:
            # Cache reads do not count toward input TPM (Anthropic's rule, applied to both).
            actual = max(0, input_tokens - cached_tokens) + output_tokens
            try:
                self.state.limits.settle(call.scope, call.rpm, call.tpm, call.reserved, actual)
            except Exception as exc:  # noqa: BLE001 - a Redis blip must not break a finished reply
                log.warning("Could not settle rate-limit reservation for %s: %s",
                            call.request_id, type(exc).__name__)
            call.reserved = 0
        if call.key is not None and cost:
            self.state.add_spend(call.key.id, cost)
        self.state.audit.add({
            "key_id": call.key.id if call.key else None,
            "key_hint": call.key_hint,
            "time": dt.datetime.now(dt.UTC),
            "request_id": call.request_id,
            "api": call.api,
            "model": call.model.id if call.model else (call.model_name or None),
            "status": status,
            "error_type": error_type,
            "stream": call.stream,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cached_tokens": cached_tokens,
            "cache_write_tokens": cache_write_tokens,
            "cost_usd": cost,
            "user_agent": (call.user_agent or "")[:500] or None,
            "retry_count": call.retry_count,
            "latency_ms": int((time.monotonic() - call.started) * 1000),
            "note": note,
        })
        return cost

    # --- headers
    def headers(self, call: Call) -> dict[str, str]:
        """Request id, processing time and rate-limit headers in the caller's provider style."""
        out: dict[str, str] = {}
        elapsed = str(int((time.monotonic() - call.started) * 1000))
        snap = call.snapshot
        if snap is None and call.key is not None:
            rpm, tpm = self.limits_for(call.key)
            scope = f"{call.key.id}:{call.model.id}" if call.model else f"{call.key.id}:*"
            snap = self.state.limits.snapshot(scope, rpm, tpm)
        if call.api == "openai":
            out["x-request-id"] = call.request_id
            out["openai-processing-ms"] = elapsed
            out["openai-version"] = "2020-10-01"
            out["openai-organization"] = "org-sandbox"
            if snap is not None:
                out.update({
                    "x-ratelimit-limit-requests": str(snap.limit_requests),
                    "x-ratelimit-limit-tokens": str(snap.limit_tokens),
                    "x-ratelimit-remaining-requests": str(snap.remaining_requests),
                    "x-ratelimit-remaining-tokens": str(snap.remaining_tokens),
                    "x-ratelimit-reset-requests": go_duration(snap.reset_requests),
                    "x-ratelimit-reset-tokens": go_duration(snap.reset_tokens),
                })
        else:
            out["request-id"] = call.request_id
            if snap is not None:
                now = dt.datetime.now(dt.UTC)

                def at(seconds: float) -> str:
                    instant = now + dt.timedelta(seconds=seconds)
                    return instant.replace(microsecond=0).isoformat().replace("+00:00", "Z")

                tokens = {
                    "limit": str(snap.limit_tokens),
                    "remaining": str(snap.remaining_tokens),
                    "reset": at(snap.reset_tokens),
                }
                out["anthropic-ratelimit-requests-limit"] = str(snap.limit_requests)
                out["anthropic-ratelimit-requests-remaining"] = str(snap.remaining_requests)
                out["anthropic-ratelimit-requests-reset"] = at(snap.reset_requests)
                for family in ("tokens", "input-tokens", "output-tokens"):
                    for field, value in tokens.items():
                        out[f"anthropic-ratelimit-{family}-{field}"] = value
        return out


def _too_large() -> SandboxHTTPError:
    return SandboxHTTPError(
        "too_large",
        f"Request body is larger than the sandbox's limit of {MAX_BODY_BYTES // (1024 * 1024)} "
        "MB. Send a shorter prompt.",
        anthropic_message="Request exceeds the maximum allowed number of bytes.",
    )


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")
