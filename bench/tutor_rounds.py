"""Pass counts of the real-learner tutor suite per collection round and split (counts only).

Rounds are told apart by case id: ``<lab>-NNN`` rounds 1-2, ``<lab>-fNNN`` round 3,
``<lab>-gNNN`` round 4, ``<lab>-hNNN`` round 5, ``<lab>-iNNN`` round 6, ``<lab>-jNNN`` round
7, ``<lab>-kNNN`` round 8, ``<lab>-mNNN`` round 9, ``<lab>-nNNN`` round 10, ``<lab>-pNNN``
round 11, ``<lab>-qNNN`` round 12, ``<lab>-rNNN`` round 13, ``<lab>-sNNN`` round 14 (follow-
ups: the learner's later message in a thread, asked after their earlier ones). A round's
first figure, taken before anyone tuned on it, is the honest measure of unseen questions;
docs/tutor.md keeps those figures. Held-out replies and failures are never printed; per
split, the failures are only counted by the kind of reply the tutor gave: a non-answer (I
don't know, off-topic, a clarifying question), a hedged answer, or a confident answer that
missed what helped the asker (the ceiling on confident wrong answers, which the issue says
must be none). It also prints how many pass on the answer alone, without the other cards the
tutor folds under it when they are nearly as close (``::: details`` sections).

    .venv/bin/python bench/tutor_rounds.py [--split dev]

While changing the tutor, run it with ``--split dev``: the held-out figure is for reporting,
not for steering.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

from apilab.evals.tutor import NON_ANSWERS, load_cases, run_cases


def round_of(case_id: str) -> str:
    match = re.search(r"-([a-z]?)\d+$", case_id)
    marker = match.group(1) if match else ""
    return {"": "rounds 1-2", "f": "round 3", "g": "round 4", "h": "round 5",
            "i": "round 6", "j": "round 7", "k": "round 8", "m": "round 9", "n": "round 10",
            "p": "round 11", "q": "round 12", "r": "round 13",
            "s": "round 14"}.get(
        marker, f"round {marker}")


def failure_kind(kind: str) -> str:
    if kind in NON_ANSWERS:
        return "non-answer"
    return "hedged" if kind == "hedged" else "confident miss"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="all")
    splits = ("dev", "heldout") if parser.parse_args().split == "all" else (
        parser.parse_args().split,)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    unfolded: dict[str, int] = defaultdict(int)
    failures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for split in splits:
        for result in run_cases(load_cases(split)).results:
            for key in ((round_of(result.case.id), split), ("all", split)):
                counts[key][0] += result.passed
                counts[key][1] += 1
            unfolded[split] += result.passed_unfolded
            if not result.passed:
                failures[split][failure_kind(result.kind)] += 1
    rounds = sorted({r for r, _ in counts if r != "all"}) + ["all"]
    print(f"{'':12s} {'dev':>16s} {'held-out':>16s}")
    for name in rounds:
        cells = []
        for split in ("dev", "heldout"):
            passed, total = counts.get((name, split), [0, 0])
            cells.append(f"{passed}/{total} ({passed / total:.1%})" if total else "-")
        print(f"{name:12s} {cells[0]:>16s} {cells[1]:>16s}")
    for split in splits:
        total = counts[("all", split)][1]
        print(f"{split}: {unfolded[split]}/{total} ({unfolded[split] / total:.1%}) pass on the "
              "answer alone, without the other answers folded under it")
    for split in splits:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(failures[split].items()))
        print(f"{split} failures by reply kind: {kinds or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
