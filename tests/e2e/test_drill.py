"""The lab 2 leak drill in a real browser, from start to debrief (revoke-first path)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]

SECRET = re.compile(r"sk-sbx-[A-Za-z0-9]{40}")


def _visible(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(selector, state="visible")


def test_drill_start_to_debrief(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/key-security")
    page.click("#drill-start")
    _visible(page, "#drill-leak")
    assert "done" in (page.get_attribute("#drill-steps li[data-step=issued]", "class") or "")
    page.click("#drill-leak")
    # The commit is shown with the key redacted, and the scanner flags it.
    _visible(page, "#drill-commit")
    assert "sk-sbx-…" in page.inner_text("#drill-commit-diff")
    assert "apilab-sandbox-key" in page.inner_text("#drill-commit-scan")
    # The attacker starts spending: credit drains on screen.
    wait_until(page, "Number(document.querySelector('#drill-attacks').textContent) >= 2",
                           timeout=20)
    wait_until(page,
        "Number(document.querySelector('#drill-credit').textContent.slice(1)) < 1.47")
    assert page.locator("#drill-chart polyline").count() == 1
    # Revoke first.
    page.click("#drill-revoke")
    _visible(page, "#drill-steps li[data-step=revoked].done")
    # Then investigate: tick the attacker's calls by user agent and submit.
    page.click("#drill-audit-open")
    _visible(page, "#drill-audit-table tbody tr")
    for agent in ("python-requests/2.32.3", "curl/8.5.0"):
        button = page.locator(f"#drill-audit-groups button[data-agent='{agent}']")
        if button.count():
            button.click()
    page.click("#drill-audit-submit")
    wait_until(page,
        "document.querySelector('#drill-audit-result').textContent.includes('classified')")
    assert "red" not in page.inner_text("#drill-audit-result")  # all rows right
    # Rotate, point the app at the new key, verify.
    page.click("#drill-rotate")
    _visible(page, "#drill-config-form")
    page.click("#drill-config-btn")
    _visible(page, "#drill-steps li[data-step=configured].done")
    page.click("#drill-verify")
    _visible(page, "#drill-debrief")
    score = int(page.inner_text("#drill-score"))
    assert score >= 85  # fast, revoke-first, perfect audit, rotated, configured, verified
    assert "right order" in page.inner_text("#drill-debrief-lines")
    assert "Drill complete" in page.inner_text("#drill-status")
    # No secret anywhere on the page.
    assert not SECRET.search(page.content())


def test_investigating_before_revoking_costs_points(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/key-security")
    page.click("#drill-start")
    _visible(page, "#drill-leak")
    page.click("#drill-leak")
    _visible(page, "#drill-audit-open")
    page.click("#drill-audit-open")  # investigating while the key is live
    _visible(page, "#drill-audit")
    page.click("#drill-rotate")  # rotating revokes too
    _visible(page, "#drill-config-form")
    page.click("#drill-config-btn")
    _visible(page, "#drill-steps li[data-step=configured].done")
    page.click("#drill-verify")
    _visible(page, "#drill-debrief")
    assert "Revoke first" in page.inner_text("#drill-debrief-lines")
    rows = page.inner_text("#drill-score-table")
    assert "0/20" in rows  # the order points are lost


@pytest.mark.parametrize("width", [1280, 390])
def test_the_leaked_commit_points_at_this_server(live_server, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.conftest import assert_fits_viewport

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/labs/key-security")
    page.click("#drill-start")
    _visible(page, "#drill-leak")
    page.click("#drill-leak")
    _visible(page, "#drill-commit")
    diff = page.inner_text("#drill-commit-diff")
    # The .env in the commit has the base URL of the server the learner is using.
    assert f"+OPENAI_BASE_URL={live_server}/sandbox/v1" in diff
    assert ":8000/" not in diff
    assert_fits_viewport(page, f"drill at {width} px")
    context.close()
