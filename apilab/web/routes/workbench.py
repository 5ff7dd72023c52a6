"""Routes: the Lab 1 workbench — build a chat request, send it, see the raw exchange.

- ``GET  /api/workbench/options``  models (the sandbox catalogue), targets (sandbox, and
  a real provider when its key is configured), the one-click scenarios.
- ``POST /api/workbench/send``     send one request and stream what happened as SSE:
  ``request`` (the raw HTTP request, key redacted), ``attempt`` (for scenarios that
  need several requests), ``response`` (status and headers), ``sse`` (each upstream
  stream event as it arrives) or ``body`` (a whole JSON reply), then ``summary``
  (usage, finish_reason, time to first token, and what a client should do), or
  ``error``. With ``Accept: application/json`` the same events come back as one
  JSON object (for tests and scripts).

Requests to the sandbox go to the sandbox mounted in this same server, in-process
(``StreamingASGITransport``), with the lab's own sandbox key
(``apilab.sandbox.keys.ensure_lab_key``; its secret never reaches the page).
Scenario keys (a free-tier key for the 429, a key with a 503 chaos profile) are
created on first use and their secrets kept only in this process's memory.
Requests to a real provider go through the call layer instead (budget, ledger,
retries; see ``_workbench_provider.py``), with the wire tapped for the same view.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from apilab.errors import ApilabError
from apilab.web.identity import LOCAL_LEARNER, current_learner
from apilab.web.routes._workbench_transport import StreamingASGITransport
from apilab.web.routes._workbench_wire import (
    EXPLAIN,
    SCENARIOS,
    Scrubber,
    SSEBuffer,
    StreamState,
    build_request,
    content_of,
    curl_command,
    finish_of,
    outcome_of,
    redact_headers,
    sse_frames,
)
from apilab.web.sse import sse_event

router = APIRouter()
log = logging.getLogger(__name__)

Style = Literal["openai", "anthropic", "responses"]
Scenario = Literal["none", "malformed", "bad_key", "rate_limit", "unavailable", "truncated"]

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5",
                  "responses": "gpt-4o-mini"}
REAL_BASE_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com/v1"}
PATHS = {"openai": "/chat/completions", "anthropic": "/messages", "responses": "/responses"}
_SCENARIO_OWNER = "apilab-workbench"

class WorkbenchIn(BaseModel):
    """One workbench request as the form builds it."""

    style: Style = Field("openai", description="Wire format: OpenAI Chat Completions, "
                                               "OpenAI Responses or Anthropic Messages.")
    target: Literal["sandbox", "provider"] = Field(
        "sandbox", description="The built-in sandbox, or the real provider (needs its key).")
    model: str = Field("", description="Model name; empty picks the style's default.")
    system: str = Field("You are a concise assistant.", max_length=20_000)
    user: str = Field("Explain in two sentences what an API rate limit is.", max_length=20_000)
    max_tokens: int = Field(200, description="Output token cap.")
    temperature: float = Field(0.7)
    stream: bool = Field(True, description="Stream the reply as Server-Sent Events.")
    scenario: Scenario = Field("none", description="A one-click provocation; uses the sandbox.")


# --------------------------------------------------------------------------- keys


async def _sandbox_key(request: Request, purpose: str) -> str:
    """The secret for the lab key or a scenario key (created once per process)."""
    from apilab.sandbox import keys

    app = request.app
    db, settings = app.state.db, app.state.settings
    if purpose == "lab":
        return await run_in_threadpool(keys.ensure_lab_key, db, settings)
    if not hasattr(app.state, "workbench_keys"):
        app.state.workbench_keys = {}
        app.state.workbench_keys_lock = asyncio.Lock()
    cache: dict[str, str] = app.state.workbench_keys
    async with app.state.workbench_keys_lock:
        secret = cache.get(purpose)
        if secret is None or not await run_in_threadpool(_still_usable, db, purpose, secret):
            secret = cache[purpose] = await run_in_threadpool(_create_scenario_key, db, purpose)
    return secret


def _still_usable(db: Any, purpose: str, secret: str) -> bool:
    """False when someone revoked the scenario key (e.g. from the CLI) since we made it."""
    from apilab.sandbox import keys

    record = keys.find_key(db, secret)
    if record is None or record.revoked:
        return False
    if purpose == "unavailable":
        _fail_every_request(db, record.id)  # chaos lives in memory: re-apply, it is idempotent
    return True


def _fail_every_request(db: Any, key_id: str) -> None:
    from apilab.sandbox.chaos import set_chaos

    set_chaos(db, {"name": "workbench-503", "p_503": 1.0, "retry_after_s": 5.0}, key_id=key_id)


def _create_scenario_key(db: Any, purpose: str) -> str:
    from apilab.sandbox import keys

    name = f"workbench {purpose} demo"
    # Keys from earlier server runs are unusable (their secrets were never stored): retire them.
    for old in keys.list_keys(db, include_revoked=False):
        if old.owner == _SCENARIO_OWNER and old.name == name:
            keys.revoke_key(db, old.id)
    tier = "free" if purpose == "rate_limit" else "lab"
    record, secret = keys.create_key(db, name=name, tier=tier, owner=_SCENARIO_OWNER)
    if purpose == "unavailable":
        _fail_every_request(db, record.id)
    return secret


def _provider_key(style: str, settings: Any) -> str | None:
    """A real provider's key (secret file, then environment), or None when not configured."""
    try:
        from apilab.providers.keys import resolve_key
    except ImportError:  # the call layer is not installed in this build
        return None
    try:
        return resolve_key(style, settings)
    except ApilabError:  # NeedsKeyError, or an unsafe secret file: not usable here
        return None


