"""Lab 4's validation panel in a real browser: examples run and the pipeline is drawn."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def test_business_rule_example_is_refused_and_drawn(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/production-prompts")
    page.click("#validate-examples button[data-example='business-rule']")
    page.wait_for_selector("#validate-verdict")
    assert "Do not act" in page.inner_text("#validate-verdict")
    label = page.get_attribute("#validate-result svg", "aria-label")
    assert "schema passed" in label and "business rules failed" in label and "act no" in label
    assert "-4.5" in page.inner_text("#validate-result")


def test_valid_example_may_be_acted_on(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/production-prompts")
    page.click("#validate-examples button[data-example='valid']")
    page.wait_for_selector("#validate-verdict")
    assert "Safe to act" in page.inner_text("#validate-verdict")
