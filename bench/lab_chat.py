"""Bench: N learners chatting with the offline tutor over HTTP/SSE against one server process.

Starts `apilab serve` (one uvicorn process, SQLite in a temp data dir), then runs
N simulated learners concurrently; each sends MESSAGES questions, waiting for
each reply and "thinking" THINK seconds (random in [0.5x, 1.5x]) in between.
Prints p50/p95/p99 time to first token (first SSE delta) and to the full reply,
and the tutor's in-process reply time measured in this same run. Each learner has
its own keep-alive connection; the load generator is a small asyncio HTTP/1.1 client
(see ``SSEConnection``) and reports its own CPU, so a slow client cannot pass for a
slow server.

    .venv/bin/python bench/lab_chat.py [--learners 200] [--messages 3] [--think 1.0] [--burst]
    .venv/bin/python bench/lab_chat.py --url http://127.0.0.1:8000 [--server-pid PID]

--burst sends every learner's first message at the same instant (worst case).
Bar (issue 2): p95 TTFT <= 100 ms with 200 learners; median in-process reply <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

T = TypeVar("T")
BY_N: dict[int, list[float]] = {}
# Per message tag "<learner>-<n>": wall-clock send time (s) and TTFT (ms), for the breakdown.
SENT: dict[str, tuple[float, float]] = {}
DELTAS: list[int] = []  # delta events per reply
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
    """User + system CPU time of a process and its live child processes (the tutor's
    worker, see apilab/assistant/offline/workers.py), from Linux /proc."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # a process that has just exited
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SSEConnection:
    """One learner's keep-alive HTTP/1.1 connection, reading the SSE reply as it arrives.

    Hand-written on asyncio streams instead of httpx: with 200 connections httpx's pool
    scans every connection on each request (``is_idle``/``getpeername``), and that made the
    load generator, not the server, the bottleneck on a 2-core box (measured: curl saw a
    5-15 ms first byte while the bench reported p50 ~400 ms). This client costs a fraction
    of a millisecond per reply, so TTFT is the server's.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, learner: str,
                   on_event: Callable[[str, bytes], None],
                   headers: dict[str, str] | None = None) -> int:
        """POST ``body``; call ``on_event(name, data)`` per SSE event; return the status.

        ``learner`` goes in ``X-Learner`` (a proxy-named learner; empty: none sent);
        ``headers`` adds others (a session ``Cookie`` in bench/classes.py).
        """
        extra = f"X-Learner: {learner}\r\n" if learner else ""
        extra += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Accept: text/event-stream\r\n\r\n".encode() + body
        )
        for attempt in (1, 2):
            if self.reader is not None and self.reader.at_eof():
                # The server closed the idle connection (uvicorn's keep-alive timeout is
                # 5 s, shorter than a long think time): open a new one, as a browser does.
                await self.close()
            reused = self.writer is not None and not self.writer.is_closing()
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None and self.writer is not None
            self.writer.write(request)
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except asyncio.IncompleteReadError as exc:
                # Closed by the server as we sent (keep-alive expiry): nothing was read,
                # so the request was not handled; send it once more on a new connection.
                await self.close()
                if exc.partial or not reused or attempt == 2:
                    raise
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        buffer = b""
        event = ""

        def feed(data: bytes) -> None:
            nonlocal buffer, event
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.startswith(b"event:"):
                    event = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    on_event(event, line[5:])

        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                data = await self.reader.readexactly(size + 2)  # chunk + CRLF
                if size == 0:
                    break
                feed(data[:-2])
        else:
            feed(await self.reader.readexactly(int(headers.get("content-length", "0"))))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status


async def learner(
    target: tuple[str, int], ident: int, args: argparse.Namespace, start: asyncio.Event,
    ttft: list[float], full: list[float], errors: list[str],
) -> None:
    rng = random.Random(ident)
    labs = list(QUESTIONS)
    conn = SSEConnection(*target)
    await start.wait()
    if not args.burst:
        await asyncio.sleep(rng.uniform(0, args.think))
    for n in range(args.messages):
        lab = labs[(ident + n) % len(labs)]
        message = rng.choice(QUESTIONS[lab]) + f" ({ident}-{n})"
        body = json.dumps({"message": message}).encode()
        sent_at = time.time()
        t0 = time.perf_counter()
        seen: dict[str, Any] = {"first": None, "deltas": 0}

        def on_event(name: str, data: bytes, t0: float = t0, seen: dict[str, Any] = seen) -> None:
            if name == "delta":
                seen["deltas"] += 1
                if seen["first"] is None:
                    seen["first"] = time.perf_counter() - t0
            elif name == "failed":
                errors.append("failed")
            elif name == "completed":
                json.loads(data)

        try:
            status = await asyncio.wait_for(conn.post(
                f"/api/labs/{lab}/messages", body, f"bench{ident}", on_event), timeout=60)
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            errors.append(type(exc).__name__)
            await conn.close()
            continue
        if status != 200:
            errors.append(f"HTTP {status}")
            continue
        done = time.perf_counter() - t0
        DELTAS.append(seen["deltas"])
        first = seen["first"]
        if first is not None:
            ttft.append(first * 1000)
            BY_N.setdefault(n, []).append(first * 1000)
            SENT[f"{ident}-{n}"] = (sent_at, first * 1000)
            full.append(done * 1000)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
    await conn.close()


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
    url = urlsplit(base)
    target = (url.hostname or "127.0.0.1", url.port or 80)
    start = asyncio.Event()
    tasks = [asyncio.create_task(learner(target, i, args, start, ttft, full, errors))
             for i in range(args.learners)]
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    return ttft, full, errors, elapsed


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run the load generator on uvloop when installed (uvicorn[standard] brings it): the
    client shares the 2 cores with the server, so its own cost is kept low."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - plain asyncio still works, a little slower
        return asyncio.run(coro)
    return uvloop.run(coro)


def where_the_time_went(database: Path) -> None:
    """Split each first token's wait using what the server stored (a server we started).

    The server keeps, per reply, ms from the exchange's start to the learner's message being
    committed (``stored``) and to the first piece (``first_delta``); the message row's
    ``created_at`` is taken at that commit. So the exchange started at ``created_at -
    stored``, and the time before that (the client's send to the exchange's start: the
    kernel's accept queue, the event loop's backlog, HTTP parsing and the middleware) is
    told apart from the database write, the reply's composition and the delivery.
    """
    import datetime as dt
    import re
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT m.content, m.created_at, r.meta FROM messages m "
            "JOIN messages r ON r.reply_to_id = m.id WHERE m.role = 'learner'").fetchall()
    parts: dict[int, dict[str, list[float]]] = {}
    for content, created_at, meta in rows:
        tag = re.search(r"\((\d+-(\d+))\)\s*$", content)
        if tag is None or tag.group(1) not in SENT:
            continue
        sent_at, ttft_ms = SENT[tag.group(1)]
        timing = json.loads(meta).get("timing_ms") or {}
        if "stored" not in timing:
            continue
        stored = dt.datetime.fromisoformat(created_at).replace(tzinfo=dt.UTC)
        start = stored.timestamp() - timing["stored"] / 1000
        waited = max(0.0, (start - sent_at) * 1000)
        into = parts.setdefault(int(tag.group(2)), {})
        for name, value in (("before the exchange", waited),
                            ("message stored", timing["stored"]),
                            ("reply composed", timing.get("compose", 0.0)),
                            ("first piece out", timing["first_delta"]),
                            ("delivery", max(0.0, ttft_ms - waited - timing["first_delta"]))):
            into.setdefault(name, []).append(value)
    if not parts:
        return
    print("where the first-token time went (ms, p50/p95; from the exchange's start unless said):")
    for n, named in sorted(parts.items()):
        print(f"  message {n + 1}: " + "; ".join(
            f"{name} {pct(v, 50):.1f}/{pct(v, 95):.1f}" for name, v in named.items()))


def measure(args: argparse.Namespace, base: str, server_pid: int | None,
            database: Path | None = None) -> None:
    """Run the learners against ``base``; report, with CPU figures where known."""
    inproc = in_process_reply_ms()
    cpu0 = _cpu_seconds(server_pid) if server_pid else 0.0
    client0 = time.process_time()
    ttft, full, errors, elapsed = run(main_async(args, base))
    server_cpu = _cpu_seconds(server_pid) - cpu0 if server_pid else None
    client_cpu = time.process_time() - client0
    report(args, ttft, full, errors, elapsed, inproc, server_cpu, client_cpu)
    if database is not None and database.exists():
        where_the_time_went(database)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between messages")
    parser.add_argument("--burst", action="store_true", help="all first messages at once")
    parser.add_argument("--url", help="use a server already running here (started with "
                        "APILAB_LEARNER_HEADER=X-Learner) instead of starting one")
    parser.add_argument("--server-pid", type=int,
                        help="with --url: the server's process id, to report its CPU")
    args = parser.parse_args()

    if args.url:
        measure(args, args.url, args.server_pid)
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
            # Up, and its tutor worker (if any) warmed: the bench measures a running server,
            # not the second after start-up (replies are composed in-process until then).
            for _ in range(300):
                try:
                    health = httpx.get(base + "/healthz", timeout=1)
                    if health.status_code == 200 and health.headers.get(
                            "x-tutor-worker") != "starting":
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            measure(args, base, server.pid, Path(tmp) / "data" / "apilab.db")
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


def report(args: argparse.Namespace, ttft: list[float], full: list[float], errors: list[str],
           elapsed: float, inproc: list[float], server_cpu: float | None,
           client_cpu: float | None) -> None:
    print(f"learners={args.learners} messages_each={args.messages} think={args.think}s "
          f"burst={args.burst} cores={os.cpu_count()} wall={elapsed:.1f}s")
    print(f"replies ok={len(full)} errors={len(errors)} {sorted(set(errors))[:5]}")
    if full and server_cpu is not None:
        print(f"server CPU (with its tutor workers): {server_cpu:.1f} s = "
              f"{server_cpu / len(full) * 1000:.1f} ms per reply "
              f"({server_cpu / elapsed * 100:.0f}% of one core)")
    if full and client_cpu is not None:
        print(f"load generator CPU: {client_cpu:.1f} s = {client_cpu / len(full) * 1000:.1f} ms "
              f"per reply ({client_cpu / elapsed * 100:.0f}% of one core)")
    if DELTAS:
        print(f"delta events per reply: min={min(DELTAS)} median={statistics.median(DELTAS):g} "
              f"max={max(DELTAS)}")
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
