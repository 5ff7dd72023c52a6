"""Helpers for the assistant tests."""

from __future__ import annotations

from typing import Any

from apilab.assistant.base import Turn
from apilab.content.models import Course


def make_turn(course: Course, lab_id: str, message: str, *, first: bool = False,
              covered: frozenset[str] = frozenset(), **context: object) -> Turn:
    """A turn in ``lab_id``; not the first reply unless ``first`` (so no offline footer)."""
    history = [] if first else [("user", "hello"), ("assistant", "hi")]
    return Turn(lab=course.lab(lab_id), message=message, history=history,
                objectives_covered=covered, context=dict(context))


def converse(tutor: Any, lab_id: str, messages: list[str]) -> list[Any]:
    """The offline tutor's replies to ``messages`` asked in turn, each with the ones before
    it (and their replies) as history."""
    history: list[tuple[str, str]] = []
    replies = []
    for message in messages:
        reply = tutor.compose(Turn(lab=tutor.course.lab(lab_id), message=message,
                                   history=list(history)))
        replies.append(reply)
        history += [("learner", message), ("assistant", reply.text)]
    return replies


def fake_openai_key() -> str:
    """A synthetic OpenAI project key in the real format (a TEST FIXTURE, built at run time)."""
    import random
    import string

    alphabet = string.ascii_letters + string.digits + "-_"
    side = "".join(random.choices(alphabet, k=74))
    other = "".join(random.choices(alphabet, k=74))
    return "sk-" + "proj-" + side + "T3Blbk" + "FJ" + other
