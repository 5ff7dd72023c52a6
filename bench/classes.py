"""Bench: a class run at scale: 300 signed-in learners in 3 classes, two processes behind nginx.

Starts the cluster of ``bench/_cluster.py`` (two `apilab serve` processes over one
PostgreSQL schema and Redis, behind the documented nginx site), creates 3 instructors,
3 classes (with budget caps) and N learners, then every learner, concurrently: signs in
through the proxy, joins their class by its code, and completes the rate-limits lab with
the offline tutor (3 questions, "thinking" THINK seconds between them). Prints:

- time to first token (first SSE ``delta``, measured by the client) p50/p95/p99, and the
  same figure for one learner alone measured first in this run (the baseline), as a ratio;
- every exchange stored once (messages in the database vs sent), every completion shown
  on the dashboards, and spend per learner and per class against the caps (from the
  ledger; zero with the offline tutor, so this only shows the caps are in place).

    .venv/bin/python bench/classes.py [--learners 300] [--classes 3] [--think 15]

``--think`` is the pause between a reply and the learner's next question. The default,
15 s, is a fast real learner: reading a 150-word reply takes about 35 s at 250 words a
minute, before typing the next question. ``--think 1`` is a stress run (300 bots sending
about 150 messages a second), past what two processes on two cores can answer: its
queueing delay is the machine's capacity talking, and the bench prints the offered and
served reply rates so both runs can be read that way.

Needs PostgreSQL (APILAB_TEST_POSTGRES_URL), Redis (APILAB_TEST_REDIS_URL) and nginx.
Bar (issue 15): p95 TTFT <= 150 ms on a 2-core machine; every exchange stored once;
every completion on the dashboard; no budget overspent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apilab.web.identity import SESSION_COOKIE  # noqa: E402
from bench._cluster import Cluster  # noqa: E402
from bench.lab_chat import SSEConnection  # noqa: E402

PASSWORD = "correct horse battery staple"
LAB = "rate-limits-cost"
QUESTIONS = ("RPM vs TPM?", "why add jitter to retries?",
             "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/15"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def exchange(client: httpx.AsyncClient, question: str) -> tuple[float, dict[str, Any]]:
    """(ms to the first delta, the completed event)."""
    started = time.perf_counter()
    first: float | None = None
    done: dict[str, Any] = {}
    async with client.stream("POST", f"/api/labs/{LAB}/messages",
                             json={"message": question}) as response:
        if response.status_code != 200:
            raise RuntimeError(f"chat answered {response.status_code}: "
                               f"{(await response.aread())[:200]!r}")
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
                if event == "delta" and first is None:
                    first = (time.perf_counter() - started) * 1000
            elif line.startswith("data:") and event == "completed":
                done = json.loads(line[5:])
    if first is None or not done:
        raise RuntimeError("the reply had no delta or no completed event")
    return first, done


class Gate:
    """Opens once every learner has signed in and joined: then the chatting starts."""

    def __init__(self, expected: int) -> None:
        self.expected, self.arrived, self.event = expected, 0, asyncio.Event()
        self.opened_at = 0.0

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self.expected and not self.event.is_set():
            self.opened_at = time.perf_counter()
            self.event.set()


async def lean_exchange(conn: SSEConnection, cookie: str, question: str
                        ) -> tuple[float, dict[str, Any]]:
    """``exchange`` over lab_chat's lean HTTP/1.1 client (ms to the first delta, completed)."""
    started = time.perf_counter()
    seen: dict[str, Any] = {"first": None, "done": {}}

    def on_event(name: str, data: bytes) -> None:
        if name == "delta" and seen["first"] is None:
            seen["first"] = (time.perf_counter() - started) * 1000
        elif name == "completed":
            seen["done"] = json.loads(data)

    status = await conn.post(f"/api/labs/{LAB}/messages",
                             json.dumps({"message": question}).encode(), "", on_event,
                             headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    if status != 200:
        raise RuntimeError(f"chat answered {status}")
    if seen["first"] is None or not seen["done"]:
        raise RuntimeError("the reply had no delta or no completed event")
    return seen["first"], seen["done"]


async def learner(url: str, email: str, code: str, think: float, ttft: list[float],
                  errors: list[str], gate: Gate) -> bool:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        try:
            try:
                signed = await client.post("/api/auth/signin",
                                           json={"email": email, "password": PASSWORD})
                signed.raise_for_status()
                joined = await client.post("/api/classes/join", json={"code": code})
                joined.raise_for_status()
            finally:
                gate.arrive()
            cookie = client.cookies.get(SESSION_COOKIE) or ""
        except Exception as exc:  # noqa: BLE001 - counted and printed
            errors.append(f"{email}: {exc!r}")
            return False
    # Chat over the lean client (bench/lab_chat.py's): httpx cost the load generator a
    # third of a core here, CPU the two servers need on a 2-core machine.
    target = urlsplit(url)
    conn = SSEConnection(target.hostname or "127.0.0.1", target.port or 80)
    try:
        await gate.event.wait()
        await asyncio.sleep(random.uniform(0, think * 2))
        done: dict[str, Any] = {}
        for question in QUESTIONS:
            ms, done = await asyncio.wait_for(lean_exchange(conn, cookie, question), 60)
            ttft.append(ms)
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))
        return bool(done.get("completed_at"))
    except Exception as exc:  # noqa: BLE001 - counted and printed
        errors.append(f"{email}: {exc!r}")
        return False
    finally:
        await conn.close()


