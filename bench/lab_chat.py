"""Bench: N learners chatting with the offline tutor over HTTP/SSE against one server process.

Starts `apilab serve` (one uvicorn process, SQLite in a temp data dir), then runs
N simulated learners concurrently; each sends MESSAGES questions, waiting for
each reply and "thinking" THINK seconds (random in [0.5x, 1.5x]) in between.
Prints p50/p95/p99 time to first token (first SSE delta) and to the full reply,
and the tutor's in-process reply time measured in this same run.

    .venv/bin/python bench/lab_chat.py [--learners 200] [--messages 3] [--think 1.0] [--burst]

--burst sends every learner's first message at the same instant (worst case).
Bar (issue 2): p95 TTFT <= 100 ms with 200 learners; median in-process reply <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BY_N: dict[int, list[float]] = {}
QUESTIONS = {
    "api-basics": ["What goes in the Authorization header?", "what does finish_reason length mean",
                   "difference between 429 and 503?", "how do I stream a reply?",
                   "why does my bot forget earlier messages"],
    "key-security": ["where do I keep my API key?", "I pushed my .env to GitHub, what first?",
                     "what is a project scoped key", "how to stop keys being committed"],
    "rate-limits-cost": ["RPM vs TPM?", "why add jitter to retries?",
                         "cost of 2M input and 500k output tokens on gpt-4o-mini",
                         "backoff schedule for 5 retries from 1s capped at 30s"],
    "production-prompts": ["how do I get reliable JSON back?", "what goes in a system prompt",
                           "how could a web page attack my summarizer?",
                           "how do I test prompt changes"],
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def learner(
    client: httpx.AsyncClient, ident: int, args: argparse.Namespace, start: asyncio.Event,
    ttft: list[float], full: list[float], errors: list[str],
) -> None:
    rng = random.Random(ident)
    labs = list(QUESTIONS)
    await start.wait()
    if not args.burst:
        await asyncio.sleep(rng.uniform(0, args.think))
    for n in range(args.messages):
        lab = labs[(ident + n) % len(labs)]
        message = rng.choice(QUESTIONS[lab]) + f" ({ident}-{n})"
        t0 = time.perf_counter()
        first = None
        try:
            async with client.stream("POST", f"/api/labs/{lab}/messages", json={"message": message},
                                     headers={"X-Learner": f"bench{ident}"}) as response:
                if response.status_code != 200:
                    errors.append(f"HTTP {response.status_code}")
                    continue
                event = None
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                        if event == "delta" and first is None:
                            first = time.perf_counter() - t0
                        elif event == "failed":
                            errors.append("failed")
                    elif line.startswith("data:") and event == "completed":
                        json.loads(line[5:])
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
            continue
        done = time.perf_counter() - t0
        if first is not None:
            ttft.append(first * 1000)
            BY_N.setdefault(n, []).append(first * 1000)
            full.append(done * 1000)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)


def in_process_reply_ms(samples: int = 300) -> list[float]:
    """Time OfflineTutor.respond end to end for the bench questions, in this process."""
    from apilab.assistant.base import ReplyDone, Turn
    from apilab.assistant.offline import OfflineTutor
    from apilab.content import load_course

    course = load_course()
    tutor = OfflineTutor()
    turns = [Turn(lab=course.lab(lab), message=q, history=[])
             for lab, qs in QUESTIONS.items() for q in qs]

    async def one(turn: Turn) -> None:
        async for event in tutor.respond(turn):
            if isinstance(event, ReplyDone):
                return

    async def run() -> list[float]:
        for turn in turns:  # warm-up: indexes, caches
            await one(turn)
        times = []
        for i in range(samples):
            t0 = time.perf_counter()
            await one(turns[i % len(turns)])
            times.append((time.perf_counter() - t0) * 1000)
        return times

    return asyncio.run(run())


async def main_async(
    args: argparse.Namespace, base: str
) -> tuple[list[float], list[float], list[str], float]:
    ttft: list[float] = []
    full: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(
        max_connections=args.learners + 10, max_keepalive_connections=args.learners
    )
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        start = asyncio.Event()
        tasks = [asyncio.create_task(learner(client, i, args, start, ttft, full, errors))
                 for i in range(args.learners)]
        t0 = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    return ttft, full, errors, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between messages")
    parser.add_argument("--burst", action="store_true", help="all first messages at once")
    parser.add_argument("--url", help="use a server already running here (started with "
                        "APILAB_LEARNER_HEADER=X-Learner) instead of starting one")
    args = parser.parse_args()

    inproc = in_process_reply_ms()
    if args.url:
        ttft, full, errors, elapsed = asyncio.run(main_async(args, args.url))
        report(args, ttft, full, errors, elapsed, inproc, None, None)
        return 0
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "APILAB_DATA_DIR": str(Path(tmp) / "data"),
               "APILAB_LOG_LEVEL": "warning", "APILAB_LEARNER_HEADER": "X-Learner",
               "APILAB_BACKEND": "offline"}
        server = subprocess.Popen([sys.executable, "-m", "apilab", "serve", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            cpu0, client0 = _cpu_seconds(server.pid), time.process_time()
            ttft, full, errors, elapsed = asyncio.run(main_async(args, base))
            server_cpu = _cpu_seconds(server.pid) - cpu0
            client_cpu = time.process_time() - client0
        finally:
            server.terminate()
            server.wait(timeout=15)
    report(args, ttft, full, errors, elapsed, inproc, server_cpu, client_cpu)
    return 0


def report(args: argparse.Namespace, ttft: list[float], full: list[float], errors: list[str],
           elapsed: float, inproc: list[float], server_cpu: float | None,
           client_cpu: float | None) -> None:
    print(f"learners={args.learners} messages_each={args.messages} think={args.think}s "
          f"burst={args.burst} cores={os.cpu_count()} wall={elapsed:.1f}s")
    print(f"replies ok={len(full)} errors={len(errors)} {sorted(set(errors))[:5]}")
    if full and server_cpu is not None and client_cpu is not None:
        print(f"server CPU: {server_cpu:.1f} s = {server_cpu / len(full) * 1000:.1f} ms per reply "
              f"({server_cpu / elapsed * 100:.0f}% of one core); load generator CPU: "
              f"{client_cpu:.1f} s ({client_cpu / elapsed * 100:.0f}% of one core)")
    if ttft:
        print(f"time to first token ms: p50={pct(ttft, 50):.1f} p95={pct(ttft, 95):.1f} "
              f"p99={pct(ttft, 99):.1f}")
        print(f"time to full reply  ms: p50={pct(full, 50):.1f} p95={pct(full, 95):.1f} "
              f"p99={pct(full, 99):.1f}")
    for n, vals in sorted(BY_N.items()):
        print(f"  message {n + 1}: TTFT p50={pct(vals, 50):.1f} p95={pct(vals, 95):.1f} ms")
    print(f"tutor in-process reply ms: median={statistics.median(inproc):.2f} "
          f"p95={pct(inproc, 95):.2f} (n={len(inproc)})")
    ok = ttft and pct(ttft, 95) <= 100 and statistics.median(inproc) <= 5
    print("bar (p95 TTFT <= 100 ms, median in-process <= 5 ms):", "MET" if ok else "NOT MET")


if __name__ == "__main__":
    raise SystemExit(main())
