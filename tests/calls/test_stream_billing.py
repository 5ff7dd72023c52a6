"""Streams cancelled at random points are billed exactly what the sandbox says it sent."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import httpx2

from apilab.calls.base import Call, Chunk
from apilab.calls.ledger import MemoryLedger
from apilab.calls.stack import build_stack
from apilab.calls.state.memory import MemoryStore
from apilab.providers.openai import OpenAIProvider
from apilab.sandbox.app import create_sandbox_app
from apilab.sandbox.keys import create_key, key_usage
from apilab.storage.db import open_database
from tests.calls._lockstep import LockstepASGITransport


def test_cancel_100_streams_ledger_bills_exactly_what_was_sent(settings) -> None:  # type: ignore[no-untyped-def]
    db = open_database(settings.db_url)
    record, secret = create_key(db, name="streams", rpm=1_000_000, tpm=1_000_000_000)
    settings = settings.with_overrides(budget_learner_daily_usd="5", max_retries=0)
    app = create_sandbox_app(settings, db)
    sink = MemoryLedger()
    rng = random.Random(1234)

    async def main() -> list[int]:
        client = httpx2.AsyncClient(transport=LockstepASGITransport(app))
        provider = OpenAIProvider(api_key=secret, base_url="http://sandbox.test/v1",
                                  http_client=client, label="sandbox", billable=True)
        stack = build_stack(settings, sink=sink, store=MemoryStore(),
                            providers={"sandbox": provider}, targets=[("sandbox", "gpt-4o")])
        cut_after = []

        async def one(i: int) -> None:
            call = Call(provider="sandbox", model="gpt-4o", learner="streams", max_tokens=60,
                        messages=[{"role": "user", "content": f"Stream {i}: explain retries."}])
            stop = rng.randint(1, 40)
            cut_after.append(stop)
            stream = stack.astream(call)
            seen = 0
            async for event in stream:
                if isinstance(event, Chunk):
                    seen += 1
                    if seen >= stop:
                        break
            await stream.aclose()

        for batch in range(10):
            await asyncio.gather(*(one(batch * 10 + i) for i in range(10)))
        await stack.aclose()
        return cut_after

    asyncio.run(main())
    assert len(sink.entries) == 100
    audit = {e.request_id: e for e in key_usage(db, record.id, limit=1000)}
    assert len(audit) == 100
    cancelled = priced = 0
    for entry in sink.entries:
        row = entry.call
        sent = audit[row["request_id"]]
        assert row["tokens_out"] == sent.output_tokens, (row["request_id"], row, sent)
        cancelled += row["status"] == "cancelled"
        if row["tokens_in"] == sent.input_tokens:
            priced += 1
            assert Decimal(row["cost_usd"]) == Decimal(str(sent.cost))
    assert cancelled >= 50  # most streams were cut before the end
    assert priced == 100  # our prompt estimate matched the sandbox's count: same dollars
