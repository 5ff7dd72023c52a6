"""What an eval run produces: outputs, assertion verdicts, cells and the run's figures.

Plain data only. ``EvalRun.stats()`` computes pass rates overall, per
prompt x provider, per metric and per split; the reports (``report/``) and the
CLI format these, and never compute figures of their own, so every output
format agrees.

A *cell* is one test run once on one prompt with one provider. A test case
passes when every weighted assertion passes, or, with a ``threshold``, when
its weighted score reaches it. A cell whose call failed is an *error*, counted
apart from failures (and as not passed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apilab.evals.config import Assertion, EvalConfig, TestCase

__all__ = ["AssertionResult", "CellResult", "EvalRun", "Output", "score_test"]


@dataclasses.dataclass
class Output:
    """What a provider answered for one cell (or why it could not)."""

    text: str = ""
    error: str | None = None
    cost: Decimal | None = None
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    finish_reason: str | None = None
    call_id: str | None = None
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class AssertionResult:
    """One assertion's verdict: pass, a score in [0, 1] and a reason a person can read."""

    assertion: Assertion
    passed: bool
    score: float
    reason: str


def score_test(test: TestCase, results: list[AssertionResult]) -> tuple[bool, float]:
    """(passed, weighted score) of a test from its assertion verdicts (promptfoo's rule)."""
    weighted = [(r.assertion.weight, r) for r in results if r.assertion.weight > 0]
    total = sum(w for w, _ in weighted)
    score = sum(w * r.score for w, r in weighted) / total if total else 1.0
    if test.threshold is not None:
        return score >= test.threshold, score
    return all(r.passed for _, r in weighted), score


@dataclasses.dataclass
class CellResult:
    """One test x prompt x provider x repeat."""

    test: TestCase
    prompt: str  # prompt label
    provider: str  # provider label
    repeat: int
    prompt_hash: str
    rendered: str  # the prompt as sent, for reports
    output: Output
    asserts: list[AssertionResult]
    passed: bool
    score: float

    @property
    def error(self) -> bool:
        return self.output.error is not None

    def reasons(self) -> list[str]:
        """Why it failed: the call error, or each failing assertion's reason."""
        if self.output.error:
            return [self.output.error]
        return [f"{r.assertion.name}: {r.reason}" for r in self.asserts if not r.passed]


def _rate(cells: list[CellResult]) -> dict[str, Any]:
    passed = sum(c.passed for c in cells)
    errors = sum(c.error for c in cells)
    cost = sum((c.output.cost or Decimal(0) for c in cells), Decimal(0))
    latencies = sorted(c.output.latency_ms for c in cells if not c.output.cached)
    return {
        "passed": passed, "failed": len(cells) - passed - errors, "errors": errors,
        "total": len(cells), "rate": round(passed / len(cells), 4) if cells else 0.0,
        "cost_usd": str(cost),
        "latency_ms_p50": round(latencies[len(latencies) // 2], 1) if latencies else None,
        "input_tokens": sum(c.output.input_tokens for c in cells),
        "output_tokens": sum(c.output.output_tokens for c in cells),
        "cached": sum(c.output.cached for c in cells),
    }


@dataclasses.dataclass
class EvalRun:
    """A finished (or stopped) run: its config, every cell, and when it ran."""

    config: EvalConfig
    results: list[CellResult]
    started: dt.datetime
    finished: dt.datetime | None = None
    estimate: dict[str, Any] | None = None
    stopped: str | None = None  # why the run ended early, if it did

    @property
    def pass_rate(self) -> float:
        return sum(c.passed for c in self.results) / len(self.results) if self.results else 0.0

    def stats(self) -> dict[str, Any]:
        """Pass rates overall, per prompt x provider, per metric and per split."""
        by_pair: dict[tuple[str, str], list[CellResult]] = defaultdict(list)
        by_split: dict[str, list[CellResult]] = defaultdict(list)
        metric_scores: dict[str, list[float]] = defaultdict(list)
        for cell in self.results:
            by_pair[(cell.prompt, cell.provider)].append(cell)
            split = cell.test.metadata.get("split")
            if split:
                by_split[str(split)].append(cell)
            for r in cell.asserts:
                if r.assertion.metric:
                    metric_scores[r.assertion.metric].append(r.score)
        return {
            "overall": _rate(self.results),
            "pairs": [{"prompt": p, "provider": v, **_rate(cells)}
                      for (p, v), cells in by_pair.items()],
            "splits": {name: _rate(cells) for name, cells in sorted(by_split.items())},
            "metrics": {name: round(sum(s) / len(s), 4)
                        for name, s in sorted(metric_scores.items())},
        }

    def flipped(self, prompt_a: str, prompt_b: str,
                provider: str | None = None) -> list[tuple[TestCase, bool, bool]]:
        """Tests whose verdict differs between two prompts: (test, passed on a, passed on b)."""
        def verdicts(label: str) -> dict[int, bool]:
            out: dict[int, bool] = {}
            for c in self.results:
                if c.prompt == label and (provider is None or c.provider == provider):
                    out[c.test.index] = out.get(c.test.index, True) and c.passed
            return out

        a, b = verdicts(prompt_a), verdicts(prompt_b)
        tests = {c.test.index: c.test for c in self.results}
        return [(tests[i], a[i], b[i]) for i in sorted(a.keys() & b.keys()) if a[i] != b[i]]
