"""A call-stack "server process" for the concurrency tests: N concurrent calls to the sandbox.

Run as ``python -m tests.calls._concurrency '<json args>'``; prints one JSON line with how
many calls were admitted, refused and what the ledger says they cost. The sandbox runs
in-process (ASGI) on the shared data dir's database, so its audit log is shared too; the
call layer's limit and budget state is shared through the given Redis URL (or kept in
process when none is given).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from decimal import Decimal
from typing import Any

import httpx2

PROMPT_WORDS = 3000  # ~3,000 tokens: the prompt dominates cost, so the cap truly binds


def prompt(i: int) -> str:
    return f"Request {i}. " + " ".join(["token"] * PROMPT_WORDS)


async def run(args: dict[str, Any]) -> dict[str, Any]:
    from apilab.calls.base import Call
    from apilab.calls.ledger import MemoryLedger
    from apilab.calls.stack import build_stack
    from apilab.calls.state.memory import MemoryStore
    from apilab.calls.state.redis import RedisStore
    from apilab.errors import BudgetExceededError, CallError, DeadlineExceededError
    from apilab.providers.openai import OpenAIProvider
    from apilab.sandbox.app import create_sandbox_app
    from apilab.settings import get_settings
    from apilab.storage.db import open_database

    settings = get_settings(**args["settings"])
    db = open_database(settings.db_url)
    sandbox = create_sandbox_app(settings, db)
    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=sandbox), timeout=30)
    provider = OpenAIProvider(api_key=args["key"], base_url="http://sandbox.test/v1",
                              http_client=client, label="sandbox", billable=True)
    store = RedisStore(args["redis_url"]) if args.get("redis_url") else MemoryStore()
    sink = MemoryLedger()
    stack = build_stack(settings, sink=sink, store=store, providers={"sandbox": provider},
                        targets=[("sandbox", args["model"])])
    delay = args.get("start_at", 0) - time.time()
    if delay > 0:
        await asyncio.sleep(delay)

    async def one(i: int) -> str:
        call = Call(provider="sandbox", model=args["model"], learner=args["learner"],
                    lab="rate-limits-cost", max_tokens=args["max_tokens"],
                    messages=[{"role": "user", "content": prompt(i) if args["big"] else
                               f"Request {i}: what is a rate limit?"}])
        try:
            await stack.ahandle(call)
            return "admitted"
        except BudgetExceededError:
            return "refused-budget"
        except DeadlineExceededError:
            return "refused-rate"
        except CallError as exc:
            return f"error:{type(exc).__name__}:{exc}"

    outcomes = await asyncio.gather(*(one(i) for i in range(args["n"])))
    await stack.aclose()
    await store.aclose()
    cost = sum((Decimal(e.call["cost_usd"] or "0") for e in sink.entries), Decimal(0))
    return {
        "pid": os.getpid(),
        "admitted": outcomes.count("admitted"),
        "refused_budget": outcomes.count("refused-budget"),
        "refused_rate": outcomes.count("refused-rate"),
        "errors": [o for o in outcomes if o.startswith("error")][:5],
        "ledger_cost": str(cost),
        "provider_requests": sum(1 for e in sink.entries if e.call["status"] == "ok"),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))))
