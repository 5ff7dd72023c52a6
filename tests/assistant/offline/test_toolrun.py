"""The tools the offline tutor runs, through whole conversations (QA14: the cost calculator)."""

from __future__ import annotations

import dataclasses

from apilab.assistant.offline import OfflineTutor
from apilab.assistant.offline.tutor import Composed
from tests.assistant._helpers import make_turn


def _conversation(tutor: OfflineTutor, lab: str, messages: list[str]) -> list[Composed]:
    history: list[tuple[str, str]] = []
    replies = []
    for message in messages:
        reply = tutor.compose(dataclasses.replace(make_turn(tutor.course, lab, message),
                                                  history=list(history)))
        replies.append(reply)
        history += [("learner", message), ("assistant", reply.text)]
    return replies


def test_counts_per_student_multiply_the_class_named_before_and_keep_its_model(
        real_tutor: OfflineTutor) -> None:
    """QA14 1d: one student for one week was priced ($0.02), with "You didn't name a
    model"; 30 x 50 x 14 = 21,000 questions on gpt-4o-mini is about $9.77."""
    _, plan = _conversation(real_tutor, "rate-limits-cost", [
        "help me plan a budget for our class of 30 students using gpt-4o-mini for a semester",
        "each student maybe 50 questions a week, 14 weeks, about 1500 tokens in and 400 out "
        "per question"])
    assert "30 students x 50 questions each per week x 14 weeks = 21,000" in plan.text
    assert "**`gpt-4o-mini`**" in plan.text and "total **$9.77** over 14 weeks" in plan.text
    assert "didn't name a model" not in plan.text


def test_every_model_named_is_priced(real_tutor: OfflineTutor) -> None:
    """QA14 1e: "gpt-4o-mini vs claude-sonnet-4" priced only the first."""
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "startup CTO here: 2,000 daily active users, each sends about 15 messages a day, avg "
        "1,200 input tokens and 250 output tokens per message. monthly cost on gpt-4o-mini vs "
        "claude-sonnet-4?"))
    assert "total **$297.00** per month" in reply.text
    assert "**`claude-sonnet-4" in reply.text and "total **$6,615.00** per month" in reply.text


def test_a_close_but_unknown_model_beside_a_known_one_is_priced_and_said(
        real_tutor: OfflineTutor) -> None:
    reply = real_tutor.compose(make_turn(
        real_tutor.course, "rate-limits-cost",
        "how much is 1M input and 200k output on gpt-4o-mini or claude-haiku-4.5?"))
    assert "**`gpt-4o-mini`**" in reply.text and "**`claude-haiku-4-5" in reply.text
    assert "I took `claude-haiku-4.5` to mean" in reply.text