async def baseline(url: str, email: str, code: str, samples: int) -> list[float]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        (await client.post("/api/auth/signin",
                           json={"email": email, "password": PASSWORD})).raise_for_status()
        (await client.post("/api/classes/join", json={"code": code})).raise_for_status()
        out = []
        for i in range(samples):
            ms, _ = await exchange(client, QUESTIONS[i % len(QUESTIONS)])
            out.append(ms)
        return out


def setup(cluster: Cluster, learners: int, classes: int) -> list[tuple[str, str]]:
    """Accounts and classes, made with the engines against the cluster's database."""
    from apilab.accounts import Accounts
    from apilab.classes import Classes
    from apilab.settings import get_settings
    from apilab.storage.db import open_database

    settings = get_settings(database_url=cluster.database_url,
                            data_dir=cluster.env["APILAB_DATA_DIR"])
    db = open_database(settings.db_url)
    accounts, rooms = Accounts(db, settings), Classes(db, settings)
    codes = []
    for c in range(classes):
        accounts.create(f"prof{c}@example.org", password=PASSWORD, role="instructor")
        info = rooms.create(None, slug=f"class-{c}", owner_email=f"prof{c}@example.org",
                            learner_daily_usd="0.05", class_monthly_usd="2")
        codes.append(info["join_code"])
    people = []
    for i in range(learners + 1):  # one more: the baseline learner
        email = f"learner{i}@example.org"
        accounts.create(email, password=PASSWORD)
        people.append((email, codes[i % classes]))
    return people


