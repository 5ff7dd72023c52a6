"""Completion rules: on-topic, not a near-repeat, objectives, clear reasons."""

from __future__ import annotations

import pytest

from apilab.assistant.base import ReplyDone
from apilab.assistant.completion import judge, near_repeat, objectives_by_keywords
from apilab.content import load_course

LAB = load_course().lab("api-basics")


def _done(on_topic: bool = True, objectives: list[str] | None = None,
          reason: str | None = None) -> ReplyDone:
    meta = {"topic_reason": reason} if reason else {}
    return ReplyDone(text="answer", backend="offline", objectives=objectives or [],
                     on_topic=on_topic, meta=meta)


def test_on_topic_new_question_counts_with_its_objectives() -> None:
    verdict = judge(LAB, "What goes in the Authorization header?",
                    _done(objectives=["request-anatomy", "not-an-objective"]), [])
    assert verdict.counted and verdict.why_not_counted is None
    assert verdict.objectives == ["request-anatomy"]  # unknown ids are dropped


def test_off_topic_does_not_count_and_says_why() -> None:
    verdict = judge(LAB, "best pizza in Rome?", _done(on_topic=False,
                                                      reason="it is not about Lab 1"), [])
    assert not verdict.counted and verdict.objectives == []
    assert "Not counted: it is not about Lab 1." in verdict.why_not_counted
    generic = judge(LAB, "pizza", _done(on_topic=False), [])
    assert LAB.title in generic.why_not_counted


@pytest.mark.parametrize(
    ("earlier", "message"),
    [
        ("What goes in the Authorization header?", "what goes in the authorization header"),
        ("What goes in the Authorization header?", "What goes in the Authorization header??"),
        ("what's the difference between a 429 and a 503?",
         "what's the difference between a 503 and a 429?"),
        ("Why does my chatbot forget what I said?", "why does my chatbot forget what i said again"),
    ],
)
def test_near_repeats_do_not_count(earlier: str, message: str) -> None:
    verdict = judge(LAB, message, _done(), [earlier])
    assert not verdict.counted
    assert "nearly repeats" in verdict.why_not_counted and verdict.repeat_of == earlier


@pytest.mark.parametrize(
    ("earlier", "message"),
    [
        ("What is RPM?", "What is TPM?"),
        ("How much do 2M input tokens cost on gpt-4o-mini?",
         "How much do 5M input tokens cost on gpt-4o-mini?"),
        ("What goes in the Authorization header?", "What goes in the request body?"),
    ],
)
def test_different_questions_are_not_repeats(earlier: str, message: str) -> None:
    assert near_repeat(message, [earlier]) is None
    assert judge(LAB, message, _done(), [earlier]).counted


def test_objectives_by_keywords_for_backends_that_do_not_tag() -> None:
    assert "streaming" in objectives_by_keywords(LAB, "how do I stream chunks over SSE?")
    assert objectives_by_keywords(LAB, "hello") == []
    verdict = judge(LAB, "how do I stream chunks over SSE?", _done(objectives=[]), [])
    assert "streaming" in verdict.objectives


def test_the_repeat_check_skips_only_messages_that_cannot_repeat() -> None:
    """The cheap bound in front of difflib never changes the answer: random messages over a
    small vocabulary (many near repeats) give the same result with and without it."""
    import random

    from apilab.assistant import completion

    rng = random.Random(9)
    vocab = ["429", "503", "retry", "backoff", "key", "stream", "cost", "tokens", "json",
             "schema", "limit", "jitter", "2M", "5M", "the", "model"]
    for _ in range(400):
        message = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 8)))
        earlier = [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 8)))
                   for _ in range(rng.randint(0, 12))]
        words = completion.normalise(message)
        exact = None
        for previous in earlier:
            score = completion._similarity(words, completion.normalise(previous))
            if score >= completion.REPEAT_THRESHOLD and (exact is None or score > exact[1]):
                exact = (previous, score)
        assert completion.near_repeat(message, earlier) == exact, (message, earlier)


def test_the_repeat_check_runs_difflib_only_where_a_repeat_is_possible(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A learner (or a shared server's one local learner) with 5,000 counted questions:
    difflib runs only against the few that share enough words to be a repeat."""
    from apilab.assistant import completion

    calls = []
    real = completion._similarity

    def counted(a: list[str], b: list[str]) -> float:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(completion, "_similarity", counted)
    earlier = [f"question number {i} about rate limits and retries with backoff in my "
               f"worker {i % 17}" for i in range(5000)]
    earlier.append("how should I structure retries in my streaming endpoint?")
    found = completion.near_repeat("how should I structure retries in my streaming endpoint",
                                   earlier)
    assert found is not None and found[0] == earlier[-1]
    assert len(calls) < 10
