"""Bench: `apilab scan` vs detect-secrets 1.5.0 (and gitleaks), on the same corpora and tree.

Usage (from the repo root):

    .venv/bin/python bench/scan.py [--outside CACHE.json] [--gitleaks BIN] [--tree DIR]
                                   [--tree-mb 20] [--seed 2026] [--per-format 18]

0. Outside corpus (issue 16): labelled samples from other projects' own test suites
   (tests/secretscan/outside: gitleaks, detect-secrets and CredSweeper samples ship in
   the repo; trufflehog's, AGPL-licensed, come only from a local cache built with
   ``python -m tests.secretscan.outside.extract ... --out CACHE.json`` and passed as
   --outside). Every tool scans the same files through its CLI; each sample scores
   once (see tests/secretscan/outside/corpus.py). Prints precision, recall and F1 per
   provider, for AI-provider keys and for all secrets, with debatable labels left out.
   gitleaks runs when --gitleaks names its binary (with --gitleaks-config, its rules).
   Then the tricky placements (tests/secretscan/tricky.py): how many of the 23+
   cases are found and how many look-alike placeholders are flagged.
1. Quality in sample: the labelled corpus from tests/secretscan/corpus.py (synthetic keys of
   every format at real lengths, in many file types, plus false-positive vectors)
   is written to a temp dir; both tools scan it through their CLIs with JSON
   output; hits are scored per (file, line). Prints precision, recall, F1, and
   how often detect-secrets *labels* new-format OpenAI keys as OpenAI keys.
2. Speed: the same text files (default: the first --tree-mb MB of text files in
   this venv's site-packages, in sorted order) are copied to a temp dir and both
   CLIs scan it; MB/s = bytes of the tree / wall-clock seconds, the best of
   --repeat runs for apilab and of --ds-repeat runs for detect-secrets (default 1:
   one run takes minutes). detect-secrets uses all CPU cores by default, and so does
   apilab scan on a folder of many files (one process per CPU); it is also timed with
   ``--jobs 1`` for the one-core figure. The load average is printed before and after:
   the cores may be shared, and the ratio is only meaningful for runs under the same load.

Bars: issue 6, F1 at least 0.3 above detect-secrets; issue 16, at least 50x its MB/s
and at least 5 MB/s on one core.

gitleaks: no binary is installable on the machines this was written on (not packaged
in Debian bookworm; on PyPI and npm only as wrappers that download it at run time),
so its column appears only when --gitleaks names a binary.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.secretscan import tricky  # noqa: E402
from tests.secretscan.corpus import build_corpus, score, write_corpus  # noqa: E402
from tests.secretscan.outside import corpus as outside  # noqa: E402

BIN = Path(sys.executable).parent
TEXT_SUFFIXES = {".py", ".pyi", ".js", ".ts", ".json", ".md", ".txt", ".rst", ".toml", ".yaml",
                 ".yml", ".cfg", ".ini", ".html", ".css", ".c", ".h", ".pyx", ".sh"}


def run_apilab(folder: Path, jobs: int | None = None) -> tuple[list[tuple[str, int]], float]:
    """(file relative to folder, line) hits and wall seconds for `apilab scan` (its default:
    one process per CPU for a folder of many files; ``jobs=1``: one process)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "apilab"), "scan", str(folder), "--format", "json", "--include-ignored",
         *(["--jobs", str(jobs)] if jobs else [])],
        capture_output=True, text=True, cwd=folder,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"apilab scan failed: {proc.stderr}")
    doc = json.loads(proc.stdout)
    hits = []
    for f in doc["findings"]:
        if not f.get("redacted"):
            continue  # project checks (no line-level secret) are not corpus labels
        hits.append((_rel(f["path"], folder), int(f["line"])))
    return hits, elapsed


