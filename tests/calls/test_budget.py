"""BudgetLayer alone: reserve worst case, settle actual, refuse with figures, fail closed."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from decimal import Decimal

import pytest

from apilab.calls.base import Call, Usage
from apilab.calls.budget import BudgetLayer, BudgetLimit, Target, limits_from_settings
from apilab.calls.costs import from_nano
from apilab.calls.state.base import StoreUnavailableError
from apilab.calls.state.memory import MemoryStore
from apilab.errors import (
    BadRequestError,
    BudgetExceededError,
    ConfigError,
    ProviderUnavailableError,
)
from tests.calls.fakes import Script, ok

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def pricer(model: str, usage: Usage) -> Decimal | None:
    """$1 per 1,000 input tokens, $2 per 1,000 output tokens (easy arithmetic)."""
    if model == "unpriced":
        return None
    return Decimal(usage.input_tokens) / 1000 + Decimal(usage.output_tokens) * 2 / 1000


def make_call(learner: str | None = "ada", max_tokens: int = 100) -> Call:
    call = Call(provider="fake", model="m", messages=[{"role": "user", "content": "hi"}],
                max_tokens=max_tokens, learner=learner)
    call.deadline = time.monotonic() + 10
    call.record.estimated_input_tokens = 84  # reserve: ceil(84*1.1)+16 = 109 input tokens
    return call


def layer(inner: Script, limits: list[BudgetLimit], store: MemoryStore | None = None,
          **kw: object) -> BudgetLayer:
    return BudgetLayer(inner, store or MemoryStore(), limits, pricer=pricer, clock=lambda: NOW,
                       **kw)  # type: ignore[arg-type]


DAILY = [BudgetLimit("learner", "day", Decimal("1.00"))]


def test_reserves_worst_case_then_settles_actual() -> None:
    store = MemoryStore()
    budget = layer(Script(ok(input_tokens=80, output_tokens=20)), DAILY, store)
    call = make_call()
    asyncio.run(budget.ahandle(call))
    assert call.record.cost_estimate == Decimal("0.109") + Decimal("0.2")
    assert call.record.cost == Decimal("0.08") + Decimal("0.04")
    spent = asyncio.run(store.budget_spent("budget:learner:ada:day:2026-11-27"))
    assert from_nano(spent) == Decimal("0.12")


def test_refuses_with_figures_when_the_worst_case_does_not_fit() -> None:
    store = MemoryStore()
    budget = layer(Script(ok(input_tokens=1000, output_tokens=0)), DAILY, store)
    asyncio.run(budget.ahandle(make_call()))  # settles 1,000 input tokens = $1.00
    with pytest.raises(BudgetExceededError) as info:
        asyncio.run(budget.ahandle(make_call()))
    message = str(info.value)
    assert "Your daily AI budget is used up" in message
    assert "$1.00 of $1.00" in message and "up to $0.3090" in message
    assert "resets at 2026-11-28 00:00 UTC" in message
    assert info.value.scope == "learner:day"


def test_failed_call_refunds_the_whole_reservation() -> None:
    store = MemoryStore()
    budget = layer(Script(ProviderUnavailableError("503")), DAILY, store)
    with pytest.raises(ProviderUnavailableError):
        asyncio.run(budget.ahandle(make_call()))
    assert asyncio.run(store.budget_spent("budget:learner:ada:day:2026-11-27")) == 0


def test_cancelled_stream_is_billed_for_tokens_produced() -> None:
    store = MemoryStore()
    budget = layer(Script(ok(), chunks=["a", "b", "c", "d", "e"]), DAILY, store)
    call = make_call()

    async def run() -> None:
        stream = budget.astream(call)
        for _ in range(3):
            await anext(stream)
        await stream.aclose()

    asyncio.run(run())
    # prompt estimate 84 tokens + 3 output tokens produced
    assert call.record.cost == Decimal("0.084") + Decimal("0.006")
    spent = asyncio.run(store.budget_spent("budget:learner:ada:day:2026-11-27"))
    assert from_nano(spent) == call.record.cost


def test_all_scopes_and_periods_are_checked() -> None:
    limits = [BudgetLimit("learner", "day", Decimal("5")),
              BudgetLimit("learner", "month", Decimal("5")),
              BudgetLimit("class", "day", Decimal("5")),
              BudgetLimit("global", "month", Decimal("0.20"))]
    budget = layer(Script(ok()), limits)
    call = make_call()
    call.scope = "cs101"
    keys = [e.key for e, _ in budget.entries(call)]
    assert keys == ["budget:learner:ada:day:2026-11-27", "budget:learner:ada:month:2026-11",
                    "budget:class:cs101:day:2026-11-27", "budget:global:month:2026-11"]
    with pytest.raises(BudgetExceededError, match="The server's monthly AI budget"):
        asyncio.run(budget.ahandle(call))


class BrokenStore(MemoryStore):
    async def budget_reserve(self, entries, amount):  # type: ignore[no-untyped-def]
        raise StoreUnavailableError("Redis is down.")


def test_fail_closed_by_default_and_open_when_configured() -> None:
    with pytest.raises(BudgetExceededError, match="fail-closed"):
        asyncio.run(layer(Script(ok()), DAILY, BrokenStore()).ahandle(make_call()))
    call = make_call()
    asyncio.run(layer(Script(ok()), DAILY, BrokenStore(), fail_open=True).ahandle(call))
    assert call.record.budget["fail_open"] is True


def test_worst_case_uses_the_priciest_billable_target_and_skips_free_ones() -> None:
    targets = [Target("fake", "m"), Target("offline", "tutor", billable=False)]
    budget = layer(Script(ok()), DAILY, targets=targets)
    assert budget.worst_case(make_call()) == Decimal("0.309")
    free = layer(Script(ok()), DAILY, targets=[Target("offline", "tutor", billable=False)])
    call = make_call()
    asyncio.run(free.ahandle(call))
    assert call.record.cost_estimate is None


def test_unpriced_billable_model_is_refused_not_treated_as_free() -> None:
    budget = layer(Script(ok()), DAILY, targets=[Target("fake", "unpriced")])
    with pytest.raises(BadRequestError, match="Unknown model 'unpriced'.*cannot bound"):
        asyncio.run(budget.ahandle(make_call()))


def test_two_hundred_concurrent_calls_never_overspend() -> None:
    store = MemoryStore()
    inner = Script(ok(input_tokens=84, output_tokens=100), delay=0.001)
    budget = layer(inner, DAILY, store)

    async def one() -> bool:
        try:
            await budget.ahandle(make_call())
            return True
        except BudgetExceededError:
            return False

    async def run() -> list[bool]:
        return await asyncio.gather(*(one() for _ in range(200)))

    admitted = sum(asyncio.run(run()))
    spent = from_nano(asyncio.run(store.budget_spent("budget:learner:ada:day:2026-11-27")))
    assert spent <= Decimal("1.00")
    assert admitted == len(inner.calls) and admitted >= 3


def test_limits_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    limits = limits_from_settings(settings)
    assert BudgetLimit("learner", "day", Decimal("0.50")) in limits
    assert all(lim.scope != "class" for lim in limits)
    with pytest.raises(ConfigError, match="dollar amount"):
        limits_from_settings(settings.with_overrides(budget_learner_daily_usd="lots"))


def test_counters_are_seeded_once_from_the_ledger_after_a_restart() -> None:
    seen: list[tuple[str, str | None, dt.datetime]] = []

    def ledger_spent(scope: str, who: str | None, since: dt.datetime) -> Decimal:
        seen.append((scope, who, since))
        return Decimal("0.95")  # what the durable ledger says was spent today

    store = MemoryStore()
    budget = layer(Script(ok()), DAILY, store, seed=ledger_spent)
    with pytest.raises(BudgetExceededError, match=r"\$0\.9500 of \$1\.00"):
        asyncio.run(budget.ahandle(make_call()))
    assert seen == [("learner", "ada", dt.datetime(2026, 11, 27, tzinfo=dt.UTC))]
    with pytest.raises(BudgetExceededError):
        asyncio.run(budget.ahandle(make_call()))
    assert len(seen) == 1  # seeded once per process; the store is the truth afterwards
