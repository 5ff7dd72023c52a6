"""The composed stack against a mocked OpenAI endpoint: retries, fallback, ledger, budget."""

from __future__ import annotations

import asyncio
import json

from apilab.calls.base import Call
from apilab.calls.ledger import MemoryLedger
from apilab.calls.stack import build_stack, parse_targets
from apilab.calls.state.memory import MemoryStore
from apilab.errors import BudgetExceededError, NeedsKeyError
from apilab.providers.openai import OpenAIProvider
from tests.calls.fakes import NoSleep, collect
from tests.providers.mock_openai import MockOpenAI, completion, error, sse

KEY = "sk-" + "stack" + "y" * 30


def stack_for(settings, mock: MockOpenAI, **kw):  # type: ignore[no-untyped-def]
    settings = settings.with_overrides(backend="openai", model="gpt-4o-mini",
                                       fallback="offline", **kw)
    sink, sleep = MemoryLedger(), NoSleep()
    provider = OpenAIProvider(api_key=KEY, http_client=mock.client())
    stack = build_stack(settings, sink=sink, store=MemoryStore(),
                        providers={"openai": provider}, sleep=sleep)
    return stack, sink, sleep


def make_call() -> Call:
    return Call(provider="openai", model="gpt-4o-mini", lab="api-basics", learner="ada",
                messages=[{"role": "user", "content": "What does a 429 mean?"}])


def test_parse_targets_dedupes_and_keeps_order(settings) -> None:  # type: ignore[no-untyped-def]
    s = settings.with_overrides(backend="openai", model="gpt-4o",
                                fallback="openai:gpt-4o, openai:gpt-4o-mini,offline")
    assert parse_targets(s) == [("openai", "gpt-4o"), ("openai", "gpt-4o-mini"),
                                ("offline", None)]


def test_retry_then_success_writes_one_call_with_two_attempts(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda body, n: error(503, "overloaded", type_="server_error")
                      if n == 1 else completion("Rate limited."))
    stack, sink, sleep = stack_for(settings, mock)
    result = asyncio.run(stack.ahandle(make_call()))
    assert result.text == "Rate limited."
    (entry,) = sink.entries
    assert entry.call["status"] == "ok" and entry.call["attempt_count"] == 2
    first, second = entry.attempts
    assert first["status"] == 503 and "ProviderUnavailableError" in first["cause"]
    assert first["wait_s"] == sleep.waits[0] and second["outcome"] == "ok"
    assert entry.call["cost_usd"] not in (None, "0")
    assert entry.call["tokens_in_est"] and entry.call["tokens_in"] == 12


def test_bad_key_falls_back_to_the_offline_tutor_and_says_so(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda body, n: error(401, "Incorrect API key", code="invalid_api_key"))
    stack, sink, _ = stack_for(settings, mock)
    call = make_call()
    text, final = asyncio.run(collect(stack.astream(call)))
    assert "429" in text and final is not None and final.provider == "offline"
    (entry,) = sink.entries
    assert entry.call["answered_by"] == "offline:tutor" and entry.call["fallback_used"]
    assert entry.call["detail"]["fallbacks"][0]["error"] == "AuthError"
    assert entry.call["cost_usd"] == "0"
    assert len(mock.requests) == 1  # 401 is never retried


def test_missing_key_target_is_kept_and_skipped_with_the_variable_named(settings) -> None:  # type: ignore[no-untyped-def]
    settings = settings.with_overrides(backend="anthropic", fallback="offline")
    sink = MemoryLedger()
    stack = build_stack(settings, sink=sink, store=MemoryStore())
    assert stack.targets[0]["available"] is False
    assert "ANTHROPIC_API_KEY" in stack.targets[0]["reason"]
    result = asyncio.run(stack.ahandle(make_call()))
    assert result.provider == "offline"
    assert NeedsKeyError.__name__ in sink.entries[0].call["detail"]["fallbacks"][0]["error"]


def test_budget_refusal_is_a_ledger_row_and_sends_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda body, n: completion())
    stack, sink, _ = stack_for(settings, mock, budget_learner_daily_usd="0.000001")
    try:
        asyncio.run(stack.ahandle(make_call()))
    except BudgetExceededError as exc:
        assert "daily AI budget is used up" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected a refusal")
    assert mock.requests == []
    assert sink.entries[0].call["status"] == "refused"


def test_streamed_call_records_events_and_ttft(settings) -> None:  # type: ignore[no-untyped-def]
    mock = MockOpenAI(lambda body, n: sse(["Too", " many", " requests"]))
    stack, sink, _ = stack_for(settings, mock)
    text, _ = asyncio.run(collect(stack.astream(make_call())))
    assert text == "Too many requests"
    row = sink.entries[0].call
    assert row["streamed"] and row["ttft_ms"] is not None and row["tokens_out"] == 3
    assert row["detail"]["events"] and KEY not in json.dumps(row, default=str)


def test_a_restart_does_not_reset_spend(settings) -> None:  # type: ignore[no-untyped-def]
    from apilab.calls.ledger import DatabaseLedger
    from apilab.storage.db import open_database

    db = open_database(settings.db_url)
    s = settings.with_overrides(backend="openai", model="gpt-4o", fallback="",
                                budget_learner_daily_usd="0.01")
    mock = MockOpenAI(lambda body, n: completion(prompt=3000, completion_tokens=200))

    def fresh_stack():  # type: ignore[no-untyped-def]  # a new process: empty memory store
        provider = OpenAIProvider(api_key=KEY, http_client=mock.client())
        return build_stack(s, sink=DatabaseLedger(db), store=MemoryStore(),
                           providers={"openai": provider})

    call = Call(provider="openai", model="gpt-4o", learner="ada", max_tokens=100,
                messages=[{"role": "user", "content": "hi"}])
    asyncio.run(fresh_stack().ahandle(call))  # $0.0095 settled: 3000 in + 200 out at 4o
    again = Call(provider="openai", model="gpt-4o", learner="ada", max_tokens=100,
                 messages=[{"role": "user", "content": "hi"}])
    try:
        asyncio.run(fresh_stack().ahandle(again))
    except BudgetExceededError as exc:
        assert "$0.0095 of $0.0100" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("the restarted stack forgot what was spent")
