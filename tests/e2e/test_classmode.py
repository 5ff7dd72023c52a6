"""Class mode in a real browser: sign in, join, work a lab; the instructor's dashboard.

Both at laptop width and at phone width (390 px): nothing wider than the viewport.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_fits_viewport, wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def classroom(settings):  # type: ignore[no-untyped-def]
    from apilab.accounts import Accounts
    from apilab.classes import Classes
    from apilab.storage.db import open_database

    db = open_database(settings.db_url)
    accounts = Accounts(db, settings)
    accounts.create("prof@example.org", password=PASSWORD, role="instructor",
                    display_name="Prof Grace")
    accounts.create("ada@example.org", password=PASSWORD, display_name="Ada")
    info = Classes(db, settings).create(None, slug="cs101", name="CS 101",
                                        owner_email="prof@example.org",
                                        learner_daily_usd="0.10", class_monthly_usd="5")
    return info["join_code"]


def sign_in(page, base: str, email: str, start: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + start)
    assert "/signin" in page.url  # sent to sign in, with the way back kept
    page.fill("#signin-email", email)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_url(base + start)


def learner_run(page, base: str, code: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, "ada@example.org", "/account")
    page.fill("#join-code", code)
    page.click("#join-form button[type=submit]")
    # The page reloads itself after joining; this wait survives the navigation.
    page.wait_for_selector("#my-classes li[data-class=cs101]")
    page.wait_for_load_state("load")
    assert "can read your lab conversations" in page.inner_text("#transcript-notice")
    page.goto(base + "/labs/rate-limits-cost")
    assert "CS 101" in page.inner_text("#class-notice")
    for question in ("RPM vs TPM?", "why add jitter to retries?",
                     "How much do 2 million input tokens and 500k output tokens cost on "
                     "gpt-4o-mini?"):
        before = page.evaluate("() => document.querySelectorAll('.msg.assistant').length")
        page.fill("#message", question)
        page.click("#composer button[type=submit]")
        wait_until(page, "(n) => document.querySelectorAll('.msg.assistant').length > n "
                   "&& !document.querySelector('.msg.assistant.streaming')", before)


def test_a_learner_joins_and_the_instructor_sees_it(live_server, browser, classroom) -> None:  # type: ignore[no-untyped-def]
    learner = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    learner_run(learner, live_server, classroom)
    assert_fits_viewport(learner, "lab page in a class")

    prof = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(prof, live_server, "prof@example.org", "/instructor")
    prof.click("#class-list a")
    prof.wait_for_selector("#matrix")
    row = prof.inner_text("#matrix tbody tr")
    assert "Ada" in row and "✓" in row
    done = prof.get_attribute(
        "#chart-labs li[data-lab=rate-limits-cost] .pc-value[data-completed]", "data-completed")
    assert done == "1"
    prof.screenshot(path=str(live_server_shot("dashboard-laptop")), full_page=True)
    assert_fits_viewport(prof, "dashboard")
    # The instructor opens the learner's conversation from the matrix.
    prof.click("#matrix td[data-lab=rate-limits-cost] a")
    prof.wait_for_selector("#transcript")
    assert "RPM vs TPM?" in prof.inner_text("#transcript")


def test_the_dashboard_and_account_pages_fit_a_phone(live_server, phone, classroom) -> None:  # type: ignore[no-untyped-def]
    learner_run(phone, live_server, classroom)
    assert_fits_viewport(phone, "lab page on a phone")
    phone.goto(live_server + "/account")
    assert_fits_viewport(phone, "account page on a phone")
    phone.click("#signout")
    phone.wait_for_url(live_server + "/signin")
    assert_fits_viewport(phone, "sign-in page on a phone")
    sign_in(phone, live_server, "prof@example.org", "/instructor/classes/cs101")
    phone.wait_for_selector("#matrix")
    phone.screenshot(path=str(live_server_shot("dashboard-phone")), full_page=True)
    assert_fits_viewport(phone, "dashboard on a phone")
    phone.goto(live_server + "/instructor")
    assert_fits_viewport(phone, "class list on a phone")


def test_a_wrong_password_says_so_on_the_page(live_server, page, classroom) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server + "/signin")
    page.fill("#signin-email", "ada@example.org")
    page.fill("#signin-password", "not the password")
    page.click("#signin-submit")
    wait_until(page, "() => !document.querySelector('#signin-error').hidden")
    assert "do not match" in page.inner_text("#signin-error")


def live_server_shot(name: str):  # type: ignore[no-untyped-def]
    import os
    import tempfile
    from pathlib import Path

    folder = Path(os.environ.get("APILAB_TEST_SHOTS", tempfile.gettempdir()))
    return folder / f"apilab-{name}.png"
