"""Every page fits a phone: nothing wider than a 390 px viewport, and none at 1280 px."""

from __future__ import annotations

import pytest

from apilab.content import load_course
from tests.e2e.conftest import assert_fits_viewport

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def every_page() -> list[str]:
    """Every page a learner can reach from the navigation, plus an error page."""
    course = load_course()
    return (["/", "/progress", "/api/docs", "/labs/no-such-lab"]
            + [f"/lessons/{lesson.id}" for lesson in course.lessons]
            + [f"/labs/{lab.id}" for lab in course.labs])


def _too_wide(page, base: str) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    for path in every_page():
        page.goto(base + path)
        page.wait_for_load_state("networkidle")  # panels fill in from their APIs
        try:
            assert_fits_viewport(page, path)
        except AssertionError as exc:
            problems.append(str(exc))
    return problems


def test_every_page_fits_a_phone(live_server, phone) -> None:  # type: ignore[no-untyped-def]
    assert _too_wide(phone, live_server) == []


def test_every_page_fits_a_laptop(live_server, page) -> None:  # type: ignore[no-untyped-def]
    assert _too_wide(page, live_server) == []
