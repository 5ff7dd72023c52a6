"""Bench: how fast the CLI starts, interleaved with the baseline it is judged against.

Runs each command ``--runs`` times, round-robin (so a busy moment hits every command
alike), in fresh processes with byte-code caches warm, and prints the median and p90
wall time of each, and ``apilab --help`` as a ratio of ``python -c "import typer"``
measured in the same run. ``apilab ask`` runs against a data folder and disk cache that
one untimed ask has already set up (migrations done, course index cached), which is
what a learner's second question costs.

    .venv/bin/python bench/cli_start.py [--runs 15]

Bars (issue 13): ``apilab --help`` within 3x of ``import typer``; ``apilab ask`` <= 1 s
wall on an idle machine (the load average is printed: read the figure with it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # A private disk cache: other checkouts on the machine cannot evict its entries.
        env.update(APILAB_DATA_DIR=str(Path(tmp) / "data"),
                   APILAB_CACHE_DIR=str(Path(tmp) / "cache"))
        apilab = str(BIN / "apilab")
        commands = {
            "python -c 'import typer'": [sys.executable, "-c", "import typer"],
            "apilab --help": [apilab, "--help"],
            "apilab prices": [apilab, "prices"],
            "apilab ask": [apilab, "ask", "--lab", "rate-limits-cost",
                           "why add jitter to retries?"],
        }
        for argv in commands.values():  # untimed: byte code, migrations, disk cache
            timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    load = os.getloadavg()[0]
    print(f"{args.runs} runs each, interleaved; load average {load:.2f} on "
          f"{os.cpu_count()} cores")
    for name, values in times.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        print(f"  {name:28s} median {statistics.median(values) * 1000:7.0f} ms   "
              f"p90 {p90 * 1000:7.0f} ms")
    base = statistics.median(times["python -c 'import typer'"])
    helps = statistics.median(times["apilab --help"])
    ask = statistics.median(times["apilab ask"])
    print(f"apilab --help / import typer: {helps / base:.2f}x (bar 3x: "
          f"{'met' if helps / base <= 3 else 'NOT met'})")
    print(f"apilab ask median {ask:.2f} s (bar 1 s on an idle machine: "
          f"{'met' if ask <= 1 else 'NOT met'} at load {load:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
