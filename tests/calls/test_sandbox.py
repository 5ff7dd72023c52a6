"""The composed stack against the sandbox provider and its chaos profiles: 429 with
Retry-After, 503, 529 (Anthropic), a spending cap, a hang past the read timeout, and a
mid-stream disconnect. Each case checks attempts, waits, fallback and the ledger."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx2
import pytest

from apilab.calls.base import Call, Chunk
from apilab.calls.ledger import MemoryLedger
from apilab.calls.stack import build_stack
from apilab.calls.state.memory import MemoryStore
from apilab.errors import StreamInterruptedError
from apilab.providers.anthropic import AnthropicProvider
from apilab.providers.openai import OpenAIProvider
from apilab.sandbox.app import create_sandbox_app
from apilab.sandbox.chaos import set_chaos
from apilab.sandbox.keys import create_key, key_usage
from apilab.storage.db import open_database
from tests.calls._lockstep import LockstepASGITransport
from tests.calls.fakes import NoSleep, collect


class Sandbox:
    def __init__(self, settings: Any, **key: Any) -> None:
        # A read timeout no busy CI box reaches by accident (a 0.3 s stall before the first
        # chunk once turned a single disconnect into a retried timeout); the test about
        # hangs sets a short one itself.
        self.settings = settings.with_overrides(max_retries=2, retry_base=0.01,
                                                fallback="offline", read_timeout=10.0)
        self.db = open_database(self.settings.db_url)
        self.record, self.secret = create_key(self.db, name="chaos", rpm=100_000,
                                              tpm=100_000_000, **key)
        self.app = create_sandbox_app(self.settings, self.db)
        self.sink = MemoryLedger()
        self.sleep = NoSleep()

    def chaos(self, **profile: Any) -> None:
        set_chaos(self.app.state.sandbox, profile, key_id=self.record.id)

    def stack(self, *, anthropic: bool = False, lockstep: bool = False) -> Any:
        transport = LockstepASGITransport(self.app) if lockstep \
            else httpx2.ASGITransport(app=self.app)
        client = httpx2.AsyncClient(transport=transport)
        if anthropic:
            provider: Any = AnthropicProvider(api_key=self.secret, base_url="http://sbx.test",
                                              http_client=client, label="sandbox")
            model = "claude-3-5-haiku-latest"
        else:
            provider = OpenAIProvider(api_key=self.secret, base_url="http://sbx.test/v1",
                                      http_client=client, label="sandbox", billable=True)
            model = "gpt-4o-mini"
        stack = build_stack(self.settings, sink=self.sink, store=MemoryStore(),
                            providers={"sandbox": provider}, sleep=self.sleep,
                            targets=[("sandbox", model), ("offline", None)])
        return stack, model

    def call(self, model: str) -> Call:
        return Call(provider="sandbox", model=model, lab="api-basics", learner="chaos",
                    max_tokens=40, messages=[{"role": "user", "content": "What is a 503?"}])

    @property
    def entry(self) -> Any:
        return self.sink.entries[-1]


@pytest.fixture
def sandbox(settings) -> Sandbox:  # type: ignore[no-untyped-def]
    return Sandbox(settings)


def test_429_retry_after_is_honoured_then_fallback(sandbox: Sandbox) -> None:
    sandbox.chaos(p_429=1.0, retry_after_s=0.25)
    stack, model = sandbox.stack()
    result = asyncio.run(stack.ahandle(sandbox.call(model)))
    assert result.provider == "offline"
    attempts = sandbox.entry.attempts
    assert [a["status"] for a in attempts[:3]] == [429, 429, 429]
    assert [a["wait_s"] for a in attempts[:2]] == [0.25, 0.25]
    assert [a["wait_reason"] for a in attempts[:2]] == ["retry-after"] * 2
    assert sandbox.entry.call["answered_by"] == "offline:tutor"


def test_503_is_retried_and_recovers(sandbox: Sandbox) -> None:
    sandbox.chaos(p_503=1.0)

    async def recovering_sleep(seconds: float) -> None:
        sandbox.chaos(name="off")  # the provider recovers while we back off

    sandbox.sleep = recovering_sleep  # type: ignore[assignment]
    stack, model = sandbox.stack()
    result = asyncio.run(stack.ahandle(sandbox.call(model)))
    assert result.provider == "sandbox" and result.text
    assert [a["outcome"] for a in sandbox.entry.attempts] == ["error", "ok"]
    assert sandbox.entry.call["cost_usd"] != "0"


def test_anthropic_529_overloaded_is_retried(sandbox: Sandbox) -> None:
    sandbox.chaos(p_529=1.0)
    stack, model = sandbox.stack(anthropic=True)
    result = asyncio.run(stack.ahandle(sandbox.call(model)))
    assert result.provider == "offline"
    assert [a["status"] for a in sandbox.entry.attempts[:3]] == [529, 529, 529]
    assert "ProviderUnavailableError" in sandbox.entry.attempts[0]["cause"]


def test_anthropic_stream_through_the_stack(sandbox: Sandbox) -> None:
    stack, model = sandbox.stack(anthropic=True, lockstep=True)
    text, final = asyncio.run(collect(stack.astream(sandbox.call(model))))
    assert text and final is not None and final.usage is not None
    audit = key_usage(sandbox.db, sandbox.record.id)[0]
    assert sandbox.entry.call["tokens_out"] == audit.output_tokens
    assert Decimal(sandbox.entry.call["cost_usd"]) == audit.cost


def test_spending_cap_429_is_never_retried(settings) -> None:  # type: ignore[no-untyped-def]
    sandbox = Sandbox(settings, monthly_cap_usd="0.000001")
    stack, model = sandbox.stack()
    asyncio.run(stack.ahandle(sandbox.call(model)))  # spends past the tiny cap
    result = asyncio.run(stack.ahandle(sandbox.call(model)))
    assert result.provider == "offline"
    (attempt,) = [a for a in sandbox.entry.attempts if a["provider"] == "sandbox"]
    assert attempt["status"] == 429 and "QuotaExhaustedError" in attempt["cause"]
    assert attempt["wait_s"] is None


def test_hang_past_the_read_timeout_is_a_retried_timeout(sandbox: Sandbox) -> None:
    sandbox.chaos(p_hang=1.0, hang_s=5.0)
    sandbox.settings = sandbox.settings.with_overrides(read_timeout=0.3)
    stack, model = sandbox.stack(lockstep=True)
    text, final = asyncio.run(collect(stack.astream(sandbox.call(model))))
    assert final is not None and final.provider == "offline"
    causes = [a["cause"] for a in sandbox.entry.attempts if a["provider"] == "sandbox"]
    assert len(causes) == 3 and all("ProviderTimeoutError" in c for c in causes)


def test_mid_stream_disconnect_is_not_retried_and_billed_as_sent(sandbox: Sandbox) -> None:
    sandbox.chaos(p_disconnect=1.0)
    stack, model = sandbox.stack(lockstep=True)
    shown: list[str] = []

    async def run() -> None:
        async for event in stack.astream(sandbox.call(model)):
            if isinstance(event, Chunk):
                shown.append(event.text)

    with pytest.raises(StreamInterruptedError, match="not retried"):
        asyncio.run(run())
    assert shown  # part of the reply had reached the learner
    assert len(sandbox.entry.attempts) == 1 and not sandbox.entry.call["fallback_used"]
    assert sandbox.entry.call["answered_by"] == "sandbox:gpt-4o-mini"  # the partial reply
    audit = key_usage(sandbox.db, sandbox.record.id)[0]
    assert sandbox.entry.call["tokens_out"] == audit.output_tokens == len(shown)
