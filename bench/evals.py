"""Bench: the eval runner against bare SDK calls, same sandbox, same requests, same run.

1,000 test cases x 2 prompts (2,000 calls) against the sandbox app in this
process (``httpx.ASGITransport``, an unlimited-tier key, budgets off, cache
off), with the same concurrency for every contender:

A. **bare SDK**: ``openai.AsyncOpenAI`` calling the sandbox directly, a pool of
   C workers; the floor every other figure is measured against.
B. **call layer**: the same adapter behind the project's call stack (ledger ->
   cache -> budget -> retry -> rate limit -> timeout -> adapter), ledger rows
   in the SQLite database; what every apilab call pays.
C. **runner**: ``run_eval`` on a config with the 2,000 cells (two assertions
   each), through the same call stack and database ledger.

Each round runs A, B, C in turn, then B and C again with the in-process
``echo`` provider (answers in microseconds) and ledger rows kept in memory,
where C - B isolates the runner's
own cost (rendering, scheduling, assertions, results) from the sandbox's
timing noise; that figure is the one the bar is checked on. The report gives
medians over the rounds: cases/s, and per-case overheads as differences of
wall time divided by the number of cases: runner over bare SDK (C - A), the
call layer's part (B - A) and the runner's own part.

    .venv/bin/python bench/evals.py [--cases 1000] [--prompts 2] [--concurrency 8] [--rounds 3]

Bars (issue 12): the runner's own overhead under 1 ms per case, and 1,000 cases
(x 2 prompts) finish in under 30 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAX_TOKENS = 64
MODEL = "gpt-4o-mini"


def _setup(data_dir: str) -> tuple[Any, Any, Any, str]:
    os.environ["APILAB_DATA_DIR"] = data_dir
    from apilab.sandbox.app import create_sandbox_app
    from apilab.sandbox.keys import create_key
    from apilab.settings import get_settings
    from apilab.storage.db import open_database

    settings = get_settings(budget_learner_daily_usd="off", budget_learner_monthly_usd="off",
                            budget_global_daily_usd="off", budget_global_monthly_usd="off",
                            log_level="warning")
    db = open_database(settings.db_url)
    _record, secret = create_key(db, name="bench", tier="unlimited", owner="bench")
    os.environ["SANDBOX_API_KEY"] = secret  # the runner's sandbox target resolves this key
    return settings, db, create_sandbox_app(settings, db), secret


def _config(cases: int, prompts: int) -> Any:
    from apilab.evals.config import config_from_dict

    return config_from_dict({
        "prompts": [f"Prompt {p}: answer the customer briefly. {{{{q}}}}" for p in range(prompts)],
        "providers": [{"id": f"sandbox:{MODEL}", "config": {"max_tokens": MAX_TOKENS}}],
        "tests": [{"vars": {"q": f"Question number {i}: how do I export invoice {i}?"},
                   "assert": [{"type": "not-icontains", "value": "PWNED"},
                              {"type": "cost", "threshold": 0.01}]} for i in range(cases)],
    })


async def _pool(n: int, workers: int, one: Any) -> None:
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            await one(i)

    await asyncio.gather(*(worker() for _ in range(workers)))


async def bare_sdk(app: Any, secret: str, messages: list[list[dict[str, str]]],
                   workers: int) -> float:
    import httpx
    import openai

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox.local") as http:
        client = openai.AsyncOpenAI(api_key=secret, base_url="http://sandbox.local/v1",
                                    http_client=http, max_retries=0)

        async def one(i: int) -> None:
            reply = await client.chat.completions.create(model=MODEL, messages=messages[i],
                                                         max_tokens=MAX_TOKENS)
            assert reply.choices[0].message.content is not None

        started = time.perf_counter()
        await _pool(len(messages), workers, one)
        return time.perf_counter() - started


async def call_layer(settings: Any, db: Any, app: Any, secret: str,
                     messages: list[list[dict[str, str]]], workers: int,
                     echo: bool = False) -> float:
    import httpx

    from apilab.calls.base import Call
    from apilab.calls.ledger import DatabaseLedger, MemoryLedger
    from apilab.calls.stack import build_stack
    from apilab.evals.targets import EchoProvider
    from apilab.providers.openai import OpenAIProvider

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox.local") as http:
        name, model = ("echo", "echo") if echo else ("sandbox", MODEL)
        adapter = EchoProvider() if echo else OpenAIProvider(
            api_key=secret, base_url="http://sandbox.local/v1", http_client=http,
            label="sandbox", billable=True)
        # The echo pair writes its ledger rows to memory: it measures CPU, not the disk.
        sink = MemoryLedger() if echo else DatabaseLedger(db)
        stack = build_stack(settings, sink=sink, providers={name: adapter},
                            targets=[(name, model)])

        async def one(i: int) -> None:
            result = await stack.ahandle(Call(provider=name, model=model,
                                              messages=messages[i], max_tokens=MAX_TOKENS,
                                              purpose="eval", cache=False, learner="bench"))
            assert result.text

        started = time.perf_counter()
        await _pool(len(messages), workers, one)
        elapsed = time.perf_counter() - started
        await stack.aclose()
        return elapsed


async def runner(settings: Any, db: Any, app: Any, config: Any, workers: int,
                 memory_ledger: bool = False) -> tuple[float, float]:
    from apilab.calls.ledger import MemoryLedger
    from apilab.evals.runner import prepare, run_eval

    started = time.perf_counter()
    prepared = prepare(config)
    planned = time.perf_counter() - started
    started = time.perf_counter()
    run = await run_eval(config, settings, db=db, sandbox_app=app, cache=False,
                         concurrency=workers, learner="bench", prepared=prepared,
                         sink=MemoryLedger() if memory_ledger else None)
    elapsed = time.perf_counter() - started
    assert len(run.results) == len(prepared[0]) and not any(c.error for c in run.results), \
        [c.output.error for c in run.results if c.error][:3]
    return elapsed, planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--prompts", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # one log line per call would be the bottleneck

    with tempfile.TemporaryDirectory() as data_dir:
        settings, db, app, secret = _setup(data_dir)
        config = _config(args.cases, args.prompts)
        from apilab.evals.config import config_from_dict
        from apilab.evals.runner import plan_cells

        messages = [c.messages for c in plan_cells(config)]
        n = len(messages)
        echo_config = config.with_providers([config_from_dict({
            "prompts": ["x"], "providers": ["echo"]}).providers[0]])
        # Warm-up: tokenizer, price table, database, sandbox state, each code path once.
        small = _config(20, args.prompts)
        asyncio.run(bare_sdk(app, secret, messages[:40], args.concurrency))
        asyncio.run(call_layer(settings, db, app, secret, messages[:40], args.concurrency))
        asyncio.run(runner(settings, db, app, small, args.concurrency))
        times: dict[str, list[float]] = {"sdk": [], "layer": [], "runner": [], "plan": [],
                                         "layer_echo": [], "runner_echo": []}
        for r in range(args.rounds):
            times["sdk"].append(asyncio.run(bare_sdk(app, secret, messages, args.concurrency)))
            times["layer"].append(asyncio.run(call_layer(settings, db, app, secret, messages,
                                                         args.concurrency)))
            elapsed, planned = asyncio.run(runner(settings, db, app, config, args.concurrency))
            times["runner"].append(elapsed)
            times["plan"].append(planned)
            times["layer_echo"].append(asyncio.run(call_layer(
                settings, db, app, secret, messages, args.concurrency, echo=True)))
            times["runner_echo"].append(asyncio.run(runner(
                settings, db, app, echo_config, args.concurrency, memory_ledger=True))[0])
            print(f"round {r + 1}: bare SDK {times['sdk'][-1]:.2f} s, call layer "
                  f"{times['layer'][-1]:.2f} s, runner {elapsed:.2f} s "
                  f"(+ {planned:.2f} s planning and estimate); with the in-process echo "
                  f"provider: call layer {times['layer_echo'][-1]:.2f} s, runner "
                  f"{times['runner_echo'][-1]:.2f} s", flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    per_case_ms = {k: med[k] / n * 1000 for k in ("sdk", "layer", "runner")}
    runner_over_sdk = per_case_ms["runner"] - per_case_ms["sdk"]
    runner_own_sandbox = per_case_ms["runner"] - per_case_ms["layer"]
    # Against a provider that answers in microseconds, the difference is the runner alone
    # (rendering, scheduling, assertions, results), not the sandbox's noise.
    runner_own = (med["runner_echo"] - med["layer_echo"]) / n * 1000
    layer_own = per_case_ms["layer"] - per_case_ms["sdk"]
    total_1000 = (med["runner"] + med["plan"]) / n * 1000 * args.prompts
    print(f"\n{args.cases} cases x {args.prompts} prompts = {n} calls, concurrency "
          f"{args.concurrency}, {args.rounds} rounds (medians)")
    print(f"  bare SDK     {n / med['sdk']:8.0f} calls/s   {per_case_ms['sdk']:.3f} ms per case")
    print(f"  call layer   {n / med['layer']:8.0f} calls/s   {per_case_ms['layer']:.3f} ms per "
          f"case  ({med['layer'] / med['sdk']:.2f}x the bare SDK)")
    print(f"  runner       {n / med['runner']:8.0f} cases/s   {per_case_ms['runner']:.3f} ms per "
          f"case  ({med['runner'] / med['sdk']:.2f}x the bare SDK)")
    print(f"  planning + estimate: {med['plan']:.2f} s for {n} cells "
          f"({med['plan'] / n * 1000:.3f} ms per cell)")
    print(f"  runner over bare SDK: {runner_over_sdk:+.3f} ms per case (call layer "
          f"{layer_own:+.3f}, runner's own {runner_own_sandbox:+.3f})")
    print(f"  echo provider: call layer {med['layer_echo'] / n * 1000:.3f} ms, runner "
          f"{med['runner_echo'] / n * 1000:.3f} ms per case: runner's own "
          f"{runner_own:+.3f} ms per case")
    print(f"  1,000 cases x {args.prompts} prompts end to end: {total_1000:.1f} s")
    own_ok = runner_own < 1.0
    time_ok = total_1000 < 30
    print(f"\nbar: runner's own overhead < 1 ms per case: {'PASS' if own_ok else 'FAIL'}"
          f" ({runner_own:.3f} ms)")
    print(f"bar: 1,000 cases x {args.prompts} prompts in < 30 s: {'PASS' if time_ok else 'FAIL'}"
          f" ({total_1000:.1f} s)")
    sys.exit(0 if own_ok and time_ok else 1)


if __name__ == "__main__":
    main()
