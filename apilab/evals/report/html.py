"""The HTML report: one self-contained page (inline CSS, no script, nothing fetched).

For each provider, a pass/fail matrix of tests x prompts whose cells show the
verdict (k/N with repeats), score, cost and latency, with the output and the
failing reasons one click away; then, for each pair of consecutive prompts,
the text diff between the two versions and the tests that flipped. Rendered
with Jinja2 autoescaping: outputs are model text and may hold HTML.
"""

from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from apilab.evals.results import CellResult, EvalRun

__all__ = ["to_html"]


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    text = (resources.files("apilab.evals.report") / "report.html").read_text(encoding="utf-8")
    return env.from_string(text)


def _cell_view(cells: list[CellResult], hidden: bool) -> dict[str, Any]:
    passed = sum(c.passed for c in cells)
    cost = sum((c.output.cost or Decimal(0) for c in cells), Decimal(0))
    latency = sum(c.output.latency_ms for c in cells) / len(cells)
    first = cells[0]
    return {
        "state": "pass" if passed == len(cells) else "error" if all(c.error for c in cells)
        else "fail" if passed == 0 else "mixed",
        "label": f"{passed}/{len(cells)}" if len(cells) > 1 else ("pass" if passed else
                                                                 "error" if first.error
                                                                 else "fail"),
        "score": f"{sum(c.score for c in cells) / len(cells):.2f}",
        "cost": f"${cost:.6f}", "latency": f"{latency:.0f} ms",
        "output": "" if hidden else first.output.text[:4000],
        "reasons": [] if hidden else sorted({r for c in cells for r in c.reasons()}),
    }


def _diff(a: str, b: str) -> list[tuple[str, str]]:
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), "a", "b", lineterm="",
                                      n=2))[2:]
    return [("add" if ln.startswith("+") else "del" if ln.startswith("-") else
             "hunk" if ln.startswith("@@") else "same", ln) for ln in lines]


def to_html(run: EvalRun, *, show_heldout: bool = False) -> str:
    """The run as one HTML page."""
    config = run.config
    grouped: dict[tuple[str, int, str], list[CellResult]] = defaultdict(list)
    for cell in run.results:
        grouped[(cell.provider, cell.test.index, cell.prompt)].append(cell)
    tests = [t for t in config.tests if show_heldout or not t.heldout]
    matrices = []
    for provider in config.providers:
        rows = []
        for test in tests:
            cells = [grouped.get((provider.label, test.index, p.label)) for p in config.prompts]
            rows.append({"name": test.name, "cells": [
                _cell_view(c, False) if c else None for c in cells]})
        matrices.append({"provider": provider.label, "rows": rows})
    pairs = []
    prompts = list(config.prompts)
    for a, b in zip(prompts, prompts[1:], strict=False):
        flips = []
        for provider in config.providers:
            for test, was, now in run.flipped(a.label, b.label, provider.label):
                if test.heldout and not show_heldout:
                    continue
                flips.append({"provider": provider.label, "test": test.name,
                              "was": "pass" if was else "fail", "now": "pass" if now else "fail"})
        pairs.append({"a": a.label, "b": b.label, "diff": _diff(a.display, b.display),
                      "flips": flips})
    stats = run.stats()
    hidden = sum(1 for c in run.results if c.test.heldout and not show_heldout)
    return _template().render(
        title=config.description or "apilab eval", run=run, stats=stats,
        prompts=[p.label for p in prompts], matrices=matrices, pairs=pairs,
        hidden=hidden, estimate=run.estimate or {},
        started=run.started.strftime("%Y-%m-%d %H:%M UTC"))
