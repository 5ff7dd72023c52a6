"""Bench: how fast the rate-limit arena simulates, per tier, against a bare event loop.

Runs the default arena (20 clients x 5 requests, all four strategies) for each
tier preset, REPEAT times, and prints wall time, simulated time, events handled
and how much faster than real time the simulation runs. The baseline is a bare
heapq push/pop loop over the same number of events, measured in this same run,
so the "overhead" ratio says what the bucket/strategy logic costs on this machine.

    .venv/bin/python bench/arena.py [--repeat 5] [--clients 20] [--requests 5]

Bar (issue 4, item 6): the default run (tier-1) well under one second; every
preset under one second.
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import time

from apilab.arena import TIERS, ArenaConfig, run_arena


def _bare_loop(events: int) -> float:
    """Seconds to push and pop ``events`` timestamped entries through a heap."""
    heap: list[tuple[float, int, int, int]] = []
    started = time.perf_counter()
    for i in range(events):
        heapq.heappush(heap, (i * 0.001, 1, i, i % 20))
        heapq.heappop(heap)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()

    print(f"{'tier':<10}{'wall ms (median)':>18}{'simulated s':>14}{'events':>10}"
          f"{'x real time':>14}{'overhead vs bare loop':>24}")
    for name, tier in TIERS.items():
        config = ArenaConfig(tier=tier, clients=args.clients,
                             requests_per_client=args.requests)
        walls = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = run_arena(config)
            walls.append(time.perf_counter() - started)
        wall = statistics.median(walls)
        events = sum(len(t) for r in result.results for t in r._times.values())
        simulated = max((r.finish_s or result.axis_end_s) for r in result.results)
        bare = statistics.median(_bare_loop(events) for _ in range(args.repeat))
        print(f"{name:<10}{wall * 1000:>18.1f}{simulated:>14.1f}{events:>10,}"
              f"{simulated / wall:>14,.0f}{wall / bare if bare else 0:>23.1f}x")


if __name__ == "__main__":
    main()
