"""Tricky placements (issue 16): at least 20 of the 23+ found, no look-alike flagged."""

from __future__ import annotations

import pytest

from tests.secretscan import tricky


def test_there_are_enough_cases() -> None:
    assert len(tricky.build()) >= 23


def test_at_least_20_real_placements_are_found() -> None:
    cases = tricky.build(real=True)
    missed = [c.name for c in cases if not tricky.found(c)]
    assert len(cases) - len(missed) >= 20, missed


@pytest.mark.parametrize("case", tricky.build(real=False), ids=lambda c: c.name)
def test_no_look_alike_placeholder_is_flagged(case: tricky.Case) -> None:
    assert not tricky.found(case)


def test_a_key_over_three_continued_lines_is_joined() -> None:
    from apilab.secretscan import find_secrets

    (case,) = [c for c in tricky.build() if "continuation" in c.name]
    text = case.data.decode()
    head, tail = text.split("\\\n")
    three = head[:-20] + "\\\n" + head[-20:] + "\\\n" + tail
    assert [f.rule for f in find_secrets(three, "settings.py")] == ["anthropic-api-key"]


def test_continuations_stay_linear() -> None:
    import time

    from apilab.secretscan import find_secrets

    hostile = "sk-ant-api03-" + ("a" * 390 + "\\\n") * 1500 + ("b\\\n" * 50_000)
    start = time.perf_counter()
    find_secrets(hostile, "x.sh")
    assert time.perf_counter() - start < 5.0
