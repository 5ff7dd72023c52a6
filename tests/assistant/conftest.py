"""Fixtures for the assistant tests: a small fixed course, and tutors over it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apilab.assistant.offline import OfflineTutor
from apilab.content.loader import load_course
from apilab.content.models import Card, Course

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixture_course() -> Course:
    """The real labs with the fixture cards and no lesson text (stable under content edits)."""
    real = load_course()
    cards = [Card(**c) for c in yaml.safe_load((FIXTURES / "cards.yaml").read_text())]
    return Course(lessons=[], labs=real.labs, cards=cards)


@pytest.fixture(scope="session")
def fixture_tutor(fixture_course: Course) -> OfflineTutor:
    return OfflineTutor(fixture_course)


@pytest.fixture(scope="session")
def real_tutor() -> OfflineTutor:
    # Built here (index, embeddings, price table), so no test's timing includes the build.
    tutor = OfflineTutor(load_course())
    tutor.warm_up()
    return tutor
