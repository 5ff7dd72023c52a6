"""Helpers for the assistant tests."""

from __future__ import annotations

from apilab.assistant.base import Turn
from apilab.content.models import Course


def make_turn(course: Course, lab_id: str, message: str, *, first: bool = False,
              covered: frozenset[str] = frozenset(), **context: object) -> Turn:
    """A turn in ``lab_id``; not the first reply unless ``first`` (so no offline footer)."""
    history = [] if first else [("user", "hello"), ("assistant", "hi")]
    return Turn(lab=course.lab(lab_id), message=message, history=history,
                objectives_covered=covered, context=dict(context))
