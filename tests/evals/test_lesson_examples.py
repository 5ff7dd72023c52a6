"""Lesson 4's eval configs run as printed, and the worked example finds its regression."""

from __future__ import annotations

import asyncio
import re

import yaml

from apilab.content import load_course
from apilab.evals.config import config_from_dict
from apilab.evals.runner import run_eval


def _configs() -> list[dict[str, object]]:
    lesson = next(x for x in load_course().lessons if x.id == "production-prompts")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", lesson.body, re.S)]
    return [b for b in blocks if isinstance(b, dict) and "providers" in b
            and all(not str(p).startswith(("file://",)) for p in b["prompts"])]


def test_the_lessons_worked_example_finds_the_regression(settings) -> None:  # type: ignore[no-untyped-def]
    configs = _configs()
    assert configs, "lesson 4 has a runnable eval config"
    run = asyncio.run(run_eval(config_from_dict(configs[0]), settings))
    pairs = {p["prompt"]: p for p in run.stats()["pairs"]}
    assert pairs["triage-v3"]["rate"] == 1.0
    assert pairs["triage-v4"]["rate"] == 0.0
    flipped = run.flipped("triage-v3", "triage-v4")
    assert len(flipped) == 4 and all(a and not b for _, a, b in flipped)
    assert all("cost" in c.reasons()[0] for c in run.results if not c.passed)