def run_detect_secrets(folder: Path) -> tuple[list[tuple[str, int]], dict[tuple[str, int],
                                                                       set[str]], float]:
    """(file, line) hits, the plugin types per hit, and wall seconds for detect-secrets."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "detect-secrets"), "scan", "--all-files", "."],
        capture_output=True, text=True, cwd=folder,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr[-2000:]}")
    doc = json.loads(proc.stdout)
    types: dict[tuple[str, int], set[str]] = {}
    for name, secrets in doc["results"].items():
        for s in secrets:
            types.setdefault((_rel(name, folder), int(s["line_number"])), set()).add(s["type"])
    return list(types), types, elapsed


def run_gitleaks(binary: str, folder: Path, config: str | None) -> tuple[list[tuple[str, int]],
                                                                        float]:
    """(file, line) hits and wall seconds for gitleaks (``dir``, or ``detect --no-git``)."""
    report = folder.parent / "gitleaks.json"
    extra = ["--config", config] if config else []
    start = time.perf_counter()
    proc = subprocess.run([binary, "dir", str(folder), "--report-format", "json",
                           "--report-path", str(report), "--no-banner", "--exit-code", "0",
                           *extra], capture_output=True, text=True)
    if proc.returncode != 0:  # gitleaks before 8.19 has no "dir"
        proc = subprocess.run([binary, "detect", "--no-git", "--source", str(folder),
                               "--report-format", "json", "--report-path", str(report),
                               "--no-banner", "--exit-code", "0", *extra],
                              capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"gitleaks failed: {proc.stderr[-2000:]}")
    hits = []
    for f in json.loads(report.read_text() or "[]"):
        for line in range(int(f["StartLine"]), int(f.get("EndLine", f["StartLine"])) + 1):
            hits.append((_rel(f["File"], folder), line))
    return hits, elapsed


def _tool_lines(samples: list[outside.OutsideSample], folder: Path, gitleaks: str | None = None,
                gitleaks_config: str | None = None
                ) -> tuple[dict[str, dict[str, set[int]]], dict[str, str]]:
    """Write the samples under ``folder``, run each tool once: (tool->file->lines, id->file)."""
    where = outside.write_files(samples, folder)
    tools: dict[str, list[tuple[str, int]]] = {}
    tools["apilab"], _ = run_apilab(folder)
    tools["detect-secrets"], _t, _ = run_detect_secrets(folder)
    if gitleaks:
        tools["gitleaks"], _ = run_gitleaks(gitleaks, folder, gitleaks_config)
    lines: dict[str, dict[str, set[int]]] = {}
    for name, hits in tools.items():
        per_file: dict[str, set[int]] = {}
        for rel, line in hits:
            per_file.setdefault(rel, set()).add(line)
        lines[name] = per_file
    return lines, where


def outside_bench(cache: str | None, gitleaks: str | None, gitleaks_config: str | None,
                  tmp: Path) -> None:
    """Score every tool on the outside corpus and print the tables (see the docstring)."""
    samples = outside.load_samples(cache)
    if not samples:
        print("Outside corpus: no samples (tests/secretscan/outside/samples.json.gz missing?)")
        return
    kept = [s for s in samples if not s.debatable]
    sources = sorted({s.source for s in samples})
    print(f"Outside corpus: {len(samples)} samples from {', '.join(sources)}; "
          f"{len(samples) - len(kept)} debatable labels left out; "
          f"{sum(s.positive for s in kept)} secrets, {sum(not s.positive for s in kept)} "
          f"non-secrets scored")
    lines, where = _tool_lines(samples, tmp / "outside", gitleaks, gitleaks_config)
    if not gitleaks:
        print("(gitleaks: not run. No gitleaks binary is installable here: not packaged in "
              "Debian bookworm, and PyPI/npm only carry wrappers that download it at run "
              "time. Pass --gitleaks BIN [--gitleaks-config gitleaks.toml] where one exists.)")

    def tally(name: str, subset: list[outside.OutsideSample]) -> outside.Tally:
        t, _m, _f = outside.score(subset, lambda s: lines[name].get(where[s.id], set()))
        return t

    names = list(lines)
    groups: list[tuple[str, list[outside.OutsideSample]]] = [
        ("AI-provider keys", [s for s in kept if s.ai]),
        ("all secrets", kept),
    ]
    print(f"\n{'':24}" + "".join(f"{n:>28}" for n in names))
    print(f"{'':24}" + "".join(f"{'P     R     F1':>28}" for _ in names))
    for label, subset in groups:
        row = "".join(f"{t.precision:>18.3f}{t.recall:>6.3f}{t.f1:>6.3f}"
                      for t in (tally(n, subset) for n in names))
        print(f"{label + f' ({len(subset)})':<24}{row}")
    print("\nF1 per provider (samples):")
    providers = sorted({s.provider for s in kept}, key=lambda p: (p not in outside.AI_PROVIDERS, p))
    print(f"{'provider':<22}{'n':>5}" + "".join(f"{n:>16}" for n in names))
    for provider in providers:
        subset = [s for s in kept if s.provider == provider]
        row = "".join(f"{tally(n, subset).f1:>16.3f}" for n in names)
        mark = " (AI)" if provider in outside.AI_PROVIDERS else ""
        print(f"{provider + mark:<22}{len(subset):>5}{row}")
    print("\nF1 per source:")
    for source in sources:
        subset = [s for s in kept if s.source == source]
        row = "".join(f"{tally(n, subset).f1:>16.3f}" for n in names)
        print(f"{source:<22}{len(subset):>5}{row}")
    print()


def fresh_bench(path: str | None, tmp: Path, show_dev: bool = False,
                dev_only: bool = False) -> None:
    """Score both tools on the fresh corpus (fresh.py), dev and held-out halves side by side.

    The held-out half is reported as totals only (overall, AI keys, per source): looking at
    its misses would turn it into a second dev half. ``show_dev`` lists the dev half's misses
    and false hits for apilab. ``dev_only`` prints no held-out figure at all (not even its
    sample counts), for the runs made while rules are changed: the held-out half is then
    measured once, by someone else, after the change.
    """
    samples = outside.load_fresh(path)
    if not samples:
        print("Fresh corpus: no samples (tests/secretscan/outside/fresh.json.gz missing?)")
        return
    kept = [s for s in samples if not s.debatable]
    sources = sorted({s.source for s in kept})
    halves = ("dev",) if dev_only else ("dev", "held-out")
    print(f"Fresh corpus (never tuned on): {len(samples)} samples from {', '.join(sources)}; "
          f"{len(samples) - len(kept)} debatable labels left out; split by service into "
          + ", ".join(f"{h} {sum(s.half == h for s in kept)} "
                      f"({sum(s.positive for s in kept if s.half == h)} secrets)"
                      for h in halves))
    lines, where = _tool_lines(samples, tmp / "fresh")
    names = list(lines)

    def tally(name: str, subset: list[outside.OutsideSample]) -> outside.Tally:
        t, _m, _f = outside.score(subset, lambda s: lines[name].get(where[s.id], set()))
        return t

    print(f"\n{'':30}" + "".join(f"{n:>22}" for n in names))
    print(f"{'':30}" + "".join(f"{'P     R     F1':>22}" for _ in names))
    for half in halves:
        part = [s for s in kept if s.half == half]
        # "AI keys, scan3 set": the AI providers before rules/ai_platforms.py, so a score
        # compares with the runs before it on the same samples.
        for label, subset in (("AI-provider keys", [s for s in part if s.ai]),
                              ("AI keys, scan3 set",
                               [s for s in part if s.provider in outside.AI_PROVIDERS_SCAN3]),
                              ("all secrets", part)):
            row = "".join(f"{t.precision:>12.3f}{t.recall:>6.3f}{t.f1:>6.3f}"
                          for t in (tally(n, subset) for n in names))
            print(f"{f'{half}: {label} ({len(subset)})':<30}{row}")
    print(f"\nF1 per source, {' | '.join(halves)} (samples):")
    print(f"{'source':<20}" + "".join(f"{h + ' ' + n:>26}" for h in halves for n in names))
    for source in sources:
        cells = []
        for half in halves:
            subset = [s for s in kept if s.source == source and s.half == half]
            cells += [f"{tally(n, subset).f1:>20.3f} ({len(subset):>3})" for n in names]
        print(f"{source:<20}" + "".join(cells))
    print("\nF1 per provider, dev half only (samples):")
    dev = [s for s in kept if s.half == "dev"]
    providers = sorted({s.provider for s in dev}, key=lambda p: (p not in outside.AI_PROVIDERS, p))
    for provider in providers:
        subset = [s for s in dev if s.provider == provider]
        row = "".join(f"{tally(n, subset).f1:>16.3f}" for n in names)
        print(f"{provider:<22}{len(subset):>5}{row}")
    if show_dev:
        _t, missed, false_hits = outside.score(
            dev, lambda s: lines["apilab"].get(where[s.id], set()))
        for kind, items in (("missed", missed), ("false hit", false_hits)):
            for s in items:
                text = outside.labelled_text(s).strip().replace("\n", "\\n")[:160]
                print(f"  dev {kind}: {s.id} {s.source} {s.rule[:40]!r}: {text}")
    print()


def tricky_bench() -> None:
    """How many tricky placements are found, and how many look-alike placeholders flagged."""
    real, fake = tricky.build(real=True), tricky.build(real=False)
    missed = [c.name for c in real if not tricky.found(c)]
    flagged = [c.name for c in fake if tricky.found(c)]
    print(f"Tricky placements (tests/secretscan/tricky.py): {len(real) - len(missed)}/"
          f"{len(real)} found (bar: >= 20 of 23+); look-alike placeholders flagged: "
          f"{len(flagged)}/{len(fake)} (bar: 0)")
    for name in missed:
        print(f"  missed: {name}")
    for name in flagged:
        print(f"  flagged look-alike: {name}")
    print()


def _rel(path: str, folder: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        with_folder = p.resolve()
        try:
            return with_folder.relative_to(folder.resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix().removeprefix("./")


def _load() -> str:
    """The 1-, 5- and 15-minute load averages and the core count (the cores may be shared)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def build_tree(source: Path, dest: Path, limit_mb: float) -> tuple[int, int]:
    """Copy text files from ``source`` (sorted walk) until ``limit_mb``; (files, bytes)."""
    budget = int(limit_mb * 1e6)
    total = files = 0
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            src = Path(dirpath) / name
            if src.suffix not in TEXT_SUFFIXES or src.is_symlink():
                continue
            size = src.stat().st_size
            if size > 2_000_000 or total + size > budget:
                continue
            target = dest / src.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            total += size
            files += 1
        if total >= budget * 0.999:
            break
    return files, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default=sysconfig.get_paths()["purelib"],
                        help="large tree to time both tools on (default: site-packages)")
    parser.add_argument("--tree-mb", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--per-format", type=int, default=18)
    parser.add_argument("--outside", default=None,
                        help="outside-corpus cache built by tests.secretscan.outside.extract "
                        "(adds trufflehog's samples; default: the samples in the repo)")
    parser.add_argument("--gitleaks", default=None, help="gitleaks binary to compare with")
    parser.add_argument("--gitleaks-config", default=None, help="gitleaks rule file (toml)")
    parser.add_argument("--fresh", nargs="?", const="", default=None,
                        help="also score the fresh corpus (tests/secretscan/outside/"
                        "fresh.json.gz, or the file given): dev and held-out halves")
    parser.add_argument("--fresh-only", action="store_true",
                        help="only the fresh corpus tables (no other part)")
    parser.add_argument("--show-dev", action="store_true",
                        help="with --fresh: list apilab's misses and false hits on the dev half")
    parser.add_argument("--dev-only", action="store_true",
                        help="with --fresh: print no held-out figure (dev half only)")
    parser.add_argument("--skip-tree", action="store_true", help="skip the speed part")
    parser.add_argument("--repeat", type=int, default=3, help="apilab runs on the tree (best)")
    parser.add_argument("--ds-repeat", type=int, default=1,
                        help="detect-secrets runs on the tree (best)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="apilab-bench-") as tmp:
        if args.fresh is not None or args.fresh_only:
            fresh_bench(args.fresh or None, Path(tmp), args.show_dev, args.dev_only)
            if args.fresh_only:
                return
        outside_bench(args.outside, args.gitleaks, args.gitleaks_config, Path(tmp))
        tricky_bench()
        corpus_dir = Path(tmp) / "corpus"
        files = build_corpus(seed=args.seed, per_format=args.per_format)
        write_corpus(files, corpus_dir)
        corpus_bytes = sum(len(f.text.encode()) for f in files)
        labels = sum(len(f.labels) for f in files)
        print(f"Corpus: {len(files)} files, {labels} labelled secrets, "
              f"{corpus_bytes / 1e6:.2f} MB (seed {args.seed})")

        a_hits, a_time = run_apilab(corpus_dir)
        d_hits, d_types, d_time = run_detect_secrets(corpus_dir)
        a, d = score(files, a_hits), score(files, d_hits)
        print(f"{'tool':<16}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>8}{'F1':>7}")
        for name, s in (("apilab scan", a), ("detect-secrets", d)):
            print(f"{name:<16}{s.tp:>6}{s.fp:>6}{s.fn:>6}{s.precision:>11.3f}{s.recall:>8.3f}"
                  f"{s.f1:>7.3f}")
        print(f"F1 difference: {a.f1 - d.f1:+.3f}  (bar: >= +0.300)")
        ai_recall = min(v for r, v in a.recall_by_rule.items())
        print(f"apilab lowest per-format recall: {ai_recall:.3f}")
        # How often detect-secrets names a new-format OpenAI key as an OpenAI key.
        for rule in ("openai-project-key", "openai-service-account-key", "openai-admin-key"):
            locs = [(f.name, line) for f in files for line, r in f.labels.items() if r == rule]
            named = sum("OpenAI Token" in d_types.get(loc, set()) for loc in locs)
            print(f"detect-secrets labels {rule} as 'OpenAI Token': {named}/{len(locs)} "
                  f"({named / len(locs):.0%}); any detector: {d.recall_by_rule[rule]:.0%}")

        if args.skip_tree:
            return
        tree_dir = Path(tmp) / "tree"
        n_files, n_bytes = build_tree(Path(args.tree), tree_dir, args.tree_mb)
        print(f"\nTree: {n_files} text files, {n_bytes / 1e6:.1f} MB from {args.tree}")
        print(f"load average before: {_load()}")
        # Alternated, so a change in the machine's load hits both the same way.
        a_runs, one_runs = [], []
        for _ in range(max(1, args.repeat)):
            a_runs.append(run_apilab(tree_dir))
            one_runs.append(run_apilab(tree_dir, jobs=1))
        a_hits, a_time = min(a_runs, key=lambda r: r[1])
        one_hits, one_time = min(one_runs, key=lambda r: r[1])
        if sorted(one_hits) != sorted(a_hits):
            raise SystemExit("apilab scan --jobs 1 and the default found different lines")
        d_runs = [run_detect_secrets(tree_dir) for _ in range(max(1, args.ds_repeat))]
        d_hits, _types, d_time = min(d_runs, key=lambda r: r[2])
        print(f"load average after:  {_load()}")
        a_speed, d_speed = n_bytes / 1e6 / a_time, n_bytes / 1e6 / d_time
        one_speed = n_bytes / 1e6 / one_time
        cpus = os.cpu_count()
        all_a = ", ".join(f"{t:.2f}" for _h, t in a_runs)
        all_one = ", ".join(f"{t:.2f}" for _h, t in one_runs)
        print(f"apilab scan     {a_time:7.2f} s  {a_speed:7.2f} MB/s  {len(a_hits)} hits "
              f"(default, {cpus} processes; best of {len(a_runs)}: {all_a} s)")
        print(f"apilab -j 1     {one_time:7.2f} s  {one_speed:7.2f} MB/s  (1 process; best of "
              f"{len(one_runs)}: {all_one} s)")
        print(f"detect-secrets  {d_time:7.2f} s  {d_speed:7.2f} MB/s  {len(d_hits)} hits "
              f"({cpus} processes; best of {len(d_runs)})")
        print(f"Speed ratio, both on all {cpus} CPUs: {a_speed / d_speed:.1f}x (bar: >= 50x); "
              f"apilab on one core: {one_speed / d_speed:.1f}x, {one_speed:.1f} MB/s "
              "(bar: >= 5 MB/s)")


if __name__ == "__main__":
    main()