def verify(cluster: Cluster, learners: int, classes: int, baseline: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from apilab.classes.dashboard import build_dashboard
    from apilab.settings import get_settings
    from apilab.storage import classes as class_repo
    from apilab.storage.db import open_database
    from apilab.storage.models.lab import Message

    settings = get_settings(database_url=cluster.database_url,
                            data_dir=cluster.env["APILAB_DATA_DIR"])
    db = open_database(settings.db_url)
    out: dict[str, Any] = {"completions_on_dashboards": 0, "overspent": []}
    with db.session() as session:
        rows = session.execute(select(Message.learner_id, Message.role, Message.status,
                                      func.count()).where(Message.lab_id == LAB)
                               .group_by(Message.learner_id, Message.role, Message.status)
                               ).all()
        out["messages"] = sum(r[3] for r in rows)
        out["not_complete"] = sum(r[3] for r in rows if r[2] != "complete")
        per = {}
        for learner_id, role, _status, count in rows:
            per.setdefault(learner_id, {}).setdefault(role, 0)
            per[learner_id][role] += count
        # Each learner: 3 questions, 3 replies (the baseline learner: its own count).
        allowed = {(3, 3), (baseline, baseline)}
        out["learners_not_3_and_3"] = sum(
            1 for v in per.values() if (v.get("learner"), v.get("assistant")) not in allowed)
        for c in range(classes):
            room = class_repo.class_by_slug(session, f"class-{c}")
            data = build_dashboard(session, room, settings)
            out["completions_on_dashboards"] += next(
                p["completed"] for p in data["per_lab"] if p["lab"] == LAB)
            spend = data["spend"]
            if Decimal(spend["class_month_usd"]) > Decimal(spend["class_monthly_cap_usd"]):
                out["overspent"].append(room.slug)
            cap = Decimal(spend["learner_daily_cap_usd"])
            out["overspent"] += [r["email"] for r in data["learners"]
                                 if Decimal(r["spend_today_usd"]) > cap]
            out.setdefault("class_spend", []).append(spend["class_month_usd"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--think", type=float, default=15.0)
    parser.add_argument("--baseline", type=int, default=30)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--redis", default=REDIS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Cluster(
            Path(tmp), args.postgres, args.redis,
            # Every simulated learner comes from 127.0.0.1: lift the per-address limit.
            env={"APILAB_SIGNIN_PEER_LIMIT": "100000"}) as cluster:
        t0 = time.perf_counter()
        people = setup(cluster, args.learners, args.classes)
        print(f"setup: {len(people)} accounts, {args.classes} classes in "
              f"{time.perf_counter() - t0:.1f} s")
        base = asyncio.run(baseline(cluster.url, *people[-1], args.baseline))
        ttft: list[float] = []
        errors: list[str] = []

        gate = Gate(len(people) - 1)

        async def everyone() -> list[bool]:
            return await asyncio.gather(*(
                learner(cluster.url, email, code, args.think, ttft, errors, gate)
                for email, code in people[:-1]))

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t1 = time.perf_counter()
        completed = asyncio.run(everyone())
        wall = time.perf_counter() - t1
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        checks = verify(cluster, args.learners, args.classes, args.baseline)

    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    b50 = statistics.median(base)
    print(f"\nbaseline (one learner alone, {len(base)} replies): TTFT p50 {b50:.1f} ms, "
          f"p95 {pct(base, 95):.1f} ms")
    if ttft:
        p50, p95, p99 = pct(ttft, 50), pct(ttft, 95), pct(ttft, 99)
        print(f"{args.learners} learners x {len(QUESTIONS)} replies ({len(ttft)} measured, "
              f"{wall:.1f} s incl. sign-in, load generator CPU {client_cpu:.1f} s):")
        print(f"  TTFT p50 {p50:.1f} ms ({p50 / b50:.1f}x baseline), p95 {p95:.1f} ms "
              f"({p95 / b50:.1f}x baseline), p99 {p99:.1f} ms")
        print(f"  bar p95 <= 150 ms: {'met' if p95 <= 150 else 'NOT met'}")
        chat_wall = wall - (gate.opened_at - t1)
        print(f"  replies served {len(ttft) / chat_wall:.1f}/s over {chat_wall:.1f} s of chat "
              f"(offered at most {args.learners / (args.think + 0.05):.1f}/s with "
              f"--think {args.think:g})")
    print(f"learners completing the lab: {sum(completed)}/{args.learners}; errors: "
          f"{len(errors)}")
    for line in errors[:5]:
        print("  ", line)
    expected = args.learners * len(QUESTIONS) * 2 + args.baseline * 2
    print(f"messages stored: {checks['messages']} (expected {expected}); not complete: "
          f"{checks['not_complete']}; learners without exactly 3+3: "
          f"{checks['learners_not_3_and_3']}")
    print(f"completions on the dashboards: {checks['completions_on_dashboards']} "
          f"(expected {args.learners + 1})")
    print(f"class spend this month: {checks['class_spend']} (caps $2.00 each, $0.05/learner/day);"
          f" overspent: {checks['overspent'] or 'none'}")
    ok = (not errors and checks["messages"] == expected and not checks["overspent"]
          and not checks["learners_not_3_and_3"] and not checks["not_complete"]
          and checks["completions_on_dashboards"] == args.learners + 1)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
