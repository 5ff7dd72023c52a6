"""Budgets and rate limits hold under concurrency: 200 calls, two processes sharing Redis,
and the same with the in-process store and one process. Money spent <= the cap and requests
admitted <= the limit, checked in our ledger, in the shared store and in the sandbox's own
audit log (what the "provider" actually served and billed)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from apilab.calls.costs import from_nano
from apilab.calls.state.redis import RedisStore
from apilab.sandbox.keys import create_key, key_usage
from apilab.settings import get_settings
from apilab.storage.db import open_database
from tests._services import require_redis
from tests.calls._concurrency import run

ROOT = Path(__file__).resolve().parents[2]
CAP = Decimal("1.00")
BUDGET = {"budget_learner_daily_usd": "1.00", "budget_learner_monthly_usd": "off",
          "budget_global_daily_usd": "off", "budget_global_monthly_usd": "off",
          "max_retries": 0, "total_deadline": 30}
RATE = {"rpm_limit": 60, "budget_learner_daily_usd": "off", "budget_learner_monthly_usd": "off",
        "budget_global_daily_usd": "off", "budget_global_monthly_usd": "off",
        "max_retries": 0, "total_deadline": 20}  # refusals are immediate: next slot > 20 s


def _key() -> tuple[str, str, Any]:
    db = open_database(get_settings().db_url)
    record, secret = create_key(db, name="concurrency", rpm=1_000_000, tpm=1_000_000_000)
    return record.id, secret, db


def _args(secret: str, learner: str, settings: dict[str, Any], *, big: bool, n: int,
          redis_url: str | None, start_at: float = 0) -> dict[str, Any]:
    return {"settings": settings, "key": secret, "model": "gpt-4o", "learner": learner,
            "n": n, "max_tokens": 100 if big else 20, "big": big, "redis_url": redis_url,
            "start_at": start_at}


def _two_processes(args: dict[str, Any]) -> list[dict[str, Any]]:
    args = dict(args, start_at=time.time() + 4)  # both start together, after imports
    procs = [subprocess.Popen([sys.executable, "-m", "tests.calls._concurrency",
                               json.dumps(args)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert results[0]["pid"] != results[1]["pid"]
    return results


def _audit_cost(db: Any, key_id: str) -> tuple[int, Decimal]:
    entries = [e for e in key_usage(db, key_id, limit=10_000) if e.status == 200]
    return len(entries), sum((Decimal(str(e.cost)) for e in entries), Decimal(0))


def _check_budget(results: list[dict[str, Any]], db: Any, key_id: str,
                  spent: Decimal | None) -> None:
    admitted = sum(r["admitted"] for r in results)
    refused = sum(r["refused_budget"] for r in results)
    assert [e for r in results for e in r["errors"]] == []
    assert admitted + refused == 200 and admitted >= 10 and refused >= 10
    ledger = sum(Decimal(r["ledger_cost"]) for r in results)
    served, billed = _audit_cost(db, key_id)
    print(f"admitted={admitted} refused={refused} ledger=${ledger} provider billed=${billed}")
    assert ledger <= CAP and billed <= CAP, (ledger, billed)
    assert served == admitted
    if spent is not None:
        assert spent <= CAP
        assert abs(spent - ledger) < Decimal("0.000001")


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_sharing_redis_never_overspend_a_1_dollar_budget() -> None:
    url = require_redis()
    key_id, secret, db = _key()
    learner = "conc-" + uuid.uuid4().hex[:8]
    results = _two_processes(_args(secret, learner, BUDGET, big=True, n=100, redis_url=url))
    store = RedisStore(url)

    async def spent() -> int:
        from apilab.calls.base import Call
        from apilab.calls.budget import BudgetLayer, limits_from_settings

        layer = BudgetLayer(None, store, limits_from_settings(get_settings(**BUDGET)))  # type: ignore[arg-type]
        (entry, _), = layer.entries(Call(provider="x", model="m", messages=[], learner=learner))
        value = await store.budget_spent(entry.key)
        await store.aclose()
        return value

    _check_budget(results, db, key_id, from_nano(asyncio.run(spent())))


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_sharing_redis_admit_at_most_60_per_minute() -> None:
    url = require_redis()
    key_id, secret, db = _key()
    results = _two_processes(_args(secret, "rpm", RATE, big=False, n=100, redis_url=url))
    admitted = sum(r["admitted"] for r in results)
    assert [e for r in results for e in r["errors"]] == []
    assert admitted == 60 and sum(r["refused_rate"] for r in results) == 140
    served, _ = _audit_cost(db, key_id)
    assert served == 60  # the provider itself saw no more than the limit


def test_one_process_in_memory_never_overspends() -> None:
    key_id, secret, db = _key()
    result = asyncio.run(run(_args(secret, "mem", BUDGET, big=True, n=200, redis_url=None)))
    _check_budget([result], db, key_id, None)


def test_one_process_in_memory_admits_at_most_60_per_minute() -> None:
    key_id, secret, db = _key()
    result = asyncio.run(run(_args(secret, "mem", RATE, big=False, n=200, redis_url=None)))
    assert result["errors"] == []
    assert result["admitted"] == 60 and result["refused_rate"] == 140
    assert _audit_cost(db, key_id)[0] == 60