def _provider_transport() -> httpx2.AsyncBaseTransport | None:
    """The transport for real providers: httpx's default (tests substitute a local one)."""
    return None


def _providers_configured(settings: Any) -> dict[str, bool]:
    configured = {style: _provider_key(style, settings) is not None
                  for style in ("openai", "anthropic")}
    return {**configured, "responses": False}  # sandbox only: see run_workbench


# --------------------------------------------------------------------------- the exchange


async def _send_once(
    client: httpx2.AsyncClient, url: str, headers: dict[str, str], raw: bytes, style: str,
    scrub: Scrubber, emit: bool,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Send one request; yield ``response``, ``sse``/``body`` events and a final ``_result``."""
    started = time.perf_counter()
    state = StreamState(style)

    def ms(at: float | None = None) -> float:
        return round(((at or time.perf_counter()) - started) * 1000, 1)

    try:
        async with client.stream("POST", url, headers=headers, content=raw) as response:
            head_ms = ms()
            shown_headers = {k: scrub(v) for k, v in response.headers.items()}
            if emit:
                yield "response", {"status": response.status_code,
                                   "reason": response.reason_phrase,
                                   "http_version": response.http_version,
                                   "headers": shown_headers, "t_ms": head_ms}
            content_type = response.headers.get("content-type", "")
            data: Any = None
            if response.status_code == 200 and content_type.startswith("text/event-stream"):
                count = 0
                async for frame in sse_frames(response):
                    now = time.perf_counter()
                    event, payload = frame
                    count += 1
                    try:
                        parsed: Any = json.loads(payload)
                    except ValueError:
                        parsed = None
                        if payload.strip() == "[DONE]":
                            state.done = True
                        else:
                            state.error = {"message": "A malformed chunk arrived: it is not "
                                                      "JSON."}
                    state.feed(event, parsed, now)
                    if emit:
                        yield "sse", {"n": count, "event": event, "data": scrub(payload),
                                      "t_ms": ms(now)}
                if not state.done and not state.error:
                    # The body ended without OpenAI's [DONE] / Anthropic's message_stop: the
                    # connection dropped mid-reply, even though the status said 200.
                    marker = {"openai": "data: [DONE]", "anthropic": "event: message_stop",
                              "responses": "event: response.completed"}[style]
                    state.error = {"message": f"The stream ended before `{marker}`: the "
                                              "connection dropped part-way through the reply."}
            else:
                text = (await response.aread()).decode("utf-8", errors="replace")
                try:
                    data = json.loads(text)
                except ValueError:
                    data = None
                if emit:
                    yield "body", {"text": scrub(text), "json": data is not None,
                                   "t_ms": ms()}
                if response.status_code == 200:
                    state.text.append(content_of(style, data))
                    state.finish = finish_of(style, data)
                    state.usage = data.get("usage") if isinstance(data, dict) else None
                    state.first_token_at = time.perf_counter()
                elif isinstance(data, dict):
                    state.error = data.get("error", data)
                else:
                    state.error = {"message": text[:500]}
            yield "_result", {
                "status": response.status_code,
                "request_id": response.headers.get("x-request-id")
                or response.headers.get("request-id"),
                "retry_after": response.headers.get("retry-after"),
                "retry_after_ms": response.headers.get("retry-after-ms"),
                "usage": state.usage,
                "finish_reason": state.finish,
                "content": scrub("".join(state.text)),
                "error": json.loads(scrub(json.dumps(state.error))) if state.error else None,
                "ttft_ms": ms(state.first_token_at) if state.first_token_at else None,
                "headers_ms": head_ms,
                "total_ms": ms(),
            }
    except httpx2.TimeoutException:
        yield "_result", {"status": None, "error": {"message": "Timed out waiting for the "
                                                               "server."}, "total_ms": ms()}
    except httpx2.HTTPError as exc:
        partial = "".join(state.text)
        yield "_result", {"status": 200 if partial else None, "content": scrub(partial),
                          "error": {"message": scrub(str(exc)) or type(exc).__name__},
                          "usage": state.usage, "finish_reason": state.finish,
                          "total_ms": ms()}


async def _run_provider(request: Request, body: WorkbenchIn, key: str, base: str,
                        learner: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A real provider, through the call layer (budget, ledger, retries), wire tapped."""
    try:
        from apilab.web.routes._workbench_provider import call_provider, error_outcome
    except ImportError:  # the call layer is not installed in this build
        yield "error", {"error": "The call layer is not installed in this build, so real "
                                 "providers are not configured. Use the sandbox."}
        return
    settings = request.app.state.settings
    scrub = Scrubber(key)
    state = StreamState(body.style)
    buffers: dict[int, SSEBuffer] = {}
    bodies: dict[int, list[bytes]] = {}
    started = time.perf_counter()
    status: int | None = None
    sse_count = 0

    def ms() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    async for name, data in call_provider(
        settings, style=body.style, key=key, base_url=base, inner=_provider_transport(),
        model=body.model, system=body.system, user=body.user, max_tokens=body.max_tokens,
        temperature=body.temperature, stream=body.stream, learner=learner,
    ):
        if name == "request":
            n, sent = data
            try:
                shown_body = json.dumps(json.loads(sent["body"]), indent=2, ensure_ascii=False)
            except ValueError:
                shown_body = sent["body"]
            yield "request", {"method": sent["method"], "url": sent["url"], "target": "provider",
                              "style": body.style, "scenario": "none", "stream": body.stream,
                              "headers": redact_headers(sent["headers"]),
                              "body": scrub(shown_body), "attempt": n,
                              "curl": scrub(curl_command(sent["url"], sent["headers"],
                                                         shown_body, key_source=body.style))}
        elif name == "response":
            n, head = data
            status = head["status"]
            state = StreamState(body.style)  # a retry starts the reply over
            if head["headers"].get("content-type", "").startswith("text/event-stream"):
                buffers[n] = SSEBuffer()
            else:
                bodies[n] = []
            yield "attempt", {"n": n, "status": status, "t_ms": ms()}
            yield "response", {"status": status,
                               "reason": httpx2.codes.get_reason_phrase(status),
                               "http_version": head["http_version"],
                               "headers": {k: scrub(v) for k, v in head["headers"].items()},
                               "t_ms": ms()}
        elif name == "chunk":
            n, chunk = data
            if n in buffers:
                for event, payload in buffers[n].feed(chunk):
                    now = time.perf_counter()
                    try:
                        state.feed(event, json.loads(payload), now)
                    except ValueError:
                        state.done = state.done or payload.strip() == "[DONE]"
                    sse_count += 1
                    yield "sse", {"n": sse_count, "event": event, "data": scrub(payload),
                                  "t_ms": ms()}
            else:
                bodies.setdefault(n, []).append(chunk)
        elif name == "end":
            n, _ = data
            if n in bodies:
                text = b"".join(bodies.pop(n)).decode("utf-8", errors="replace")
                try:
                    parsed: Any = json.loads(text)
                except ValueError:
                    parsed = None
                if status == 200 and parsed is not None:
                    state.text = [content_of(body.style, parsed)]
                    state.finish = finish_of(body.style, parsed)
                    state.usage = parsed.get("usage") if isinstance(parsed, dict) else None
                yield "body", {"text": scrub(text), "json": parsed is not None, "t_ms": ms()}
        elif name == "done":
            record = data["record"]
            error = data["error"]
            special = None
            if error is not None:
                status, err_body, special = error_outcome(error)
                err_body["message"] = scrub(err_body["message"])
            outcome = special or outcome_of(status, state.finish,
                                            err_body if error is not None else None)
            yield "summary", {
                "status": status, "outcome": outcome, "explanation": EXPLAIN[outcome],
                "scenario": "none", "usage": state.usage, "finish_reason": state.finish,
                "content": scrub("".join(state.text)),
                "error": err_body if error is not None else None,
                "request_id": getattr(data["result"], "request_id", None)
                or getattr(error, "request_id", None),
                "ttft_ms": round(record.ttft_ms, 1) if record.ttft_ms is not None else None,
                "total_ms": data["total_ms"],
                "attempts": len(record.attempts),
                "cost_usd": str(record.cost) if record.cost is not None else None,
                "call_id": record.call_id,
            }


async def run_workbench(request: Request, body: WorkbenchIn, learner: str = LOCAL_LEARNER
                        ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Every event of one workbench exchange, in order."""
    settings = request.app.state.settings
    body = body.model_copy(update={"model": body.model.strip() or DEFAULT_MODELS[body.style]})
    scenario = body.scenario
    target = "sandbox" if scenario != "none" else body.target

    if target == "provider" and body.style == "responses":
        # The call layer speaks Chat Completions and Messages; a real Responses call would
        # skip its budget and ledger, so the workbench does not make one.
        yield "error", {"error": "The OpenAI Responses style is available on the built-in "
                        "sandbox only: real-provider calls go through the call layer, which "
                        "uses Chat Completions. Send to the sandbox, or pick Chat Completions."}
        return
    if target == "provider":
        key = _provider_key(body.style, settings)
        if key is None:
            env = "OPENAI_API_KEY" if body.style == "openai" else "ANTHROPIC_API_KEY"
            yield "error", {"error": f"No real {body.style} provider is configured. Put the key "
                            f"in the environment ({env}) or the secret file and restart the "
                            "server, or send to the built-in sandbox instead."}
            return
        base = (settings.base_url if body.style == "openai" and settings.base_url
                else REAL_BASE_URLS[body.style]).rstrip("/")
        async for event in _run_provider(request, body, key, base, learner):
            yield event
        return

    purpose = scenario if scenario in ("rate_limit", "unavailable") else "lab"
    try:
        key = await _sandbox_key(request, purpose)
    except ImportError:
        yield "error", {"error": "The built-in sandbox is not installed in this build."}
        return
    base = str(request.base_url).rstrip("/") + "/sandbox/v1"

    used_key = key
    if scenario == "bad_key":
        # Made up at run time so it is never a real key, and shaped like a sandbox key.
        used_key = "sk-sbx-" + secrets.token_urlsafe(30)
    if scenario == "rate_limit":
        # Small and non-streamed: the point is the refusal, not the reply.
        body = body.model_copy(update={"stream": False, "max_tokens": 1})
    headers, raw, pretty = build_request(body, used_key)
    scrub = Scrubber(key, used_key)
    url = base + PATHS[body.style]
    yield "request", {
        "method": "POST", "url": url, "target": target, "style": body.style,
        "scenario": scenario, "headers": redact_headers(headers), "body": scrub(pretty),
        "stream": body.stream,
        "curl": scrub(curl_command(url, headers, pretty,
                                   key_source="none" if scenario == "bad_key" else "sandbox")),
    }

    timeout = httpx2.Timeout(connect=settings.connect_timeout, read=settings.read_timeout,
                            write=settings.read_timeout, pool=settings.connect_timeout)
    result: dict[str, Any] = {}
    # In-process and streamed: see _workbench_transport for why not httpx2.ASGITransport.
    transport = StreamingASGITransport(request.app)
    async with httpx2.AsyncClient(transport=transport, timeout=timeout) as client:
        attempts = 7 if scenario == "rate_limit" else 1
        for attempt in range(1, attempts + 1):
            if attempts == 1:
                async for name, data in _send_once(client, url, headers, raw, body.style,
                                                   scrub, emit=True):
                    if name == "_result":
                        result = data
                    else:
                        yield name, data
                break
            # The 429 scenario: send until the free tier (3 RPM) refuses one, then show that
            # refused exchange in full.
            events = [item async for item in _send_once(client, url, headers, raw,
                                                        body.style, scrub, emit=True)]
            result = events[-1][1]
            yield "attempt", {"n": attempt, "status": result.get("status"),
                              "t_ms": result.get("total_ms")}
            if result.get("status") != 200 or attempt == attempts:
                for name, data in events[:-1]:
                    yield name, data
                break

    outcome = outcome_of(result.get("status"), result.get("finish_reason"), result.get("error"))
    summary = {**result, "outcome": outcome, "explanation": EXPLAIN[outcome],
               "scenario": scenario}
    if scenario != "none":
        summary["intent"] = SCENARIOS[scenario]["intent"]
    yield "summary", summary


@router.get("/api/workbench/options")
async def workbench_options(request: Request) -> dict[str, Any]:
    """What the workbench form offers: models, targets and scenarios."""
    models: list[dict[str, Any]] = []
    try:
        from apilab.sandbox.catalogue import list_catalogue

        seen = set()
        for name, info in await run_in_threadpool(list_catalogue):
            # The workbench sends chat requests: embedding and legacy completions models
            # would only ever answer 404 here.
            if name in seen or getattr(info, "kind", "chat") != "chat":
                continue
            seen.add(name)
            models.append({"id": name, "provider": info.provider,
                           "context_window": info.context_window})
    except ImportError:
        models = [{"id": m, "provider": p, "context_window": None}
                  for p, m in DEFAULT_MODELS.items()]
    return {
        "models": models,
        "defaults": {**WorkbenchIn().model_dump(), "models": DEFAULT_MODELS},
        "providers": _providers_configured(request.app.state.settings),
        "scenarios": [{"id": k, **v} for k, v in SCENARIOS.items()],
    }


@router.post("/api/workbench/send", response_model=None)
async def workbench_send(
    request: Request, body: WorkbenchIn, learner: str = Depends(current_learner)
) -> StreamingResponse | JSONResponse:
    """Send the request; stream the raw exchange as SSE (or JSON with Accept: application/json)."""
    if "application/json" in request.headers.get("accept", ""):
        collected: dict[str, Any] = {"sse": [], "attempts": []}
        async for name, data in run_workbench(request, body, learner):
            if name in ("sse", "attempt"):
                collected["sse" if name == "sse" else "attempts"].append(data)
            else:
                collected[name] = data
        return JSONResponse(collected, status_code=200 if "error" not in collected else 400)

    async def events() -> AsyncIterator[bytes]:
        try:
            async for name, data in run_workbench(request, body, learner):
                yield sse_event(name, data)
        except Exception as exc:  # noqa: BLE001 - the page gets a message, the log the trace
            log.exception("Workbench exchange failed")
            yield sse_event("error", {"error": f"The workbench could not complete the "
                                               f"request: {type(exc).__name__}."})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
