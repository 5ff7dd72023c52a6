"""Providers of an eval run, each behind its own call stack.

``open_targets(config, settings)`` builds, for every ``ProviderSpec``, the
project's call stack for exactly that target (ledger -> cache -> budget ->
retry -> rate limit -> timeout -> adapter, with no fallback: an eval measures
the provider it names, never the offline tutor standing in for it). So every
eval call is budgeted, retried, rate-limited, cached and written to the usage
ledger like any other call, and ``apilab usage`` shows it.

Adapters by kind:

- ``sandbox:MODEL``: the OpenAI adapter against the sandbox app *in this
  process* (``httpx.ASGITransport``), so no server needs to run; the key is
  ``SANDBOX_API_KEY`` or the lab's own sandbox key. ``sandbox:echo`` is free.
- ``openai:``, ``anthropic:``, ``gemini:``: the registry's adapters (keys from
  the environment or the secret file; a missing key stops the run before it
  starts). ``openai-compatible:MODEL`` points the OpenAI adapter at
  ``config.apiBaseUrl`` (free when that is localhost).
- ``apilab:tutor``: the offline tutor adapter, asked the way the chat page
  asks it (message redacted, one turn in the test's ``lab``).
- ``recorded:FILE``: replays outputs from an earlier run's JSON report, matched
  by the hash of the prompt as sent; ``echo`` returns the prompt.

This module must not import ``web`` or ``cli``. SDK objects stay inside the
provider adapters, so an SDK upgrade touches ``apilab.providers`` only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from apilab.calls.base import Call, Chunk, Final, Result, StreamEvent, Usage
from apilab.errors import BadRequestError, CallError, ConfigError, NeedsKeyError
from apilab.evals.config import ProviderSpec
from apilab.evals.results import Output
from apilab.providers.base import Provider

if TYPE_CHECKING:
    from apilab.calls.ledger import LedgerSink
    from apilab.calls.stack import CallStack
    from apilab.calls.state.base import StateStore
    from apilab.settings import Settings
    from apilab.storage.db import Database

__all__ = ["EchoProvider", "RecordedProvider", "Target", "is_billable", "open_targets",
           "prompt_hash"]

DEFAULT_MAX_TOKENS = 1024
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def prompt_hash(system: str | None, messages: list[dict[str, Any]]) -> str:
    """A stable id of the prompt as sent (what ``recorded:`` matches on)."""
    blob = json.dumps({"system": system, "messages": messages}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def is_billable(spec: ProviderSpec) -> bool:
    """Whether calls to this provider cost (sandbox) dollars, for the pre-run estimate."""
    if spec.kind in ("tutor", "recorded", "echo"):
        return False
    if spec.kind == "sandbox":
        return spec.model != "echo"
    if spec.kind == "openai-compatible":
        base = str(spec.config.get("apiBaseUrl") or spec.config.get("base_url")
                   or spec.config.get("apiHost") or "")
        return not any(f"//{h}" in base for h in _LOCAL_HOSTS)
    return True


# --------------------------------------------------------------------------- in-process adapters


class EchoProvider(Provider):
    """promptfoo's ``echo``: the reply is the prompt (no model, no cost)."""

    name: ClassVar[str] = "echo"
    needs_key: ClassVar[bool] = False
    billable: ClassVar[bool] = False
    default_model: ClassVar[str] = "echo"

    def _result(self, call: Call) -> Result:
        users = [m for m in call.messages if m.get("role") == "user"]
        if len(call.messages) == 1 and not call.system and users:
            text = str(users[0].get("content") or "")
        else:
            shown = ([{"role": "system", "content": call.system}] if call.system else [])
            text = json.dumps(shown + call.messages, ensure_ascii=False)
        call.record.request = {"in_process": "echo"}
        return Result(text=text, provider=self.name, model="echo", finish_reason="stop",
                      usage=Usage(0, 0))

    async def ahandle(self, call: Call) -> Result:
        return self._result(call)

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        result = self._result(call)
        yield Chunk(result.text)
        yield Final(result)


