"""Only real help counts."""

from __future__ import annotations

import pytest

from apilab.assistant.offline.judge import ANSWER_KINDS, judge_reply


@pytest.mark.parametrize("kind", ["dont-know", "off-topic", "clarify", "small-talk",
                                  "continuation", "injection", "echo", "other-lab"])
def test_non_answers_never_count(kind: str) -> None:
    verdict = judge_reply(kind, True, "Lab 4")
    assert not verdict.counts and verdict.reason


@pytest.mark.parametrize("kind", ["answer", "hedged", "multi", "tool", "explain", "review",
                                  "coach", "plan"])
def test_help_counts_only_on_the_labs_topic(kind: str) -> None:
    assert judge_reply(kind, True, "Lab 4").counts
    off = judge_reply(kind, False, "Lab 4")
    assert not off.counts and "Lab 4" in (off.reason or "")


def test_unknown_kind_does_not_count() -> None:
    assert "mystery" not in ANSWER_KINDS and not judge_reply("mystery", True, "x").counts