class RecordedProvider(Provider):
    """Replays stored outputs (an earlier run's JSON report), keyed by prompt hash."""

    name: ClassVar[str] = "recorded"
    needs_key: ClassVar[bool] = False
    billable: ClassVar[bool] = False
    default_model: ClassVar[str] = "recorded"

    def __init__(self, outputs: Mapping[str, str], source: str) -> None:
        self.outputs = dict(outputs)
        self.source = source

    @classmethod
    def from_file(cls, path: Path, provider: str | None = None) -> RecordedProvider:
        """Read ``results[*].{prompt_hash, output}`` from a report (optionally one provider's)."""
        if not path.is_file():
            raise ConfigError(f"recorded: no file {str(path)!r}.")
        if path.stat().st_size > 200_000_000:
            raise ConfigError(f"recorded: {path.name} is larger than 200 MB.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConfigError(f"recorded: {path.name} is not a JSON report from "
                              "`apilab eval --output FILE.json`.") from None
        rows = data.get("results") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ConfigError(f"recorded: {path.name} has no results list; record one with "
                              "`apilab eval CONFIG --output FILE.json`.")
        outputs: dict[str, str] = {}
        for row in rows:
            if not isinstance(row, dict) or row.get("error") or "prompt_hash" not in row:
                continue
            if provider and row.get("provider") != provider:
                continue
            outputs.setdefault(str(row["prompt_hash"]), str(row.get("output") or ""))
        if not outputs:
            raise ConfigError(f"recorded: {path.name} holds no usable outputs"
                              + (f" for provider {provider!r}." if provider else "."))
        return cls(outputs, path.name)

    def _result(self, call: Call) -> Result:
        key = prompt_hash(call.system, call.messages)
        text = self.outputs.get(key)
        if text is None:
            raise BadRequestError(
                f"No recorded output in {self.source} for this prompt (hash {key}): the prompt "
                "or its vars changed since the recording. Re-record with a real provider.",
                provider=self.name)
        call.record.request = {"in_process": "recorded", "prompt_hash": key}
        return Result(text=text, provider=self.name, model="recorded", finish_reason="stop",
                      usage=Usage(0, 0))

    async def ahandle(self, call: Call) -> Result:
        return self._result(call)

    async def astream(self, call: Call) -> AsyncIterator[StreamEvent]:
        result = self._result(call)
        yield Chunk(result.text)
        yield Final(result)


# --------------------------------------------------------------------------- targets


@dataclasses.dataclass
class Target:
    """One provider of the run: its spec, its call stack and the defaults for its calls."""

    spec: ProviderSpec
    name: str  # the call layer's provider name
    model: str
    stack: CallStack
    learner: str | None = None
    billable: bool = True
    tutor: Any = None  # the offline tutor whose course builds apilab:tutor's turns

    @property
    def cacheable(self) -> bool:
        # Only calls that leave the machine are worth caching; in-process answers are free
        # and the tutor's metadata (its reply kind) is not kept by the cache.
        return self.spec.kind in ("openai", "anthropic", "gemini", "openai-compatible")

    def call_for(self, system: str | None, messages: list[dict[str, Any]],
                 vars_: Mapping[str, Any], *, cache: bool) -> Call:
        cfg = self.spec.config
        call = Call(
            provider=self.name, model=self.model, messages=messages,
            system=system if system is not None else cfg.get("system"),
            max_tokens=int(cfg.get("max_tokens") or DEFAULT_MAX_TOKENS),
            temperature=float(cfg["temperature"]) if cfg.get("temperature") is not None
            else None,
            response_format=cfg.get("response_format"),
            learner=self.learner, lab=str(vars_.get("lab") or cfg.get("lab") or "") or None,
            purpose="eval", cache=cache and self.cacheable,
        )
        if self.spec.kind == "tutor":
            call.context["turn"] = self._tutor_turn(call, vars_.get("history"))
        return call

    def _tutor_turn(self, call: Call, history: Any = None) -> Any:
        from apilab.evals.tutor import conversation_turn

        if not call.lab:
            raise ConfigError("apilab:tutor answers within a lab: give each test a `lab` var "
                              "(api-basics, key-security, rate-limits-cost, production-prompts) "
                              "or set the provider's config.lab.")
        if self.tutor is None:
            from apilab.assistant.offline import OfflineTutor

            self.tutor = OfflineTutor()
        question = str(call.messages[-1].get("content") or "")
        # A follow-up test names the learner's earlier messages (`history` var), answered
        # first by the tutor.
        if isinstance(history, str):
            history = [history]
        earlier = [str(m) for m in history] if isinstance(history, list) else []
        return conversation_turn(self.tutor, call.lab, question, earlier)

    async def run(self, call: Call) -> Output:
        """Send one call through the stack; failures become an ``Output`` with ``error``."""
        started = time.perf_counter()
        try:
            result = await self.stack.ahandle(call)
        except CallError as exc:
            return Output(error=f"{type(exc).__name__}: {exc}",
                          latency_ms=(time.perf_counter() - started) * 1000,
                          call_id=call.call_id)
        latency = (time.perf_counter() - started) * 1000
        usage = result.usage or Usage(0, 0)
        text = result.text
        if result.tool_calls and not text:
            # promptfoo shows a tool call as JSON; assertions then read the arguments too.
            text = json.dumps([{"name": t.name, "arguments": t.arguments}
                               for t in result.tool_calls], ensure_ascii=False)
        meta: dict[str, Any] = {}
        tutor = (result.raw or {}).get("tutor") if self.spec.kind == "tutor" else None
        if isinstance(tutor, dict):
            from apilab.evals.tutor import reply_kind

            meta["kind"] = reply_kind(tutor)
        cost = call.record.cost
        return Output(text=text, cost=cost if cost is not None else Decimal(0),
                      latency_ms=latency, input_tokens=usage.input_tokens,
                      output_tokens=usage.output_tokens, cached=result.cached,
                      finish_reason=result.finish_reason, call_id=call.call_id, meta=meta)


def _openai_compatible(spec: ProviderSpec, settings: Settings) -> Provider:
    from apilab.providers.keys import resolve_key
    from apilab.providers.openai import OpenAIProvider

    base = str(spec.config.get("apiBaseUrl") or spec.config.get("base_url")
               or spec.config.get("apiHost"))
    if not base.startswith(("http://", "https://")):
        base = "https://" + base
    try:
        key = resolve_key("openai", settings)
    except NeedsKeyError:
        if is_billable(spec):
            raise
        key = "not-needed"  # local servers (Ollama, llama.cpp) ignore the key
    return OpenAIProvider(api_key=key, base_url=base, label="openai-compatible",
                          connect_timeout=settings.connect_timeout,
                          read_timeout=settings.read_timeout)


def _adapter(spec: ProviderSpec, settings: Settings, db: Database,
             sandbox_app: Any, clients: list[Any]) -> tuple[str, Provider | None]:
    """(call-layer provider name, adapter or None for a registry lookup)."""
    if spec.kind == "sandbox":
        import httpx

        from apilab.providers.keys import resolve_key
        from apilab.providers.openai import OpenAIProvider

        if sandbox_app is None:
            from apilab.sandbox.app import create_sandbox_app

            sandbox_app = create_sandbox_app(settings, db)
        try:
            key = resolve_key("sandbox", settings)
        except NeedsKeyError:
            from apilab.sandbox.keys import ensure_lab_key

            key = ensure_lab_key(db, settings)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox_app),
                                   base_url="http://sandbox.local")
        clients.append(client)
        return "sandbox", OpenAIProvider(
            api_key=key, base_url="http://sandbox.local/v1", http_client=client,
            label="sandbox", billable=spec.model != "echo",
            connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout)
    if spec.kind == "tutor":
        from apilab.providers.offline import OfflineProvider

        return "offline", OfflineProvider()
    if spec.kind == "echo":
        return "echo", EchoProvider()
    if spec.kind == "recorded":
        file, _, only = spec.model.partition("#")
        return "recorded", RecordedProvider.from_file(Path(file).expanduser(), only or None)
    if spec.kind == "openai-compatible":
        return "openai-compatible", _openai_compatible(spec, settings)
    return spec.kind, None  # openai, anthropic, gemini: the registry, with its key rules


@contextlib.asynccontextmanager
async def open_targets(
    providers: list[ProviderSpec], settings: Settings, *, db: Database | None = None,
    sink: LedgerSink | None = None, store: StateStore | None = None,
    learner: str | None = None, sandbox_app: Any = None,
) -> AsyncIterator[list[Target]]:
    """Build one call stack per provider; close them (and their HTTP clients) on exit.

    Raises ``ConfigError`` before any call when a provider cannot be used (no key,
    unreadable recording), naming the provider and the fix.
    """
    from apilab.calls.ledger import DatabaseLedger
    from apilab.calls.stack import build_stack
    from apilab.storage.db import open_database

    db = db or open_database(settings.db_url)
    sink = sink or DatabaseLedger(db)
    clients: list[Any] = []
    targets: list[Target] = []
    try:
        for spec in providers:
            try:
                name, adapter = _adapter(spec, settings, db, sandbox_app, clients)
            except NeedsKeyError as exc:
                raise ConfigError(f"Provider {spec.label}: {exc}") from None
            stack = build_stack(settings, sink=sink, store=store,
                                providers={name: adapter} if adapter is not None else None,
                                targets=[(name, spec.model)])
            shown = stack.targets[0]
            if not shown.get("available", True):
                await stack.aclose()
                raise ConfigError(f"Provider {spec.label} cannot run: {shown.get('reason')}")
            billable = adapter.billable if adapter is not None else True
            targets.append(Target(spec=spec, name=name, model=spec.model, stack=stack,
                                  learner=learner, billable=bool(billable)))
        yield targets
    finally:
        for target in targets:
            with contextlib.suppress(Exception):
                await target.stack.aclose()
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()
